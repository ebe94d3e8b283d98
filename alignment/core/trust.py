"""Can we believe this skeleton? Plausibility checks that run before any advice is given.

MediaPipe is unreliable on deep folds: it swaps legs, copies a hidden leg onto the visible one,
or returns a body that cannot exist. Each check below names one such failure. A skeleton that
fails any check is *untrusted*: measurements may still be shown, but no correction is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from alignment.core.fusion import HIDDEN
from alignment.core.geometry import distance
from alignment.core.reading import BodyReading
from alignment.core.skeleton import Skeleton
from alignment.core.topology import SIDES, Joint, leg_joints

MIN_VISIBILITY = 0.5  # for the hips and shoulders; the legs' visibility lowers their own
# measurements' confidence instead.
# World-landmark bone-length ratios a human body stays within (generous: MediaPipe's 3-D
# lengths wobble by 20-30% on ordinary frames).
THIGH_RATIO_LIMIT = 1.5  # left thigh vs right thigh
SHIN_RATIO_LIMIT = 1.7  # left shin vs right shin
SHIN_THIGH_RANGE = (0.55, 1.9)  # shin over thigh, one leg
PROFILE_VIEW = 0.45  # a torso this much in profile shows which way the person faces
OVERLAP_LIMIT = 0.15  # knees and ankles this close (in leg lengths) = one leg hides the other
# A straight leg (hip to ankle) is 1.5-1.9 torso lengths (hips to shoulders) in adults; much
# shorter means the model put the ankle or the hip in the wrong place.
MIN_STRAIGHT_LEG_TO_TORSO = 1.2


@dataclass
class TrustReport:
    trusted: bool
    reasons: list[str] = field(default_factory=list)  # why not, in words for the user
    legs_hidden: bool = False  # one leg hides the other: the leg measurements are doubtful
    sides_doubtful: bool = False  # left and right may be swapped: the side is not reported
    bent_leg_doubtful: bool = False  # the bent leg's bones are implausible (often hidden)
    notes: list[str] = field(default_factory=list)  # doubts that do not untrust the frame

    @property
    def message(self) -> str:
        return "; ".join(self.reasons)


def _bone(w: np.ndarray, a: int, b: int) -> float:
    return distance(w[a], w[b])


def _known(points: np.ndarray | None, joints: list[int]) -> bool:
    return points is not None and bool(np.all(np.isfinite(points[joints])))


def assess(skeleton: Skeleton, reading: BodyReading) -> TrustReport:
    """Check one skeleton. Checks that need joints the skeleton does not know (NaN: the models
    disagree about them, or a model gave no 3-D) are left out: the measurements resting on
    those joints are missing already and claim nothing."""
    reasons: list[str] = []
    notes: list[str] = []
    if skeleton.vis(*_TORSO) < MIN_VISIBILITY:
        doubt = next((skeleton.doubts[j] for j in _TORSO if j in skeleton.doubts), "")
        reasons.append(doubt or "the hips and shoulders are not clearly in view")
    bent_leg_doubtful = _check_leg_bones(skeleton, reading, reasons, notes)
    _check_straight_leg_length(skeleton, reading, reasons)
    legs_hidden, leg_len = _legs_overlap(skeleton)
    if legs_hidden:
        notes.append(HIDDEN)
    _check_facing_the_legs(skeleton, reading, leg_len, reasons)
    sides_doubtful = _sides_doubtful(skeleton, reading)
    if sides_doubtful:
        notes.append(
            "left and right look swapped, so the side is not reported"
            if skeleton.sides == "model"
            else "the models do not agree on left and right, so the side is not reported"
        )
    return TrustReport(
        trusted=not reasons,
        reasons=reasons,
        legs_hidden=legs_hidden,
        sides_doubtful=sides_doubtful,
        bent_leg_doubtful=bent_leg_doubtful,
        notes=notes,
    )


_TORSO = (Joint.LEFT_HIP, Joint.RIGHT_HIP, Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER)
_LEGS = {s: list(leg_joints(s)[:3]) for s in SIDES}  # hip, knee, ankle


def _check_leg_bones(
    skeleton: Skeleton, reading: BodyReading, reasons: list[str], notes: list[str]
) -> bool:
    """The legs' bones in 3-D must fit a body; returns whether only the bent leg's do not (it
    is often half hidden under the thigh and the model guesses its bones)."""
    wld = skeleton.world
    if not _known(wld, _LEGS["left"] + _LEGS["right"]):
        return False
    assert wld is not None
    thigh = {s: _bone(wld, *_LEGS[s][:2]) for s in SIDES}
    shin = {s: _bone(wld, *_LEGS[s][1:]) for s in SIDES}
    if min(thigh.values()) <= 0 or min(shin.values()) <= 0:
        reasons.append("the skeleton is degenerate")
        return False
    lo, hi = SHIN_THIGH_RANGE
    odd_legs = {s for s in SIDES if not lo <= shin[s] / thigh[s] <= hi}
    mismatched = (
        max(thigh.values()) / min(thigh.values()) > THIGH_RATIO_LIMIT
        or max(shin.values()) / min(shin.values()) > SHIN_RATIO_LIMIT
    )
    straight = reading.extended_leg
    if straight is None:
        if odd_legs or mismatched:
            reasons.append("the points I found do not fit a body (the leg bones do not match)")
    elif straight in odd_legs:
        reasons.append(
            "the points I found do not fit a body (the straight leg's bones do not match)"
        )
    elif odd_legs or mismatched:
        notes.append("the bent leg is partly hidden")
        return True
    return False


def _check_straight_leg_length(
    skeleton: Skeleton, reading: BodyReading, reasons: list[str]
) -> None:
    """A straight leg (in 3-D) must not be much shorter than the torso."""
    wld = skeleton.world
    straight = reading.extended_leg
    knee = reading.metrics.get("extended_knee_angle")
    if not (
        straight and knee and knee.value is not None and max(knee.span or (knee.value,)) >= 140
    ):
        return
    hip, _, ankle, _ = leg_joints(straight)
    if not _known(wld, [hip, ankle, *_TORSO]):
        return
    assert wld is not None
    torso_w = distance(
        (wld[Joint.LEFT_HIP] + wld[Joint.RIGHT_HIP]) / 2,
        (wld[Joint.LEFT_SHOULDER] + wld[Joint.RIGHT_SHOULDER]) / 2,
    )
    if torso_w > 0 and distance(wld[hip], wld[ankle]) / torso_w < MIN_STRAIGHT_LEG_TO_TORSO:
        reasons.append("the points I found do not fit a body (the straight leg is too short)")


def _legs_overlap(skeleton: Skeleton) -> tuple[bool, float]:
    """Whether one leg hides the other (the fusion said so, or the knees and the ankles lie
    together on the picture), and the longer leg's length on the picture (0: none seen)."""
    img = skeleton.image
    known_legs = [s for s in SIDES if _known(img, _LEGS[s])]
    leg_len = max(
        (
            distance(img[h], img[k]) + distance(img[k], img[a])
            for h, k, a in (_LEGS[s] for s in known_legs)
        ),
        default=0.0,
    )
    hidden = any(skeleton.doubts.get(j) == HIDDEN for s in SIDES for j in _LEGS[s])
    if leg_len > 0 and len(known_legs) == 2:
        knee_gap = distance(img[Joint.LEFT_KNEE], img[Joint.RIGHT_KNEE]) / leg_len
        ankle_gap = distance(img[Joint.LEFT_ANKLE], img[Joint.RIGHT_ANKLE]) / leg_len
        hidden = hidden or (knee_gap < OVERLAP_LIMIT and ankle_gap < OVERLAP_LIMIT)
    return hidden, leg_len


def _check_facing_the_legs(
    skeleton: Skeleton, reading: BodyReading, leg_len: float, reasons: list[str]
) -> None:
    """Seen from the side, a person sitting with the legs forward faces the feet: a head behind
    the hips, or a torso pointing away from the legs, means the model turned the body around.
    (Only a leg along the floor says which way the person faces, and only while the chest
    does not face the camera.)"""
    img = skeleton.image
    rise = reading.metrics.get("extended_leg_rise")
    along_floor = rise is not None and rise.value is not None and abs(rise.value) <= 45
    width = reading.metrics.get("frontal_width")
    facing_camera = width is not None and width.value is not None and width.value >= 0.95
    seated_side_on = reading.profile >= PROFILE_VIEW and along_floor and not facing_camera
    if not (
        seated_side_on
        and leg_len > 0
        and _known(img, [Joint.NOSE, Joint.LEFT_HIP, Joint.RIGHT_HIP])
    ):
        return
    forward = 1.0 if reading.extended_foot == "image_right" else -1.0
    hip_x = (img[Joint.LEFT_HIP][0] + img[Joint.RIGHT_HIP][0]) / 2
    head_ahead = (img[Joint.NOSE][0] - hip_x) * forward / leg_len
    incl = reading.metrics.get("torso_inclination")
    leaning_far_back = incl is not None and incl.value is not None and incl.value < -45
    if head_ahead < -0.1 or leaning_far_back:
        reasons.append(
            "the points I found do not fit a body (the body is turned away from the legs)"
        )


def _sides_doubtful(skeleton: Skeleton, reading: BodyReading) -> bool:
    """Left and right: the fusion of several readings says whether they agree on them. A single
    model's labels are checked here: the side nearer the camera must match the way the person
    faces (facing image-left shows the left side). A mismatch means they are swapped."""
    wld = skeleton.world
    if (
        skeleton.sides == "model"
        and reading.profile >= PROFILE_VIEW
        and _known(wld, [Joint.LEFT_HIP, Joint.RIGHT_HIP])
    ):
        assert wld is not None
        nearer = "left" if wld[Joint.LEFT_HIP][2] < wld[Joint.RIGHT_HIP][2] else "right"
        expected = "left" if reading.extended_foot == "image_left" else "right"
        return nearer != expected
    return skeleton.sides == "unknown"
