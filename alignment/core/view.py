"""How the camera sees the body (pure numpy): in profile or from the front, how much a limb
lies in the picture's plane, the picture's scale near the body. The measurements weigh their
confidence by these."""

from __future__ import annotations

import numpy as np

from alignment.core.geometry import distance
from alignment.core.skeleton import Skeleton
from alignment.core.topology import Joint, leg_joints

# A frontal adult's shoulder and hip widths, on average, in torso lengths (2-D profile guess).
FRONTAL_WIDTH = 0.56
LEG_TO_TORSO = 1.5  # a straight leg, hip to ankle, is about this many torso lengths long
_PAIRS = ((Joint.LEFT_HIP, Joint.RIGHT_HIP), (Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER))
# 2-D angles of a limb seen at an angle are foreshortened: their confidence is scaled by how
# well the view suits them (below); a 3-D angle from the model is used when it is known.
SCALE_BONES = (
    (Joint.LEFT_HIP, Joint.LEFT_KNEE),
    (Joint.RIGHT_HIP, Joint.RIGHT_KNEE),
    (Joint.LEFT_KNEE, Joint.LEFT_ANKLE),
    (Joint.RIGHT_KNEE, Joint.RIGHT_ANKLE),
    (Joint.LEFT_SHOULDER, Joint.LEFT_HIP),
    (Joint.RIGHT_SHOULDER, Joint.RIGHT_HIP),
)


def known(points: np.ndarray | None, *joints: int) -> bool:
    return points is not None and bool(np.all(np.isfinite(points[list(joints)])))


def mid(points: np.ndarray, a: int, b: int) -> np.ndarray:
    return (points[a] + points[b]) / 2.0


def leg_reach(skeleton: Skeleton, side: str) -> float:
    """Hip-to-ankle distance over thigh + shin length: 1 for a straight leg, about 0.3 for a
    leg folded with the foot at the groin. In 3-D when the model gave it, else on the picture
    (in profile the legs lie in the picture's plane); NaN when the leg is not known."""
    hip, knee, ankle, _ = leg_joints(side)
    points = skeleton.world if known(skeleton.world, hip, knee, ankle) else skeleton.image
    bone = distance(points[hip], points[knee]) + distance(points[knee], points[ankle])
    return distance(points[hip], points[ankle]) / bone if bone > 0 else float("nan")


def _torso_2d(skeleton: Skeleton) -> float:
    img = skeleton.image
    return distance(
        mid(img, Joint.LEFT_HIP, Joint.RIGHT_HIP),
        mid(img, Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER),
    )


def width_share(skeleton: Skeleton) -> float:
    """How wide the shoulders and hips look on the picture, over what they would be seen
    straight from the front: about 1 from the front, 0 in profile (NaN if not known)."""
    img = skeleton.image
    widths = [distance(img[a], img[b]) for a, b in _PAIRS]
    torso = _torso_2d(skeleton)
    if not (torso > 0 and np.all(np.isfinite(widths))):
        return float("nan")
    return float(np.mean(widths) / torso / FRONTAL_WIDTH)


def _depth_shares(skeleton: Skeleton) -> list[float]:
    """For the hip line and the shoulder line the models place in 3-D: how much of each runs
    along the camera axis (1: straight away from the camera, 0: across the picture)."""
    w = skeleton.world
    shares = []
    for a, b in _PAIRS:
        if known(w, a, b):
            assert w is not None
            axis = w[b] - w[a]
            across = float(np.hypot(axis[0], axis[2]))
            shares.append(abs(axis[2]) / across if across > 0 else 0.0)
    return shares


def torso_profile(skeleton: Skeleton) -> float:
    """How much the hip and shoulder lines point along the camera axis (1: seen in profile,
    0: from the front). The picture has the last word: 2-D measurements of the fold need the
    torso to look narrow on it, whatever a model's 3-D says (the models' depth is their
    weakest guess), so this is the lesser of the 3-D share (where known) and the picture's."""
    shares = _depth_shares(skeleton)
    share = width_share(skeleton)
    seen = float(np.sqrt(1.0 - min(share, 1.0) ** 2)) if np.isfinite(share) else float("nan")
    readings = [
        p for p in (float(np.mean(shares)) if shares else float("nan"), seen) if np.isfinite(p)
    ]
    return min(readings) if readings else float("nan")


def leg_profile(skeleton: Skeleton, side: str) -> float:
    """How much a leg lies in the picture's plane (1) rather than along the camera axis (0):
    in 3-D when known; else its length on the picture next to the torso's (a straight leg is
    about LEG_TO_TORSO torso lengths long)."""
    hip, _, ankle, _ = leg_joints(side)
    w = skeleton.world
    if known(w, hip, ankle):
        assert w is not None
        leg = w[ankle] - w[hip]
        norm = float(np.linalg.norm(leg))
        return float(np.hypot(leg[0], leg[1]) / norm) if norm > 0 else float("nan")
    torso = _torso_2d(skeleton)
    length = distance(skeleton.image[hip], skeleton.image[ankle])
    if not (torso > 0 and np.isfinite(length)):
        return float("nan")
    return float(np.clip(length / (LEG_TO_TORSO * torso), 0.0, 1.0))


def profile_factor(skeleton: Skeleton, straight: str) -> float:
    """How much the camera sees the body in profile (1) rather than from the front (0): from
    the hip and shoulder lines; when they are not known, from the straight leg (the fold
    happens over it: a leg lying across the picture shows the fold in profile)."""
    profile = torso_profile(skeleton)
    return profile if np.isfinite(profile) else leg_profile(skeleton, straight)


def pixels_per_metre(skeleton: Skeleton) -> float:
    """Image scale near the body: the largest pixel/metre ratio over the long bones known in
    3-D (a bone seen side-on is not foreshortened; the others only look shorter). NaN without
    3-D."""
    w = skeleton.world
    if w is None:
        return float("nan")
    ratios = [
        distance(skeleton.image[a], skeleton.image[b]) / d
        for a, b in SCALE_BONES
        if known(w, a, b) and known(skeleton.image, a, b) and (d := distance(w[a], w[b])) > 0
    ]
    return max(ratios, default=float("nan"))


def view_name(profile: float) -> str:
    if not np.isfinite(profile):
        return "unknown"
    return "side" if profile >= 0.8 else "oblique" if profile >= 0.45 else "front"


def outline_view(skeleton: Skeleton) -> float:
    """How well a silhouette shows the back's edge (1) or hides it (0, seen from the front or
    behind): from the models' 3-D hip and shoulder lines where known (a deep fold seen at an
    angle shortens the torso on the picture, so its width there misleads), else the picture."""
    shares = _depth_shares(skeleton)
    if shares:
        profile = float(np.mean(shares))
    else:
        share = width_share(skeleton)
        profile = float(np.sqrt(1.0 - min(share, 1.0) ** 2)) if np.isfinite(share) else 0.0
    return float(np.clip((profile - 0.3) / 0.3, 0.0, 1.0))
