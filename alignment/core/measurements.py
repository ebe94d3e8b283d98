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
}

# The part of the body each measurement is read from, to tell the user what was not seen.
BODY_PARTS: dict[str, str] = {
    "extended_knee_angle": "the straight leg",
    "bent_knee_angle": "the bent leg",
    "hip_flexion": "the hips and the torso",
    "torso_inclination": "the torso",
    "spine_rounding": "the back and the head",
    "bent_knee_lift": "the bent leg",
    "thigh_angle": "both thighs",
    "foot_position": "the bent leg's foot",
    "shoulder_to_ear": "the shoulders and the head",
    "torso_twist": "the hips and the shoulders",
    "hip_leg_angle": "the hips and the straight leg",
    "hip_height": "the hips and the feet",
    "extended_leg_rise": "the straight leg",
    "side_certainty": "both legs",
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


@dataclass(frozen=True)
class Measurement:
    value: float | None
    confidence: float
    note: str = ""

    @property
    def unit(self) -> str:
        return ""


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


def _mid(skeleton: Skeleton, a: int, b: int, world: bool = False) -> np.ndarray:
    pts = skeleton.world if world else skeleton.image
    return (pts[a] + pts[b]) / 2.0


def leg_reach(skeleton: Skeleton, side: str) -> float:
    """Hip-to-ankle distance over thigh + shin length (3-D): 1 for a straight leg, about 0.3
    for a leg folded with the foot at the groin."""
    hip, knee, ankle, _ = leg_joints(side)
    w = skeleton.world
    bone = distance(w[hip], w[knee]) + distance(w[knee], w[ankle])
    return distance(w[hip], w[ankle]) / bone if bone > 0 else float("nan")


def profile_factor(skeleton: Skeleton) -> float:
    """How much the camera sees the body in profile (1) rather than from the front (0):
    the share of the 3-D hip and shoulder lines that points along the camera axis."""
    w = skeleton.world
    shares = []
    for a, b in ((Joint.LEFT_HIP, Joint.RIGHT_HIP), (Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER)):
        axis = w[b] - w[a]
        across = float(np.hypot(axis[0], axis[2]))
        shares.append(abs(axis[2]) / across if across > 0 else 0.0)
    return float(np.mean(shares))


SCALE_BONES = (
    (Joint.LEFT_HIP, Joint.LEFT_KNEE),
    (Joint.RIGHT_HIP, Joint.RIGHT_KNEE),
    (Joint.LEFT_KNEE, Joint.LEFT_ANKLE),
    (Joint.RIGHT_KNEE, Joint.RIGHT_ANKLE),
    (Joint.LEFT_SHOULDER, Joint.LEFT_HIP),
    (Joint.RIGHT_SHOULDER, Joint.RIGHT_HIP),
)


def pixels_per_metre(skeleton: Skeleton) -> float:
    """Image scale near the body: the largest pixel/metre ratio over the long bones (a bone
    seen side-on is not foreshortened; the others only look shorter)."""
    ratios = [
        distance(skeleton.image[a], skeleton.image[b]) / d
        for a, b in SCALE_BONES
        if (d := distance(skeleton.world[a], skeleton.world[b])) > 0
    ]
    return max(ratios, default=0.0)


def view_name(profile: float) -> str:
    return "side" if profile >= 0.8 else "oblique" if profile >= 0.45 else "front"


def measure(skeleton: Skeleton) -> BodyReading:
    """Take every measurement this module knows from one skeleton."""
    img, wld = skeleton.image, skeleton.world
    reach = {side: leg_reach(skeleton, side) for side in ("left", "right")}
    straight = max(reach, key=lambda s: reach[s])
    bent = other_side(straight)
    # Reach differs by about 0.5 between a straight leg and one folded in; 0.25 is a coin toss.
    side_certainty = float(np.clip((reach[straight] - reach[bent]) / 0.4, 0.0, 1.0))
    if side_certainty < 0.5:
        # The legs look alike: measure "the straight leg" on the one the camera sees better.
        straight = max(("left", "right"), key=lambda s: skeleton.vis(*leg_joints(s)[:3]))
        bent = other_side(straight)
    profile = profile_factor(skeleton)
    view = view_name(profile)
    s_hip, s_knee, s_ankle, _ = leg_joints(straight)
    b_hip, b_knee, b_ankle, b_heel = leg_joints(bent)
    hip_mid = _mid(skeleton, Joint.LEFT_HIP, Joint.RIGHT_HIP)
    sh_mid = _mid(skeleton, Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER)
    ear_mid = _mid(skeleton, Joint.LEFT_EAR, Joint.RIGHT_EAR)
    hip_mid_w = _mid(skeleton, Joint.LEFT_HIP, Joint.RIGHT_HIP, world=True)
    sh_mid_w = _mid(skeleton, Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER, world=True)
    px_per_m = pixels_per_metre(skeleton)

    forward_x = float(np.sign(img[s_ankle][0] - hip_mid[0])) or 1.0
    extended_foot = "image_right" if forward_x > 0 else "image_left"
    up = np.array([0.0, -1.0])
    forward = np.array([forward_x, 0.0])

    def conf(*joints: int, view_weight: float = 1.0) -> float:
        return float(np.clip(skeleton.vis(*joints) * view_weight, 0.0, 1.0))

    torso_joints = (Joint.LEFT_HIP, Joint.RIGHT_HIP, Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER)
    side_joints = (s_hip, s_knee, s_ankle, b_knee, b_ankle)
    m: dict[str, Measurement] = {}
    m["side_certainty"] = Measurement(side_certainty, conf(*side_joints))
    knee_3d = angle_at(wld[s_hip], wld[s_knee], wld[s_ankle])
    knee_2d = angle_at(img[s_hip], img[s_knee], img[s_ankle])
    # The picture and the model's 3-D guess must agree about the straight leg: a leg straight
    # in 3-D looks straight on any picture, and seen in profile the straight leg lies in the
    # image plane, so both angles are the same. When they disagree the 3-D guess is not
    # trusted (the lite model often bends a leg in 3-D that is plainly straight on the photo).
    disagree = (knee_3d >= 160 and knee_2d < 140) or (
        profile >= 0.6 and abs(knee_3d - knee_2d) > 25
    )
    m["extended_knee_angle"] = Measurement(
        knee_3d,
        conf(s_hip, s_knee, s_ankle) * (0.3 if disagree else 1.0),
        "the picture and the 3-D landmarks disagree about the straight knee" if disagree else "",
    )
    m["bent_knee_angle"] = Measurement(
        angle_at(wld[b_hip], wld[b_knee], wld[b_ankle]), conf(b_hip, b_knee, b_ankle)
    )

    torso = sh_mid - hip_mid
    profile_weight = float(np.clip((profile - 0.3) / 0.5, 0.0, 1.0))
    if profile_weight > 0 and np.linalg.norm(torso) > 0:
        torso_conf = conf(*torso_joints, s_knee, view_weight=profile_weight)
        m["hip_flexion"] = Measurement(angle_between(torso, img[s_knee] - img[s_hip]), torso_conf)
        tilt = angle_between(torso, up)
        leaning_forward = float(np.dot(torso, forward)) >= 0
        m["torso_inclination"] = Measurement(
            tilt if leaning_forward else -tilt, conf(*torso_joints, view_weight=profile_weight)
        )
        head = ear_mid - sh_mid
        # Positive when the head curls further the way the fold turns (from up toward the
        # extended foot, then down toward the floor) than the line of the lower torso.
        curl = angle_between(torso, head)
        below = _cross2(torso, head) * _cross2(up, forward) > 0
        ears = (Joint.LEFT_EAR, Joint.RIGHT_EAR)
        ear_vis = max(skeleton.vis(Joint.LEFT_EAR), skeleton.vis(Joint.RIGHT_EAR))
        m["spine_rounding"] = Measurement(
            curl if below else -curl,
            min(conf(*torso_joints, view_weight=profile_weight), ear_vis),
            note="" if ear_vis > 0.5 else f"ears hardly visible ({', '.join(map(str, ears))})",
        )
    else:
        for name in PROFILE_METRICS:
            m[name] = Measurement(None, 0.0, "the camera sees the body from the front")

    # The thighs open sideways, along the camera axis when seen in profile, where the model's
    # depth is weakest: trust the 3-D angle between them less the more the view is a profile.
    depth_weight = float(np.clip(1.2 - profile, 0.2, 1.0))
    # Heights are read on the image (any view, camera level); pixels become metres through the
    # least foreshortened bone, and the lift is expressed in thigh lengths.
    bent_thigh_m = distance(wld[b_hip], wld[b_knee])
    if px_per_m > 0 and bent_thigh_m > 0:
        lift = (hip_mid[1] - img[b_knee][1]) / px_per_m / bent_thigh_m
        m["bent_knee_lift"] = Measurement(lift, conf(b_hip, b_knee))
    else:
        m["bent_knee_lift"] = Measurement(None, 0.0, "degenerate geometry")
    m["thigh_angle"] = Measurement(
        angle_between(wld[s_knee] - wld[s_hip], wld[b_knee] - wld[b_hip]),
        conf(s_hip, s_knee, b_hip, b_knee, view_weight=depth_weight),
    )
    t_heel, _ = point_line_offset(wld[b_heel], wld[s_hip], wld[s_knee])
    m["foot_position"] = Measurement(t_heel, conf(s_hip, s_knee, b_heel, b_ankle))
    torso_len_w = distance(sh_mid_w, hip_mid_w)
    ear_gap = np.mean(
        [
            distance(wld[Joint.LEFT_EAR], wld[Joint.LEFT_SHOULDER]),
            distance(wld[Joint.RIGHT_EAR], wld[Joint.RIGHT_SHOULDER]),
        ]
    )
    m["shoulder_to_ear"] = Measurement(
        float(ear_gap / torso_len_w) if torso_len_w > 0 else None,
        conf(Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER)
        * max(skeleton.vis(Joint.LEFT_EAR), skeleton.vis(Joint.RIGHT_EAR)),
    )
    hip_axis = wld[Joint.RIGHT_HIP] - wld[Joint.LEFT_HIP]
    sh_axis = wld[Joint.RIGHT_SHOULDER] - wld[Joint.LEFT_SHOULDER]
    m["torso_twist"] = Measurement(
        angle_between(hip_axis[[0, 2]], sh_axis[[0, 2]]), conf(*torso_joints)
    )
    leg_dir = (wld[s_ankle] - wld[s_hip])[[0, 2]]
    hip_leg = angle_between(leg_dir, hip_axis[[0, 2]])
    m["hip_leg_angle"] = Measurement(
        min(hip_leg, 180.0 - hip_leg), conf(Joint.LEFT_HIP, Joint.RIGHT_HIP, s_ankle)
    )
    # Heights in leg lengths, the leg's length taken in 3-D so that a leg pointing at the
    # camera (short on the image) does not inflate them.
    leg_m = distance(wld[s_hip], wld[s_knee]) + distance(wld[s_knee], wld[s_ankle])
    leg_px = px_per_m * leg_m
    drop = img[s_ankle][1] - hip_mid[1]
    m["hip_height"] = Measurement(drop / leg_px if leg_px > 0 else None, conf(s_hip, s_ankle))
    leg = img[s_ankle] - img[s_hip]
    # The leg's slope on the image means little when it points at the camera.
    in_plane = float(np.linalg.norm(leg)) / leg_px if leg_px > 0 else 0.0
    m["extended_leg_rise"] = Measurement(
        float(np.degrees(np.arctan2(-leg[1], abs(leg[0])))),
        conf(s_hip, s_ankle, view_weight=float(np.clip((in_plane - 0.3) / 0.3, 0.0, 1.0))),
    )
    for name, value in list(m.items()):
        if value.value is not None and not np.isfinite(value.value):
            m[name] = Measurement(None, 0.0, "degenerate geometry")
    return BodyReading(
        extended_leg=straight if side_certainty >= 0.5 else None,
        side_confidence=side_certainty * conf(*side_joints),
        extended_foot=extended_foot,
        view=view,
        profile=profile,
        metrics=m,
    )


def _cross2(u: np.ndarray, v: np.ndarray) -> float:
    return float(u[0] * v[1] - u[1] * v[0])
