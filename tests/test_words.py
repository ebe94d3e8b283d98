"""The words people read (issue 17): each status gives the README's headline and second line;
what could not be judged is worded as the checker's limit, never as a mistake, in a photo's
message, a video's summary and a live frame; tables say things in words, without "None"."""

from __future__ import annotations

import re

import numpy as np
import pytest
from fakes import READINGS, StillEstimator, recorded
from shared_paths import ROOT

from alignment.core.analysis import analyse
from alignment.core.feedback import feedback
from alignment.core.rules import RuleResult
from alignment.core.status import FAULTS, GOOD, NO_PERSON, NOT_IN_POSE, PARTIAL, UNCERTAIN
from alignment.io.rule_files import load_pose
from alignment.pipeline.live import LiveSession
from alignment.present.report import error_record, photo_record
from alignment.present.text import photo_table, summary_text
from alignment.present.words import STATUS_LABELS, score_text
from alignment.session.tracker import SessionTracker

POSES = {q: load_pose("janu_sirsasana", q) for q in ("fast", "accurate")}
POSE = POSES["fast"]
# One real reading per status (tests/test_layout.py's cases).
BY_STATUS = {
    NO_PERSON: ("fast", "janu/y82ukr_22.jpg"),
    UNCERTAIN: ("fast", "janu/gymweb_1.jpg"),
    NOT_IN_POSE: ("fast", "other/y82ukr_warrior2_1.jpg"),
    FAULTS: ("accurate", "janu/gymweb_1.jpg"),
    PARTIAL: ("fast", "janu/y82ukr_2.jpg"),
    GOOD: ("accurate", "janu/y82ukr_2.jpg"),
}


def readme_statuses() -> dict[str, tuple[str, str, str]]:
    """status -> (label, headline, second line) from the README's table of statuses."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Statuses and the score", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = (cells[1], cells[2], cells[3])
    return rows


def test_the_readme_table_names_every_status_with_the_code_s_label() -> None:
    rows = readme_statuses()
    assert set(rows) == set(STATUS_LABELS)
    assert {status: row[0] for status, row in rows.items()} == STATUS_LABELS


@pytest.mark.parametrize("status", sorted(BY_STATUS))
def test_each_status_gives_the_documented_headline_and_second_line(status: str) -> None:
    quality, name = BY_STATUS[status]
    said = feedback(analyse(recorded(name, quality), POSES[quality]))
    assert said.status == status
    label, headline, second = readme_statuses()[status]
    quoted = re.findall(r'"([^"]+)"', headline)
    if status == FAULTS:
        assert said.message == said.cues[0]  # the heaviest mistake's cue
    elif "..." in quoted[0]:
        assert any(said.message.startswith(q.split("...")[0]) for q in quoted), said.message
    else:
        assert said.message in quoted, said.message
    if second == "none":
        assert said.limits == ""
    else:
        verdict = analyse(recorded(name, quality), POSES[quality])
        checks = [r.rule.check for r in verdict.unjudged]
        assert checks, "the case should have something it could not check"
        assert said.limits == "I couldn't check: " + ", ".join(checks) + "."


def test_not_in_the_pose_is_one_sentence_without_camera_advice() -> None:
    quality, name = BY_STATUS[NOT_IN_POSE]
    verdict = analyse(recorded(name, quality), POSES[quality])
    said = feedback(verdict)
    assert said.message.count(":") <= 1 and "::" not in said.message
    assert said.message.startswith(f"Not in {POSE.name}. ")
    assert said.guidance == ()  # a standing person first needs to sit down, not turn


def test_a_score_says_what_it_covers() -> None:
    assert score_text(None, 5, 7) == ""
    assert score_text(92, 7, 7) == "score 92"
    assert score_text(92, 5, 7) == "score 92 (5 of 7 checks)"
    quality, name = BY_STATUS[GOOD]
    said = feedback(analyse(recorded(name, quality), POSES[quality]))
    assert said.score is not None and said.checked < said.checks  # one rule not judged
    assert "of" in score_text(said.score, said.checked, said.checks)


def fault_words(result: RuleResult) -> list[str]:
    """How a rule's mistake would read: its id in words, its plain name, its cue."""
    rule = result.rule
    return [rule.id.replace("_", " "), rule.name.lower(), rule.cue.lower()]


def unjudged_ever_named(text: str, unjudged: list[RuleResult]) -> list[str]:
    return [w for r in unjudged for w in fault_words(r) if w in text.lower()]


@pytest.mark.parametrize("quality", sorted(POSES))
def test_no_photo_message_names_an_unjudged_rule_as_a_fault(quality: str) -> None:
    pose = POSES[quality]
    records = []
    for name in READINGS:
        skeleton = recorded(name, quality)
        verdict = analyse(skeleton, pose)
        said = feedback(verdict)
        unjudged = verdict.unjudged
        assert not unjudged_ever_named(f"{said.message} {said.limits}", unjudged), name
        if skeleton is not None:
            records.append(photo_record(name, verdict, skeleton, 100, 100, []))
            record = records[-1]
            assert not unjudged_ever_named(record["message"] + record["limits"], unjudged)
    table = photo_table(records, pose=pose)
    assert "None" not in table
    for rule in pose.rules:
        assert rule.id not in table  # rules by their plain names; the ids stay in the JSON
    for record in records:
        assert record["status"] in STATUS_LABELS  # the JSON keeps the machine value


def test_the_photo_table_is_in_words() -> None:
    quality, name = BY_STATUS[FAULTS]
    pose = POSES[quality]
    skeleton = recorded(name, quality)
    verdict = analyse(skeleton, pose)
    records = [
        photo_record("a.jpg", verdict, skeleton, 100, 100, []),
        error_record("b.jpg", "not an image"),
    ]
    table = photo_table(records, pose=pose)
    assert "None" not in table
    assert STATUS_LABELS[FAULTS] in table and STATUS_LABELS["error"] in table
    assert pose.rule(verdict.fault_ids[0]).name in table
    assert verdict.fault_ids[0] not in table  # the rule id stays in the JSON
    assert "The score covers" in table  # a rule was not judged


@pytest.mark.parametrize("status", [FAULTS, PARTIAL, GOOD])
def test_no_live_frame_or_video_summary_names_an_unjudged_rule_as_a_fault(status: str) -> None:
    quality, name = BY_STATUS[status]
    pose = POSES[quality]
    skeleton = recorded(name, quality)
    unjudged = analyse(skeleton, pose).unjudged
    assert unjudged

    tracker = SessionTracker(pose)
    for i in range(60):  # 2 s at 30 frames a second
        state = tracker.update(i / 30, skeleton)
        shown = state.feedback
        assert not unjudged_ever_named(f"{shown.message} {shown.limits}", unjudged)
    text = summary_text(tracker.summary(), pose)
    assert not unjudged_ever_named(text, unjudged), text
    assert "None" not in text

    live = LiveSession(lambda: StillEstimator(skeleton), pose, "standard")
    blank = np.zeros((skeleton.height, skeleton.width, 3), np.uint8)
    try:
        for i in range(45):
            live.analyse(blank, i / 30)
            snap = live.snapshot()
            assert not unjudged_ever_named(f"{snap.cue} {snap.limits}", unjudged)
    finally:
        live.close()
    assert snap.limits == feedback(analyse(skeleton, pose)).limits
