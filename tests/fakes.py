"""Stand-ins for the pose models, for tests of everything around them: the readings the real
models gave on the shared photos (samples/readings.json), and an estimator that sees a fixed
skeleton."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
from shared_paths import ROOT

from alignment.core.skeleton import Skeleton
from alignment.estimators.presets import preset
from alignment.testing.recorded import estimate, load

READINGS = load(ROOT / "samples" / "readings.json")


def recorded(name: str, quality: str = "fast", mirrored: bool = False) -> Skeleton | None:
    """What the preset's estimator saw on one shared photo (or on its mirror image)."""
    chosen = preset(quality)
    return estimate(READINGS[name], chosen.readings, chosen.mirror, mirrored)


class StillEstimator:
    """Sees the same skeleton in every frame (a photo held still in front of the camera),
    scaled to the frame it is given."""

    name = "still"

    def __init__(self, skeleton: Skeleton | None, people: int = 1) -> None:
        self.skeleton = skeleton
        self.models = ["still"]
        self.people_in_last_frame = 0
        self.people = people
        self.frames = 0

    def detect(self, rgb: np.ndarray, time_s: float | None = None) -> Skeleton | None:
        self.frames += 1
        self.people_in_last_frame = self.people if self.skeleton is not None else 0
        if self.skeleton is None:
            return None
        height, width = rgb.shape[:2]
        return replace(self.skeleton.resized(width, height), source="still")

    def close(self) -> None:
        pass

    def __enter__(self) -> StillEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class StillFactory:
    """Opens StillEstimators for Ray workers (which import this module by name), counting
    them: each one opened leaves a file in `loads`, whatever process opened it."""

    def __init__(self, name: str, loads: str | None = None) -> None:
        self.name, self.loads = name, loads

    def __call__(self, mode: str) -> StillEstimator:
        if self.loads:
            Path(self.loads).mkdir(parents=True, exist_ok=True)
            Path(self.loads, f"{os.getpid()}-{uuid.uuid4().hex[:8]}").touch()
        return StillEstimator(recorded(self.name))


class Slow:
    """Test hook for Ray workers (`before_file`): take `seconds` before each file, so that a
    run lasts long enough to be disturbed half-way."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, path: str) -> None:
        import time

        time.sleep(self.seconds)
