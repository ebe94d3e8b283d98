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
from alignment.io.progress import Progress
from alignment.io.record_log import RecordLog
from alignment.io.video import VIDEO_SUFFIXES
from alignment.settings import DEFAULT_RATE_HZ, STOP_SIGNALS

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
    if not address and "ray" not in sys.modules:
        # 2.60's default for a new local Ray (token authentication), minus its warning. Not
        # once Ray is imported: it has read its mode, and a Ray started with another one
        # would refuse its own driver.
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    # Ray Data re-configures its logger at every run; this variable is what sticks.
    os.environ.setdefault("RAY_DATA_LOG_LEVEL", "WARNING")
    # The driver's C++ core logs an "E" line on every run (Ray Data's actors have
    # max_restarts > 0 with arguments in the object store): noise, not an error of the run.
    # Ray's failures still reach the user as exceptions (cli.cluster words them).
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    # Ray is joined on purpose, never by a call that finds it gone (after ray.shutdown) and
    # silently starts another.
    os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")
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
    # ray.init sets its own SIGTERM handler; the ones in place (Ctrl-C/SIGTERM/SIGHUP keep
    # what is done: cli.common.stop_on_signals) stay.
    handlers = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    try:
        if address:
            ray.init(address=address, **quiet)
            return address
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, **quiet)
        return "a local Ray"
    finally:
        if threading.current_thread() is threading.main_thread():
            for signum, handler in handlers.items():
                if handler is not None:
                    signal.signal(signum, handler)


def joined() -> bool:
    """Whether this process has joined a Ray already."""
    ray = sys.modules.get("ray")
    return ray is not None and ray.is_initialized()


def disconnect() -> None:
    """Leave Ray (stopping the local one)."""
    if joined():
        sys.modules["ray"].shutdown()


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
    warnings: list[str] = field(default_factory=list)  # damaged parts set aside
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
        """E.g. "40 photos done (3 failed), 0 skipped (done before), 40 in all; 8.6 s,
        4.63 photos/s, 25.41/s after start-up"."""
        text = (
            f"{self.done} {self.what} done ({self.failed} failed), {self.skipped} skipped "
            f"(done before), {self.total} in all; {self.seconds:.1f} s"
        )
        if self.done:
            text += f", {self.per_second:.2f} {self.what}/s"
        if self.steady_per_second:
            text += f", {self.steady_per_second:.2f}/s after start-up"
        if self.duplicates:
            text += f"; {self.duplicates} records Ray delivered twice were kept once"
        return text

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
    annotated = annotated_targets("photos", listing, annotate, single_folder)
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
    rate: float | None = DEFAULT_RATE_HZ,
    model_paths: Sequence[str] = (),
    annotate: str | None = None,
    single_folder: bool = False,
    **options: Any,
) -> RunStats:
    """Analyse whole videos into `results`: the summary is the record; the summary, timeline
    and plot files of each go to `<results>/videos/<name>.summary.json|.timeline.csv|.plot.png`,
    the annotated video below `annotate`. One video a task."""
    stems = _stems(listing, single_folder)
    options.setdefault("files_per_task", 1)
    options.setdefault("flush_seconds", 0.0)  # minutes of work each: committed at once
    return run_batch(
        "videos",
        listing.files,
        results,
        settings={"command": "video", "level": level, "quality": quality, "rate": rate},
        worker_kwargs={"pose": pose, "level": level, "quality": quality, "rate": rate},
        model_paths=model_paths,
        sides=_below(storage.join(results, "videos"), stems),
        annotated=annotated_targets("videos", listing, annotate, single_folder),
        **options,
    )


def _stems(listing: storage.Listing, single_folder: bool) -> dict[str, str]:
    names = mirrored_names(listing.files, listing.below, single_folder)
    return {path: str(PurePosixPath(name).with_suffix("")) for path, name in names.items()}


def annotated_targets(
    what: str, listing: storage.Listing, annotate: str | None, single_folder: bool
) -> dict[str, str]:
    """Input -> its annotated file below `annotate` (none without it): a photo keeps its
    format, a video becomes an .mp4."""
    if what == "photos":
        return _below(annotate, mirrored_names(listing.files, listing.below, single_folder))
    stems = _stems(listing, single_folder)
    return _below(annotate, {path: stem + ANNOTATED_VIDEO for path, stem in stems.items()})


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
    flush_seconds: float = 10.0,
    max_crashes: int = 2,
    max_reruns: int = 2,
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

    `actors`: the pool's size (default: the cluster's CPUs over `cpus_per_actor`). Records
    are committed every 64, or after a batch when `flush_seconds` have passed. `stop`
    (Ctrl-C) ends the run early, keeping what is committed; `on_commit` sees the stats after
    each record. A run that Ray fails (a node lost with the results it held) is run again
    for the files left, `max_reruns` times. `estimator_factory` (mode -> estimator) replaces
    the preset's model and `before_file` runs before each file in the workers: both for
    tests. An exception, Ctrl-C included, still commits the records already received."""
    started = time.perf_counter()
    sides, annotated = sides or {}, annotated or {}
    log = RecordLog(results, flush_seconds=flush_seconds)
    models = _models(worker_kwargs["quality"], model_paths, estimator_factory)
    settings["models"] = [[name, digest] for name, digest, _ in models]
    previous = log.open(settings, resume, overwrite)
    unique = list(dict.fromkeys(files))  # a file given twice is checked once
    todo = [f for f in unique if f not in previous]
    stats = RunStats(what, total=len(unique), skipped=len(unique) - len(todo))
    stats.warnings = list(log.warnings)
    if todo:
        stats.where = connect(address)
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

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
        # Ray Data's bars on a terminal; elsewhere (logs of `ray job submit`) a line every 10%.
        ray_bars = progress and sys.stdout.isatty()
        context.enable_progress_bars = ray_bars
        if not ray_bars:  # and no warning that they are off
            logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)
        context.print_on_execution_start = False
        context.max_consecutive_actor_init_deaths = 1  # one start-up crash is replaced
        left = todo
        for attempt in range(1 + max_reruns):
            # On the head node, which lives as long as the cluster: a worker node that goes
            # away must not take the crash counts with it. A new one for each attempt.
            guard = CrashGuard.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(_head_node(ray), soft=True)
            ).remote()
            rows = [
                {"path": path, "side": sides.get(path, ""), "annotated": annotated.get(path, "")}
                for path in left
            ]
            data = ray.data.from_items(
                rows,
                override_num_blocks=math.ceil(len(left) / files_per_task),
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
                    "local_results": _one_machine(ray),
                    "max_crashes": max_crashes,
                    "estimator_factory": estimator_factory,
                    "before_file": before_file,
                },
                udf_modifying_row_count=False,
            )
            # The guard lives as long as the workers hold it: not killed here, where the
            # workers of an interrupted run may still be finishing a file.
            try:
                with Progress(len(left), what, enabled=progress and not ray_bars) as bar:
                    _consume(data, log, stats, started, stop, on_commit, bar)
                break
            except Exception as exc:
                # A node lost with the blocks it held, say: what was committed stays, the
                # rest is run again (as a --resume would), a few times.
                if not type(exc).__module__.startswith("ray.") or attempt == max_reruns:
                    for warning in stats.warnings:  # what came before, for whoever reads it
                        exc.add_note(f"earlier: {warning}")
                    raise
                left = [f for f in todo if f not in log.committed]
                stats.warnings.append(
                    f"the run on Ray failed ({_last_line(exc)}); the {len(left)} {what} not "
                    "done were run again"
                )
                if not left:
                    break
    stats.lines = log.finalize(files)
    stats.duplicates = log.duplicates
    stats.seconds = time.perf_counter() - started
    return stats


def _head_node(ray: Any) -> str:
    """The head node's id (the driver's node when it cannot be told)."""
    for node in ray.nodes():
        if node["Alive"] and "node:__internal_head__" in node.get("Resources", {}):
            return node["NodeID"]
    return ray.get_runtime_context().get_node_id()


def _last_line(exc: BaseException) -> str:
    """The last line of a Ray error, the one that says what happened."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _one_machine(ray: Any) -> bool:
    """Whether the cluster is this machine alone: then the workers can write local results."""
    from ray.util.client import ray as client

    return not client.is_connected() and len([n for n in ray.nodes() if n["Alive"]]) == 1


def _models(
    quality: str, model_paths: Sequence[str], factory: Callable[[str], Any] | None
) -> list[tuple[str, str, bytes]]:
    """The preset's model files, found here the usual way: (name, digest, bytes) each; they
    reach the workers through the object store, so no node needs them on its disk."""
    if factory is not None:
        return [("stand-in", "", b"")]
    models = []
    for path in model_files(quality, model_paths):
        data = path.read_bytes()
        models.append((path.name, hashlib.sha256(data).hexdigest()[:16], data))
    return models


class _Stopped(Exception):
    """Ctrl-C, SIGTERM or SIGHUP while waiting for Ray: the run ends here."""


def _consume(
    data: Any,
    log: RecordLog,
    stats: RunStats,
    started: float,
    stop: threading.Event | None,
    on_commit: Callable[[RunStats], None] | None,
    bar: Progress,
) -> None:
    """Commit the records as they come, until the end or `stop`. A stop that comes while
    this thread waits for Ray (a long video, say) ends the wait at once; one that comes
    while a batch is being committed ends the run after it. Leaving, for whatever reason,
    ends Ray Data's run (its workers are stopped) and commits what was received."""
    batches = iter(data.iter_batches(batch_format="pyarrow", batch_size=None))
    waiting = False
    restore = _stop_while_waiting(stop, lambda: waiting)
    try:
        while stop is None or not stop.is_set():
            waiting = True
            batch = next(batches, None)
            waiting = False
            if batch is None:
                return
            before = stats.done
            _commit(batch, log, stats, on_commit)
            bar.advance(stats.done - before)
            if stats.first_s is None:
                stats.first_s = time.perf_counter() - started
                stats.first_done = stats.done
            log.flush_if_due()
    except _Stopped:
        pass  # a batch arriving as the signal did is not committed: redone by --resume
    finally:
        waiting = False
        restore()
        stats.interrupted = stop is not None and stop.is_set()
        getattr(batches, "close", lambda: None)()  # Ray Data stops its run
        log.flush()


def _stop_while_waiting(
    stop: threading.Event | None, waiting: Callable[[], bool]
) -> Callable[[], None]:
    """Wrap the SIGINT/SIGTERM/SIGHUP handlers in place (which set `stop`, as
    `cli.common.stop_on_signals` does) so that a signal arriving while `waiting()` also ends
    the wait, by raising _Stopped there: never in the middle of a commit. Returns what puts
    the handlers back."""
    if stop is None or threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}

    def on_signal(signum: int, frame: Any) -> None:
        handler = previous[signum]
        if callable(handler):
            handler(signum, frame)
        if waiting() and stop.is_set():
            raise _Stopped

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    for signum, handler in previous.items():
        if callable(handler):
            signal.signal(signum, on_signal)
    return restore


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
