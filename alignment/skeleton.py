"""The skeleton: what the pose model saw in one frame, as plain numpy arrays.

Everything downstream of the model (measurements, trust, rules) works on a `Skeleton` and
knows nothing of MediaPipe. Landmark indices follow the 33-point BlazePose topology.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class Joint(IntEnum):
    NOSE = 0
    LEFT_EYE = 2
    RIGHT_EYE = 5
    LEFT_EAR = 7
    RIGHT_EAR = 8
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


NUM_LANDMARKS = 33

# Bones drawn on the overlay (pairs of landmark indices).
BONES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31), (24, 26), (26, 28), (28, 30),
    (30, 32), (28, 32), (0, 7), (0, 8),
)

SIDES = ("left", "right")


def leg_joints(side: str) -> tuple[Joint, Joint, Joint, Joint]:
    """Hip, knee, ankle and heel of one leg ("left" or "right", the person's own side)."""
    s = side.upper()
    return Joint[f"{s}_HIP"], Joint[f"{s}_KNEE"], Joint[f"{s}_ANKLE"], Joint[f"{s}_HEEL"]


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"


@dataclass(frozen=True)
class Skeleton:
    """One person's landmarks in one frame.

    image: (33, 2) pixel coordinates, x to the right, y down.
    world: (33, 3) metres, origin between the hips (MediaPipe world landmarks), y down.
    visibility: (33,) 0..1, how likely each landmark is visible (not occluded) in the image.
    """

    image: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.image.shape != (NUM_LANDMARKS, 2):
            raise ValueError(f"image landmarks must be (33, 2), got {self.image.shape}")
        if self.world.shape != (NUM_LANDMARKS, 3):
            raise ValueError(f"world landmarks must be (33, 3), got {self.world.shape}")
        if self.visibility.shape != (NUM_LANDMARKS,):
            raise ValueError(f"visibility must be (33,), got {self.visibility.shape}")

    def px(self, joint: int) -> np.ndarray:
        return self.image[joint]

    def xyz(self, joint: int) -> np.ndarray:
        return self.world[joint]

    def vis(self, *joints: int) -> float:
        """The lowest visibility among the given joints."""
        return float(np.min(self.visibility[list(joints)]))

    def mirrored(self) -> Skeleton:
        """The same skeleton seen in a horizontally flipped image (sides do not change)."""
        image = self.image.copy()
        image[:, 0] = self.width - image[:, 0]
        world = self.world.copy()
        world[:, 0] = -world[:, 0]
        return Skeleton(image, world, self.visibility.copy(), self.width, self.height)

    def to_json(self) -> dict:
        return {
            "width": self.width,
            "height": self.height,
            "image": np.round(self.image, 2).tolist(),
            "world": np.round(self.world, 4).tolist(),
            "visibility": np.round(self.visibility, 4).tolist(),
        }

    @classmethod
    def from_json(cls, data: dict) -> Skeleton:
        return cls(
            image=np.asarray(data["image"], dtype=float),
            world=np.asarray(data["world"], dtype=float),
            visibility=np.asarray(data["visibility"], dtype=float),
            width=int(data["width"]),
            height=int(data["height"]),
        )
