"""The estimators' own arithmetic, without a model: MoveNet's letterbox, its square input and
crop rule, the rotated crop BlazePose's landmark network reads, the mask's outline mapped back,
and how each model's keypoint list maps onto the joints."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from alignment.core.skeleton import Skeleton
from alignment.core.topology import BLAZEPOSE_33, COCO_17, JOINT_NAMES, NUM_JOINTS, Joint
from alignment.estimators import landmark_crop, movenet
from alignment.estimators.landmark_crop import INPUT, crop_from_guide, outline, read_network
from alignment.estimators.movenet import Box, CropRule, square_input, whole_picture
from alignment.io.models import ModelNotFoundError

# ------------------------------------------------------------------ keypoint lists


def test_each_model_maps_its_keypoints_onto_the_joints_by_name() -> None:
    """MoveNet gives the first 17 joints in COCO's order and none of the feet; BlazePose gives
    every joint, at its own indices (nose 0, left hip 23, left heel 29, ...)."""
    assert list(range(17)) == movenet._KEYS
    assert [JOINT_NAMES[row] for row in movenet._ROWS] == list(COCO_17)
    assert all(name in BLAZEPOSE_33 for name in JOINT_NAMES)
    assert len(landmark_crop._ROWS) == NUM_JOINTS
    assert landmark_crop._ROWS[Joint.LEFT_HIP] == 23
    assert landmark_crop._ROWS[Joint.RIGHT_HEEL] == 30
    assert len(set(landmark_crop._ROWS)) == NUM_JOINTS  # no landmark read twice


# ------------------------------------------------------------------ MoveNet's squares


@pytest.mark.parametrize(("width", "height"), [(640, 480), (480, 640), (300, 300)])
def test_the_letterbox_is_the_smallest_square_centred_on_the_picture(
    width: int, height: int
) -> None:
    box = whole_picture(width, height)
    assert box.side == max(width, height)
    assert box.x0 + box.side / 2 == pytest.approx(width / 2)
    assert box.y0 + box.side / 2 == pytest.approx(height / 2)


def test_the_square_input_pads_black_and_keeps_the_picture_unstretched() -> None:
    """A white 200x100 picture letterboxed into 64x64: a white band 32 high in the middle."""
    rgb = np.full((100, 200, 3), 255, np.uint8)
    square = square_input(rgb, whole_picture(200, 100), 64)
    assert square.shape == (64, 64, 3)
    white_rows = np.flatnonzero(square[:, 32, 0] > 128)
    assert (white_rows.min(), white_rows.max()) == (16, 47)
    assert square[:16].max() == 0 and square[48:].max() == 0


def test_a_box_wholly_outside_the_picture_reads_black() -> None:
    rgb = np.full((50, 50, 3), 255, np.uint8)
    assert square_input(rgb, Box(500.0, 500.0, 40.0), 32).max() == 0


def test_the_crop_rule_frames_the_sure_keypoints_with_a_margin() -> None:
    points = np.array([[100.0, 100.0], [200.0, 140.0], [150.0, 300.0], [120.0, 200.0], [0, 0]])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.05])  # the last is not sure: left out
    box = CropRule(margin=0.25).box(points, scores, 640, 480)
    assert box is not None
    assert box.side == pytest.approx(200 * 1.5)  # the longer side (200) grown by 2 x 25%
    assert (box.x0 + box.side / 2, box.y0 + box.side / 2) == pytest.approx((150.0, 200.0))


def test_too_few_sure_keypoints_give_no_crop_and_the_crop_never_outgrows_the_picture() -> None:
    points = np.array([[0.0, 0.0], [630.0, 470.0], [10.0, 470.0], [630.0, 0.0]])
    assert CropRule().box(points, np.array([0.9, 0.9, 0.9, 0.1]), 640, 480) is None
    box = CropRule(margin=0.5).box(points, np.full(4, 0.9), 640, 480)
    assert box is not None and box.side == 640


# ------------------------------------------------------------------ the landmark network's crop


def guide(hips: tuple[float, float], shoulders: tuple[float, float], score: float = 0.9):
    image = np.full((NUM_JOINTS, 2), np.nan)
    visibility = np.zeros(NUM_JOINTS)
    for joint, place in [
        (Joint.LEFT_HIP, hips),
        (Joint.RIGHT_HIP, hips),
        (Joint.LEFT_SHOULDER, shoulders),
        (Joint.RIGHT_SHOULDER, shoulders),
    ]:
        image[joint], visibility[joint] = place, score
    return Skeleton(image=image, visibility=visibility, width=640, height=480, source="movenet")


def test_the_crop_is_centred_on_the_hips_and_turned_so_the_torso_stands_up() -> None:
    """A person lying with the shoulders to the right of the hips (a deep fold seen side on):
    the crop's up (from the bottom to the top of the crop) runs from the hips to the shoulders,
    and its centre is the hip midpoint."""
    crop = crop_from_guide(guide((300.0, 240.0), (400.0, 240.0)), margin=1.25)
    assert crop is not None
    centre = crop.to_picture(np.array([[INPUT / 2, INPUT / 2]]))[0]
    assert centre == pytest.approx((300.0, 240.0))
    top, bottom = crop.to_picture(np.array([[INPUT / 2, 0.0], [INPUT / 2, INPUT]]))
    up = (top - bottom) / np.linalg.norm(top - bottom)
    assert up == pytest.approx((1.0, 0.0))
    # Side: 2 x margin x the hips-to-shoulders distance (the farthest sure keypoint).
    assert np.linalg.norm(top - bottom) == pytest.approx(2 * 1.25 * 100.0)


@pytest.mark.parametrize("angle", [0.0, 35.0, 90.0, 180.0, -120.0])
def test_the_crop_is_turned_never_mirrored(angle: float) -> None:
    """The picture's left stays the crop's left, so the network's left and right labels mean
    what they say (a mirrored crop would swap every leg)."""
    theta = np.radians(angle)
    shoulders = (320.0 + 80.0 * np.sin(theta), 240.0 - 80.0 * np.cos(theta))
    crop = crop_from_guide(guide((320.0, 240.0), shoulders))
    assert crop is not None
    assert np.linalg.det(crop.rotation) == pytest.approx(1.0)
    assert crop.rotation.T @ crop.rotation == pytest.approx(np.eye(2))


def test_no_crop_without_sure_hips_and_shoulders() -> None:
    assert crop_from_guide(guide((300.0, 240.0), (400.0, 240.0), score=0.1)) is None
    assert crop_from_guide(guide((300.0, 240.0), (300.0, 240.0))) is None  # no torso length


def test_the_mask_outline_comes_back_in_the_pictures_pixels() -> None:
    """A square blob in the crop's mask, the crop turned a quarter: its outline lands where
    the crop lies on the picture."""
    crop = crop_from_guide(guide((300.0, 240.0), (400.0, 240.0)))
    assert crop is not None
    mask = np.zeros((INPUT, INPUT), np.float32)
    mask[64:192, 64:192] = 1.0
    polygon = outline(mask, crop)
    assert polygon is not None and polygon.shape[1] == 2
    expected = crop.to_picture(np.array([[64.0, 64.0], [192.0, 192.0]]))
    lo, hi = expected.min(0), expected.max(0)
    assert polygon.min(0) == pytest.approx(lo, abs=2.0)
    assert polygon.max(0) == pytest.approx(hi, abs=2.0)
    assert outline(np.zeros((INPUT, INPUT), np.float32), crop) is None
    speck = np.zeros((INPUT, INPUT), np.float32)
    speck[10:14, 10:14] = 1.0  # a few pixels are noise, not a person
    assert outline(speck, crop) is None


def test_a_bundle_without_the_landmark_network_is_a_clear_error(tmp_path: Path) -> None:
    not_zip = tmp_path / "pose_landmarker_full.task"
    not_zip.write_bytes(b"not a zip")
    with pytest.raises(ModelNotFoundError, match="not a Pose Landmarker bundle"):
        read_network(not_zip)
    other = tmp_path / "other.task"
    with zipfile.ZipFile(other, "w") as bundle:
        bundle.writestr("pose_detector.tflite", b"x")
    with pytest.raises(ModelNotFoundError, match="pose_landmarks_detector.tflite"):
        read_network(other)
    good = tmp_path / "good.task"
    with zipfile.ZipFile(good, "w") as bundle:
        bundle.writestr(landmark_crop.NETWORK, b"network bytes")
    assert read_network(good) == b"network bytes"
