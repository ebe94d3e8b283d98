"""Build session clips from still photos, for tests, the benchmark and the browser test.

The project has no real video of the pose, so a "session" is made by holding photos for a few
seconds each, with a little camera shake (a smooth random walk of the picture) and sensor noise,
optionally mirrored to show the other side. :func:`build_clip` writes it through
:class:`~alignment.io.video.VideoWriter` (``.mp4``, ``.webm`` or ``.y4m``) and returns the
ground-truth timeline; :func:`iter_clip_frames` yields the same frames in memory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from alignment.io.images import ImageError, read_rgb
from alignment.io.video import VideoWriter

__all__ = [
    "ClipError",
    "Shot",
    "build_clip",
    "clip_frame_count",
    "clip_timeline",
    "iter_clip_frames",
    "letterbox",
]


_NOISE_MARGIN = 64


class ClipError(ValueError):
    """A clip cannot be built (bad shot list or unreadable photo)."""


@dataclass(frozen=True)
class Shot:
    """Hold ``image`` for ``seconds``; ``mirror`` flips it left-right (the other side)."""

    image: str | Path
    seconds: float
    mirror: bool = False
    label: str = ""


def letterbox(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Fit ``rgb`` into ``size`` = (width, height), keeping its aspect ratio, padding black."""
    width, height = size
    h, w = rgb.shape[:2]
    scale = min(width / w, height / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(rgb, (new_w, new_h), interpolation=interp)
    out = np.zeros((height, width, 3), dtype=np.uint8)
    x0, y0 = (width - new_w) // 2, (height - new_h) // 2
    out[y0 : y0 + new_h, x0 : x0 + new_w] = resized
    return out


def _read_rgb(path: str | os.PathLike[str]) -> np.ndarray:
    try:
        return read_rgb(path)
    except ImageError as exc:
        raise ClipError(str(exc)) from None


def _shot_frames(shots: Sequence[Shot], fps: float) -> list[tuple[int, int]]:
    """[start, end) frame indices of each shot (boundaries rounded, so no drift)."""
    if fps <= 0:
        raise ClipError(f"fps must be > 0, got {fps}")
    if not shots:
        raise ClipError("no shots given")
    spans, t = [], 0.0
    for shot in shots:
        if not shot.seconds > 0:
            raise ClipError(f"{shot.image}: seconds must be > 0, got {shot.seconds}")
        start, t = round(t * fps), t + shot.seconds
        spans.append((start, round(t * fps)))
    return spans


def clip_timeline(shots: Sequence[Shot], fps: float = 30) -> list[dict]:
    """Ground truth: ``[{"start", "end", "label", "mirror", "image"}]`` in seconds."""
    return [
        {
            "start": start / fps,
            "end": end / fps,
            "label": shot.label,
            "mirror": shot.mirror,
            "image": str(shot.image),
        }
        for shot, (start, end) in zip(shots, _shot_frames(shots, fps), strict=True)
    ]


def clip_frame_count(shots: Sequence[Shot], fps: float = 30) -> int:
    """Number of frames :func:`iter_clip_frames` yields."""
    return _shot_frames(shots, fps)[-1][1]


class _Shake:
    """Smooth random walk of the picture offset, bounded by ``limit`` pixels."""

    def __init__(self, rng: np.random.Generator, limit: float) -> None:
        self.rng, self.limit = rng, float(limit)
        self.pos = np.zeros(2)
        self.vel = np.zeros(2)

    def step(self) -> np.ndarray:
        if self.limit <= 0:
            return self.pos
        # Damped velocity with random kicks, then pulled back towards the centre.
        # Tuned so the offset spreads over about half the limit (sd ~ limit / 2) and rarely
        # touches it, moving a fraction of a pixel per frame.
        self.vel = 0.85 * self.vel + self.rng.normal(0.0, 0.05 * self.limit, 2)
        self.pos = np.clip(0.85 * self.pos + self.vel, -self.limit, self.limit)
        return self.pos


def iter_clip_frames(
    shots: Sequence[Shot],
    fps: float = 30,
    size: tuple[int, int] = (640, 480),
    jitter_px: float = 3.0,
    noise_sigma: float = 3.0,
    seed: int = 0,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(time_s, rgb)`` for every frame of the clip, without writing a file.

    ``size`` is (width, height). All photos are read up front, so a bad path fails before the
    first frame. The same arguments always give the same frames.
    """
    spans = _shot_frames(shots, fps)
    width, height = int(size[0]), int(size[1])
    if width < 2 or height < 2:
        raise ClipError(f"invalid size {size}")
    bases: dict[str, np.ndarray] = {}
    for shot in shots:
        key = str(shot.image)
        if key not in bases:
            bases[key] = letterbox(_read_rgb(shot.image), (width, height))
    rng = np.random.default_rng(seed)
    shake = _Shake(rng, jitter_px)
    # Sensor noise: windows at random offsets into one pre-drawn gaussian field (drawing a
    # fresh 640x480x3 field per frame would dominate the run time).
    margin = _NOISE_MARGIN
    field = None
    if noise_sigma > 0:
        draw = rng.standard_normal((height + margin, width + margin, 3), dtype=np.float32)
        field = np.round(draw * noise_sigma).astype(np.int16)
    for shot, (start, end) in zip(shots, spans, strict=True):
        base = bases[str(shot.image)]
        if shot.mirror:
            base = np.ascontiguousarray(base[:, ::-1])
        for index in range(start, end):
            dx, dy = shake.step()
            if dx or dy:
                shift = np.float32([[1, 0, dx], [0, 1, dy]])
                frame = cv2.warpAffine(
                    base,
                    shift,
                    (width, height),
                    flags=cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_CONSTANT,
                    borderValue=0,
                )
            else:
                frame = base.copy()
            if field is not None:
                oy, ox = rng.integers(0, margin, 2)
                noisy = frame.astype(np.int16) + field[oy : oy + height, ox : ox + width]
                frame = np.clip(noisy, 0, 255, out=noisy).astype(np.uint8)
            yield index / fps, frame


def build_clip(
    shots: Sequence[Shot],
    out_path: str | os.PathLike[str],
    fps: float = 30,
    size: tuple[int, int] = (640, 480),
    jitter_px: float = 3.0,
    noise_sigma: float = 3.0,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict]:
    """Write the clip to ``out_path`` (.mp4, .webm or .y4m) and return its timeline.

    ``size`` is (width, height); ``progress(done, total)`` is called after each frame.
    The timeline is ``[{"start": s, "end": s, "label", "mirror", "image"}]``.
    """
    timeline = clip_timeline(shots, fps)
    total = clip_frame_count(shots, fps)
    frames = iter_clip_frames(shots, fps, size, jitter_px, noise_sigma, seed)
    first = next(frames)  # reads (and checks) every photo before creating the file
    with VideoWriter(out_path, fps, int(size[0]), int(size[1])) as writer:
        writer.write(first[1])
        done = 1
        if progress:
            progress(done, total)
        for _, rgb in frames:
            writer.write(rgb)
            done += 1
            if progress:
                progress(done, total)
    return timeline
