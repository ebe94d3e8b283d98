"""Several pose models that check each other: every model reads the frame (and, with `mirror`,
its mirror image), and `alignment.core.fusion.fuse` keeps what they agree on.

Running each model on the mirror image too makes the reading the same for a person and their
mirror image (the other side of the same pose) by construction, and gives each model a second
look. In video mode the mirrored stream has estimators of its own (they track the person from
frame to frame); in image mode one estimator reads both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from alignment.core.fusion import FusionConfig, View, fuse
from alignment.core.skeleton import Skeleton
from alignment.estimators.base import PoseEstimator


@dataclass
class Part:
    """One model in the fusion: its family ("mediapipe" / "movenet") and its estimator for the
    frame, and (with mirror) for the mirrored frame (may be the same object in image mode).
    `guide`: the family of an earlier part whose reading of the same picture frames this one's
    crop (BlazePose's landmark network on MoveNet's crop)."""

    family: str
    estimator: PoseEstimator
    mirrored: PoseEstimator | None = None
    guide: str | None = None


class FusedEstimator:
    def __init__(self, parts: list[Part], config: FusionConfig | None = None) -> None:
        self.parts = parts
        self.config = config or FusionConfig()
        self.mirror = any(p.mirrored is not None for p in parts)
        names = [p.estimator.name for p in parts]
        self.name = "+".join(names) + (" (and mirrored)" if self.mirror else "")
        self.models = [m for p in parts for m in p.estimator.models]
        self.people_in_last_frame = 0
        self.last_ms: dict[str, float] = {}  # what each reading cost on the last frame

    def __enter__(self) -> FusedEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for part in self.parts:
            part.estimator.close()
            if part.mirrored is not None and part.mirrored is not part.estimator:
                part.mirrored.close()

    def _read(
        self,
        part: Part,
        estimator: PoseEstimator,
        rgb: np.ndarray,
        time_s: float | None,
        name: str,
        seen: dict[tuple[str, str], Skeleton | None],
        which: str,
    ) -> Skeleton | None:
        """One reading of one picture ("frame" or "mirror", as the model sees it)."""
        started = time.perf_counter()
        if part.guide is None:
            skeleton = estimator.detect(rgb, time_s)
        else:
            guide = seen.get((part.guide, which))
            skeleton = estimator.detect(rgb, time_s, guide=guide)  # type: ignore[call-arg]
        self.last_ms[name] = (time.perf_counter() - started) * 1000
        seen[(part.family, which)] = skeleton
        return skeleton

    def detect(self, rgb: np.ndarray, time_s: float | None = None) -> Skeleton | None:
        views: list[View] = []
        flipped = np.ascontiguousarray(rgb[:, ::-1]) if self.mirror else None
        people = []
        seen: dict[tuple[str, str], Skeleton | None] = {}  # (family, picture) -> raw reading
        for part in self.parts:
            name = part.estimator.name
            skeleton = self._read(part, part.estimator, rgb, time_s, name, seen, "frame")
            views.append(View(name, part.family, skeleton))
            if part.family == "mediapipe" and part.guide is None:
                people.append(part.estimator.people_in_last_frame)
            if part.mirrored is not None and flipped is not None:
                name = f"{part.estimator.name}~mirror"
                mirrored = self._read(part, part.mirrored, flipped, time_s, name, seen, "mirror")
                views.append(View(name, part.family, mirrored and mirrored.mirrored()))
        started = time.perf_counter()
        fused = fuse(views, self.config)
        self.last_ms["fusion"] = (time.perf_counter() - started) * 1000
        self.people_in_last_frame = max(people, default=int(fused is not None))
        return fused
