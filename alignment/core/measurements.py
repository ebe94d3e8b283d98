"""Every measurement of a seated forward bend, described once: the registry below names each
one, its unit, what it means in plain words, the body part it is read from, the view it needs
and the function (in `core.body_parts`) that takes it. `measure` runs them on one skeleton.

Every measurement carries a confidence in 0..1; one that cannot be taken from this view is
`None` with the reason. Conventions: angles in degrees; "forward" is the direction of the
extended foot; picture measurements assume the camera is roughly level.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alignment.core import body_parts
from alignment.core.reading import Body, BodyReading
from alignment.core.skeleton import Skeleton


@dataclass(frozen=True)
class Info:
    name: str
    unit: str  # "deg" or "ratio"
    words: str  # what it means, for the README and the app
    body_part: str  # what must be seen for it, to tell the user what was not
    view: str  # the view it needs (the README's table)
    take: Callable[[Body], None]  # the function that measures it (with its neighbours)


REGISTRY: dict[str, Info] = {
    info.name: info
    for info in (
        Info(
            "extended_knee_angle",
            "deg",
            "hip-knee-ankle angle of the straight leg; 180 = straight",
            "the straight leg",
            "any",
            body_parts.straight_leg,
        ),
        Info(
            "bent_knee_angle",
            "deg",
            "hip-knee-ankle angle of the bent leg; small = deeply bent",
            "the bent leg",
            "any",
            body_parts.bent_knee,
        ),
        Info(
            "hip_flexion",
            "deg",
            "angle between the torso (hips to shoulders) and the extended thigh; about 90 sitting "
            "upright, smaller as the fold deepens",
            "the hips and the torso",
            "profile",
            body_parts.fold,
        ),
        Info(
            "torso_inclination",
            "deg",
            "forward tilt of the torso from vertical, toward the extended foot; negative = leaning"
            " back",
            "the torso",
            "profile",
            body_parts.fold,
        ),
        Info(
            "spine_rounding",
            "deg",
            "how far the head and upper back curl down below the line of the lower torso (hips to "
            "shoulders); 0 = long spine",
            "the back and the head",
            "profile",
            body_parts.fold,
        ),
        Info(
            "back_rounding",
            "deg",
            "how far the back rounds: the larger of the curve of the back's outline between the "
            "hips and the shoulders and the curl of the head below the torso's line; 0 = long",
            "the back",
            "side or oblique, with a silhouette",
            body_parts.back,
        ),
        Info(
            "bent_knee_lift",
            "ratio",
            "height of the bent knee above the hips, in thigh lengths; a knee resting toward the "
            "floor sits below the hips (negative)",
            "the bent leg",
            "any",
            body_parts.bent_leg,
        ),
        Info(
            "thigh_angle",
            "deg",
            "3-D angle between the two thighs; about 90 or more in the pose",
            "both thighs",
            "front or oblique (3-D)",
            body_parts.bent_leg,
        ),
        Info(
            "foot_position",
            "ratio",
            "where the bent leg's heel sits along the straight thigh: 0 = groin, 1 = knee",
            "the bent leg's foot",
            "any (3-D)",
            body_parts.bent_leg,
        ),
        Info(
            "shoulder_to_ear",
            "ratio",
            "3-D distance from shoulders to ears divided by torso length; small = shoulders "
            "hunched toward the ears",
            "the shoulders and the head",
            "any",
            body_parts.shoulders,
        ),
        Info(
            "torso_twist",
            "deg",
            "3-D angle between the shoulder line and the hip line seen from above; large = pelvis "
            "or chest twisted",
            "the hips and the shoulders",
            "any (3-D)",
            body_parts.turn,
        ),
        Info(
            "hip_leg_angle",
            "deg",
            "angle between the hip line and the straight leg seen from above; near 90 facing along"
            " the leg, small when the body turns sideways to it (as in the revolved variation)",
            "the hips and the straight leg",
            "any",
            body_parts.turn,
        ),
        Info(
            "hip_height",
            "ratio",
            "height of the hips above the extended foot, divided by leg length (about 0 seated, "
            "about 1 standing)",
            "the hips and the feet",
            "any",
            body_parts.height,
        ),
        Info(
            "extended_leg_rise",
            "deg",
            "angle of the extended leg (hip to ankle) above horizontal",
            "the straight leg",
            "not when the leg points at the camera",
            body_parts.height,
        ),
        Info(
            "side_certainty",
            "ratio",
            "how clearly one leg is straight and the other bent (0..1)",
            "both legs",
            "any",
            body_parts.orientation,
        ),
        Info(
            "frontal_width",
            "ratio",
            "how wide the shoulders and hips look on the picture next to the torso's length, over "
            "how wide they look seen from the front: about 1 when the chest faces the camera, near"
            " 0 in profile",
            "the hips and shoulders",
            "any",
            body_parts.orientation,
        ),
    )
}
# Views of the registry for the layers that need one fact of each measurement.
DESCRIPTIONS: dict[str, tuple[str, str]] = {n: (i.unit, i.words) for n, i in REGISTRY.items()}
BODY_PARTS: dict[str, str] = {n: i.body_part for n, i in REGISTRY.items()}
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


def measure(skeleton: Skeleton) -> BodyReading:
    """Take every measurement in the registry from one skeleton."""
    body = Body(skeleton)
    # A function takes several measurements; each runs once, in the registry's order (the
    # back's rounding reads the head's curl, measured before it).
    for take in dict.fromkeys(info.take for info in REGISTRY.values()):
        take(body)
    reading = body.reading()
    reading.metrics = {name: reading.metrics[name] for name in REGISTRY}
    return reading
