"""The Ray side of a batch run: Ray Data class UDFs that hold one pose estimator each and
check files with the very functions of the local run (`PhotoChecker`, `analyse_video`,
`save_outputs`). Imported by the driver once Ray is there, and by the worker processes.

Rows in:  {"path": the file (its record's name), "side": where its per-file results go
           (videos), "annotated": where its annotated copy goes ("" for none)}
Rows out: {"path", "record": the record as JSON text, "failed": whether it is an error record,
           "dests"/"data": side outputs for the driver to write (when the workers cannot reach
           the results), "problems": outputs that could not be written}

Records travel as JSON text, not Arrow structs: Arrow would turn whole numbers with nulls
into floats, and the records would no longer equal the local run's.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import ray

from alignment.core.rules import PoseRules
from alignment.estimators.base import PoseEstimator
from alignment.estimators.presets import open_estimator
from alignment.io import storage
from alignment.io.images import encode_image
from alignment.io.video import VideoError, probe
from alignment.pipeline.photo import PhotoChecker
from alignment.pipeline.video import analyse_video, save_outputs
from alignment.present.report import error_record, video_record
from alignment.settings import DEFAULT_RATE_HZ

OUT_SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("record", pa.string()),
        ("failed", pa.bool_()),
        ("dests", pa.list_(pa.string())),
        ("data", pa.list_(pa.large_binary())),
        ("problems", pa.list_(pa.string())),
    ]
)
# The model files, put once in the object store by the driver: [{"name", "digest", "ref"}].
# The refs are nested in a list on purpose: a top-level ObjectRef argument of the actor would
# become a dependency of its creation, which a restarted actor cannot get back once the object
# is evicted (ray-project/ray#53727); a nested one is only borrowed, and the driver holds it.
Shipment = list[dict[str, Any]]
EstimatorFactory = Callable[[str], PoseEstimator]  # mode ("image" or "video") -> estimator
Outputs = list[tuple[str, bytes | Path]]  # (destination, bytes or a local file)


def stage_models(shipment: Shipment) -> list[str]:
    """Local files holding the shipped models, written once per machine into its temporary
    folder (`<tmp>/janu-alignment-models/<digest>/<name>`, names kept: the estimator and the
    records use them)."""
    paths = []
    for model in shipment:
        dest = Path(tempfile.gettempdir(), "janu-alignment-models", model["digest"], model["name"])
        if not dest.is_file():
            data = ray.get(model["ref"])
            if hashlib.sha256(data).hexdigest()[:16] != model["digest"]:
                raise RuntimeError(f"the model {model['name']} arrived damaged")
            storage.write_location(str(dest), data)
        paths.append(str(dest))
    return paths


@ray.remote(num_cpus=0)
class CrashGuard:
    """Counts, per file, the attempts that never finished (the worker died on it). Ray Data
    retries a dead actor's work without end, so a file that kills the pose model every time
    would loop; after `max_crashes` deaths it becomes an error record instead."""

    def __init__(self) -> None:
        self.started: set[str] = set()
        self.crashes: dict[str, int] = {}

    def begin(self, path: str) -> int:
        if path in self.started:
            self.crashes[path] = self.crashes.get(path, 0) + 1
        self.started.add(path)
        return self.crashes.get(path, 0)

    def end(self, path: str) -> None:
        self.started.discard(path)


class CrashOnce:
    """Test hook: kill this worker's process (no clean-up, like the kernel's OOM killer) when
    it reaches `path`, once: the marker file it creates lets the retry through. Without a
    marker it kills every attempt (a file that crashes the model)."""

    def __init__(self, path: str, marker: str | None = None) -> None:
        self.path, self.marker = path, marker

    def __call__(self, path: str) -> None:
        if path != self.path:
            return
        if self.marker:
            try:
                os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
        os._exit(1)


class _Worker:
    """One actor of the pool. Side outputs at a URI it writes itself, and local ones when the
    cluster is this one machine (`local_results`); others go back to the driver with the
    record."""

    def __init__(
        self,
        *,
        pose: PoseRules,
        level: str,
        quality: str,
        models: Shipment,
        guard: Any,
        local_results: bool,
        rate: float | None = DEFAULT_RATE_HZ,
        max_crashes: int = 2,
        estimator_factory: EstimatorFactory | None = None,
        before_file: Callable[[str], None] | None = None,
    ) -> None:
        os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging, as the CLI
        self.pose, self.level, self.rate = pose, level, rate
        self.guard, self.max_crashes, self.local_results = guard, max_crashes, local_results
        self.before_file = before_file
        if estimator_factory is None:
            files = stage_models(models)
            estimator_factory = lambda mode: open_estimator(  # noqa: E731
                quality, mode, files, allow_download=False
            )
        self.estimator = estimator_factory

    def analyse(
        self, path: str, side: str, annotated: str, work: Path
    ) -> tuple[dict, Outputs, list[str]]:
        """(record, side outputs, outputs that could not be made); `work` is a scratch folder
        on this machine, removed after the file."""
        raise NotImplementedError

    def failure(self, path: str, message: str) -> dict:
        raise NotImplementedError

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows: dict[str, list] = {name: [] for name in OUT_SCHEMA.names}
        for path, side, annotated in zip(
            *(batch.column(c).to_pylist() for c in ("path", "side", "annotated")), strict=True
        ):
            crashes = ray.get(self.guard.begin.remote(path))
            problems: list[str] = []
            dests: list[str] = []
            data: list[bytes] = []
            if crashes >= self.max_crashes:
                record = self.failure(path, f"{path}: the worker analysing it died {crashes} times")
            else:
                if self.before_file:
                    self.before_file(path)
                with tempfile.TemporaryDirectory(prefix="janu-alignment-") as work:
                    try:
                        record, outputs, problems = self.analyse(path, side, annotated, Path(work))
                    except Exception as exc:  # one file's surprise must not sink the batch
                        record = self.failure(path, f"{path}: analysis failed ({exc!r})")
                        outputs = []
                    dests, data = self.deliver(outputs, problems)
            self.guard.end.remote(path)  # not waited for: one caller's calls run in order
            values = (path, json.dumps(record, allow_nan=False), record["error"] is not None,
                      dests, data, problems)  # fmt: skip
            for name, value in zip(OUT_SCHEMA.names, values, strict=True):
                rows[name].append(value)
        return pa.table(rows, schema=OUT_SCHEMA)

    def deliver(self, outputs: Outputs, problems: list[str]) -> tuple[list[str], list[bytes]]:
        """Write the side outputs (before the driver commits their record: a retry writes the
        same names again), or hand them over for the driver to write."""
        dests: list[str] = []
        data: list[bytes] = []
        for dest, content in outputs:
            if not (self.local_results or storage.is_uri(dest)):
                dests.append(dest)
                data.append(content.read_bytes() if isinstance(content, Path) else content)
                continue
            try:
                if isinstance(content, Path):
                    storage.put_file(content, dest)
                else:
                    storage.write_location(dest, content)
            except OSError as exc:
                problems.append(f"cannot write {dest}: {exc.strerror or exc}")
        return dests, data


class PhotoWorker(_Worker):
    """Photos with one image-mode estimator for the actor's life."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.checker = PhotoChecker(self.estimator("image"), self.pose, self.level)

    def failure(self, path: str, message: str) -> dict:
        return dict(error_record(path, message))

    def analyse(
        self, path: str, side: str, annotated: str, work: Path
    ) -> tuple[dict, Outputs, list[str]]:
        if storage.is_uri(path):
            try:
                data = storage.read_bytes(path)
            except storage.StorageError as exc:
                return self.failure(path, str(exc)), [], []
            result = self.checker.check_bytes(data, path)
        else:
            result = self.checker.check_file(path)
        drawn = result.annotated() if annotated else None
        outputs: Outputs = []
        if drawn is not None:
            outputs.append((annotated, encode_image(drawn, PurePosixPath(annotated).suffix)))
        return dict(result.record), outputs, []


class VideoWorker(_Worker):
    """Whole videos, one per call. A video-mode estimator follows the person from frame to
    frame, so each video gets a fresh one (as in the local run; the model file stays staged).
    A video at a URI is copied to a local temporary file first (the decoder seeks)."""

    SIDE_FILES = ((".summary.json", "json_path"), (".timeline.csv", "csv_path"),
                  (".plot.png", "plot_path"))  # fmt: skip

    def failure(self, path: str, message: str) -> dict:
        return dict(video_record(path, None, message))

    def analyse(
        self, path: str, side: str, annotated: str, work: Path
    ) -> tuple[dict, Outputs, list[str]]:
        local = path
        try:
            if storage.is_uri(path):
                local = str(storage.fetch(path, work))
            probe(local)
            out = work / f"annotated{PurePosixPath(annotated).suffix}" if annotated else None
            with self.estimator("video") as estimator:
                result = analyse_video(local, self.pose, estimator, self.level, self.rate, out)
        except (storage.StorageError, VideoError, ValueError) as exc:
            return self.failure(path, str(exc).replace(local, path)), [], []
        result.summary["video"]["path"] = path
        files = {key: work / f"result{suffix}" for suffix, key in self.SIDE_FILES}
        problems = save_outputs(result, self.pose, self.level, **files)
        outputs: Outputs = [
            (side + suffix, files[key])
            for suffix, key in self.SIDE_FILES
            if side and files[key].is_file()
        ]
        if out is not None and result.video_written:
            outputs.append((annotated, out))
        return dict(video_record(path, result.summary)), outputs, problems
