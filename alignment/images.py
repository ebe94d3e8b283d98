"""Reading photos: files and folders in, RGB arrays out, with a clear error for bad files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


class ImageError(Exception):
    pass


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders expanded (recursively, sorted) to the image files inside them."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*"))
                         if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            found.append(path)
    return found


def decode_rgb(data: bytes | np.ndarray, name: str = "image") -> np.ndarray:
    """Decode encoded image bytes (EXIF orientation applied) into RGB uint8, or raise
    ImageError naming `name`."""
    import cv2

    buffer = np.frombuffer(data, dtype=np.uint8) if isinstance(data, bytes) else data
    bgr = cv2.imdecode(buffer, cv2.IMREAD_COLOR) if buffer.size else None
    if bgr is None:
        raise ImageError(f"{name}: not a readable image (unknown format or damaged file)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def read_rgb(path: str | Path) -> np.ndarray:
    """Decode an image file into RGB uint8, or raise ImageError."""
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: file not found")
    if not path.is_file():
        raise ImageError(f"{path}: not a file")
    return decode_rgb(np.fromfile(path, dtype=np.uint8), str(path))
