"""The back read from the body's silhouette (core.outline, measurements.back_rounding), on
drawn silhouettes whose curve is known, and BlazePose's crop built from MoveNet's keypoints."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from skeletons import seated, torso_silhouette

from alignment.core.measurements import measure
from alignment.core.outline import arc_degrees, back_edge, exit_distance, inside
from alignment.core.topology import Joint
from alignment.estimators.landmark_crop import crop_from_guide

HIPS, SHOULDERS = np.array([100.0, 300.0]), np.array([100.0, 100.0])
LEGS = np.array([300.0, 300.0])  # in front of the torso (image-right)


def upright(curve_deg: float) -> np.ndarray:
    """A seated torso standing upright on the picture, facing image-right."""
    return torso_silhouette(HIPS, SHOULDERS, LEGS, curve_deg)


def test_point_in_polygon_and_ray_exit() -> None:
    square = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])
    assert inside(square, np.array([5.0, 5.0])) and not inside(square, np.array([15.0, 5.0]))
    assert exit_distance(square, np.array([5.0, 5.0]), np.array([1.0, 0.0])) == pytest.approx(5)
    assert exit_distance(square, np.array([2.0, 5.0]), np.array([-1.0, 0.0])) == pytest.approx(2)


def test_arc_degrees() -> None:
    assert arc_degrees(0.0) == 0.0 and arc_degrees(-0.1) == 0.0
    assert arc_degrees(0.5) == pytest.approx(180.0)  # a half circle's sagitta is half its chord
    assert arc_degrees(0.1) == pytest.approx(45.2, abs=0.5)


def test_the_back_edge_turns_as_the_back_rounds() -> None:
    curves = []
    for drawn in (0.0, 30.0, 60.0, 90.0):
        edge = back_edge(upright(drawn), HIPS, SHOULDERS, LEGS)
        assert edge is not None and edge.hits == 1.0
        assert edge.points[:, 0].max() < 100 - 59  # every point is on the back, behind the chord
        curves.append(edge.curve)
    # The edge is read from just above the hips to just past the shoulders (where the drawn
    # back goes straight on), so it turns through a little less than the drawn arc.
    assert curves[0] < 3
    assert all(0.7 * drawn <= c <= drawn for drawn, c in zip((30, 60, 90), curves[1:], strict=True))
    assert curves == sorted(curves)


def test_the_back_is_the_side_away_from_the_legs() -> None:
    """With the legs behind (image-left) the edge read is the other one: a flat front."""
    edge = back_edge(upright(80.0), HIPS, SHOULDERS, np.array([-400.0, 300.0]))
    assert edge is not None and edge.curve < 5 and edge.points[:, 0].min() > 100


def test_no_edge_when_the_chord_is_outside_the_silhouette() -> None:
    away = upright(40.0) + np.array([400.0, 0.0])
    assert back_edge(away, HIPS, SHOULDERS, LEGS) is None


def test_back_rounding_reads_the_outline_and_never_praises_without_one() -> None:
    flat = measure(seated(back_curve=0.0)).metrics["back_rounding"]
    # (A back that rounds this far brings the head down a little too: the two readings agree.)
    round_ = measure(seated(back_curve=80.0, head_curl=20.0)).metrics["back_rounding"]
    assert flat.value < 20 and flat.confidence >= 0.5 and flat.span is None
    assert round_.value > 55 and round_.confidence >= 0.5
    blind = measure(seated(back_curve=None)).metrics["back_rounding"]
    # Without a silhouette only the head's curl is known: a span open upward, so a bound is
    # never judged "in" on it (a long back cannot be seen), only "out".
    assert blind.span is not None and blind.span[1] == float("inf")


def test_an_outline_far_from_the_head_curl_is_not_believed() -> None:
    """A back outline round enough to drop the head while the head sits level with the torso:
    one of the two readings misreads the body (e.g. hips placed on the bent knee)."""
    round_ = measure(seated(back_curve=90.0, head_curl=-5.0)).metrics["back_rounding"]
    assert round_.confidence < 0.5


def test_outlines_that_disagree_are_not_believed() -> None:
    flat, round_ = seated(back_curve=0.0), seated(back_curve=80.0, head_curl=30.0)
    both = replace(flat, outlines=flat.outlines + round_.outlines)
    assert measure(both).metrics["back_rounding"].confidence < 0.5


def test_the_crop_follows_the_body() -> None:
    """BlazePose's crop from MoveNet's keypoints: centred on the hips, turned so that the
    shoulders are straight above them, big enough for the farthest confident keypoint."""
    guide = seated(torso_incline=60.0)
    crop = crop_from_guide(guide, margin=1.25)
    assert crop is not None
    img = guide.image
    hips = (img[Joint.LEFT_HIP] + img[Joint.RIGHT_HIP]) / 2
    shoulders = (img[Joint.LEFT_SHOULDER] + img[Joint.RIGHT_SHOULDER]) / 2
    centre = crop.to_picture(np.array([[128.0, 128.0]]))[0]
    assert np.allclose(centre, hips)
    # The crop's "up" (toward v = 0) is the torso's direction on the picture.
    up = crop.to_picture(np.array([[128.0, 0.0]]))[0] - centre
    torso = shoulders - hips
    assert np.dot(up, torso) / (np.linalg.norm(up) * np.linalg.norm(torso)) == pytest.approx(1)
    reach = np.nanmax(np.linalg.norm(img - hips, axis=1))
    assert np.linalg.norm(up) == pytest.approx(1.25 * reach, rel=0.01)
    # Turned, never mirrored: the crop's axes keep the picture's handedness.
    assert np.linalg.det(crop.rotation) == pytest.approx(1.0)


def test_no_crop_without_hips_and_shoulders() -> None:
    guide = seated()
    vis = guide.visibility.copy()
    vis[[Joint.LEFT_HIP, Joint.RIGHT_HIP]] = 0.05
    assert crop_from_guide(replace(guide, visibility=vis)) is None
