"""Photos and recorded sessions scored on Ray: a local Ray on this machine, or a cluster.

    files (listed here; those a --resume finds done are dropped)
      -> ray.data.from_items([{path, side, annotated}], a few files a block)
      -> map_batches(PhotoWorker | VideoWorker, an actor pool: one estimator per actor)
      -> iter_batches() here -> RecordLog: records committed in parts, side outputs first
      -> records.jsonl in input order

Exactly once: Ray restarts a dead actor and retries its work (Ray Data's actor pool does so
without end), so every file arrives at least once; this process, the only writer of records,
keeps the first record of each file, so none appears twice. A file is done once its record is
committed, so a --resume redoes exactly the others.

Ray is imported only here and in `ray_workers` (the `ray` extra); nothing else imports them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from alignment.core.rules import PoseRules
from alignment.estimators.presets import model_files
from alignment.io import storage
from alignment.io.images import IMAGE_SUFFIXES
from alignment.io.outputs import mirrored_names
from alignment.io.record_log import RecordLog
from alignment.io.video import VIDEO_SUFFIXES

RAY_MISSING = "--ray needs Ray: pip install 'janu-alignment[ray]'"
ANNOTATED_VIDEO = ".mp4"


def ray_missing(address: str | None = None) -> str | None:
    """What to say when Ray (with Ray Data) is not installed; None when it is. Imports Ray,
    set up for `address` (see `connect`)."""
    _environment(address)
    try:
        import ray.data  # noqa: F401
    except ImportError:
        return RAY_MISSING
    return None


def _environment(address: str | None) -> str | None:
    """The address to join, if any: `address`, else $RAY_ADDRESS (as under `ray job
    submit`). Sets what Ray reads from the environment when it is imported, so this comes
    first."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    if not address:
        # 2.60's default for a new local Ray (token authentication), minus its warning.
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    # Ray Data re-configures its logger at every run; this variable is what sticks.
    os.environ.setdefault("RAY_DATA_LOG_LEVEL", "WARNING")
    return address


def connect(address: str | None = None, num_cpus: int | None = None) -> str:
    """Join the cluster at `address` (or $RAY_ADDRESS), else start a private Ray on this
    machine: never one that some `ray start` left running, which a plain `ray.init()` would
    join. Returns what was joined."""
    address = _environment(address)
    import ray

    if ray.is_initialized():
        return "the Ray this process joined"
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
    # ray.init sets its own SIGTERM handler; the one in place (Ctrl-C/SIGTERM keep what is
    # done: cli.run.stop_on_signals) stays.
    on_sigterm = signal.getsignal(signal.SIGTERM)
    try:
        if address:
            ray.init(address=address, **quiet)
            return address
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, **quiet)
        return "a local Ray"
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, on_sigterm)


def disconnect() -> None:
    """Leave Ray (stopping the local one) if this process joined it."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()


@dataclass
class RunStats:
    what: str  # "photos" or "videos"
    where: str = ""  # the Ray joined ("" when there was nothing to do)
    total: int = 0
    done: int = 0  # records committed by this run
    failed: int = 0  # error records among them
    skipped: int = 0  # done by an earlier run (--resume)
    duplicates: int = 0  # records Ray delivered twice, dropped
    actors: int = 0
    seconds: float = 0.0
    first_s: float | None = None  # until the first record (actors started, models loaded)
    first_done: int = 0  # records in the first batch
    interrupted: bool = False
    problems: list[str] = field(default_factory=list)  # side outputs not written
    failures: list[str] = field(default_factory=list)  # the error messages, first ones
    lines: list[str] = field(default_factory=list)  # records.jsonl, in input order

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def steady_per_second(self) -> float:
        """After the first record: what a long run approaches."""
        busy = self.seconds - (self.first_s or 0.0)
        after = self.done - self.first_done
        return after / busy if busy > 0 and after > 0 else 0.0

    def line(self) -> str:
        rate = f"{self.per_second:.2f} {self.what}/s"
        if self.steady_per_second:
            rate += f", {self.steady_per_second:.2f}/s after start-up"
        return (
            f"{self.done} {self.what} done ({self.failed} failed), {self.skipped} skipped "
            f"(done before), {self.total} in all; {self.seconds:.1f} s, {rate}"
        )

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


# ------------------------------------------------------------------------ the two commands


def run_photos(
    listing: storage.Listing,
    results: str,
    *,
    pose: PoseRules,
    level: str,
    quality: str,
    model_paths: Sequence[str] = (),
    annotate: str | None = None,
    single_folder: bool = False,
    **options: Any,
) -> RunStats:
    """Score photos into `results`; annotated copies below `annotate` (mirrored as the local
    run mirrors them). `options`: see `run_batch`."""
    annotated = _below(annotate, mirrored_names(listing.files, listing.below, single_folder))
    return run_batch(
        "photos",
        listing.files,
        results,
        settings={"command": "image", "level": level, "quality": quality},
        worker_kwargs={"pose": pose, "level": level, "quality": quality},
        model_paths=model_paths,
        annotated=annotated,
        **options,
    )


def run_videos(
    listing: storage.Listing,
    results: str,
    *,
    pose: PoseRules,
    level: str,
    quality: str,
    every: int = 1,
    model_paths: Sequence[str] = (),
    annotate: str | None = None,
    single_folder: bool = False,
    **options: Any,
) -> RunStats:
    """Analyse whole videos into `results`: the summary is the record; the summary, timeline
    and plot files of each go to `<results>/videos/<name>.summary.json|.timeline.csv|.plot.png`,
    the annotated video below `annotate`. One video a task."""
    names = mirrored_names(listing.files, listing.below, single_folder)
    stems = {path: str(PurePosixPath(name).with_suffix("")) for path, name in names.items()}
    options.setdefault("files_per_task", 1)
    return run_batch(
        "videos",
        listing.files,
        results,
        settings={"command": "video", "level": level, "quality": quality, "every": every},
        worker_kwargs={"pose": pose, "level": level, "quality": quality, "every": every},
        model_paths=model_paths,
        sides=_below(storage.join(results, "videos"), stems),
        annotated=_below(annotate, {p: s + ANNOTATED_VIDEO for p, s in stems.items()}),
        **options,
    )


def _below(folder: str | None, names: dict[str, str]) -> dict[str, str]:
    return {} if folder is None else {path: storage.join(folder, n) for path, n in names.items()}


# ------------------------------------------------------------------------ the batch


def run_batch(
    what: str,
    files: Sequence[str],
    results: str,
    *,
    settings: dict[str, Any],
    worker_kwargs: dict[str, Any],
    model_paths: Sequence[str] = (),
    sides: dict[str, str] | None = None,
    annotated: dict[str, str] | None = None,
    actors: int | None = None,
    cpus_per_actor: float = 1.0,
    files_per_task: int = 4,
    max_crashes: int = 2,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    stop: threading.Event | None = None,
    on_commit: Callable[[RunStats], None] | None = None,
    estimator_factory: Callable[[str], Any] | None = None,
    before_file: Callable[[str], None] | None = None,
    address: str | None = None,
) -> RunStats:
    """Check `files` with an actor pool into `results` (a folder or a URI). Ray is joined
    (`connect(address)`) only when there is something to do.

    `actors`: the pool's size (default: the cluster's CPUs over `cpus_per_actor`). `stop`
    (Ctrl-C) ends the run early, keeping what is committed; `on_commit` sees the stats after
    each record. `estimator_factory` (mode -> estimator) replaces the preset's model and
    `before_file` runs before each file in the workers: both for tests. An exception, Ctrl-C
    included, still commits the records already received."""
    started = time.perf_counter()
    sides, annotated = sides or {}, annotated or {}
    log = RecordLog(results)
    models = _models(worker_kwargs["quality"], model_paths, estimator_factory)
    settings["models"] = [[name, digest] for name, digest, _ in models]
    previous = log.open(settings, resume, overwrite)
    unique = list(dict.fromkeys(files))  # a file given twice is checked once
    todo = [f for f in unique if f not in previous]
    stats = RunStats(what, total=len(unique), skipped=len(unique) - len(todo))
    if todo:
        stats.where = connect(address)
        import ray

        from alignment.pipeline.ray_workers import CrashGuard, PhotoWorker, VideoWorker

        shipment = [
            {"name": name, "digest": digest, "ref": ray.put(data)}
            for name, digest, data in models
            if data  # none for a stand-in estimator
        ]
        blocks = math.ceil(len(todo) / files_per_task)
        cpus = ray.cluster_resources().get("CPU", 1.0)
        stats.actors = min(blocks, actors or max(1, int(cpus // cpus_per_actor)))
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = progress
        context.print_on_execution_start = False
        context.max_consecutive_actor_init_deaths = 1  # one start-up crash is replaced
        guard = CrashGuard.remote()
        rows = [
            {"path": path, "side": sides.get(path, ""), "annotated": annotated.get(path, "")}
            for path in todo
        ]
        data = ray.data.from_items(
            rows,
            override_num_blocks=blocks,
        ).map_batches(
            PhotoWorker if what == "photos" else VideoWorker,
            batch_format="pyarrow",
            batch_size=None,  # a whole block (files_per_task files) a call
            compute=ray.data.ActorPoolStrategy(size=stats.actors),
            num_cpus=cpus_per_actor,
            fn_constructor_kwargs={
                **worker_kwargs,
                "models": shipment,
                "guard": guard,
                "local_results": len([n for n in ray.nodes() if n["Alive"]]) == 1,
                "max_crashes": max_crashes,
                "estimator_factory": estimator_factory,
                "before_file": before_file,
            },
            udf_modifying_row_count=False,
        )
        try:
            _consume(data, log, stats, started, stop, on_commit)
        finally:
            ray.kill(guard)
    stats.lines = log.finalize(files)
    stats.duplicates = log.duplicates
    stats.seconds = time.perf_counter() - started
    return stats


def _models(
    quality: str, model_paths: Sequence[str], factory: Callable[[str], Any] | None
) -> list[tuple[str, str, bytes]]:
    """The preset's model files, found here the usual way: (name, digest, bytes) each; they
    reach the workers through the object store, so no node needs them on its disk."""
    if factory is not None:
        return [(getattr(factory, "__name__", "stand-in"), "", b"")]
    models = []
    for path in model_files(quality, model_paths):
        data = path.read_bytes()
        models.append((path.name, hashlib.sha256(data).hexdigest()[:16], data))
    return models


def _consume(
    data: Any,
    log: RecordLog,
    stats: RunStats,
    started: float,
    stop: threading.Event | None,
    on_commit: Callable[[RunStats], None] | None,
) -> None:
    """Commit the records as they come. The results are read on a thread so that this one
    stays free to commit on time and to notice `stop` within a fraction of a second, even
    while a long video is being analysed."""
    results: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=8)
    cancel = threading.Event()

    def read() -> None:
        try:
            for batch in data.iter_batches(batch_format="pyarrow", batch_size=None):
                results.put(("batch", batch))
                if cancel.is_set():
                    return
            results.put(("end", None))
        except BaseException as exc:  # handed to the main thread
            results.put(("error", exc))

    reader = threading.Thread(target=read, name="ray-results", daemon=True)
    reader.start()
    try:
        while True:
            try:
                kind, item = results.get(timeout=0.2)
            except queue.Empty:
                log.flush_if_due()
                if stop is not None and stop.is_set():
                    stats.interrupted = True
                    return
                continue
            if kind == "end":
                return
            if kind == "error":
                raise item
            _commit(item, log, stats, on_commit)
            if stats.first_s is None:
                stats.first_s = time.perf_counter() - started
                stats.first_done = stats.done
            log.flush_if_due()
    finally:
        cancel.set()
        log.flush()


def _commit(
    batch: Any, log: RecordLog, stats: RunStats, on_commit: Callable[[RunStats], None] | None
) -> None:
    """Side outputs first (when the driver writes them), then the record; a file already
    committed by this run is dropped."""
    columns = [batch.column(c).to_pylist() for c in ("path", "record", "failed", "dests", "data")]
    problems = batch.column("problems").to_pylist()
    for path, record, failed, dests, data, trouble in zip(*columns, problems, strict=True):
        if path in log.committed:
            log.duplicates += 1
            continue
        stats.problems += trouble
        for dest, content in zip(dests, data, strict=True):
            try:
                storage.write_location(dest, content)
            except OSError as exc:
                stats.problems.append(f"cannot write {dest}: {exc.strerror or exc}")
        log.add(path, record)
        stats.done += 1
        if failed:
            stats.failed += 1
            if len(stats.failures) < 5:
                stats.failures.append(json.loads(record)["error"])
        if on_commit:
            on_commit(stats)


SUFFIXES = {"photos": IMAGE_SUFFIXES, "videos": VIDEO_SUFFIXES}
