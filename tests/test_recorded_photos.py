"""The checker on real skeletons: the landmarks MediaPipe found on the shared labelled photos,
recorded in samples/shared_landmarks.json by benchmarks/record_landmarks.py. Runs in a fresh
clone (no model, no photos). The floors are what was measured; a regression fails."""

from __future__ import annotations

import json
import sys

import pytest
from shared_paths import ROOT

from alignment.core.analysis import analyse
from alignment.core.evaluation import evaluate
from alignment.core.rules import load_pose
from alignment.core.skeleton import Skeleton

sys.path.insert(0, str(ROOT / "benchmarks"))
from evaluate_images import recorded_records  # noqa: E402

POSE = load_pose("janu_sirsasana")
RECORDS = {r["file"]: r for r in json.loads((ROOT / "samples/shared_landmarks.json").read_text())}


def verdict(name: str):
    data = RECORDS[name]["skeleton"]
    return analyse(Skeleton.from_json(data) if data else None, POSE)


@pytest.fixture(scope="module")
def figures():
    records, labels = recorded_records()
    return evaluate(records, labels)


def test_never_confidently_wrong(figures):
    assert figures["confidently_wrong"] == []


def test_recognition_floors(figures):
    rec = figures["recognition"]
    assert rec["precision"] == 1.0
    assert rec["true_positives"] >= 6
    assert rec["true_negatives"] >= 12
    assert rec["false_positives"] == 0


def test_spine_and_direction_floors(figures):
    spine = figures["rounded_back_vs_spine_label"]
    assert spine["agree"] >= 4 and spine["disagree"] == 0
    assert figures["extended_foot_direction"]["agreement"] == 1.0
    assert figures["person_found_rate_janu"] >= 0.94


def test_rounded_back_on_a_rounded_photo():
    v = verdict("janu/y82ukr_17.jpg")
    assert v.in_pose and v.fault_ids == ["rounded_back"]
    assert v.extended_leg == "left"


def test_long_spine_gets_no_spine_cue():
    v = verdict("janu/y82ukr_2.jpg")
    assert v.in_pose and "rounded_back" not in v.fault_ids


def test_no_person():
    assert verdict("janu/y82ukr_22.jpg").status == "no_person"


@pytest.mark.parametrize("name", ["janu/y82ukr_3.jpg", "janu/y82ukr_15.jpg", "janu/y82ukr_19.jpg"])
def test_implausible_skeletons_give_no_advice(name):
    v = verdict(name)
    assert not v.trusted and not v.faults and v.score is None
    assert v.message.startswith("I can't see well enough")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("other/y82ukr_warrior2_1.jpg", "Sit down"),
        ("other/y82ukr_baddhakonasana_1.jpg", "Straighten one leg"),
        ("other/y82ukr_parivrttajanu_1.jpg", "Face along your straight leg"),
    ],
)
def test_other_poses_say_what_is_missing(name, words):
    v = verdict(name)
    assert v.in_pose is False and not v.faults
    assert words in v.message


def test_dandasana_from_the_side_is_not_guessed():
    v = verdict("other/y82ukr_dandasana_1.jpg")
    assert v.in_pose is None and not v.faults
