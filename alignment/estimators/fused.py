"""Several pose models that check each other: every model reads the frame (and, with `mirror`,
its mirror image), and `alignment.core.fusion.fuse` keeps what they agree on.

Running each model on the mirror image too makes the reading the same for a person and their
mirror image (the other side of the same pose) by construction, and gives each model a second
look. In video mode the mirrored stream has estimators of its own (they track the person from
frame to frame); in image mode one estimator reads both.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
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
    """`concurrent`: the frame's readings and the mirror image's run at once, on two threads
    (the models release the GIL while they compute); each side then needs estimators of its
    own, which `open_estimator` gives it."""

    def __init__(
        self, parts: list[Part], config: FusionConfig | None = None, concurrent: bool = False
    ) -> None:
        self.parts = parts
        self.config = config or FusionConfig()
        self.mirror = any(p.mirrored is not None for p in parts)
        names = [p.estimator.name for p in parts]
        self.name = "+".join(names) + (" (and mirrored)" if self.mirror else "")
        self.models = list(dict.fromkeys(m for p in parts for m in p.estimator.models))
        self.people_in_last_frame = 0
        self.last_ms: dict[str, float] = {}  # what each reading cost on the last frame
        shared = any(p.mirrored is p.estimator for p in parts)
        self._pool = (
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="fused")
            if concurrent and self.mirror and not shared
            else None
        )

    def __enter__(self) -> FusedEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        for part in self.parts:
            part.estimator.close()
            if part.mirrored is not None and part.mirrored is not part.estimator:
                part.mirrored.close()

    def _chain(self, which: str, rgb: np.ndarray, time_s: float | None) -> list[Skeleton | None]:
        """Every part's reading of one picture ("frame" or "mirror"), in the parts' order: a
        guided part reads after the part that frames its crop, from that part's reading."""
        seen: dict[str, Skeleton | None] = {}
        readings = []
        for part in self.parts:
            estimator = part.estimator if which == "frame" else part.mirrored
            assert estimator is not None
            name = part.estimator.name + ("~mirror" if which == "mirror" else "")
            started = time.perf_counter()
            if part.guide is None:
                skeleton = estimator.detect(rgb, time_s)
            else:
                guide = seen.get(part.guide)
                skeleton = estimator.detect(rgb, time_s, guide=guide)  # type: ignore[call-arg]
            self.last_ms[name] = (time.perf_counter() - started) * 1000
            seen[part.family] = skeleton
            readings.append(skeleton)
        return readings

    def detect(self, rgb: np.ndarray, time_s: float | None = None) -> Skeleton | None:
        if not self.mirror:
            frame, mirror = self._chain("frame", rgb, time_s), None
        else:
            flipped = np.ascontiguousarray(rgb[:, ::-1])
            if self._pool is not None:
                other = self._pool.submit(self._chain, "mirror", flipped, time_s)
                frame = self._chain("frame", rgb, time_s)
                mirror = other.result()
            else:
                frame = self._chain("frame", rgb, time_s)
                mirror = self._chain("mirror", flipped, time_s)
        # The fusion's order: each model's reading of the frame, then of its mirror image.
        views: list[View] = []
        for i, part in enumerate(self.parts):
            name = part.estimator.name
            views.append(View(name, part.family, frame[i]))
            if mirror is not None:
                seen = mirror[i]
                views.append(View(f"{name}~mirror", part.family, seen and seen.mirrored()))
        people = [
            part.estimator.people_in_last_frame
            for part in self.parts
            if part.family == "mediapipe" and part.guide is None
        ]
        started = time.perf_counter()
        fused = fuse(views, self.config)
        self.last_ms["fusion"] = (time.perf_counter() - started) * 1000
        self.people_in_last_frame = max(people, default=int(fused is not None))
        return fused
