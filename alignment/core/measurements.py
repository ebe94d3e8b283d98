"""Measurements of a seated forward bend, from a `Skeleton` (pure numpy).

Every measurement carries a confidence in 0..1: the lowest visibility of the landmarks it uses,
times how well the camera's view suits it (the spine and the fold are judged in profile; the
angle between the thighs and the foot's place are judged in 3-D from the world landmarks).
A measurement that cannot be taken from this view is `None`.

Conventions: angles in degrees; "forward" is the direction of the extended foot; image
measurements assume the camera is roughly level (the floor runs across the picture).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from alignment.core.geometry import angle_at, angle_between, distance, point_line_offset
from alignment.core.outline import back_edge
from alignment.core.skeleton import Skeleton
from alignment.core.topology import Joint, leg_joints, other_side

# Descriptions double as the documentation of each measurement (README, app tooltips).
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "extended_knee_angle": ("deg", "hip-knee-ankle angle of the straight leg; 180 = straight"),
    "bent_knee_angle": ("deg", "hip-knee-ankle angle of the bent leg; small = deeply bent"),
    "hip_flexion": (
        "deg",
        "angle between the torso (hips to shoulders) and the extended thigh; "
        "about 90 sitting upright, smaller as the fold deepens",
    ),
    "torso_inclination": (
        "deg",
        "forward tilt of the torso from vertical, toward the extended "
        "foot; negative = leaning back",
    ),
    "spine_rounding": (
        "deg",
        "how far the head and upper back curl down below the line of the "
        "lower torso (hips to shoulders); 0 = long spine",
    ),
    "back_rounding": (
        "deg",
        "how far the back rounds: the larger of the curve of the back's outline between the "
        "hips and the shoulders and the curl of the head below the torso's line; 0 = long",
    ),
    "bent_knee_lift": (
        "ratio",
        "height of the bent knee above the hips, in thigh lengths; a knee "
        "resting toward the floor sits below the hips (negative)",
    ),
    "thigh_angle": ("deg", "3-D angle between the two thighs; about 90 or more in the pose"),
    "foot_position": (
        "ratio",
        "where the bent leg's heel sits along the straight thigh: 0 = groin, 1 = knee",
    ),
    "shoulder_to_ear": (
        "ratio",
        "3-D distance from shoulders to ears divided by torso length; "
        "small = shoulders hunched toward the ears",
    ),
    "torso_twist": (
        "deg",
        "3-D angle between the shoulder line and the hip line seen from "
        "above; large = pelvis or chest twisted",
    ),
    "hip_leg_angle": (
        "deg",
        "angle between the hip line and the straight leg seen from above; "
        "near 90 facing along the leg, small when the body turns sideways "
        "to it (as in the revolved variation)",
    ),
    "hip_height": (
        "ratio",
        "height of the hips above the extended foot, divided by leg length "
        "(about 0 seated, about 1 standing)",
    ),
    "extended_leg_rise": ("deg", "angle of the extended leg (hip to ankle) above horizontal"),
    "side_certainty": ("ratio", "how clearly one leg is straight and the other bent (0..1)"),
    "frontal_width": (
        "ratio",
        "how wide the shoulders and hips look on the picture next to the torso's length, "
        "over how wide they look seen from the front: about 1 when the chest faces the camera, "
        "near 0 in profile",
    ),
}

# The part of the body each measurement is read from, to tell the user what was not seen.
BODY_PARTS: dict[str, str] = {
    "extended_knee_angle": "the straight leg",
    "bent_knee_angle": "the bent leg",
    "hip_flexion": "the hips and the torso",
    "torso_inclination": "the torso",
    "spine_rounding": "the back and the head",
    "back_rounding": "the back",
    "bent_knee_lift": "the bent leg",
    "thigh_angle": "both thighs",
    "foot_position": "the bent leg's foot",
    "shoulder_to_ear": "the shoulders and the head",
    "torso_twist": "the hips and the shoulders",
    "hip_leg_angle": "the hips and the straight leg",
    "hip_height": "the hips and the feet",
    "extended_leg_rise": "the straight leg",
    "side_certainty": "both legs",
    "frontal_width": "the hips and shoulders",
}

# Measurements that rest on the bent leg's bones (doubtful when that leg is hidden).
BENT_LEG_METRICS = ("bent_knee_lift", "thigh_angle", "foot_position")
# Measurements that need to know which leg is which (doubtful when one leg hides the other).
LEG_METRICS = (
    "side_certainty",
    "extended_knee_angle",
    "bent_knee_angle",
    "hip_leg_angle",
    *BENT_LEG_METRICS,
)
PROFILE_METRICS = ("hip_flexion", "torso_inclination", "spine_rounding")
# The outline and the head curl read the same rounding two ways; further apart than this, one
# of them misreads the body (e.g. hips placed on the bent knee) and the back is not judged.
BACK_READINGS_APART = 60.0
HIP_LINE_NOISE = 3.0  # degrees either way of the 3-D hip line's angle to the leg
# Silhouettes (the frame's and the mirror image's) further apart than this are not believed.
OUTLINES_APART = 15.0


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


def _known(points: np.ndarray | None, *joints: int) -> bool:
    return points is not None and bool(np.all(np.isfinite(points[list(joints)])))


def _mid(points: np.ndarray, a: int, b: int) -> np.ndarray:
    return (points[a] + points[b]) / 2.0


def leg_reach(skeleton: Skeleton, side: str) -> float:
    """Hip-to-ankle distance over thigh + shin length: 1 for a straight leg, about 0.3 for a
    leg folded with the foot at the groin. In 3-D when the model gave it, else on the picture
    (in profile the legs lie in the picture's plane); NaN when the leg is not known."""
    hip, knee, ankle, _ = leg_joints(side)
    points = skeleton.world if _known(skeleton.world, hip, knee, ankle) else skeleton.image
    bone = distance(points[hip], points[knee]) + distance(points[knee], points[ankle])
    return distance(points[hip], points[ankle]) / bone if bone > 0 else float("nan")


def _torso_2d(skeleton: Skeleton) -> float:
    img = skeleton.image
    return distance(
        _mid(img, Joint.LEFT_HIP, Joint.RIGHT_HIP),
        _mid(img, Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER),
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


def torso_profile(skeleton: Skeleton) -> float:
    """How much the hip and shoulder lines point along the camera axis (1: seen in profile,
    0: from the front). The picture has the last word: 2-D measurements of the fold need the
    torso to look narrow on it, whatever a model's 3-D says (the models' depth is their
    weakest guess), so this is the lesser of the 3-D share (where known) and the picture's."""
    w = skeleton.world
    shares = []
    for a, b in _PAIRS:
        if _known(w, a, b):
            assert w is not None
            axis = w[b] - w[a]
            across = float(np.hypot(axis[0], axis[2]))
            shares.append(abs(axis[2]) / across if across > 0 else 0.0)
    share = width_share(skeleton)
    seen = float(np.sqrt(1.0 - min(share, 1.0) ** 2)) if np.isfinite(share) else float("nan")
    known = [
        p for p in (float(np.mean(shares)) if shares else float("nan"), seen) if np.isfinite(p)
    ]
    return min(known) if known else float("nan")


def leg_profile(skeleton: Skeleton, side: str) -> float:
    """How much a leg lies in the picture's plane (1) rather than along the camera axis (0):
    in 3-D when known; else its length on the picture next to the torso's (a straight leg is
    about LEG_TO_TORSO torso lengths long)."""
    hip, _, ankle, _ = leg_joints(side)
    w = skeleton.world
    if _known(w, hip, ankle):
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
        if _known(w, a, b) and _known(skeleton.image, a, b) and (d := distance(w[a], w[b])) > 0
    ]
    return max(ratios, default=float("nan"))


def view_name(profile: float) -> str:
    if not np.isfinite(profile):
        return "unknown"
    return "side" if profile >= 0.8 else "oblique" if profile >= 0.45 else "front"


class _Taker:
    """Takes measurements off one skeleton: confidences from visibility and view, notes from
    the joints that are not known."""

    def __init__(self, skeleton: Skeleton) -> None:
        self.skeleton = skeleton
        self.metrics: dict[str, Measurement] = {}

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


def measure(skeleton: Skeleton) -> BodyReading:
    """Take every measurement this module knows from one skeleton."""
    img, wld = skeleton.image, skeleton.world
    reach = {side: leg_reach(skeleton, side) for side in ("left", "right")}
    known_reach = {s: r for s, r in reach.items() if np.isfinite(r)}
    straight = max(known_reach, key=lambda s: known_reach[s]) if known_reach else "left"
    bent = other_side(straight)
    # Reach differs by about 0.5 between a straight leg and one folded in; 0.25 is a coin toss.
    gap = reach[straight] - reach[bent]
    side_certainty = float(np.clip(gap / 0.4, 0.0, 1.0)) if np.isfinite(gap) else 0.0
    if side_certainty < 0.5:
        # The legs look alike (or one is not known): measure "the straight leg" on the one
        # the camera sees better.
        straight = max(("left", "right"), key=lambda s: skeleton.vis(*leg_joints(s)[:3]))
        bent = other_side(straight)
    profile = profile_factor(skeleton, straight)
    view = view_name(profile)
    profile = profile if np.isfinite(profile) else 0.0
    s_hip, s_knee, s_ankle, _ = leg_joints(straight)
    b_hip, b_knee, b_ankle, b_heel = leg_joints(bent)
    hips = (Joint.LEFT_HIP, Joint.RIGHT_HIP)
    shoulders = (Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER)
    ears = (Joint.LEFT_EAR, Joint.RIGHT_EAR)
    torso_joints = (*hips, *shoulders)
    hip_mid, sh_mid = _mid(img, *hips), _mid(img, *shoulders)
    px_per_m = pixels_per_metre(skeleton)
    take = _Taker(skeleton)
    conf = take.conf

    forward_x = (
        float(np.sign(img[s_ankle][0] - hip_mid[0]))
        if np.isfinite(img[s_ankle][0] - hip_mid[0])
        else 0.0
    )
    extended_foot = ("image_right" if forward_x > 0 else "image_left") if forward_x else None
    forward_x = forward_x or 1.0
    up = np.array([0.0, -1.0])
    forward = np.array([forward_x, 0.0])
    # How well the picture shows a limb lying in the body's plane (the straight leg, the
    # torso): fully in profile, not at all from the front.
    profile_weight = float(np.clip((profile - 0.3) / 0.5, 0.0, 1.0))

    share = width_share(skeleton)
    take.put("frontal_width", share, conf(*torso_joints), torso_joints)
    side_joints = (s_hip, s_knee, s_ankle, b_knee, b_ankle)
    take.put("side_certainty", side_certainty, conf(*side_joints), side_joints)

    # The straight knee: 3-D when the model gave it; on the picture it is exact in profile.
    leg = (s_hip, s_knee, s_ankle)
    knee_2d = angle_at(img[s_hip], img[s_knee], img[s_ankle])
    if _known(wld, *leg):
        assert wld is not None
        knee_3d = angle_at(wld[s_hip], wld[s_knee], wld[s_ankle])
        # The picture and the model's 3-D guess must agree about the straight leg: a leg
        # straight in 3-D looks straight on any picture, and seen in profile the straight leg
        # lies in the picture's plane, so both angles are the same. A knee the 3-D bends while
        # the picture shows it straight is bent only if it bends toward the camera, which a
        # seated straight leg (bending upward) does only seen from straight ahead: when they
        # disagree the 3-D guess is not trusted (models often bend a plainly straight leg).
        disagree = (knee_3d >= 160 and knee_2d < 140) or abs(knee_3d - knee_2d) > 25
        if not disagree:
            take.put("extended_knee_angle", knee_3d, conf(*leg), leg)
        else:
            # Seen from the side enough, the picture's angle is the better one; either way a
            # bound is judged only where both lie on the same side of it.
            take.put(
                "extended_knee_angle",
                knee_2d if profile >= 0.45 else knee_3d,
                conf(*leg),
                leg,
                "the picture and the 3-D landmarks disagree about the straight knee",
                span=(min(knee_2d, knee_3d), max(knee_2d, knee_3d)),
            )
    else:
        take.put("extended_knee_angle", knee_2d, conf(*leg, view_weight=profile_weight), leg)
    bent_leg = (b_hip, b_knee, b_ankle)
    if _known(wld, *bent_leg):
        assert wld is not None
        take.put(
            "bent_knee_angle",
            angle_at(wld[b_hip], wld[b_knee], wld[b_ankle]),
            conf(*bent_leg),
            bent_leg,
        )
    else:
        # The bent thigh opens out of the picture's plane: on the picture a straight leg looks
        # straight, but a bent one may look anything up to straight. So a leg that looks bent
        # is bent; one that looks straight may be bent too (the span says so to the rules).
        knee_2d_bent = angle_at(img[b_hip], img[b_knee], img[b_ankle])
        take.put(
            "bent_knee_angle",
            knee_2d_bent,
            conf(*bent_leg),
            bent_leg,
            "measured on the picture only",
            span=(0.0, knee_2d_bent),
        )

    torso = sh_mid - hip_mid
    if profile_weight > 0:
        torso_conf = conf(*torso_joints, view_weight=profile_weight)
        take.put(
            "hip_flexion",
            angle_between(torso, img[s_knee] - img[s_hip]),
            min(torso_conf, conf(s_knee)),
            (*torso_joints, s_hip, s_knee),
        )
        tilt = angle_between(torso, up)
        leaning_forward = float(np.dot(torso, forward)) >= 0
        take.put("torso_inclination", tilt if leaning_forward else -tilt, torso_conf, torso_joints)
        # Positive when the head curls further the way the fold turns (from up toward the
        # extended foot, then down toward the floor) than the line of the lower torso.
        head = _mid(img, *ears) - sh_mid
        curl = angle_between(torso, head)
        below = _cross2(torso, head) * _cross2(up, forward) > 0
        ear_vis = max(skeleton.vis(Joint.LEFT_EAR), skeleton.vis(Joint.RIGHT_EAR))
        take.put(
            "spine_rounding",
            curl if below else -curl,
            min(torso_conf, ear_vis),
            (*torso_joints, *ears),
            "" if ear_vis > 0.5 else "the ears are hardly visible",
        )
    else:
        for name in PROFILE_METRICS:
            take.put(name, None, 0.0, (), "the camera sees the body from the front")
    _back_rounding(take, skeleton, hip_mid, sh_mid)

    # The thighs open sideways, along the camera axis when seen in profile, where the model's
    # depth is weakest: trust the 3-D angle between them less the more the view is a profile.
    depth_weight = float(np.clip(1.2 - profile, 0.2, 1.0))
    # Heights are read on the picture (any view, camera level), in thigh lengths: pixels become
    # metres through the least foreshortened bone when the 3-D is known; otherwise the straight
    # thigh on the picture is the unit (it lies in the picture's plane in profile).
    lift = hip_mid[1] - img[b_knee][1]
    if _known(wld, b_hip, b_knee) and np.isfinite(px_per_m):
        assert wld is not None
        thigh_px = px_per_m * distance(wld[b_hip], wld[b_knee])
        lift_conf = conf(b_hip, b_knee)
    else:
        thigh_px = distance(img[s_hip], img[s_knee])
        lift_conf = conf(b_hip, b_knee, s_hip, s_knee, view_weight=profile_weight)
    take.put(
        "bent_knee_lift",
        lift / thigh_px if thigh_px > 0 else None,
        lift_conf,
        (*hips, b_hip, b_knee),
    )
    three_d = "needs the model's 3-D points"
    if _known(wld, s_hip, s_knee, b_hip, b_knee):
        assert wld is not None
        take.put(
            "thigh_angle",
            angle_between(wld[s_knee] - wld[s_hip], wld[b_knee] - wld[b_hip]),
            conf(s_hip, s_knee, b_hip, b_knee, view_weight=depth_weight),
            (s_hip, s_knee, b_hip, b_knee),
        )
    else:
        take.put("thigh_angle", None, 0.0, (s_hip, s_knee, b_hip, b_knee), three_d)
    if _known(wld, s_hip, s_knee, b_heel):
        assert wld is not None
        t_heel, _ = point_line_offset(wld[b_heel], wld[s_hip], wld[s_knee])
        take.put(
            "foot_position", t_heel, conf(s_hip, s_knee, b_heel, b_ankle), (s_hip, s_knee, b_heel)
        )
    else:
        take.put("foot_position", None, 0.0, (s_hip, s_knee, b_heel), three_d)
    ear_vis = max(skeleton.vis(Joint.LEFT_EAR), skeleton.vis(Joint.RIGHT_EAR))
    if _known(wld, *torso_joints, *ears):
        assert wld is not None
        torso_len = distance(_mid(wld, *shoulders), _mid(wld, *hips))
        ear_gap = np.mean(
            [
                distance(wld[Joint.LEFT_EAR], wld[Joint.LEFT_SHOULDER]),
                distance(wld[Joint.RIGHT_EAR], wld[Joint.RIGHT_SHOULDER]),
            ]
        )
        take.put(
            "shoulder_to_ear",
            ear_gap / torso_len if torso_len > 0 else None,
            conf(*shoulders) * ear_vis,
            (*torso_joints, *ears),
        )
    else:
        torso_len = distance(sh_mid, hip_mid)
        ear_gap = distance(_mid(img, *ears), sh_mid)
        take.put(
            "shoulder_to_ear",
            ear_gap / torso_len if torso_len > 0 else None,
            conf(*shoulders, view_weight=profile_weight) * ear_vis,
            (*torso_joints, *ears),
        )
    if _known(wld, *torso_joints):
        assert wld is not None
        hip_axis = wld[Joint.RIGHT_HIP] - wld[Joint.LEFT_HIP]
        sh_axis = wld[Joint.RIGHT_SHOULDER] - wld[Joint.LEFT_SHOULDER]
        take.put(
            "torso_twist",
            angle_between(hip_axis[[0, 2]], sh_axis[[0, 2]]),
            conf(*torso_joints),
            torso_joints,
        )
    else:
        take.put("torso_twist", None, 0.0, torso_joints, three_d)
    # The hip line against the straight leg, seen from above: in 3-D when the model gave the
    # hips; the leg seen in profile lies along the picture (the x axis), pointing where its foot
    # points. Without 3-D hips, a leg lying across the picture and hips and shoulders that look
    # narrow mean the person faces along the leg (wide ones: turned toward the camera).
    along = (*hips, s_hip, s_ankle)
    in_plane = leg_profile(skeleton, straight)
    if _known(wld, *hips):
        assert wld is not None
        hip_axis = (wld[Joint.RIGHT_HIP] - wld[Joint.LEFT_HIP])[[0, 2]]
        if _known(wld, s_hip, s_ankle):
            leg_dir, leg_conf = (wld[s_ankle] - wld[s_hip])[[0, 2]], conf(*along)
        else:
            leg_dir = np.array([img[s_ankle][0] - img[s_hip][0], 0.0])
            leg_conf = conf(*along) * (in_plane if np.isfinite(in_plane) else 0.0)
        hip_leg = angle_between(leg_dir, hip_axis)
        hip_leg = min(hip_leg, 180.0 - hip_leg)
        # The hip line's depth is the models' weakest guess: a reading this close to a bound
        # does not decide it.
        span = (hip_leg - HIP_LINE_NOISE, hip_leg + HIP_LINE_NOISE)
        take.put("hip_leg_angle", hip_leg, leg_conf, along, span=span)
    else:
        share = width_share(skeleton)
        angle = (
            float(np.degrees(np.arccos(np.clip(share, 0.0, 1.0)))) if np.isfinite(share) else None
        )
        take.put(
            "hip_leg_angle",
            angle,
            conf(*along, *shoulders) * (in_plane if np.isfinite(in_plane) else 0.0) * 0.8,
            (*along, *shoulders),
        )
    # Heights in leg lengths, the leg's length taken in 3-D when known, so that a leg pointing
    # at the camera (short on the picture) does not inflate them.
    leg_path = distance(img[s_hip], img[s_knee]) + distance(img[s_knee], img[s_ankle])
    if _known(wld, *leg) and np.isfinite(px_per_m):
        assert wld is not None
        leg_px = px_per_m * (
            distance(wld[s_hip], wld[s_knee]) + distance(wld[s_knee], wld[s_ankle])
        )
        height_weight = 1.0
    else:
        leg_px, height_weight = leg_path, profile_weight
    drop = img[s_ankle][1] - hip_mid[1]
    leg_vector = img[s_ankle] - img[s_hip]
    # A leg pointing at the camera is short on the picture: its slope, and the height of the
    # hips above its foot (the foot nearer the camera sits lower on the picture), mean little.
    in_plane = float(np.linalg.norm(leg_vector)) / leg_px if leg_px > 0 else 0.0
    in_plane = in_plane if np.isfinite(in_plane) else 0.0
    in_plane_weight = float(np.clip((in_plane - 0.3) / 0.3, 0.0, 1.0))
    # Two readings of the same height: through the 3-D leg length (right even for a leg
    # pointing at the camera) and through the leg's length on the picture (free of the
    # models' 3-D scale, which differs between them, but only where the leg lies across the
    # picture: foreshortened, it is short and the height looks larger). Where they disagree
    # about a bound, the rules cannot tell.
    by_picture = drop / leg_path if leg_path > 0 else float("nan")
    span = None
    if leg_px is not leg_path and np.isfinite(by_picture) and leg_px > 0 and in_plane >= 0.8:
        by_model = drop / leg_px
        span = (min(by_model, by_picture), max(by_model, by_picture))
    take.put(
        "hip_height",
        drop / leg_px if leg_px > 0 else None,
        conf(s_hip, s_ankle, view_weight=height_weight * in_plane_weight),
        (*hips, s_hip, s_ankle),
        span=span,
    )
    take.put(
        "extended_leg_rise",
        float(np.degrees(np.arctan2(-leg_vector[1], abs(leg_vector[0])))),
        conf(s_hip, s_ankle, view_weight=in_plane_weight),
        (s_hip, s_ankle),
    )
    return BodyReading(
        extended_leg=straight if side_certainty >= 0.5 else None,
        side_confidence=side_certainty * conf(*side_joints),
        extended_foot=extended_foot,
        view=view,
        profile=profile,
        metrics=take.metrics,
    )


def outline_view(skeleton: Skeleton) -> float:
    """How well a silhouette shows the back's edge (1) or hides it (0, seen from the front or
    behind): from the models' 3-D hip and shoulder lines where known (a deep fold seen at an
    angle shortens the torso on the picture, so its width there misleads), else the picture."""
    w = skeleton.world
    shares = []
    for a, b in _PAIRS:
        if _known(w, a, b):
            assert w is not None
            axis = w[b] - w[a]
            across = float(np.hypot(axis[0], axis[2]))
            shares.append(abs(axis[2]) / across if across > 0 else 0.0)
    if shares:
        profile = float(np.mean(shares))
    else:
        share = width_share(skeleton)
        profile = float(np.sqrt(1.0 - min(share, 1.0) ** 2)) if np.isfinite(share) else 0.0
    return float(np.clip((profile - 0.3) / 0.3, 0.0, 1.0))


def _back_rounding(take: _Taker, skeleton: Skeleton, hips: np.ndarray, shoulders: np.ndarray):
    """The back's rounding: the curve of the silhouette's back edge (`core.outline`) and the
    head's curl below the torso's line, whichever is larger (a long back keeps both small). The
    head curl alone cannot see a curve between the hips and the shoulders: without a silhouette
    it can show a rounded back, never a long one (its span reaches up without bound)."""
    torso_joints = (Joint.LEFT_HIP, Joint.RIGHT_HIP, Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER)
    head = take.metrics["spine_rounding"]
    view_conf = take.conf(*torso_joints, view_weight=outline_view(skeleton))
    legs = [
        skeleton.image[j]
        for j in (Joint.LEFT_KNEE, Joint.RIGHT_KNEE, Joint.LEFT_ANKLE, Joint.RIGHT_ANKLE)
        if _known(skeleton.image, j)
    ]
    curves = []
    for polygon in skeleton.outlines:
        front = np.mean(legs, axis=0) if legs else polygon.mean(axis=0)
        edge = back_edge(polygon, hips, shoulders, front)
        if edge is not None:
            curves.append(edge.curve)
    if not curves:
        if head.value is None:
            take.put("back_rounding", None, 0.0, torso_joints, "the back's outline is not seen")
        else:
            take.put(
                "back_rounding",
                head.value,
                head.confidence,
                torso_joints,
                "the back's outline is not seen: only the head's curl is known",
                span=(head.value, float("inf")),
            )
        return
    curve = float(np.mean(curves))
    conf = view_conf * float(np.clip(1.5 - (max(curves) - min(curves)) / OUTLINES_APART, 0, 1))
    note = ""
    if head.value is not None and head.confidence >= 0.5:
        if abs(curve - head.value) > BACK_READINGS_APART:
            conf, note = min(conf, 0.2), "the back's outline and the head disagree"
        curve = max(curve, head.value)
    take.put("back_rounding", curve, conf, torso_joints, note)


def _cross2(u: np.ndarray, v: np.ndarray) -> float:
    return float(u[0] * v[1] - u[1] * v[0])
