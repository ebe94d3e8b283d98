"""What is measured on one skeleton, and the frame that every measurement is taken in (pure).

A `Measurement` is a value with its confidence (0..1) and, when it cannot be taken, `None` with
the reason in words for the user. `Body` is the skeleton seen as a seated forward bend: which
leg is the straight one, how the camera sees the body, and the points the measurements share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from alignment.core.skeleton import Skeleton
from alignment.core.topology import Joint, leg_joints, other_side
from alignment.core.view import leg_reach, mid, profile_factor, view_name

HIPS = (Joint.LEFT_HIP, Joint.RIGHT_HIP)
SHOULDERS = (Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER)
EARS = (Joint.LEFT_EAR, Joint.RIGHT_EAR)
TORSO = (*HIPS, *SHOULDERS)


@dataclass(frozen=True)
class Measurement:
    value: float | None
    confidence: float
    note: str = ""  # why the value is missing or doubtful, in words for the user
    # When two ways of measuring disagree (the picture and the 3-D), the range they span: a
    # bound is judged only where the whole range lies on one side of it.
    span: tuple[float, float] | None = None


NOT_MEASURED = Measurement(None, 0.0)


@dataclass
class BodyReading:
    """Everything measured on one skeleton."""

    extended_leg: str | None  # "left" / "right" (the person's own side), None if unclear
    side_confidence: float
    extended_foot: str | None  # "image_left" / "image_right": where the straight leg points
    view: str  # "side", "oblique" or "front"
    profile: float  # 1 = camera sees the body in profile, 0 = straight from the front
    metrics: dict[str, Measurement] = field(default_factory=dict)

    def values(self) -> dict[str, float | None]:
        return {name: m.value for name, m in self.metrics.items()}


class Body:
    """One skeleton as a seated forward bend, and the measurements taken off it so far."""

    def __init__(self, skeleton: Skeleton) -> None:
        self.skeleton = skeleton
        self.img, self.wld = skeleton.image, skeleton.world
        self.metrics: dict[str, Measurement] = {}
        reach = {side: leg_reach(skeleton, side) for side in ("left", "right")}
        known_reach = {s: r for s, r in reach.items() if np.isfinite(r)}
        straight = max(known_reach, key=lambda s: known_reach[s]) if known_reach else "left"
        # Reach differs by about 0.5 between a straight leg and one folded in; 0.25 is a coin
        # toss.
        gap = reach[straight] - reach[other_side(straight)]
        self.side_certainty = float(np.clip(gap / 0.4, 0.0, 1.0)) if np.isfinite(gap) else 0.0
        if self.side_certainty < 0.5:
            # The legs look alike (or one is not known): measure "the straight leg" on the one
            # the camera sees better.
            straight = max(("left", "right"), key=lambda s: skeleton.vis(*leg_joints(s)[:3]))
        self.straight, self.bent = straight, other_side(straight)
        profile = profile_factor(skeleton, straight)
        self.view = view_name(profile)
        self.profile = profile if np.isfinite(profile) else 0.0
        # How well the picture shows a limb lying in the body's plane (the straight leg, the
        # torso): fully in profile, not at all from the front.
        self.profile_weight = float(np.clip((self.profile - 0.3) / 0.5, 0.0, 1.0))
        self.s_hip, self.s_knee, self.s_ankle, _ = leg_joints(straight)
        self.b_hip, self.b_knee, self.b_ankle, self.b_heel = leg_joints(self.bent)
        self.hip_mid, self.sh_mid = mid(self.img, *HIPS), mid(self.img, *SHOULDERS)
        ahead = self.img[self.s_ankle][0] - self.hip_mid[0]
        forward_x = float(np.sign(ahead)) if np.isfinite(ahead) else 0.0
        self.extended_foot = (
            ("image_right" if forward_x > 0 else "image_left") if forward_x else None
        )
        self.forward = np.array([forward_x or 1.0, 0.0])
        self.up = np.array([0.0, -1.0])

    @property
    def side_joints(self) -> tuple[int, ...]:
        return (self.s_hip, self.s_knee, self.s_ankle, self.b_knee, self.b_ankle)

    def conf(self, *joints: int, view_weight: float = 1.0) -> float:
        return float(np.clip(self.skeleton.vis(*joints) * view_weight, 0.0, 1.0))

    def unknown(self, *joints: int) -> str:
        """Why some of these joints are not known (the first reason), or ""."""
        for joint in joints:
            if joint in self.skeleton.doubts:
                return self.skeleton.doubts[joint]
        return ""

    def put(
        self,
        name: str,
        value: float | None,
        confidence: float,
        joints: tuple[int, ...],
        note: str = "",
        span: tuple[float, float] | None = None,
    ) -> None:
        if value is None or not np.isfinite(value):
            why = self.unknown(*joints) or note or "degenerate geometry"
            self.metrics[name] = Measurement(None, 0.0, why)
        else:
            self.metrics[name] = Measurement(float(value), confidence, note, span)

    def reading(self) -> BodyReading:
        return BodyReading(
            extended_leg=self.straight if self.side_certainty >= 0.5 else None,
            side_confidence=self.side_certainty * self.conf(*self.side_joints),
            extended_foot=self.extended_foot,
            view=self.view,
            profile=self.profile,
            metrics=self.metrics,
        )
