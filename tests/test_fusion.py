"""The fusion of several readings, on plain arrays: agreement is trusted, disagreement is
withheld with a reason, left and right come from the readings' majority, and a picture and its
mirror image fuse alike."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from skeletons import seated

from alignment.core.fusion import HIDDEN, NO_BELIEVABLE_LEG, FusionConfig, View, fuse
from alignment.core.skeleton import Skeleton
from alignment.core.topology import MIRROR, SIDES, Joint, leg_joints

BODY = seated(extended="left")  # facing image-right, 800 x 600


def moved(skeleton: Skeleton, joints: list[int], dx: float, dy: float = 0.0) -> Skeleton:
    image = skeleton.image.copy()
    image[joints] += [dx, dy]
    return replace(skeleton, image=image)


def swapped(skeleton: Skeleton) -> Skeleton:
    """The same points with left and right labels exchanged (a model that swapped sides)."""
    order = list(MIRROR)
    return replace(
        skeleton,
        image=skeleton.image[order],
        visibility=skeleton.visibility[order],
        world=skeleton.world[order],
    )


def views(*skeletons: Skeleton | None, families: str = "mm") -> list[View]:
    """Readings by family: "m" MediaPipe (with 3-D), "n" MoveNet (no 3-D, as the model)."""
    names = {"m": "mediapipe", "n": "movenet"}
    out = []
    for i, s in enumerate(skeletons):
        family = names[families[i % len(families)]]
        if s is not None and family == "movenet":
            s = replace(s, world=None)
        out.append(View(f"reading {i}", family, s))
    return out


def leg(skeleton: Skeleton, side: str) -> np.ndarray:
    return skeleton.image[list(leg_joints(side)[:3])]


def test_nobody_found_by_any_model() -> None:
    assert fuse(views(None, None)) is None


def test_agreeing_readings_are_trusted_at_their_mean() -> None:
    a, b = moved(BODY, list(range(21)), 4.0), moved(BODY, list(range(21)), -4.0)
    fused = fuse(views(a, b, families="mn"))
    assert fused is not None and not fused.doubts
    assert np.allclose(fused.image, BODY.image)
    assert fused.sides == "agreed" and fused.agreement["legs_trusted"] == 2
    assert np.allclose(fused.visibility, 0.75)  # two readings agree
    assert fused.world is not None and np.allclose(fused.world, BODY.world)  # MediaPipe's 3-D


def test_a_leg_the_readings_disagree_on_is_withheld_with_a_reason() -> None:
    knee = [Joint.RIGHT_KNEE]
    # The two readings put the bent knee 100 px apart (the leg is about 180 px long).
    fused = fuse(views(moved(BODY, knee, 50.0), moved(BODY, knee, -50.0), families="mn"))
    assert fused is not None
    for joint in leg_joints("right")[:3]:
        assert not np.all(np.isfinite(fused.image[joint])) and fused.visibility[joint] == 0
        assert fused.doubts[joint] == "the models disagree about where the legs are"
    assert np.allclose(leg(fused, "left"), leg(BODY, "left"))  # the straight leg stands


def test_legs_are_matched_whatever_the_labels_and_sides_go_by_majority() -> None:
    # Three readings of four call the straight leg "left": 75 %, enough.
    fused = fuse(views(BODY, BODY, BODY, swapped(BODY), families="mnmn"))
    assert fused is not None and fused.sides == "agreed"
    assert np.allclose(leg(fused, "left"), leg(BODY, "left"))
    # Two of three: not enough to name the sides; the legs are still trusted.
    fused = fuse(views(BODY, BODY, swapped(BODY), families="mnm"))
    assert fused is not None and fused.sides == "unknown" and not fused.doubts


def test_a_swapped_reading_is_corrected_before_its_other_joints_count() -> None:
    """A reading that swapped the legs swapped the whole body: its shoulders count for the
    other side."""
    fused = fuse(views(BODY, BODY, BODY, swapped(BODY), families="mnmn"))
    assert fused is not None
    assert np.allclose(fused.image[Joint.LEFT_SHOULDER], BODY.image[Joint.LEFT_SHOULDER])
    assert fused.visibility[Joint.LEFT_SHOULDER] == 1.0  # all four agree once corrected


def test_one_leg_hiding_the_other() -> None:
    """Two trusted legs on top of each other: the hidden one's knee and ankle are a copy, so
    they are withheld; its hip, which the models do see, is kept."""
    hidden = BODY.image.copy()
    for joint, source in zip(leg_joints("right")[1:3], leg_joints("left")[1:3], strict=True):
        hidden[joint] = BODY.image[source] + [3.0, 2.0]
    body = replace(BODY, image=hidden)
    fused = fuse(views(body, body, families="mn"))
    assert fused is not None and fused.agreement["one_leg_hides_the_other"]
    for joint in leg_joints("right")[1:3]:
        assert fused.doubts[joint] == HIDDEN
    assert np.all(np.isfinite(fused.image[Joint.RIGHT_HIP]))
    assert np.allclose(leg(fused, "left"), leg(BODY, "left"))


def test_no_believable_leg_in_a_deep_fold() -> None:
    """Legs shorter than half the torso are not legs the models saw right."""
    shrunk = BODY.image.copy()
    for side in SIDES:
        hip, knee, ankle, _ = leg_joints(side)
        shrunk[[knee, ankle]] = shrunk[hip] + (shrunk[[knee, ankle]] - shrunk[hip]) * 0.2
    body = replace(BODY, image=shrunk)
    fused = fuse(views(body, body, families="mn"))
    assert fused is not None and fused.agreement["legs_trusted"] == 0
    assert all(fused.doubts[j] == NO_BELIEVABLE_LEG for s in SIDES for j in leg_joints(s)[:3])


def test_only_readings_that_saw_the_legs_place_the_rest() -> None:
    """Two readings that agree with each other on a body turned around (its shoulders where
    the hips are) do not outvote the readings that saw the legs where they are."""
    wrong = moved(BODY, list(range(21)), 0.0, -300.0)
    fused = fuse(views(BODY, wrong, BODY, wrong, families="nmnm"))
    assert fused is not None
    assert np.allclose(fused.image[Joint.LEFT_SHOULDER], BODY.image[Joint.LEFT_SHOULDER])
    assert fused.world is None  # the MediaPipe readings agree on nothing: no 3-D


def test_the_3d_comes_from_the_mediapipe_readings_that_agree() -> None:
    knee = [Joint.RIGHT_KNEE]
    a, b = BODY, replace(BODY, world=BODY.world * 1.1)
    fused = fuse(views(a, b, BODY, moved(BODY, knee, 80.0), families="mmnn"))
    assert fused is not None and fused.world is not None
    assert np.allclose(fused.world[Joint.NOSE], BODY.world[Joint.NOSE] * 1.05)  # their mean


@pytest.mark.parametrize("shift", [0.0, 12.0, 40.0])
def test_a_picture_and_its_mirror_fuse_alike(shift: float) -> None:
    """Readings of the picture and of its mirror image (mapped back) fuse to the mirror image
    of one another: the same verdict for a person and their other side."""
    rng = np.random.default_rng(int(shift))
    noisy = [
        replace(BODY, image=BODY.image + rng.normal(0, shift / 4, BODY.image.shape))
        for _ in range(4)
    ]
    photo = views(*noisy, families="mmnn")
    # The mirror image's readings: each reading mirrored, the picture's and the mirror's
    # readings exchanging roles.
    mirror = [
        replace(v, skeleton=v.skeleton.mirrored()) for v in (photo[1], photo[0], photo[3], photo[2])
    ]
    a, b = fuse(photo), fuse(mirror)
    assert a is not None and b is not None
    back = b.mirrored()
    assert np.allclose(a.image, back.image, equal_nan=True)
    assert set(a.doubts) == set(back.doubts) and a.sides == back.sides


def test_the_thresholds_are_configurable() -> None:
    knee = [Joint.RIGHT_KNEE]
    readings = views(moved(BODY, knee, 20.0), moved(BODY, knee, -20.0), families="mn")
    assert not fuse(readings).doubts  # 40 px apart: within 0.3 x the half-leg
    assert fuse(readings, FusionConfig(agree=0.1)).doubts
