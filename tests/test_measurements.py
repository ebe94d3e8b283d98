"""Measurements on synthetic skeletons whose true angles are known."""

from __future__ import annotations

import numpy as np
import pytest
from skeletons import seated, standing

from alignment.core.geometry import angle_at, point_line_offset, signed_angle_2d
from alignment.core.measurements import BODY_PARTS, DESCRIPTIONS, measure
from alignment.core.topology import other_side


def values(skeleton):
    return {k: m.value for k, m in measure(skeleton).metrics.items()}


def test_geometry_helpers():
    assert angle_at(np.array([0, 1.0]), np.zeros(2), np.array([1.0, 0])) == pytest.approx(90)
    assert angle_at(np.array([-1.0, 0]), np.zeros(2), np.array([1.0, 0])) == pytest.approx(180)
    assert signed_angle_2d(np.array([1.0, 0]), np.array([0, -1.0])) == pytest.approx(90)
    t, d = point_line_offset(np.array([1.0, 1.0]), np.zeros(2), np.array([2.0, 0]))
    assert (t, d) == (pytest.approx(0.5), pytest.approx(1.0))


def test_every_measurement_is_described_and_taken():
    reading = measure(seated())
    assert set(reading.metrics) == set(DESCRIPTIONS) == set(BODY_PARTS)
    for name, m in reading.metrics.items():
        assert m.value is not None, name
        assert 0.0 <= m.confidence <= 1.0


@pytest.mark.parametrize("side", ["left", "right"])
def test_extended_leg_and_direction(side):
    reading = measure(seated(extended=side))
    assert reading.extended_leg == side
    assert reading.extended_foot == "image_right"
    assert reading.view == "side"
    mirrored = measure(seated(extended=side).mirrored())
    # The person in a mirror image extends the other leg, the other way.
    assert mirrored.extended_leg == other_side(side)
    assert mirrored.extended_foot == "image_left"


@pytest.mark.parametrize("knee", [180.0, 160.0, 135.0])
def test_extended_knee_angle(knee):
    assert values(seated(extended_knee=knee))["extended_knee_angle"] == pytest.approx(knee, abs=0.5)


@pytest.mark.parametrize("incline", [-15.0, 0.0, 30.0, 70.0])
def test_torso_inclination_and_hip_flexion(incline):
    v = values(seated(torso_incline=incline))
    assert v["torso_inclination"] == pytest.approx(incline, abs=0.5)
    # The straight thigh lies along the floor, so hip flexion is 90 minus the forward tilt.
    assert v["hip_flexion"] == pytest.approx(90 - incline, abs=3)


@pytest.mark.parametrize("curl", [0.0, 15.0, 40.0])
def test_spine_rounding_is_the_head_curl(curl):
    assert values(seated(head_curl=curl))["spine_rounding"] == pytest.approx(curl, abs=0.5)


def test_spine_rounding_is_negative_when_the_head_lifts():
    assert values(seated(head_curl=-20))["spine_rounding"] == pytest.approx(-20, abs=0.5)


def test_spine_rounding_sign_does_not_depend_on_facing_direction():
    assert values(seated(head_curl=25).mirrored())["spine_rounding"] == pytest.approx(25, abs=0.5)


def test_bent_knee_lift_in_thigh_lengths():
    down = values(seated(knee_lift=-0.09))["bent_knee_lift"]
    up = values(seated(knee_lift=0.18))["bent_knee_lift"]
    assert down == pytest.approx(-0.2, abs=0.03)
    assert up == pytest.approx(0.4, abs=0.03)


@pytest.mark.parametrize("angle", [30.0, 90.0, 110.0])
def test_thigh_angle(angle):
    assert values(seated(thigh_angle=angle))["thigh_angle"] == pytest.approx(angle, abs=2)


def test_thigh_angle_is_less_sure_in_profile():
    side = measure(seated()).metrics["thigh_angle"].confidence
    oblique = measure(seated(yaw=60)).metrics["thigh_angle"].confidence
    assert side < 0.3 < oblique


@pytest.mark.parametrize("where", [0.1, 0.5, 0.95])
def test_foot_position_along_the_thigh(where):
    assert values(seated(foot_position=where))["foot_position"] == pytest.approx(where, abs=0.05)


def test_shoulders_toward_the_ears():
    assert values(seated(neck=0.03))["shoulder_to_ear"] < 0.2 < values(seated())["shoulder_to_ear"]


def test_torso_twist():
    assert values(seated())["torso_twist"] == pytest.approx(0, abs=0.5)
    assert values(seated(shoulder_twist=50))["torso_twist"] == pytest.approx(50, abs=1)


def test_seated_versus_standing_and_leg_rise():
    assert values(seated())["hip_height"] == pytest.approx(0, abs=0.05)
    assert values(standing())["hip_height"] > 0.8
    assert abs(values(seated())["extended_leg_rise"]) < 5


def test_front_view_cannot_judge_the_profile_measurements():
    reading = measure(seated(yaw=90))
    assert reading.view == "front"
    for name in ("spine_rounding", "hip_flexion", "torso_inclination"):
        assert reading.metrics[name].value is None
        assert reading.metrics[name].note
    # A leg pointing at the camera: its slope on the image tells nothing.
    assert reading.metrics["extended_leg_rise"].confidence == 0


def test_low_visibility_lowers_confidence():
    reading = measure(seated(visibility=0.3))
    assert reading.metrics["extended_knee_angle"].confidence == pytest.approx(0.3)


def test_legs_alike_make_the_side_uncertain():
    reading = measure(seated(both_straight=True, yaw=45))
    assert reading.extended_leg is None
    assert reading.metrics["side_certainty"].value < 0.5
