"""Quality presets, named for what users want, and the one way to open a pose estimator.

    fast      MediaPipe full alone: the quickest, and the weakest (no silhouette: a long back
              is never seen, only a rounded one).
    balanced  MediaPipe full, MoveNet Thunder and BlazePose full on MoveNet's crop, on the
              frame and its mirror image, fused: recorded videos and the live camera.
    accurate  the same with MediaPipe heavy and BlazePose heavy: photos.

The README's preset table has the figures behind this.
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
    mediapipe: str  # a model name in alignment.io.models.MODELS
    movenet: str | None = None  # the second opinion, if any
    movenet_passes: int = 2
    mirror: bool = False  # every model also reads the mirror image
    # A MediaPipe bundle whose landmark network also reads MoveNet's crop (needs `movenet`).
    crop: str | None = None

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([self.mediapipe, *filter(None, [self.movenet, self.crop])]))

    @property
    def readings(self) -> tuple[str, ...]:
        """What is read of each picture, by model (samples/readings.json's names)."""
        return (
            self.mediapipe,
            *filter(None, [self.movenet]),
            *([f"{self.crop}_crop"] if self.crop else []),
        )

    @property
    def description(self) -> str:
        names = [self.mediapipe, *filter(None, [self.movenet])]
        text = " + ".join(m.replace("_", " ") for m in names)
        if self.crop:
            text += f" + {self.crop.replace('mediapipe_', 'BlazePose ')} on MoveNet's crop"
        return text + (", frame and mirror image, fused" if self.mirror else "")


PRESETS: dict[str, Preset] = {
    "fast": Preset("fast", "mediapipe_full"),
    "balanced": Preset(
        "balanced", "mediapipe_full", "movenet_thunder", mirror=True, crop="mediapipe_full"
    ),
    "accurate": Preset(
        "accurate", "mediapipe_heavy", "movenet_thunder", mirror=True, crop="mediapipe_heavy"
    ),
}
QUALITIES = tuple(PRESETS)
PHOTO_QUALITY = "accurate"
VIDEO_QUALITY = "balanced"
LIVE_QUALITY = "balanced"


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
    concurrent: bool = True,
) -> PoseEstimator:
    """The estimator of a preset. `mode`: "image" (independent photos) or "video" (a stream
    with increasing times). `concurrent`: a fused preset reads the frame and its mirror image
    at once, on two threads (benchmarks/fused_speed.py measures it), each with models of its
    own. Raises ModelNotFoundError when a model file cannot be had."""
    from alignment.estimators.fused import FusedEstimator, Part
    from alignment.estimators.landmark_crop import LandmarkCropEstimator
    from alignment.estimators.mediapipe import MediaPipeEstimator
    from alignment.estimators.movenet import MoveNetEstimator

    chosen = preset(quality)
    files = dict(zip(chosen.models, model_files(quality, model_paths, allow_download), strict=True))

    def mediapipe() -> PoseEstimator:
        return MediaPipeEstimator(files[chosen.mediapipe], mode=mode)

    def movenet() -> PoseEstimator:
        assert chosen.movenet is not None
        # Two readings at once each take one core; one alone may take both.
        threads = 1 if concurrent and chosen.mirror else 2
        return MoveNetEstimator(files[chosen.movenet], chosen.movenet_passes, mode, threads=threads)

    def crop() -> PoseEstimator:
        assert chosen.crop is not None
        return LandmarkCropEstimator(files[chosen.crop])  # type: ignore[return-value]

    if chosen.movenet is None and not chosen.mirror:
        return mediapipe()
    makers = [
        ("mediapipe", mediapipe, None),
        *([("movenet", movenet, None)] if chosen.movenet else []),
        *([("blazepose_crop", crop, "movenet")] if chosen.crop and chosen.movenet else []),
    ]
    parts = []
    opened: list[PoseEstimator] = []
    try:
        for family, make, guide in makers:
            estimator = make()
            opened.append(estimator)
            mirrored = None
            if chosen.mirror:
                # A stream is tracked from frame to frame, and two threads cannot share a
                # model: the mirror image then needs models of its own.
                mirrored = make() if mode == "video" or concurrent else estimator
                opened.append(mirrored)
            parts.append(Part(family, estimator, mirrored, guide))
    except BaseException:
        for estimator in opened:
            estimator.close()
        raise
    return FusedEstimator(parts, concurrent=concurrent)
