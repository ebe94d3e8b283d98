"""The skeleton: what the pose model(s) saw of one person in one frame, as plain numpy arrays.

Everything downstream of the pose models (measurements, trust, rules) works on a `Skeleton` and
knows nothing of MediaPipe or MoveNet. Rows follow `topology.Joint`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

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
    doubts: joints whose place is not known -> why, in words for the user (e.g. the models
        disagree about it); their image point is NaN and their visibility 0.
    sides: where the left/right labels come from: "model" (one model's labels, unchecked),
        "agreed" (the fused readings agree on them) or "unknown" (the labelling is arbitrary).
    agreement: what the fusion of several readings found (which models, what they agreed on).
    outlines: the body's silhouette as seen by the readings that give one (a person mask's
        outline): polygons of (N, 2) pixel coordinates, in order around the body.
    """

    image: np.ndarray
    visibility: np.ndarray
    width: int
    height: int
    world: np.ndarray | None = None
    source: str = ""
    doubts: dict[int, str] = field(default_factory=dict)
    sides: str = "model"
    agreement: dict = field(default_factory=dict)
    outlines: tuple[np.ndarray, ...] = ()

    def __post_init__(self) -> None:
        if self.image.shape != (NUM_JOINTS, 2):
            raise ValueError(f"image points must be ({NUM_JOINTS}, 2), got {self.image.shape}")
        if self.visibility.shape != (NUM_JOINTS,):
            raise ValueError(f"visibility must be ({NUM_JOINTS},), got {self.visibility.shape}")
        if self.world is not None and self.world.shape != (NUM_JOINTS, 3):
            raise ValueError(f"world points must be ({NUM_JOINTS}, 3), got {self.world.shape}")
        for polygon in self.outlines:
            if polygon.ndim != 2 or polygon.shape[1] != 2:
                raise ValueError(f"an outline must be (N, 2), got {polygon.shape}")

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
        outlines = tuple(np.column_stack([self.width - p[:, 0], p[:, 1]]) for p in self.outlines)
        return replace(
            self,
            image=image,
            visibility=self.visibility[order].copy(),
            world=world,
            doubts=doubts,
            outlines=outlines,
        )

    def resized(self, width: int, height: int) -> Skeleton:
        """The same reading on the same picture shown at another size (the 3-D is unchanged)."""
        k = np.array([width / self.width, height / self.height])
        outlines = tuple(p * k for p in self.outlines)
        return replace(self, image=self.image * k, width=width, height=height, outlines=outlines)

    def to_json(self) -> dict:
        return {
            "width": self.width,
            "height": self.height,
            "source": self.source,
            "image": _json_array(self.image, 2),
            "visibility": np.round(self.visibility, 4).tolist(),
            "world": None if self.world is None else _json_array(self.world, 4),
            "doubts": {str(j): why for j, why in self.doubts.items()},
            "sides": self.sides,
            "agreement": self.agreement,
            "outlines": [np.round(p, 1).tolist() for p in self.outlines],
        }

    @classmethod
    def from_json(cls, data: dict) -> Skeleton:
        world = data.get("world")
        return cls(
            image=np.array(data["image"], dtype=float),  # None (unknown) becomes NaN
            visibility=np.asarray(data["visibility"], dtype=float),
            width=int(data["width"]),
            height=int(data["height"]),
            world=None if world is None else np.array(world, dtype=float),
            source=data.get("source", ""),
            doubts={int(j): why for j, why in (data.get("doubts") or {}).items()},
            sides=data.get("sides", "model"),
            agreement=data.get("agreement") or {},
            outlines=tuple(np.array(p, dtype=float) for p in data.get("outlines") or ()),
        )


def _json_array(values: np.ndarray, digits: int) -> list:
    """Rounded, with None where a value is unknown (JSON has no NaN)."""
    return [[None if not np.isfinite(v) else round(float(v), digits) for v in row]
            for row in values]  # fmt: skip
