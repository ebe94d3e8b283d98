"""Reading photos: files and folders in, RGB arrays out, with a clear error for a bad file.

Decoding is Pillow's, guarded: a picture over MAX_PIXELS is refused before it is decoded (a
small file can hold a huge picture), and a large one is decoded straight at a reduced size
(JPEG draft mode) and brought down to MAX_SIDE pixels, which is all a pose model uses.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
MAX_PIXELS = 120_000_000  # refused above this (e.g. 12000 x 10000)
MAX_SIDE = 2048  # larger pictures are brought down to this many pixels on their longer side


class ImageError(Exception):
    """A file cannot be read as a photo; the message names it and says why."""


@dataclass
class Photo:
    rgb: np.ndarray  # H x W x 3 uint8, upright (EXIF orientation applied)
    notes: list[str] = field(default_factory=list)  # e.g. that it was downscaled


@dataclass
class FoundFiles:
    images: list[Path]  # the files to analyse (images, or the suffixes asked for)
    skipped: list[Path]  # files inside the given folders that are not images
    folder_of: dict[Path, Path]  # image -> the folder given that holds it (not for files given)

    def below(self) -> dict[str, tuple[str, str]]:
        """A file found in a given folder -> (that folder's name, the file's path below it), as
        `outputs.mirrored_names` takes them."""
        return {
            str(image): (folder.resolve().name, image.relative_to(folder).as_posix())
            for image, folder in self.folder_of.items()
        }


def expand_paths(
    paths: Iterable[str | Path], suffixes: Collection[str] = IMAGE_SUFFIXES
) -> FoundFiles:
    """Files as given (whatever they are: a bad one gets an error record); folders expanded,
    recursively and sorted, to the files inside them with one of `suffixes` (image files by
    default; other files are listed as skipped)."""
    found = FoundFiles([], [], {})
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            found.images.append(path)
            continue
        for p in sorted(path.rglob("*")):
            if not p.is_file() or p.name.startswith("."):
                continue
            if p.suffix.lower() in suffixes:
                found.images.append(p)
                found.folder_of[p] = path
            else:
                found.skipped.append(p)
    return found


def decode_photo(data: bytes, name: str = "image") -> Photo:
    """Decode encoded image bytes into an upright RGB photo, or raise ImageError naming `name`."""
    if not data:
        raise ImageError(f"{name}: the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"{name}: the picture is too large ({width * height / 1e6:.0f} million "
                    f"pixels, {width} x {height}; at most {MAX_PIXELS // 1_000_000} million): "
                    "scale it down first"
                )
            notes = []
            if max(width, height) > MAX_SIDE:
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced size
            image = _as_rgb(ImageOps.exif_transpose(image))
            if max(image.size) > MAX_SIDE:
                image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            if image.size != (width, height) and max(width, height) > MAX_SIDE:
                notes.append(
                    f"downscaled from {width} x {height} to {image.size[0]} x "
                    f"{image.size[1]} pixels for the analysis"
                )
            return Photo(np.asarray(image), notes)
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own limit, far past ours
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)) / 1e6:.0f} million pixels" if found else "too many pixels"
        raise ImageError(
            f"{name}: the picture is too large ({size}; at most {MAX_PIXELS // 1_000_000} "
            "million): scale it down first"
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"{name}: not a readable image (unknown format or damaged file)") from exc


BLANK_RANGE = 6  # a picture whose every channel spans this few levels is one flat colour


def _as_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB that looks as the picture does in a viewer: 16-bit and 32-bit grey scaled
    down (Pillow's own conversion clips them, turning a photo white), transparent parts on
    white (as a viewer or a page shows them; not the colour hidden behind), palettes, CMYK and
    grey expanded."""
    mode = image.mode
    if mode in ("I", "F") or mode.startswith("I;16"):
        values = np.asarray(image).astype(np.float64)
        top = values.max(initial=0.0)
        if mode == "F" and top <= 1.0:  # a float picture in 0..1
            values = values * 255.0
        elif top > 255.0:  # 16-bit levels
            values = values / 257.0
        grey = np.clip(np.rint(values), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    if has_alpha:
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def is_blank(rgb: np.ndarray) -> bool:
    """One flat colour (compression noise aside): an unexposed, empty or broken picture, or a
    layout misread."""
    step = max(1, max(rgb.shape[:2]) // 512)  # a sample is enough, and fast
    sample = rgb[::step, ::step].reshape(-1, rgb.shape[-1])
    return bool((sample.max(axis=0).astype(int) - sample.min(axis=0) <= BLANK_RANGE).all())


def decode_rgb(data: bytes, name: str = "image") -> np.ndarray:
    return decode_photo(data, name).rgb


def encode_image(rgb: np.ndarray, suffix: str) -> bytes:
    """An RGB picture encoded in the format its file suffix names (JPEG when unknown), as the
    annotated photos are written."""
    fmt = Image.registered_extensions().get(suffix.lower(), "JPEG")
    options = {"quality": 90} if fmt in ("JPEG", "WEBP") else {}
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def read_local(path: str | Path, error: type[Exception]) -> bytes:
    """The bytes of a local file, or `error` naming it: "file not found", "not a file",
    "cannot be read (why)"."""
    path = Path(path)
    if not path.exists():
        raise error(f"{path}: file not found")
    if not path.is_file():
        raise error(f"{path}: not a file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def read_photo(path: str | Path) -> Photo:
    """Decode an image file, or raise ImageError."""
    return decode_photo(read_local(path, ImageError), str(Path(path)))


def read_rgb(path: str | Path) -> np.ndarray:
    return read_photo(path).rgb
