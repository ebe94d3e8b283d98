"""Finding the pose model files, every model the same way.

Order, for each model a preset needs: the `--model` paths (files or folders), the
ALIGNMENT_MODEL environment variable (files or folders, separated by the system's path
separator, ":" on Linux and macOS), the user's cache directory, then
the official download (written atomically, checked before use). One clear error when none can
be had. A folder is searched for the model's own file name; a file is used for the model of
its kind (a `.task` bundle for MediaPipe, an `.onnx` file for MoveNet).
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alignment.io.outputs import publish
from alignment.io.progress import Progress
from alignment.settings import MODEL_ENV

_MEDIAPIPE_URL = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{v}/float16/latest/pose_landmarker_{v}.task"
)
_MOVENET_URL = "https://huggingface.co/Xenova/movenet-singlepose-{v}/resolve/main/onnx/model.onnx"


class ModelNotFoundError(RuntimeError):
    """No usable model file; the message says how to get one."""


@dataclass(frozen=True)
class ModelSpec:
    """One published model file."""

    name: str  # e.g. "mediapipe_full"
    family: str  # "mediapipe" or "movenet"
    filename: str  # the name it has in a models folder and in the cache
    url: str  # the official download

    @property
    def suffix(self) -> str:
        return Path(self.filename).suffix


MODELS: dict[str, ModelSpec] = {
    **{
        f"mediapipe_{v}": ModelSpec(
            f"mediapipe_{v}", "mediapipe", f"pose_landmarker_{v}.task", _MEDIAPIPE_URL.format(v=v)
        )
        for v in ("lite", "full", "heavy")
    },
    **{
        f"movenet_{v}": ModelSpec(
            f"movenet_{v}", "movenet", f"movenet_singlepose_{v}.onnx", _MOVENET_URL.format(v=v)
        )
        for v in ("lightning", "thunder")
    },
}


def model_spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    return MODELS[name]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "janu-alignment"


def check_model_file(path: Path, spec: ModelSpec) -> None:
    """Reject a file that cannot be this model before a library fails on it obscurely."""
    if not path.is_file():
        raise ModelNotFoundError(f"model file not found: {path}")
    if spec.family == "mediapipe" and not zipfile.is_zipfile(path):
        raise ModelNotFoundError(
            f"{path} is not a MediaPipe .task bundle (not a zip archive); delete it and point "
            f"--model or {MODEL_ENV} at a pose_landmarker_*.task file"
        )
    if spec.family == "movenet":
        with open(path, "rb") as fh:
            head = fh.read(2)
        # An ONNX file is a protobuf ModelProto whose first field is ir_version (tag 0x08).
        if head[:1] != b"\x08":
            raise ModelNotFoundError(
                f"{path} is not an ONNX model; delete it and point --model or {MODEL_ENV} at "
                f"{spec.filename} (or a folder holding it)"
            )


def _candidate(path: Path, spec: ModelSpec) -> Path | None:
    """The file `path` offers for this model: itself if it is a file of the model's kind, the
    model's file inside it if it is a folder; None if it has nothing for this model."""
    if path.is_dir():
        inside = path / spec.filename
        return inside if inside.exists() else None
    return path if path.suffix.lower() == spec.suffix else None


def download(
    url: str, dest: Path, spec: ModelSpec, timeout: float = 30.0, show_progress: bool = True
) -> Path:
    """Fetch url into dest atomically: a temporary file in the same folder, checked, renamed."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name, suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with Progress(
                total // 1024 if total else None,
                "KiB",
                enabled=show_progress,
                label=f"downloading {spec.filename}",
            ) as bar:
                while chunk := resp.read(1 << 16):
                    out.write(chunk)
                    bar.advance(len(chunk) // 1024)
            if total is not None and out.tell() != total:
                raise ModelNotFoundError(
                    f"download of {url} stopped at {out.tell()} of {total} bytes"
                )
        check_model_file(tmp, spec)
        publish(tmp, dest)
        return dest
    finally:
        tmp.unlink(missing_ok=True)


def resolve_model(
    name: str,
    paths: Sequence[str | os.PathLike] = (),
    allow_download: bool = True,
    url: str | None = None,
) -> Path:
    """A checked file for model `name` (see MODELS), or ModelNotFoundError saying how to get
    one. `paths` are what the user gave with --model."""
    spec = model_spec(name)
    env = [p for p in os.environ.get(MODEL_ENV, "").split(os.pathsep) if p]
    for where, group in (("--model", paths), (f"${MODEL_ENV}", env)):  # the flag first
        offered, named = [], []
        for raw in group:
            path = Path(raw).expanduser()
            if not path.exists():
                raise ModelNotFoundError(f"{where} points at {path}, which does not exist")
            found = _candidate(path, spec)
            if found is not None:
                offered.append(found)
                if path.is_file() and path.name == spec.filename:
                    named.append(found)
        if offered:
            # Files of several models may be given (e.g. MediaPipe full and heavy): a file
            # given under this model's own name, else the first offered (a renamed file, or
            # the model's file in a folder).
            found = (named or offered)[0]
            check_model_file(found, spec)
            return found
    cached = cache_dir() / spec.filename
    if cached.is_file():
        check_model_file(cached, spec)
        return cached
    hint = (
        f"Download {spec.url} yourself and pass --model FILE, set {MODEL_ENV} to a folder "
        f"holding {spec.filename}, or put it at {cached}."
    )
    if not allow_download:
        raise ModelNotFoundError(f"the {name} model was not found. {hint}")
    try:
        return download(url or spec.url, cached, spec)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise ModelNotFoundError(
            f"the {name} model was not found and the download failed ({exc}). {hint}"
        ) from exc
