"""Quality presets, named for what users want, and the one way to open a pose estimator.

fast      the live camera: keeps up with 30 frames/s on a laptop
balanced  a middle way for long recorded videos
accurate  photos and recorded videos: the most accurate reading that stays practical
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alignment.estimators.base import PoseEstimator
from alignment.io.models import resolve_model


@dataclass(frozen=True)
class Preset:
    name: str
    models: tuple[str, ...]  # names in alignment.io.models.MODELS
    description: str


PRESETS: dict[str, Preset] = {
    "fast": Preset("fast", ("mediapipe_full",), "MediaPipe full"),
    "balanced": Preset("balanced", ("mediapipe_full",), "MediaPipe full"),
    "accurate": Preset("accurate", ("mediapipe_heavy",), "MediaPipe heavy"),
}
QUALITIES = tuple(PRESETS)
PHOTO_QUALITY = "accurate"  # photos and recorded videos
LIVE_QUALITY = "fast"


def preset(quality: str) -> Preset:
    if quality not in PRESETS:
        raise ValueError(f"unknown quality {quality!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[quality]


def model_files(
    quality: str, model_paths: Sequence[str | os.PathLike] = (), allow_download: bool = True
) -> list[Path]:
    """The files of every model the preset runs (ModelNotFoundError when one cannot be had)."""
    return [resolve_model(name, model_paths, allow_download) for name in preset(quality).models]


def open_estimator(
    quality: str,
    mode: str = "image",
    model_paths: Sequence[str | os.PathLike] = (),
    allow_download: bool = True,
) -> PoseEstimator:
    """The estimator of a preset. `mode`: "image" (independent photos) or "video" (a stream
    with increasing times). Raises ModelNotFoundError when a model file cannot be had."""
    from alignment.estimators.mediapipe import MediaPipeEstimator

    files = model_files(quality, model_paths, allow_download)
    return MediaPipeEstimator(files[0], mode=mode)
