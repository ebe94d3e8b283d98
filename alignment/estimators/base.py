"""The pose-estimator seam: an RGB frame in, one person's `Skeleton` (or None) out.

Every backend (MediaPipe, MoveNet, and the fused reading of several) has this shape, so the
photo, video and live paths never know which model runs.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from alignment.core.skeleton import Skeleton


class PoseEstimator(Protocol):
    name: str  # what runs, for reports (e.g. "pose_landmarker_heavy+movenet_thunder")
    models: list[str]  # the model files behind it
    people_in_last_frame: int  # how many people the last frame held (0 if not known)

    def detect(self, rgb: np.ndarray, time_s: float | None = None) -> Skeleton | None:
        """The main person in an RGB uint8 frame. `time_s`: the frame's time in a stream
        (video and live), None for independent photos."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> PoseEstimator: ...

    def __exit__(self, *exc: object) -> None: ...
