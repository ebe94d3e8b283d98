"""Finding the pose model file.

Order: an explicit path (the `--model` flag), the ALIGNMENT_MODEL environment variable, the
user's cache directory, then the official download (written atomically, checked before use).
A path may name a `.task` file or a folder holding `pose_landmarker_<variant>.task`.
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from alignment.progress import Progress

VARIANTS = ("lite", "full", "heavy")
DEFAULT_VARIANT = "full"
ENV_VAR = "ALIGNMENT_MODEL"
OFFICIAL_URL = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{variant}/float16/latest/pose_landmarker_{variant}.task"
)


class ModelNotFoundError(RuntimeError):
    """No usable model file; the message says how to get one."""


def model_filename(variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"unknown model variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    return f"pose_landmarker_{variant}.task"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "janu-alignment"


def check_model_file(path: Path) -> None:
    """A .task bundle is a zip archive of TFLite models; reject anything else early."""
    if not path.is_file():
        raise ModelNotFoundError(f"model file not found: {path}")
    if not zipfile.is_zipfile(path):
        raise ModelNotFoundError(
            f"{path} is not a MediaPipe .task bundle (not a zip archive); "
            "delete it and point --model or ALIGNMENT_MODEL at a pose_landmarker_*.task file"
        )


def _from_path(path: Path, variant: str, where: str) -> Path:
    path = path.expanduser()
    if path.is_dir():
        path = path / model_filename(variant)
    if not path.exists():
        raise ModelNotFoundError(f"{where} points at {path}, which does not exist")
    check_model_file(path)
    return path


def download(url: str, dest: Path, timeout: float = 30.0, show_progress: bool = True) -> Path:
    """Fetch url into dest atomically: a temporary file in the same folder, checked, renamed."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name, suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with Progress(total // 1024 if total else None, "KiB", enabled=show_progress) as bar:
                while chunk := resp.read(1 << 16):
                    out.write(chunk)
                    bar.advance(len(chunk) // 1024)
            if total is not None and out.tell() != total:
                raise ModelNotFoundError(
                    f"download of {url} stopped at {out.tell()} of {total} bytes")
        check_model_file(tmp)
        os.replace(tmp, dest)
        return dest
    finally:
        tmp.unlink(missing_ok=True)


def resolve_model(path: str | os.PathLike | None = None, variant: str = DEFAULT_VARIANT,
                  allow_download: bool = True, url: str | None = None) -> Path:
    """Return a checked model file, or raise ModelNotFoundError saying how to fix it."""
    filename = model_filename(variant)
    if path:
        return _from_path(Path(path), variant, "--model")
    if os.environ.get(ENV_VAR):
        return _from_path(Path(os.environ[ENV_VAR]), variant, f"${ENV_VAR}")
    cached = cache_dir() / filename
    if cached.is_file():
        check_model_file(cached)
        return cached
    source = url or OFFICIAL_URL.format(variant=variant)
    hint = (
        f"Download {OFFICIAL_URL.format(variant=variant)} yourself and pass --model FILE, "
        f"set {ENV_VAR}=FILE (or a folder holding {filename}), or put it at {cached}."
    )
    if not allow_download:
        raise ModelNotFoundError(f"no pose model found. {hint}")
    try:
        return download(source, cached)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise ModelNotFoundError(
            f"no pose model found and the download failed ({exc}). {hint}") from exc
