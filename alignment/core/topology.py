"""The body's joints as data: names, left/right pairs, bones, and how each pose model's own
keypoint list maps onto them.

Everything downstream of a pose model works on these joints, in this order, whatever model saw
them. The first 17 are the COCO keypoints in COCO's order (MoveNet's output); the heels and toes
come from BlazePose (MediaPipe). A model that lacks a joint leaves it unseen (score 0).
"""

from __future__ import annotations

from enum import IntEnum


class Joint(IntEnum):
    """Index of each joint in a Skeleton's arrays."""

    NOSE = 0
    LEFT_EYE = 1
    RIGHT_EYE = 2
    LEFT_EAR = 3
    RIGHT_EAR = 4
    LEFT_SHOULDER = 5
    RIGHT_SHOULDER = 6
    LEFT_ELBOW = 7
    RIGHT_ELBOW = 8
    LEFT_WRIST = 9
    RIGHT_WRIST = 10
    LEFT_HIP = 11
    RIGHT_HIP = 12
    LEFT_KNEE = 13
    RIGHT_KNEE = 14
    LEFT_ANKLE = 15
    RIGHT_ANKLE = 16
    LEFT_HEEL = 17
    RIGHT_HEEL = 18
    LEFT_FOOT_INDEX = 19
    RIGHT_FOOT_INDEX = 20


JOINT_NAMES: tuple[str, ...] = tuple(joint.name.lower() for joint in Joint)
NUM_JOINTS = len(JOINT_NAMES)

SIDES = ("left", "right")

# Each model's keypoint list: joint name -> the model's own index.
BLAZEPOSE_33: dict[str, int] = {
    "nose": 0,
    "left_eye": 2,
    "right_eye": 5,
    "left_ear": 7,
    "right_ear": 8,
    "left_shoulder": 11,
    "right_shoulder": 12,
    "left_elbow": 13,
    "right_elbow": 14,
    "left_wrist": 15,
    "right_wrist": 16,
    "left_hip": 23,
    "right_hip": 24,
    "left_knee": 25,
    "right_knee": 26,
    "left_ankle": 27,
    "right_ankle": 28,
    "left_heel": 29,
    "right_heel": 30,
    "left_foot_index": 31,
    "right_foot_index": 32,
}
COCO_17: dict[str, int] = {name: i for i, name in enumerate(JOINT_NAMES[:17])}
TOPOLOGIES: dict[str, dict[str, int]] = {"blazepose_33": BLAZEPOSE_33, "coco_17": COCO_17}

# Bones drawn on the overlay, by joint name.
BONE_NAMES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_hip", "right_hip"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"),
    ("left_ankle", "left_foot_index"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"),
    ("right_ankle", "right_foot_index"),
    ("nose", "left_ear"),
    ("nose", "right_ear"),
)
BONES: tuple[tuple[int, int], ...] = tuple(
    (JOINT_NAMES.index(a), JOINT_NAMES.index(b)) for a, b in BONE_NAMES
)
FACE = tuple(Joint[n.upper()] for n in ("nose", "left_eye", "right_eye", "left_ear", "right_ear"))


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"


def _mirror_name(name: str) -> str:
    for side in SIDES:
        if name.startswith(side + "_"):
            return other_side(side) + name[len(side) :]
    return name


# MIRROR[i] is the joint that joint i becomes when left and right are exchanged.
MIRROR: tuple[int, ...] = tuple(JOINT_NAMES.index(_mirror_name(n)) for n in JOINT_NAMES)


def leg_joints(side: str) -> tuple[int, int, int, int]:
    """Hip, knee, ankle and heel of one leg ("left" or "right", the person's own side)."""
    s = side.upper()
    return Joint[f"{s}_HIP"], Joint[f"{s}_KNEE"], Joint[f"{s}_ANKLE"], Joint[f"{s}_HEEL"]


def from_model(topology: str) -> list[int | None]:
    """For each joint, the index in the model's keypoint list, or None if the model lacks it."""
    table = TOPOLOGIES[topology]
    return [table.get(name) for name in JOINT_NAMES]
