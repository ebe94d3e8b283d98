"""Rule files: loading, validation errors that name file/rule/field, evaluation, score."""

from __future__ import annotations

from pathlib import Path

import pytest
from skeletons import seated, standing

from alignment.core.analysis import DOUBTFUL_CONFIDENCE, analyse
from alignment.core.feedback import feedback
from alignment.core.measurements import measure
from alignment.core.rules import LEVELS, RuleFileError, evaluate, recognise, score
from alignment.io.rule_files import available_poses, load_pose, load_rules

JANU = load_pose("janu_sirsasana")
POSE_MD_MISTAKES = 10  # rows in ../shared/POSE.md, "Common mistakes and their corrections"


def test_janu_rule_file_covers_every_mistake():
    ids = {r.id for r in JANU.rules}
    assert {
        "rounded_back",
        "leaning_back",
        "straight_leg_bent",
        "bent_knee_lifted",
        "legs_too_close",
        "foot_on_knee",
        "shoulders_hunched",
    } <= ids
    assert len(JANU.rules) + len(JANU.unobservable) >= POSE_MD_MISTAKES - 1
    for rule in JANU.rules:
        assert rule.source.startswith("POSE.md"), rule.id
        assert rule.cue and rule.correction and rule.mistake
        assert set(rule.bounds) == set(LEVELS)


@pytest.mark.parametrize("name", available_poses())
def test_doubted_measurements_never_pass_a_rule(name):
    """Measurements a trust check doubts get DOUBTFUL_CONFIDENCE: every bound must ask more."""
    pose = load_pose(name)
    for item in (*pose.requirements, *pose.rules):
        assert item.min_confidence > DOUBTFUL_CONFIDENCE, item


def test_levels_order_their_bounds():
    for rule in JANU.rules:
        gentle, standard, strict = (rule.bounds[lv] for lv in ("gentle", "standard", "strict"))
        if standard.max is not None:
            assert gentle.max >= standard.max >= strict.max, rule.id
        if standard.min is not None:
            assert gentle.min <= standard.min <= strict.min, rule.id


def test_a_second_pose_is_data():
    assert {"janu_sirsasana", "dandasana"} <= set(available_poses())
    dandasana = load_pose("dandasana")
    upright = seated(both_straight=True, torso_incline=0, yaw=45)
    assert analyse(upright, dandasana).in_pose is True
    assert analyse(seated(yaw=45), dandasana).in_pose is False
    assert analyse(seated(both_straight=True, yaw=45), JANU).in_pose is False


@pytest.mark.parametrize(
    ("skeleton", "rule_id"),
    [
        (seated(back_curve=70, head_curl=30), "rounded_back"),
        (seated(back_curve=20, head_curl=55), "rounded_back"),
        (seated(torso_incline=-15), "leaning_back"),
        (seated(extended_knee=140), "straight_leg_bent"),
        (seated(knee_lift=0.1, yaw=45), "bent_knee_lifted"),
        (seated(thigh_angle=30, yaw=60, bent_visibility=0.95), "legs_too_close"),
        (seated(foot_position=0.95), "foot_on_knee"),
        (seated(neck=0.03, torso_incline=0), "shoulders_hunched"),
        (seated(shoulder_twist=55), "pelvis_twisted"),
    ],
)
def test_each_mistake_is_found_and_only_it(skeleton, rule_id):
    verdict = analyse(skeleton, JANU)
    assert verdict.in_pose is True
    assert verdict.fault_ids == [rule_id]
    assert feedback(verdict).message == JANU.rule(rule_id).cue


def test_good_alignment_has_no_fault():
    verdict = analyse(seated(), JANU)
    assert verdict.status == "good" and verdict.score == 100


def test_levels_change_the_verdict():
    skeleton = seated(back_curve=65, head_curl=10)  # the outline reads 51 degrees
    assert analyse(skeleton, JANU, "strict").fault_ids == ["rounded_back"]
    assert analyse(skeleton, JANU, "standard").fault_ids == ["rounded_back"]
    assert analyse(skeleton, JANU, "gentle").fault_ids == []


def test_not_in_pose_says_what_is_missing():
    both_straight = analyse(seated(both_straight=True, yaw=45), JANU)
    assert both_straight.in_pose is False
    assert "bend one knee" in feedback(both_straight).message
    assert analyse(standing(), JANU).missing[0].startswith("Sit down")
    assert analyse(None, JANU).status == "no_person"


def test_no_silhouette_never_praises_the_back():
    """A model without a person mask sees only the head's curl: a curled head is a rounded
    back, but a level head is no proof of a long one."""
    assert analyse(seated(back_curve=None, head_curl=60), JANU).fault_ids == ["rounded_back"]
    blind = analyse(seated(back_curve=None), JANU)
    assert blind.status == "partial" and blind.score is None
    assert [r.rule.id for r in blind.unjudged_major] == ["rounded_back"]


def test_rules_not_applicable_or_unmeasurable_are_not_faults():
    reading = measure(seated(yaw=90))  # front view: no spine measurement
    results = {r.rule.id: r for r in evaluate(JANU, reading)}
    assert results["rounded_back"].status == "uncertain"
    deep_fold = {r.rule.id: r for r in evaluate(JANU, measure(seated(torso_incline=70)))}
    assert deep_fold["shoulders_hunched"].status == "skipped"


def test_score_formula():
    assert score([]) is None
    assert score(evaluate(JANU, measure(seated()))) == 100
    # A full tolerance past the bound (48 + 30 degrees: the outline reads 78).
    results = evaluate(JANU, measure(seated(back_curve=101, head_curl=30)))
    judged = [r for r in results if r.status in ("ok", "fault")]
    weights = sum(r.rule.weight for r in judged)
    assert score(results) == round(100 * (1 - 3 / weights))
    slightly = evaluate(JANU, measure(seated(back_curve=63, head_curl=10)))
    assert score(results) < score(slightly) < 100


def test_recognition_uncertain_when_requirements_cannot_be_measured():
    reading = measure(seated(visibility=0.2, bent_visibility=0.2))
    assert recognise(JANU, reading).in_pose is None


# ------------------------------------------------------------------ validation errors

VALID = """
[pose]
id = "x"
name = "X"

[[rule]]
id = "r1"
mistake = "m"
measurement = "spine_rounding"
max = 10
severity = "major"
cue = "c"
correction = "c"
source = "s"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pose.toml"
    path.write_text(text)
    return path


def test_minimal_file_loads(tmp_path):
    pose = load_rules(write(tmp_path, VALID))
    assert pose.rules[0].bounds["strict"].max == 10


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            ('measurement = "spine_rounding"', 'measurement = "spine_roundness"'),
            "measurement",
            "unknown measurement",
        ),
        (("max = 10", 'max = "ten"'), "max", "must be float"),
        (("max = 10", ""), "min", "a bound is required"),
        (('severity = "major"', 'severity = "huge"'), "severity", "must be one of"),
        (('cue = "c"', 'cue = ""'), "cue", "must not be empty"),
        (('cue = "c"', 'cue = "c"\ncolour = "red"'), "colour", "unknown field"),
        (('source = "s"', ""), "source", "is required"),
        (("max = 10", "max = 10\nmin_confidence = 2"), "min_confidence", "between 0 and 1"),
        (("max = 10", "max = 10\nmin = 20"), "min", "greater than max"),
    ],
)
def test_errors_name_the_file_the_rule_and_the_field(tmp_path, change, field, words):
    path = write(tmp_path, VALID.replace(*change))
    with pytest.raises(RuleFileError) as err:
        load_rules(path)
    message = str(err.value)
    assert str(path) in message
    assert "rule 'r1'" in message
    assert f"field '{field}'" in message
    assert words in message


def test_error_for_a_level_override(tmp_path):
    path = write(tmp_path, VALID.replace("max = 10", 'max = 10\ngentle = { max = "x" }'))
    with pytest.raises(RuleFileError, match=r"rule 'r1', gentle, field 'max'"):
        load_rules(path)


def test_errors_for_broken_files(tmp_path):
    with pytest.raises(RuleFileError, match="not valid TOML"):
        load_rules(write(tmp_path, "[pose\nid="))
    with pytest.raises(RuleFileError, match="rule file not found"):
        load_rules(tmp_path / "missing.toml")
    with pytest.raises(RuleFileError, match="duplicate rule id"):
        load_rules(write(tmp_path, VALID + VALID.split("[pose]")[1].split("\n", 3)[3]))
    with pytest.raises(RuleFileError, match="no rule file for pose 'tree'"):
        load_pose("tree")


def test_the_schema_is_printed_as_json_schema_and_forbids_unknown_fields() -> None:
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "alignment.core.rule_schema"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    schema = json.loads(out.stdout)
    assert schema["required"] == ["pose"]
    rule = schema["$defs"]["RuleSpec"]
    assert rule["additionalProperties"] is False
    assert {"id", "measurement", "severity", "cue", "source"} <= set(rule["required"])
    assert rule["properties"]["severity"]["enum"] == ["minor", "moderate", "major"]
