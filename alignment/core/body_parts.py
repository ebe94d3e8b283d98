"""The measurements of a seated forward bend, body part by body part (pure numpy).

Each function takes what it can see of one part off a `Body` and puts it there, with a
confidence: the lowest visibility of the landmarks it uses, times how well the camera's view
suits it (the spine and the fold are judged in profile; the angle between the thighs and the
foot's place in 3-D from the world landmarks). Conventions: angles in degrees; "forward" is the
direction of the extended foot; picture measurements assume a roughly level camera. What each
measurement means is in `core.measurements.REGISTRY`.
"""

from __future__ import annotations

import numpy as np

from alignment.core.geometry import angle_at, angle_between, distance, point_line_offset
from alignment.core.outline import back_edge
from alignment.core.reading import EARS, HIPS, SHOULDERS, TORSO, Body
from alignment.core.topology import Joint
from alignment.core.view import known, leg_profile, mid, outline_view, pixels_per_metre
from alignment.core.view import width_share as picture_width_share

# The outline and the head curl read the same rounding two ways; further apart than this, one
# of them misreads the body (e.g. hips placed on the bent knee) and the back is not judged.
BACK_READINGS_APART = 60.0
HIP_LINE_NOISE = 3.0  # degrees either way of the 3-D hip line's angle to the leg
# Silhouettes (the frame's and the mirror image's) further apart than this are not believed.
OUTLINES_APART = 15.0
THREE_D = "needs the model's 3-D points"


def orientation(b: Body) -> None:
    """How wide the torso looks, and how clearly one leg is straight and the other bent."""
    b.put("frontal_width", picture_width_share(b.skeleton), b.conf(*TORSO), TORSO)
    b.put("side_certainty", b.side_certainty, b.conf(*b.side_joints), b.side_joints)


def straight_leg(b: Body) -> None:
    """The straight knee: 3-D when the model gave it; on the picture it is exact in profile."""
    img, wld = b.img, b.wld
    leg = (b.s_hip, b.s_knee, b.s_ankle)
    knee_2d = angle_at(img[b.s_hip], img[b.s_knee], img[b.s_ankle])
    if not known(wld, *leg):
        b.put("extended_knee_angle", knee_2d, b.conf(*leg, view_weight=b.profile_weight), leg)
        return
    assert wld is not None
    knee_3d = angle_at(wld[b.s_hip], wld[b.s_knee], wld[b.s_ankle])
    # The picture and the model's 3-D guess must agree about the straight leg: a leg straight
    # in 3-D looks straight on any picture, and seen in profile the straight leg lies in the
    # picture's plane, so both angles are the same. A knee the 3-D bends while the picture
    # shows it straight is bent only if it bends toward the camera, which a seated straight leg
    # (bending upward) does only seen from straight ahead: when they disagree the 3-D guess is
    # not trusted (models often bend a plainly straight leg).
    disagree = (knee_3d >= 160 and knee_2d < 140) or abs(knee_3d - knee_2d) > 25
    if not disagree:
        b.put("extended_knee_angle", knee_3d, b.conf(*leg), leg)
        return
    # Seen from the side enough, the picture's angle is the better one; either way a bound is
    # judged only where both lie on the same side of it.
    b.put(
        "extended_knee_angle",
        knee_2d if b.profile >= 0.45 else knee_3d,
        b.conf(*leg),
        leg,
        "the picture and the 3-D landmarks disagree about the straight knee",
        span=(min(knee_2d, knee_3d), max(knee_2d, knee_3d)),
    )


def bent_knee(b: Body) -> None:
    img, wld = b.img, b.wld
    bent_leg = (b.b_hip, b.b_knee, b.b_ankle)
    if known(wld, *bent_leg):
        assert wld is not None
        angle = angle_at(wld[b.b_hip], wld[b.b_knee], wld[b.b_ankle])
        b.put("bent_knee_angle", angle, b.conf(*bent_leg), bent_leg)
        return
    # The bent thigh opens out of the picture's plane: on the picture a straight leg looks
    # straight, but a bent one may look anything up to straight. So a leg that looks bent is
    # bent; one that looks straight may be bent too (the span says so to the rules).
    seen = angle_at(img[b.b_hip], img[b.b_knee], img[b.b_ankle])
    b.put(
        "bent_knee_angle",
        seen,
        b.conf(*bent_leg),
        bent_leg,
        "measured on the picture only",
        span=(0.0, seen),
    )


def fold(b: Body) -> None:
    """The torso against the straight thigh and the vertical, and the head's curl: on the
    picture, in profile only."""
    if b.profile_weight <= 0:
        for name in ("hip_flexion", "torso_inclination", "spine_rounding"):
            b.put(name, None, 0.0, (), "the camera sees the body from the front")
        return
    img = b.img
    torso = b.sh_mid - b.hip_mid
    torso_conf = b.conf(*TORSO, view_weight=b.profile_weight)
    b.put(
        "hip_flexion",
        angle_between(torso, img[b.s_knee] - img[b.s_hip]),
        min(torso_conf, b.conf(b.s_knee)),
        (*TORSO, b.s_hip, b.s_knee),
    )
    tilt = angle_between(torso, b.up)
    leaning_forward = float(np.dot(torso, b.forward)) >= 0
    b.put("torso_inclination", tilt if leaning_forward else -tilt, torso_conf, TORSO)
    # Positive when the head curls further the way the fold turns (from up toward the extended
    # foot, then down toward the floor) than the line of the lower torso.
    head = mid(img, *EARS) - b.sh_mid
    curl = angle_between(torso, head)
    below = _cross2(torso, head) * _cross2(b.up, b.forward) > 0
    ear_vis = max(b.skeleton.vis(Joint.LEFT_EAR), b.skeleton.vis(Joint.RIGHT_EAR))
    b.put(
        "spine_rounding",
        curl if below else -curl,
        min(torso_conf, ear_vis),
        (*TORSO, *EARS),
        "" if ear_vis > 0.5 else "the ears are hardly visible",
    )


def back(b: Body) -> None:
    """The back's rounding: the curve of the silhouette's back edge (`core.outline`) and the
    head's curl below the torso's line, whichever is larger (a long back keeps both small). The
    head curl alone cannot see a curve between the hips and the shoulders: without a silhouette
    it can show a rounded back, never a long one (its span reaches up without bound)."""
    head = b.metrics["spine_rounding"]
    view_conf = b.conf(*TORSO, view_weight=outline_view(b.skeleton))
    legs = [
        b.img[j]
        for j in (Joint.LEFT_KNEE, Joint.RIGHT_KNEE, Joint.LEFT_ANKLE, Joint.RIGHT_ANKLE)
        if known(b.img, j)
    ]
    curves = []
    for polygon in b.skeleton.outlines:
        front = np.mean(legs, axis=0) if legs else polygon.mean(axis=0)
        edge = back_edge(polygon, b.hip_mid, b.sh_mid, front)
        if edge is not None:
            curves.append(edge.curve)
    if not curves:
        if head.value is None:
            b.put("back_rounding", None, 0.0, TORSO, "the back's outline is not seen")
            return
        b.put(
            "back_rounding",
            head.value,
            head.confidence,
            TORSO,
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
    b.put("back_rounding", curve, conf, TORSO, note)


def bent_leg(b: Body) -> None:
    """The bent knee's height, the angle between the thighs and where the bent foot sits."""
    img, wld = b.img, b.wld
    # Heights are read on the picture (any view, camera level), in thigh lengths: pixels become
    # metres through the least foreshortened bone when the 3-D is known; otherwise the straight
    # thigh on the picture is the unit (it lies in the picture's plane in profile).
    px_per_m = pixels_per_metre(b.skeleton)
    lift = b.hip_mid[1] - img[b.b_knee][1]
    if known(wld, b.b_hip, b.b_knee) and np.isfinite(px_per_m):
        assert wld is not None
        thigh_px = px_per_m * distance(wld[b.b_hip], wld[b.b_knee])
        lift_conf = b.conf(b.b_hip, b.b_knee)
    else:
        thigh_px = distance(img[b.s_hip], img[b.s_knee])
        lift_conf = b.conf(b.b_hip, b.b_knee, b.s_hip, b.s_knee, view_weight=b.profile_weight)
    lifted = lift / thigh_px if thigh_px > 0 else None
    b.put("bent_knee_lift", lifted, lift_conf, (*HIPS, b.b_hip, b.b_knee))
    # The thighs open sideways, along the camera axis when seen in profile, where the model's
    # depth is weakest: trust the 3-D angle between them less the more the view is a profile.
    depth_weight = float(np.clip(1.2 - b.profile, 0.2, 1.0))
    thighs = (b.s_hip, b.s_knee, b.b_hip, b.b_knee)
    if known(wld, *thighs):
        assert wld is not None
        b.put(
            "thigh_angle",
            angle_between(wld[b.s_knee] - wld[b.s_hip], wld[b.b_knee] - wld[b.b_hip]),
            b.conf(*thighs, view_weight=depth_weight),
            thighs,
        )
    else:
        b.put("thigh_angle", None, 0.0, thighs, THREE_D)
    heel = (b.s_hip, b.s_knee, b.b_heel)
    if known(wld, *heel):
        assert wld is not None
        along, _ = point_line_offset(wld[b.b_heel], wld[b.s_hip], wld[b.s_knee])
        b.put("foot_position", along, b.conf(b.s_hip, b.s_knee, b.b_heel, b.b_ankle), heel)
    else:
        b.put("foot_position", None, 0.0, heel, THREE_D)


def shoulders(b: Body) -> None:
    """Shoulders to ears over the torso's length: in 3-D when known, else on the picture."""
    img, wld = b.img, b.wld
    ear_vis = max(b.skeleton.vis(Joint.LEFT_EAR), b.skeleton.vis(Joint.RIGHT_EAR))
    if known(wld, *TORSO, *EARS):
        assert wld is not None
        torso_len = distance(mid(wld, *SHOULDERS), mid(wld, *HIPS))
        ear_gap = np.mean(
            [
                distance(wld[Joint.LEFT_EAR], wld[Joint.LEFT_SHOULDER]),
                distance(wld[Joint.RIGHT_EAR], wld[Joint.RIGHT_SHOULDER]),
            ]
        )
        conf = b.conf(*SHOULDERS) * ear_vis
    else:
        torso_len = distance(b.sh_mid, b.hip_mid)
        ear_gap = distance(mid(img, *EARS), b.sh_mid)
        conf = b.conf(*SHOULDERS, view_weight=b.profile_weight) * ear_vis
    ratio = ear_gap / torso_len if torso_len > 0 else None
    b.put("shoulder_to_ear", ratio, conf, (*TORSO, *EARS))


def turn(b: Body) -> None:
    """The shoulders against the hips, and the hips against the straight leg, seen from
    above."""
    img, wld = b.img, b.wld
    if known(wld, *TORSO):
        assert wld is not None
        hip_axis = wld[Joint.RIGHT_HIP] - wld[Joint.LEFT_HIP]
        sh_axis = wld[Joint.RIGHT_SHOULDER] - wld[Joint.LEFT_SHOULDER]
        twist = angle_between(hip_axis[[0, 2]], sh_axis[[0, 2]])
        b.put("torso_twist", twist, b.conf(*TORSO), TORSO)
    else:
        b.put("torso_twist", None, 0.0, TORSO, THREE_D)
    # The hip line against the straight leg: in 3-D when the model gave the hips; the leg seen
    # in profile lies along the picture (the x axis), pointing where its foot points. Without
    # 3-D hips, a leg lying across the picture and hips and shoulders that look narrow mean the
    # person faces along the leg (wide ones: turned toward the camera).
    along = (*HIPS, b.s_hip, b.s_ankle)
    in_plane = leg_profile(b.skeleton, b.straight)
    in_plane = in_plane if np.isfinite(in_plane) else 0.0
    if not known(wld, *HIPS):
        share = picture_width_share(b.skeleton)
        angle = float(np.degrees(np.arccos(np.clip(share, 0, 1)))) if np.isfinite(share) else None
        conf = b.conf(*along, *SHOULDERS) * in_plane * 0.8
        b.put("hip_leg_angle", angle, conf, (*along, *SHOULDERS))
        return
    assert wld is not None
    hip_axis = (wld[Joint.RIGHT_HIP] - wld[Joint.LEFT_HIP])[[0, 2]]
    if known(wld, b.s_hip, b.s_ankle):
        leg_dir, leg_conf = (wld[b.s_ankle] - wld[b.s_hip])[[0, 2]], b.conf(*along)
    else:
        leg_dir = np.array([img[b.s_ankle][0] - img[b.s_hip][0], 0.0])
        leg_conf = b.conf(*along) * in_plane
    hip_leg = angle_between(leg_dir, hip_axis)
    hip_leg = min(hip_leg, 180.0 - hip_leg)
    # The hip line's depth is the models' weakest guess: a reading this close to a bound does
    # not decide it.
    span = (hip_leg - HIP_LINE_NOISE, hip_leg + HIP_LINE_NOISE)
    b.put("hip_leg_angle", hip_leg, leg_conf, along, span=span)


def height(b: Body) -> None:
    """The hips above the extended foot, and the straight leg's slope."""
    img, wld = b.img, b.wld
    leg = (b.s_hip, b.s_knee, b.s_ankle)
    px_per_m = pixels_per_metre(b.skeleton)
    # Heights in leg lengths, the leg's length taken in 3-D when known, so that a leg pointing
    # at the camera (short on the picture) does not inflate them.
    leg_path = distance(img[b.s_hip], img[b.s_knee]) + distance(img[b.s_knee], img[b.s_ankle])
    if known(wld, *leg) and np.isfinite(px_per_m):
        assert wld is not None
        leg_px = px_per_m * (
            distance(wld[b.s_hip], wld[b.s_knee]) + distance(wld[b.s_knee], wld[b.s_ankle])
        )
        height_weight = 1.0
    else:
        leg_px, height_weight = leg_path, b.profile_weight
    drop = img[b.s_ankle][1] - b.hip_mid[1]
    leg_vector = img[b.s_ankle] - img[b.s_hip]
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
    b.put(
        "hip_height",
        drop / leg_px if leg_px > 0 else None,
        b.conf(b.s_hip, b.s_ankle, view_weight=height_weight * in_plane_weight),
        (*HIPS, b.s_hip, b.s_ankle),
        span=span,
    )
    b.put(
        "extended_leg_rise",
        float(np.degrees(np.arctan2(-leg_vector[1], abs(leg_vector[0])))),
        b.conf(b.s_hip, b.s_ankle, view_weight=in_plane_weight),
        (b.s_hip, b.s_ankle),
    )


def _cross2(u: np.ndarray, v: np.ndarray) -> float:
    return float(u[0] * v[1] - u[1] * v[0])
