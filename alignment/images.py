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


def read_rgb(path: str | Path) -> np.ndarray:
    """Decode an image file (EXIF orientation applied) into RGB uint8, or raise ImageError."""
    import cv2

    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: file not found")
    if not path.is_file():
        raise ImageError(f"{path}: not a file")
    data = np.fromfile(path, dtype=np.uint8)
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if bgr is None:
        raise ImageError(f"{path}: not a readable image (unknown format or damaged file)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
