"""The checker on real readings: what MediaPipe and MoveNet saw on the shared labelled photos
and on their mirror images (samples/readings.json, recorded by benchmarks/record_readings.py),
through each preset's fusion, measurements, trust and rules. No model runs here.

The verdicts below run anywhere; the figures against the hand labels read the labels from
../shared (and skip without it). The floors are what was measured; a regression fails."""

from __future__ import annotations

import pytest
from fakes import READINGS, recorded
from shared_paths import SHARED, require

from alignment.core.analysis import analyse
from alignment.core.feedback import feedback
from alignment.io.rule_files import load_pose
from alignment.present.report import photo_record
from alignment.testing.evaluation import (
    evaluate,
    mirror_agreement,
    mirrored_leg_points,
    read_labels,
)

QUALITIES = ("fast", "balanced", "accurate")


def verdict(name: str, quality: str = "accurate", mirrored: bool = False):
    return analyse(recorded(name, quality, mirrored), load_pose("janu_sirsasana", quality))


def records(quality: str, mirrored: bool = False) -> list[dict]:
    pose = load_pose("janu_sirsasana", quality)
    out = []
    for name in READINGS:
        skeleton = recorded(name, quality, mirrored)
        size = (skeleton.width, skeleton.height) if skeleton else (0, 0)
        out.append(photo_record(name, analyse(skeleton, pose), skeleton, *size, [quality]))
    return out


@pytest.fixture(scope="module")
def labels() -> tuple[dict, dict]:
    samples = require(SHARED / "samples")
    return read_labels(samples / "labels.csv"), read_labels(samples / "leg_points.csv")


def mirrored_labels(labels: dict) -> dict:
    swap = {"image_left": "image_right", "image_right": "image_left"}
    return {
        k: {**v, "extended_foot": swap.get(v["extended_foot"], v["extended_foot"])}
        for k, v in labels.items()
    }


@pytest.fixture(scope="module")
def figures(labels) -> dict:
    photo_labels, legs = labels
    out = {}
    for quality in QUALITIES:
        photos, mirrors = records(quality), records(quality, mirrored=True)
        out[quality] = {
            "photos": evaluate(photos, photo_labels, legs),
            "mirrors": evaluate(
                mirrors,
                mirrored_labels(photo_labels),
                {k: mirrored_leg_points(v) for k, v in legs.items()},
            ),
            "mirror_agreement": mirror_agreement(photos, mirrors),
        }
    return out


# What each preset still gets confidently wrong on the shared photos (README, "Evaluation"):
# a floor, not a target. The photo default's two: a gym photo taken from above with the leg
# pointing at the camera (its picture shows the hips high above the foot: "Sit down"), and a
# half-lotus fold the models read as Janu.
MOST_WRONG = {"fast": 6, "balanced": 2, "accurate": 2}


@pytest.mark.parametrize("quality", QUALITIES)
def test_confidently_wrong_stays_at_its_floor(figures, quality) -> None:
    """No preset gets more wrong than it did when measured, on the photos or their mirror
    images; and no preset ever claims a wrong side or a wrong back."""
    for which in ("photos", "mirrors"):
        wrong = figures[quality][which]["confidently_wrong"]
        assert len(wrong) <= MOST_WRONG[quality], wrong
        assert not [w for w in wrong if "rounded_back" in w or "leg is extended" in w], wrong


def test_accurate_sees_the_legs_and_recognises_the_pose(figures) -> None:
    """The figures of issues 8 and 14 for the photo preset (README, Evaluation)."""
    for which in ("photos", "mirrors"):
        f = figures["accurate"][which]
        assert f["legs_right"]["both"] >= 15
        assert f["recognition"]["true_positives"] >= 20
        assert f["recognition"]["true_negatives"] >= 33  # most of the rest: one leg hides the other
        assert f["recognition"]["precision"] >= 0.95
        spine = f["rounded_back_vs_spine_label"]
        assert spine["judged"] >= 14 and spine["agreement"] == 1.0
        assert f["sides"]["given"] == f["sides"]["right"] >= 13
    assert figures["accurate"]["mirror_agreement"]["rate"] == 1.0


def test_the_fused_presets_see_both_sides_alike(figures) -> None:
    """Reading the mirror image too makes a photo and its mirror agree by construction."""
    for quality in ("balanced", "accurate"):
        assert figures[quality]["mirror_agreement"]["rate"] == 1.0


def test_fused_presets_see_more_than_mediapipe_alone(figures) -> None:
    legs = {q: figures[q]["photos"]["legs_right"]["both"] for q in QUALITIES}
    assert legs["fast"] < legs["balanced"] <= legs["accurate"]
    spine = {q: figures[q]["photos"]["rounded_back_vs_spine_label"]["judged"] for q in QUALITIES}
    assert spine["fast"] < spine["balanced"] <= spine["accurate"]


def test_near_misses_are_rejected_with_a_reason(figures) -> None:
    """The revolved variation, Marichyasana and the twists: "not in the pose", and why."""
    rejected = figures["accurate"]["photos"]["near_misses"]
    assert rejected["rejected"] >= 27, rejected


# ---------------------------------------------------------------------------- verdicts


def test_rounded_back_on_a_rounded_photo() -> None:
    for mirrored, side in ((False, "left"), (True, "right")):
        v = verdict("janu/y82ukr_17.jpg", mirrored=mirrored)
        assert v.in_pose and v.fault_ids == ["rounded_back"]
        assert v.extended_leg == side


@pytest.mark.parametrize(
    "name",
    [
        "janu/y82ukr_3.jpg",
        "janu/y82ukr_5.jpg",
        "janu/y82ukr_17.jpg",
        "janu/y82ukr_31.jpg",
        "janu/y82ukr_32.jpg",
        "janu/myfit_janu_1.jpg",
        "janu/yoga108_janu_bikram_1.jpg",
        "janu/yogapath_janu_1.jpg",
    ],
)
@pytest.mark.parametrize("quality", QUALITIES)
def test_a_deep_rounded_fold_is_never_good(name, quality) -> None:
    """Every deep fold labelled rounded: the rounded-back cue, or no praise at all."""
    for mirrored in (False, True):
        v = verdict(name, quality, mirrored)
        assert v.status != "good" and v.score is None or "rounded_back" in v.fault_ids
        if quality == "accurate":
            assert v.fault_ids[:1] == ["rounded_back"], (name, feedback(v).message)


def test_a_long_back_hinging_from_the_hips_is_not_called_rounded() -> None:
    for name in ("janu/y82ukr_2.jpg", "janu/y82ukr_13.jpg", "janu/yoga108_janu_c_1.jpg"):
        v = verdict(name)
        assert v.in_pose and "rounded_back" not in v.fault_ids
        assert next(r for r in v.results if r.rule.id == "rounded_back").status == "ok"


def test_long_spine_gets_no_spine_cue() -> None:
    v = verdict("janu/y82ukr_2.jpg")
    assert v.in_pose and "rounded_back" not in v.fault_ids and v.status == "good"


def test_nobody_found_by_mediapipe_alone() -> None:
    assert verdict("janu/y82ukr_22.jpg", "fast").status == "no_person"


@pytest.mark.parametrize("name", ["janu/y82ukr_15.jpg", "janu/y82ukr_28.jpg"])
def test_deep_folds_with_no_believable_leg_give_no_advice(name) -> None:
    """MoveNet finds a person where MediaPipe does not, but no leg the models agree on is long
    enough to be the straight leg: nothing is claimed."""
    v = verdict(name)
    assert not v.trusted and not v.faults and v.score is None
    assert feedback(v).message == "I can't see well enough: no leg is seen at a believable length."


@pytest.mark.parametrize(
    "name", ["janu/y82ukr_6.jpg", "janu/y82ukr_26.jpg", "other/y82ukr_dandasana_1.jpg"]
)
def test_one_leg_hiding_the_other_is_neither_confirmed_nor_denied(name) -> None:
    """Side-on, the models lay a hidden leg along the visible one, bent or not: a Janu photo
    whose bent leg is hidden and a Dandasana photo look the same, so neither is judged."""
    v = verdict(name)
    assert v.in_pose is None and not v.faults
    assert feedback(v).message == "I can't tell if you are in the pose: one leg hides the other."
    assert "Turn a little toward the camera so I can see both legs." in v.guidance


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("other/y82ukr_warrior2_1.jpg", "Sit down"),
        ("other/wifi_standing_1.jpg", "Sit down"),
        ("other/y82ukr_baddhakonasana_1.jpg", "Straighten one leg"),
        ("other/y82ukr_parivrttajanu_1.jpg", "Face along your straight leg"),
        ("other/y82ukr_parivrttajanu_3.jpg", "Face along your straight leg"),
        ("other/y82ukr2_parivrttajanu_1.jpg", "Face along your straight leg"),
        ("other/y82ukr2_parivrttajanu_4.jpg", "Face along your straight leg"),
        ("other/skinny_marichyasana_a_1.jpg", "Your bent knee points up"),
    ],
)
def test_other_poses_say_what_is_missing(name, words) -> None:
    v = verdict(name)
    assert v.in_pose is False and not v.faults
    assert words in feedback(v).message, feedback(v).message


def test_blazepose_on_movenets_crop_sees_a_fold_mediapipe_misses() -> None:
    """MediaPipe's face-led detector finds nobody in this close deep fold; its landmark
    network on MoveNet's crop sees the legs, so the photo preset is in the pose."""
    assert verdict("janu/y82ukr_22.jpg", "fast").status == "no_person"
    v = verdict("janu/y82ukr_22.jpg")
    assert v.trusted and v.in_pose is True


def test_only_mediapipe_alone_swaps_verdicts_in_the_mirror() -> None:
    """MediaPipe alone does not see a body and its mirror image alike (why the fused presets
    read both); the fused presets always do."""
    fast = [verdict(n, "fast").status == verdict(n, "fast", True).status for n in READINGS]
    fused = [verdict(n).status == verdict(n, mirrored=True).status for n in READINGS]
    assert not all(fast) and all(fused)


# ------------------------------------------------------------------ other poses, as data


def _judged(pose_name: str, quality: str, mirrored: bool = False) -> dict[str, tuple[str, str]]:
    pose = load_pose(pose_name, quality)
    out = {}
    for name in READINGS:
        v = analyse(recorded(name, quality, mirrored), pose)
        out[name] = (v.status, feedback(v).message)
    return out


@pytest.mark.parametrize("mirrored", [False, True])
def test_paschimottanasana_is_a_rule_file_not_code(labels, mirrored) -> None:
    """rules/paschimottanasana.toml (no sides, legs that lie together): the shared
    Paschimottanasana photos are judged (in the pose, with or without corrections), none is
    told about a bent leg, and neither Dandasana (upright) nor Janu with both legs in view
    passes as it."""
    photo_labels, _ = labels
    judged = _judged("paschimottanasana", "accurate", mirrored)
    in_pose = {"good", "faults", "partial"}
    own = [n for n in judged if photo_labels[n]["pose"] == "paschimottanasana"]
    assert len(own) == 5
    assert sum(judged[n][0] in in_pose for n in own) >= 4, {n: judged[n] for n in own}
    assert not [n for n in own if "bent leg" in judged[n][1]], {n: judged[n] for n in own}
    passing = {n for n, (status, _) in judged.items() if status in in_pose}
    assert not [n for n in passing if photo_labels[n]["pose"] == "dandasana"]
    # A side-on Janu whose bent leg hides behind the straight one looks like it (README).
    janu_passing = {n for n in passing if photo_labels[n]["is_janu"] == "yes"}
    assert janu_passing <= {"janu/y82ukr_6.jpg", "janu/y82ukr_26.jpg"}, janu_passing


def test_dandasana_side_on_is_judged_as_two_straight_legs(labels) -> None:
    """Side-on, one straight leg hides the other: Dandasana (`legs_may_overlap`) sees two
    straight legs, where Janu's file can only say it cannot tell."""
    photo_labels, _ = labels
    dandasana = [n for n in READINGS if photo_labels[n]["pose"] == "dandasana"]
    judged = _judged("dandasana", "accurate")
    assert len(dandasana) == 7
    assert all(judged[n][0] in {"good", "faults"} for n in dandasana), judged
    assert all(
        status not in {"good", "faults", "partial"}
        for n, (status, _) in judged.items()
        if photo_labels[n]["pose"] != "dandasana"
    )
    janu = _judged("janu_sirsasana", "accurate")
    assert sum(janu[n][0] == "uncertain" for n in dandasana) >= 5
