"""The skeleton: what the pose model(s) saw of one person in one frame, as plain numpy arrays.

Everything downstream of the pose models (measurements, trust, rules) works on a `Skeleton` and
knows nothing of MediaPipe or MoveNet. Rows follow `topology.Joint`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from alignment.core.topology import MIRROR, NUM_JOINTS


@dataclass(frozen=True)
class Skeleton:
    """One person's joints in one frame.

    image: (J, 2) pixel coordinates, x to the right, y down (NaN where a model has no point).
    visibility: (J,) 0..1, how likely each joint is visible and in the right place.
    world: (J, 3) metres, origin between the hips, y down, z away from the camera; None when
        no model gave 3-D points (MoveNet alone).
    source: which model(s) made it, for reports.
    doubts: joints whose place the models disagree about -> why, in words for the user.
    """

    image: np.ndarray
    visibility: np.ndarray
    width: int
    height: int
    world: np.ndarray | None = None
    source: str = ""
    doubts: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.image.shape != (NUM_JOINTS, 2):
            raise ValueError(f"image points must be ({NUM_JOINTS}, 2), got {self.image.shape}")
        if self.visibility.shape != (NUM_JOINTS,):
            raise ValueError(f"visibility must be ({NUM_JOINTS},), got {self.visibility.shape}")
        if self.world is not None and self.world.shape != (NUM_JOINTS, 3):
            raise ValueError(f"world points must be ({NUM_JOINTS}, 3), got {self.world.shape}")

    def vis(self, *joints: int) -> float:
        """The lowest visibility among the given joints."""
        return float(np.min(self.visibility[list(joints)]))

    def mirrored(self) -> Skeleton:
        """The skeleton of the mirror image: x flipped, and left and right exchanged (the
        person in a mirrored photo extends the other leg)."""
        order = list(MIRROR)
        image = self.image[order].copy()
        image[:, 0] = self.width - image[:, 0]
        world = None
        if self.world is not None:
            world = self.world[order].copy()
            world[:, 0] = -world[:, 0]
        doubts = {MIRROR[j]: why for j, why in self.doubts.items()}
        return Skeleton(
            image,
            self.visibility[order].copy(),
            self.width,
            self.height,
            world,
            self.source,
            doubts,
        )

    def to_json(self) -> dict:
        return {
            "width": self.width,
            "height": self.height,
            "source": self.source,
            "image": np.round(self.image, 2).tolist(),
            "visibility": np.round(self.visibility, 4).tolist(),
            "world": None if self.world is None else np.round(self.world, 4).tolist(),
            "doubts": {str(j): why for j, why in self.doubts.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> Skeleton:
        world = data.get("world")
        return cls(
            image=np.asarray(data["image"], dtype=float),
            visibility=np.asarray(data["visibility"], dtype=float),
            width=int(data["width"]),
            height=int(data["height"]),
            world=None if world is None else np.asarray(world, dtype=float),
            source=data.get("source", ""),
            doubts={int(j): why for j, why in (data.get("doubts") or {}).items()},
        )
