"""Stand-ins for the pose models, for tests of everything around them."""

from __future__ import annotations

import json

import numpy as np
from shared_paths import ROOT

from alignment.core.skeleton import Skeleton

RECORDED = json.loads((ROOT / "samples" / "shared_landmarks.json").read_text())


def recorded(name: str) -> Skeleton | None:
    """The skeleton MediaPipe saw on one shared photo (samples/shared_landmarks.json)."""
    data = next(r["skeleton"] for r in RECORDED if r["file"] == name)
    return None if data is None else Skeleton.from_json(data)


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
        k = width / self.skeleton.width, height / self.skeleton.height
        return Skeleton(
            self.skeleton.image * np.array(k), self.skeleton.visibility, width, height,
            self.skeleton.world, "still",
        )  # fmt: skip

    def close(self) -> None:
        pass

    def __enter__(self) -> StillEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
