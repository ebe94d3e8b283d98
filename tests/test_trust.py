"""Plausibility checks: the skeletons MediaPipe gets wrong must not produce advice."""

from __future__ import annotations

from dataclasses import replace

from skeletons import seated

from alignment.core.analysis import DOUBTFUL_CONFIDENCE, analyse
from alignment.core.feedback import feedback
from alignment.core.measurements import measure
from alignment.core.skeleton import Skeleton
from alignment.core.topology import Joint
from alignment.core.trust import assess
from alignment.io.rule_files import load_pose

POSE = load_pose("janu_sirsasana")


def check(skeleton: Skeleton):
    return assess(skeleton, measure(skeleton))


def with_world(skeleton: Skeleton, joint: int, xyz) -> Skeleton:
    world = skeleton.world.copy()
    world[joint] = xyz
    return replace(skeleton, world=world)


def test_a_good_skeleton_is_trusted():
    report = check(seated())
    assert report.trusted and not report.reasons and not report.notes


def test_hidden_torso_is_untrusted():
    skeleton = seated()
    vis = skeleton.visibility.copy()
    vis[[Joint.LEFT_HIP, Joint.RIGHT_HIP]] = 0.2
    report = check(replace(skeleton, visibility=vis))
    assert not report.trusted
    verdict = analyse(replace(skeleton, visibility=vis), POSE)
    assert verdict.status == "uncertain" and not verdict.faults
    assert feedback(verdict).message.startswith("I can't see well enough")


def test_straight_leg_with_mismatched_bones_is_untrusted():
    skeleton = seated(extended="left")
    hip = skeleton.world[Joint.LEFT_HIP]
    knee = skeleton.world[Joint.LEFT_KNEE]
    # The ankle pulled up to just past the knee: a shin a fifth of the thigh.
    bad = with_world(skeleton, Joint.LEFT_ANKLE, knee + (knee - hip) * 0.2)
    assert not check(bad).trusted


def test_bent_leg_with_mismatched_bones_only_doubts_its_own_measurements():
    skeleton = seated(extended="left")
    hip, knee = skeleton.world[Joint.RIGHT_HIP], skeleton.world[Joint.RIGHT_KNEE]
    bad = with_world(skeleton, Joint.RIGHT_KNEE, hip + (knee - hip) * 1.8)  # a giant thigh
    report = check(bad)
    assert report.trusted and report.bent_leg_doubtful
    verdict = analyse(bad, POSE)
    for name in ("thigh_angle", "foot_position", "bent_knee_lift"):
        assert verdict.reading.metrics[name].confidence <= DOUBTFUL_CONFIDENCE


def test_one_leg_hiding_the_other_means_no_verdict_on_the_pose():
    # Seen exactly from the side with both legs straight, the legs cover each other, as when
    # MediaPipe copies a hidden bent leg onto the straight one.
    skeleton = seated(both_straight=True)
    report = check(skeleton)
    assert report.legs_hidden
    verdict = analyse(skeleton, POSE)
    assert verdict.in_pose is None and not verdict.faults
    assert "one leg hides the other" in feedback(verdict).message
    assert any("both legs" in g for g in verdict.guidance)


def test_head_behind_the_hips_is_implausible():
    skeleton = seated(torso_incline=-60)
    report = check(skeleton)
    assert not report.trusted
    assert any("turned away" in r for r in report.reasons)


def test_short_straight_leg_is_implausible():
    skeleton = seated(extended="left")
    world = skeleton.world.copy()
    for joint in (Joint.LEFT_KNEE, Joint.LEFT_ANKLE, Joint.LEFT_HEEL, Joint.LEFT_FOOT_INDEX):
        world[joint] = world[Joint.LEFT_HIP] + (world[joint] - world[Joint.LEFT_HIP]) * 0.5
    short = replace(skeleton, world=world)
    assert any("too short" in r for r in check(short).reasons)


def test_swapped_sides_are_not_reported():
    skeleton = seated(extended="left")
    world = skeleton.world.copy()
    world[:, 2] = -world[:, 2]  # the far side now looks near: left and right swapped in depth
    swapped = replace(skeleton, world=world)
    report = check(swapped)
    assert report.sides_doubtful
    assert analyse(swapped, POSE).extended_leg is None
