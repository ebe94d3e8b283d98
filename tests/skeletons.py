"""Synthetic skeletons for unit tests of the measurements, trust checks and rules.

`seated(...)` builds a person sitting on the floor in a Janu Sirsasana-like shape from a few
interpretable parameters, in MediaPipe's conventions (world: metres, x right, y down, z away
from the camera; image: pixels), seen by an orthographic camera. yaw=0 is a side view with the
person facing image-right; yaw=90 faces the camera.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from alignment.core.skeleton import Skeleton
from alignment.core.topology import NUM_JOINTS, Joint

THIGH, SHIN, TORSO, NECK, HALF_HIPS, HALF_SHOULDERS = 0.45, 0.42, 0.5, 0.14, 0.1, 0.18


def _rot_z(v: np.ndarray, deg: float) -> np.ndarray:
    """Rotate in the sagittal (x-y) plane; positive lifts a forward vector up (toward -y)."""
    a = np.radians(deg)
    x, y, z = v
    return np.array([x * np.cos(a) + y * np.sin(a), -x * np.sin(a) + y * np.cos(a), z])


def seated(
    extended: str = "left",
    extended_knee: float = 175.0,
    both_straight: bool = False,
    torso_incline: float = 30.0,
    head_curl: float = 0.0,
    thigh_angle: float = 90.0,
    knee_lift: float = -0.05,
    foot_position: float = 0.3,
    neck: float = NECK,
    shoulder_twist: float = 0.0,
    yaw: float = 0.0,
    visibility: float = 0.95,
    bent_visibility: float = 0.7,
    straight_ankle_on_hip: bool = False,
    back_curve: float | None = 10.0,
) -> Skeleton:
    """A seated person. Angles in degrees; knee_lift in metres (bent knee above hip level).
    back_curve: the silhouette's back turns through this many degrees between the hips and
    the shoulders (a long back, 10, by default); None: no silhouette (a model without a mask)."""
    world = np.zeros((NUM_JOINTS, 3))
    vis = np.full(NUM_JOINTS, visibility)
    forward = np.array([1.0, 0.0, 0.0])
    up = np.array([0.0, -1.0, 0.0])
    # Facing image-right, the person's right side is nearer the camera (smaller z).
    side_z = {"left": HALF_HIPS, "right": -HALF_HIPS}
    bent = "right" if extended == "left" else "left"
    J = {
        s: {
            p: Joint[f"{s.upper()}_{p}"]
            for p in ("HIP", "KNEE", "ANKLE", "HEEL", "FOOT_INDEX", "SHOULDER", "EAR", "EYE")
        }
        for s in ("left", "right")
    }

    for s in ("left", "right"):
        world[J[s]["HIP"]] = [0.0, 0.0, side_z[s]]

    # Straight leg along the floor; the knee rises as the leg bends.
    half = (180.0 - extended_knee) / 2
    hip = world[J[extended]["HIP"]]
    knee = hip + THIGH * _rot_z(forward, half)
    ankle = knee + SHIN * _rot_z(forward, -half)
    if straight_ankle_on_hip:
        ankle = hip + np.array([0.05, 0.0, 0.0])
    world[J[extended]["KNEE"]], world[J[extended]["ANKLE"]] = knee, ankle
    world[J[extended]["HEEL"]] = ankle + [0.02, 0.03, 0.0]
    world[J[extended]["FOOT_INDEX"]] = ankle + [0.08, -0.08, 0.0]

    # Bent thigh opened out to the side by thigh_angle; the foot at the straight thigh.
    b_hip = world[J[bent]["HIP"]]
    outward = np.sign(side_z[bent])
    a = np.radians(thigh_angle)
    b_knee = b_hip + THIGH * np.array([np.cos(a), 0.0, outward * np.sin(a)])
    b_knee[1] = -knee_lift
    direction = b_knee - b_hip
    b_knee = b_hip + THIGH * direction / np.linalg.norm(direction)
    # The heel touches the straight thigh at foot_position (0 = groin, 1 = knee).
    heel = hip + foot_position * (knee - hip) + np.array([0.0, 0.02, 0.0])
    b_ankle = heel + (b_knee - heel) * 0.1
    if both_straight:  # Dandasana: the other leg straight beside the first
        b_knee = b_hip + THIGH * forward
        b_ankle = b_knee + SHIN * forward
        heel = b_ankle + np.array([0.02, 0.03, 0.0])
    world[J[bent]["KNEE"]], world[J[bent]["ANKLE"]] = b_knee, b_ankle
    world[J[bent]["HEEL"]] = heel
    world[J[bent]["FOOT_INDEX"]] = b_ankle + [0.05, 0.05, 0.0]
    for p in ("KNEE", "ANKLE", "HEEL", "FOOT_INDEX"):
        vis[J[bent][p]] = bent_visibility

    # Torso inclined forward from vertical; head curled further by head_curl.
    torso_dir = _rot_z(up, -torso_incline)
    shoulder_mid = torso_dir * TORSO
    t = np.radians(shoulder_twist)
    for s in ("left", "right"):
        z = np.sign(side_z[s]) * HALF_SHOULDERS
        world[J[s]["SHOULDER"]] = shoulder_mid + [z * np.sin(t), 0.0, z * np.cos(t)]
    head_dir = _rot_z(torso_dir, -head_curl)
    ear_mid = shoulder_mid + neck * head_dir
    for s in ("left", "right"):
        z = np.sign(side_z[s]) * 0.1
        world[J[s]["EAR"]] = ear_mid + [0.0, 0.0, z]
        world[J[s]["EYE"]] = ear_mid + 0.08 * _rot_z(head_dir, -90) + [0.0, 0.0, z / 2]
    world[Joint.NOSE] = ear_mid + 0.1 * _rot_z(head_dir, -90)
    for s in ("left", "right"):
        elbow, wrist = Joint[f"{s.upper()}_ELBOW"], Joint[f"{s.upper()}_WRIST"]
        world[elbow] = world[J[s]["SHOULDER"]] + [0.2, 0.15, 0.0]
        world[wrist] = world[elbow] + [0.25, 0.05, 0.0]

    # Turn the whole body about the vertical axis, then an orthographic camera.
    y = np.radians(yaw)
    rot = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    world = world @ rot.T
    image = np.stack([320 + 400 * world[:, 0], 400 + 400 * world[:, 1]], axis=1)
    skeleton = Skeleton(image=image, world=world, visibility=vis, width=800, height=600)
    if back_curve is None:
        return skeleton
    hips = (image[Joint.LEFT_HIP] + image[Joint.RIGHT_HIP]) / 2
    shoulders = (image[Joint.LEFT_SHOULDER] + image[Joint.RIGHT_SHOULDER]) / 2
    legs = (image[J[extended]["KNEE"]] + image[J[extended]["ANKLE"]]) / 2
    return replace(skeleton, outlines=(torso_silhouette(hips, shoulders, legs, back_curve),))


def torso_silhouette(
    hips: np.ndarray,
    shoulders: np.ndarray,
    legs: np.ndarray,
    curve_deg: float,
    thickness: float = 0.3,
) -> np.ndarray:
    """A torso's silhouette around its chord (hips to shoulders), from a little below the hips
    to well past the shoulders: its front a straight line on the legs' side, its back an arc of
    a circle turning through `curve_deg` between the hips and the shoulders (0: straight),
    going straight on beyond them."""
    chord = shoulders - hips
    length = float(np.linalg.norm(chord))
    along = chord / length
    back = np.array([-along[1], along[0]])
    if np.dot(legs - hips, back) > 0:
        back = -back
    s = np.linspace(-0.05, 1.3, 80)
    sagitta = np.tan(np.radians(curve_deg) / 4) / 2 * length
    sag = np.zeros_like(s)
    if sagitta > 0:
        radius = (length**2 / 4 + sagitta**2) / (2 * sagitta)
        offset = (np.clip(s, 0, 1) - 0.5) * length
        sag = np.sqrt(np.maximum(radius**2 - offset**2, 0)) - (radius - sagitta)
    points = hips + np.outer(s * length, along)
    back_side = points + np.outer(thickness * length + sag, back)
    front_side = points[::-1] - thickness * length * back
    return np.vstack([back_side, front_side])


def standing() -> Skeleton:
    """A person standing, seen from the front."""
    world = np.zeros((NUM_JOINTS, 3))
    for s, x in (("LEFT", 0.1), ("RIGHT", -0.1)):
        world[Joint[f"{s}_HIP"]] = [x, 0.0, 0.0]
        world[Joint[f"{s}_KNEE"]] = [x, 0.45, 0.0]
        world[Joint[f"{s}_ANKLE"]] = [x, 0.87, 0.0]
        world[Joint[f"{s}_HEEL"]] = [x, 0.9, 0.03]
        world[Joint[f"{s}_FOOT_INDEX"]] = [x, 0.9, -0.1]
        world[Joint[f"{s}_SHOULDER"]] = [x * 1.8, -0.5, 0.0]
        world[Joint[f"{s}_EAR"]] = [x * 0.7, -0.65, 0.0]
    world[Joint.NOSE] = [0.0, -0.62, -0.1]
    image = np.stack([400 + 400 * world[:, 0], 300 + 400 * world[:, 1]], axis=1)
    return Skeleton(
        image=image, world=world, visibility=np.full(NUM_JOINTS, 0.95), width=800, height=900
    )
