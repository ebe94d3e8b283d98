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
    frame, and (with mirror) for the mirrored frame (may be the same object in image mode)."""

    family: str
    estimator: PoseEstimator
    mirrored: PoseEstimator | None = None


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

    def detect(self, rgb: np.ndarray, time_s: float | None = None) -> Skeleton | None:
        views: list[View] = []
        flipped = np.ascontiguousarray(rgb[:, ::-1]) if self.mirror else None
        people = []
        for part in self.parts:
            started = time.perf_counter()
            skeleton = part.estimator.detect(rgb, time_s)
            self.last_ms[part.estimator.name] = (time.perf_counter() - started) * 1000
            views.append(View(part.estimator.name, part.family, skeleton))
            if part.family == "mediapipe":
                people.append(part.estimator.people_in_last_frame)
            if part.mirrored is not None and flipped is not None:
                started = time.perf_counter()
                seen = part.mirrored.detect(flipped, time_s)
                name = f"{part.estimator.name}~mirror"
                self.last_ms[name] = (time.perf_counter() - started) * 1000
                views.append(View(name, part.family, None if seen is None else seen.mirrored()))
        started = time.perf_counter()
        fused = fuse(views, self.config)
        self.last_ms["fusion"] = (time.perf_counter() - started) * 1000
        self.people_in_last_frame = max(people, default=int(fused is not None))
        return fused
