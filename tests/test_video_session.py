"""The practice session over time: cues, segments, hold times, asymmetry, and `analyse_video`.

The first part drives `SessionTracker` with scripted verdicts and with real skeletons recorded
from the shared photos (samples/readings.json): it runs in a fresh clone, no model.
The second part (marked `shared`) runs the model on a session clip built from the real photos,
on the real videos in ../shared, and on broken files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from fakes import recorded
from shared_paths import SHARED

from alignment.cli.main import main
from alignment.core.analysis import Verdict
from alignment.core.rules import RuleResult
from alignment.core.skeleton import Skeleton
from alignment.core.status import (
    FOLDING,
    HOLDING,
    IN_POSE,
    NOT_IN_FRAME,
    NOT_IN_POSE,
    RELEASING,
    SETTING_UP,
    UNCERTAIN,
)
from alignment.estimators.presets import open_estimator
from alignment.io.rule_files import load_pose
from alignment.io.video import VideoError
from alignment.pipeline.video import VideoResult, analyse_video
from alignment.present.text import summary_text
from alignment.session.summary import asymmetry, summarise
from alignment.session.timeline import FrameRecord, build_segments
from alignment.session.tracker import SessionTracker
from alignment.settings import DEFAULT_RATE_HZ
from alignment.testing.clips import Shot, build_clip
from alignment.testing.evaluation import read_labels

IMAGES = SHARED / "samples" / "images"
VIDEOS = SHARED / "samples" / "videos"
MODELS = SHARED / "models"
FPS = 30.0
QUALITY = "balanced"  # the preset the session clip runs through: the default for videos
CLIP_FPS = 15.0  # the session clip's frame rate
POSE = load_pose("janu_sirsasana", QUALITY)
RULE = "rounded_back"  # the heaviest rule: its cue is the one shown first


# =========================================================================== scripted verdicts
# `SessionTracker.update` calls `analyse(skeleton, pose, level)`; the tests below replace it
# by a function that returns the skeleton argument itself, so a "skeleton" can be a ready-made
# Verdict (with smoothing off, the tracker passes it through untouched).


def fake_verdict(kind: str, side: str | None = "left", flex: float = 40.0) -> Verdict | None:
    """kind: fault / ok / rule_uncertain (in the pose), doubt (untrusted skeleton),
    out (not in the pose), none (nobody)."""
    if kind == "none":
        return None
    if kind == "doubt":
        return Verdict(person_found=True, pose_name=POSE.name, trusted=False)
    if kind == "out":
        return Verdict(
            person_found=True,
            pose_name=POSE.name,
            trusted=True,
            in_pose=False,
            missing=["Sit down."],
        )
    rule = POSE.rule(RULE)
    status = {"fault": "fault", "ok": "ok", "rule_uncertain": "uncertain"}[kind]
    value = {"fault": 30.0, "ok": 5.0, "rule_uncertain": None}[kind]
    results = [RuleResult(rule, status, value, 0.9, rule.bounds["standard"])]
    results += [
        RuleResult(r, "ok", 0.0, 0.9, r.bounds["standard"]) for r in POSE.rules if r.id != RULE
    ]
    return Verdict(
        person_found=True,
        pose_name=POSE.name,
        trusted=True,
        in_pose=True,
        extended_leg=side,
        results=results,
        score=50 if kind == "fault" else 100,
    )


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> SessionTracker:
    monkeypatch.setattr(
        "alignment.session.tracker.analyse",
        lambda sk, pose, level: sk or Verdict(person_found=False),
    )
    return SessionTracker(POSE, smooth=False)


def run_script(
    tracker: SessionTracker, script: list[tuple[float, str]], side: str = "left", start: float = 0.0
) -> list:
    """Feed (seconds, kind) steps at 30 fps; returns the LiveState of every frame."""
    lives, t = [], start
    for seconds, kind in script:
        for _ in range(round(seconds * FPS)):
            lives.append(tracker.update(t, fake_verdict(kind, side)))
            t += 1 / FPS
    return lives


def cue_times(tracker: SessionTracker) -> list[float]:
    return [r.time_s for r in tracker.records if RULE in r.cues]


def test_a_fault_shorter_than_cue_on_never_shows(scripted: SessionTracker) -> None:
    lives = run_script(scripted, [(2, "ok"), (0.9, "fault"), (2, "ok"), (0.5, "fault"), (1, "ok")])
    assert any(RULE in r.faults for r in scripted.records)  # the frames did see the fault
    assert cue_times(scripted) == []
    # What is shown follows what has lasted: never the short faults, in words or colour.
    assert all(live.feedback.message == "Good alignment. Keep breathing." for live in lives)
    assert all(live.feedback.status == "good" and live.feedback.score == 100 for live in lives)
    assert scripted.summary()["faults"] == []


def test_a_lasting_fault_shows_after_cue_on_and_clears_after_cue_off(
    scripted: SessionTracker,
) -> None:
    lives = run_script(scripted, [(2, "ok"), (3, "fault"), (3, "ok")])
    shown = cue_times(scripted)
    # Shown from 1 s into the fault (t = 3) until 1 s of good frames have passed (t = 6).
    assert shown[0] == pytest.approx(2.0 + scripted.cue_on_s, abs=1.5 / FPS)
    assert shown[-1] == pytest.approx(5.0 + scripted.cue_off_s, abs=1.5 / FPS)
    assert np.allclose(np.diff(shown), 1 / FPS)  # one unbroken stretch
    cue = POSE.rule(RULE).cue
    assert [live.feedback.message == cue for live in lives] == [
        RULE in r.cues for r in scripted.records
    ]
    # The colour (status) and the words always agree: red exactly while the cue shows.
    assert [live.feedback.status == "faults" for live in lives] == [
        RULE in r.cues for r in scripted.records
    ]
    fault = scripted.summary()["faults"][0]
    assert fault["rule"] == RULE and fault["seconds"] == pytest.approx(3.0, abs=0.1)
    assert fault["first_seen_s"] == pytest.approx(3.0, abs=0.1)


def test_brief_good_moments_do_not_clear_a_cue(scripted: SessionTracker) -> None:
    run_script(scripted, [(2, "fault"), (0.5, "ok"), (2, "fault"), (0.5, "ok"), (2, "fault")])
    shown = cue_times(scripted)
    assert shown[0] == pytest.approx(1.0, abs=1.5 / FPS)
    assert shown[-1] == scripted.records[-1].time_s
    assert np.allclose(np.diff(shown), 1 / FPS)


def test_a_rule_that_cannot_be_judged_claims_nothing(scripted: SessionTracker) -> None:
    run_script(scripted, [(2, "fault"), (1, "rule_uncertain")])
    judged_again = [r for r in scripted.records if r.time_s >= 2.0]
    assert all(r.state == IN_POSE and r.cues == () for r in judged_again)


def test_doubt_after_the_pose_claims_nothing_beyond_the_bridge(scripted: SessionTracker) -> None:
    lives = run_script(scripted, [(3, "fault"), (3, "doubt")])
    scripted.finish()
    doubt = [
        (r, live) for r, live in zip(scripted.records, lives, strict=True) if r.state == UNCERTAIN
    ]
    assert len(doubt) == 90
    # Live, the cue is carried over a short doubt (it may be a moment inside the pose) ...
    carried = [r.time_s for r, live in doubt if live.feedback.cues]
    assert carried and max(carried) - 3.0 <= scripted.bridge_s + 1e-9
    assert max(carried) == pytest.approx(3.0 - 1 / FPS + scripted.bridge_s, abs=1.5 / FPS)
    # ... and not beyond the bridge; the pose did not resume, so the record claims nothing.
    assert all(r.cues == () and r.faults == () for r, _ in doubt)
    assert all(not live.feedback.cues for r, live in doubt if r.time_s > 3.0 + scripted.bridge_s)
    summary = scripted.summary()
    assert summary["faults"][0]["seconds"] == pytest.approx(2.0, abs=0.1)


def test_doubt_ending_in_another_pose_is_cleared_at_once(scripted: SessionTracker) -> None:
    run_script(scripted, [(3, "fault"), (0.5, "doubt"), (2, "out")])
    assert all(r.cues == () for r in scripted.records if r.state != IN_POSE)


def test_a_short_doubt_inside_the_pose_keeps_the_cue_and_the_hold(scripted: SessionTracker) -> None:
    lives = run_script(scripted, [(3, "fault"), (1, "doubt"), (3, "fault")])
    doubt = [r for r in scripted.records if r.state == UNCERTAIN]
    assert doubt and all(r.cues == (RULE,) for r in doubt)  # the pose resumed: cue stands
    shown = cue_times(scripted)
    assert shown[0] == pytest.approx(1.0, abs=1.5 / FPS)
    assert np.allclose(np.diff(shown), 1 / FPS)  # no gap, no new 1 s wait after the doubt
    assert lives[-1].hold_s["left"] == pytest.approx(7.0 - 1 / FPS, abs=1e-6)
    assert lives[-1].side == "left"
    segments = scripted.segments()
    assert [s["kind"] for s in segments] == [HOLDING]
    assert scripted.summary()["sides"]["left"]["hold_seconds"] == pytest.approx(7.0, abs=0.05)


def test_a_long_doubt_ends_the_hold(scripted: SessionTracker) -> None:
    lives = run_script(scripted, [(3, "ok"), (2, "doubt"), (3, "ok")])
    assert lives[-1].hold_s["left"] == pytest.approx(6.0 - 2 / FPS, abs=1e-6)
    assert [s["kind"] for s in scripted.segments()] == [HOLDING, UNCERTAIN, HOLDING]


def test_leaving_the_pose_drops_the_cue_at_once(scripted: SessionTracker) -> None:
    lives = run_script(scripted, [(3, "fault"), (1, "out"), (1, "none")])
    out = [live for live in lives if live.record.state in (NOT_IN_POSE, NOT_IN_FRAME)]
    assert len(out) == 60
    assert all(not live.feedback.cues and live.side is None for live in out)
    assert out[0].feedback.message == f"Not in {POSE.name}. Sit down."
    assert out[0].feedback.status == "not_in_pose"


# =========================================================================== segments


def rec(t: float, state: str, side: str | None = None, flex: float | None = 40.0) -> FrameRecord:
    in_pose = state == IN_POSE
    return FrameRecord(
        time_s=t,
        state=state,
        extended_leg=side if in_pose else None,
        score=100 if in_pose else None,
        faults=(),
        cues=(),
        metrics={"hip_flexion": flex if in_pose else None},
        message="",
    )


def timeline(*steps: tuple[float, str, str | None]) -> list[FrameRecord]:
    out, t = [], 0.0
    for seconds, state, side in steps:
        for _ in range(round(seconds * FPS)):
            out.append(rec(t, state, side))
            t += 1 / FPS
    return out


def kinds(segments: list[dict]) -> list[tuple[str, str | None]]:
    return [(s["kind"], s["extended_leg"]) for s in segments]


def test_short_flicker_is_absorbed() -> None:
    records = timeline(
        (3, IN_POSE, "left"),
        (0.3, NOT_IN_POSE, None),
        (3, IN_POSE, "left"),
        (0.2, IN_POSE, "right"),
        (2, IN_POSE, "left"),
    )
    segments = build_segments(records, POSE.movement)
    assert kinds(segments) == [(HOLDING, "left")]
    assert segments[0]["start"] == 0.0
    assert segments[0]["end"] == pytest.approx(8.5, abs=1e-6)


def test_brief_uncertain_gap_inside_a_pose_is_bridged_a_long_one_is_not() -> None:
    short = timeline((3, IN_POSE, "left"), (1.2, UNCERTAIN, None), (3, IN_POSE, "left"))
    assert kinds(build_segments(short, POSE.movement)) == [(HOLDING, "left")]
    long = timeline((3, IN_POSE, "left"), (2.0, UNCERTAIN, None), (3, IN_POSE, "left"))
    assert kinds(build_segments(long, POSE.movement)) == [
        (HOLDING, "left"),
        (UNCERTAIN, None),
        (HOLDING, "left"),
    ]
    # Nor is doubt between the two sides: the person came out of the pose and changed legs.
    switch = timeline((3, IN_POSE, "left"), (1.2, UNCERTAIN, None), (3, IN_POSE, "right"))
    assert kinds(build_segments(switch, POSE.movement)) == [
        (HOLDING, "left"),
        (UNCERTAIN, None),
        (HOLDING, "right"),
    ]
    # Doubt that does not lead back into the pose is never bridged.
    after = timeline((3, IN_POSE, "left"), (1.0, UNCERTAIN, None), (3, NOT_IN_POSE, None))
    assert kinds(build_segments(after, POSE.movement)) == [
        (HOLDING, "left"),
        (UNCERTAIN, None),
        (NOT_IN_POSE, None),
    ]


def test_a_change_of_side_starts_a_new_segment() -> None:
    records = timeline((1, NOT_IN_FRAME, None), (4, IN_POSE, "left"), (4, IN_POSE, "right"))
    segments = build_segments(records, POSE.movement)
    assert kinds(segments) == [(NOT_IN_FRAME, None), (HOLDING, "left"), (HOLDING, "right")]
    assert [s["start"] for s in segments] == pytest.approx([0.0, 1.0, 5.0], abs=1e-6)


@pytest.mark.parametrize("frames", [2, 3, 5, 14])
def test_a_run_shorter_than_the_smoothing_window_has_phases(frames: int) -> None:
    """A few frames in the pose (a short stream, a glimpse in a video) still give segments."""
    flex = np.linspace(90, 60, frames)
    records = [rec(i / FPS, IN_POSE, "left", f) for i, f in enumerate(flex)]
    segments = build_segments(records, POSE.movement, min_segment_s=0.0)
    assert segments and {s["extended_leg"] for s in segments} == {"left"}
    assert segments[0]["start"] == 0.0


def test_phases_of_one_side() -> None:
    """Sit upright 2 s, fold from 90 to 40 degrees in 3 s, hold 5 s, come up in 3 s."""
    flex = [*[90.0] * 60, *np.linspace(90, 40, 90), *[40.0] * 150, *np.linspace(40, 90, 90)]
    records = [rec(i / FPS, IN_POSE, "right", f) for i, f in enumerate(flex)]
    segments = build_segments(records, POSE.movement)
    assert kinds(segments) == [
        (SETTING_UP, "right"),
        (FOLDING, "right"),
        (HOLDING, "right"),
        (RELEASING, "right"),
    ]
    bounds = [s["start"] for s in segments[1:]]
    assert bounds == pytest.approx([2.0, 5.0, 10.0], abs=0.35)


def test_empty_session() -> None:
    assert build_segments([], POSE.movement) == []
    summary = summarise([], POSE, [])
    assert summary["frames_analysed"] == 0 and summary["duration_s"] == 0.0
    assert summary["asymmetry"]["compared"] is False


# =========================================================================== asymmetry


def side_stats(flex: float | None, hold: float = 30.0) -> dict:
    return {"typical_movement": flex, "hold_seconds": hold if flex else 0.0}


def test_the_tighter_side_folds_less() -> None:
    result = asymmetry({"left": side_stats(55.0), "right": side_stats(35.0)}, POSE)
    assert result["compared"] is True
    assert result["tighter_side"] == "left"
    assert result["difference"] == 20.0
    assert "The tighter side: left leg extended" in result["note"]
    mirrored = asymmetry({"left": side_stats(35.0), "right": side_stats(55.0)}, POSE)
    assert mirrored["tighter_side"] == "right"


def test_a_small_difference_is_not_an_asymmetry() -> None:
    result = asymmetry({"left": side_stats(40.0), "right": side_stats(45.0)}, POSE)
    assert result["compared"] is True and result["tighter_side"] is None
    assert "Both sides go about as deep" in result["note"]


def test_one_side_only_is_not_compared() -> None:
    result = asymmetry({"left": side_stats(None), "right": side_stats(40.0)}, POSE)
    assert result == {
        "compared": False,
        "tighter_side": None,
        "difference": None,
        "note": "Only one side was seen in the pose (right leg extended); do both sides to "
        "compare them.",
    }
    assert asymmetry({"left": side_stats(None), "right": side_stats(None)}, POSE)["note"] == (
        "Neither side was seen in the pose."
    )


def test_summary_compares_the_sides_it_saw() -> None:
    records = timeline((4, IN_POSE, "left"), (4, IN_POSE, "right"))
    for r in records:
        r.metrics["hip_flexion"] = 60.0 if r.extended_leg == "left" else 35.0
    summary = summarise(records, POSE, build_segments(records, POSE.movement))
    assert summary["sides"]["left"]["typical_movement"] == 60.0
    assert summary["sides"]["right"]["best_movement"] == 35.0
    assert summary["asymmetry"]["tighter_side"] == "left"
    one_side = records[:120]
    summary = summarise(one_side, POSE, build_segments(one_side, POSE.movement))
    assert summary["asymmetry"]["compared"] is False
    assert "Only one side" in summary_text(summary, POSE)


# =========================================================================== real skeletons


def skeleton(name: str) -> Skeleton | None:
    """What the default preset for videos saw on a shared photo."""
    return recorded(name, QUALITY)


def other_side(sk: Skeleton) -> Skeleton:
    """The same body doing the other side: what a model reports for the mirrored photo."""
    return sk.mirrored()


def jittered(
    sk: Skeleton | None, seconds: float, rng: np.random.Generator, start: float
) -> Iterator[tuple[float, Skeleton | None]]:
    for i in range(round(seconds * FPS)):
        t = start + i / FPS
        if sk is None:
            yield t, None
            continue
        yield (
            t,
            replace(
                sk,
                image=sk.image + rng.normal(0, 1.0, sk.image.shape),
                world=sk.world + rng.normal(0, 0.004, sk.world.shape),
                visibility=np.clip(sk.visibility + rng.normal(0, 0.01, sk.visibility.shape), 0, 1),
            ),
        )


def test_session_from_recorded_skeletons() -> None:
    """Warrior II, Janu (left leg straight, rounded back), nobody, Janu on the other side."""
    janu = skeleton("janu/y82ukr_30.jpg")
    warrior = skeleton("other/y82ukr_warrior2_1.jpg")
    assert janu is not None and warrior is not None
    rng = np.random.default_rng(3)
    tracker = SessionTracker(POSE)
    plan = [(warrior, 2.0), (janu, 5.0), (None, 1.0), (other_side(janu), 5.0)]
    lives, t = [], 0.0
    for sk, seconds in plan:
        for time_s, frame in jittered(sk, seconds, rng, t):
            lives.append(tracker.update(time_s, frame))
        t += seconds
    tracker.finish()
    summary = tracker.summary()
    assert kinds(summary["segments"]) == [
        (NOT_IN_POSE, None),
        (HOLDING, "left"),
        (NOT_IN_FRAME, None),
        (HOLDING, "right"),
    ]
    for side in ("left", "right"):
        assert summary["sides"][side]["hold_seconds"] == pytest.approx(5.0, abs=0.1)
        assert summary["sides"][side]["faults"][RULE] == pytest.approx(4.0, abs=0.2)
    assert summary["faults"][0]["rule"] == RULE
    assert summary["faults"][0]["first_seen_s"] == pytest.approx(3.0, abs=0.1)
    # The same body on both sides: compared, and no side called tighter.
    assert summary["asymmetry"]["compared"] is True
    assert summary["asymmetry"]["tighter_side"] is None
    # Outside the pose nothing is claimed, whatever the live cue said a moment before.
    for r in tracker.records:
        if r.state != IN_POSE:
            assert r.cues == () and r.faults == ()
    # Live: the hold timer runs on the side held, and the cue is the rule's.
    assert lives[2 * 30 + 4 * 30].side == "left"
    assert lives[2 * 30 + 4 * 30].feedback.message == POSE.rule(RULE).cue
    assert lives[-1].hold_s["left"] == pytest.approx(5.0, abs=0.1)
    assert lives[-1].hold_s["right"] == pytest.approx(5.0, abs=0.1)
    assert lives[(2 + 5) * 30 + 10].side is None  # nobody in view


def test_record_row_columns() -> None:
    from alignment.present.report import timeline_row

    tracker = SessionTracker(POSE)
    tracker.update(0.0, skeleton("janu/y82ukr_30.jpg"))
    row = timeline_row(tracker.records[0])
    assert list(row)[:6] == ["time_s", "state", "extended_leg", "score", "faults", "cues"]
    assert row["state"] == IN_POSE and row["extended_leg"] == "left"
    assert "hip_flexion" in row and row["message"]


# =========================================================================== with the model


def shared_dir(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the shared material: {path} not found")
    return path


@pytest.fixture(scope="module")
def session_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], VideoResult]:
    """The issue's session: Dandasana 3 s, Janu (left leg) 6 s, Dandasana 3 s (mirrored),
    Janu mirrored (right leg) 6 s; built once and analysed once with the default preset for
    videos. The Janu photo is a deep fold with a rounded back."""
    images = shared_dir("samples", "images")
    shared_dir("models")
    dandasana, janu = images / "other" / "y82ukr_dandasana_1.jpg", images / "janu" / "y82ukr_17.jpg"
    shots = [
        Shot(dandasana, 3.0, label="dandasana"),
        Shot(janu, 6.0, label="janu"),
        Shot(dandasana, 3.0, mirror=True, label="dandasana"),
        Shot(janu, 6.0, mirror=True, label="janu"),
    ]
    path = tmp_path_factory.mktemp("session") / "session.mp4"
    truth = build_clip(shots, path, fps=CLIP_FPS, size=(640, 480), seed=7)
    with open_estimator(QUALITY, "video", [MODELS], allow_download=False) as estimator:
        return truth, analyse_video(path, POSE, estimator)


@pytest.mark.slow
@pytest.mark.shared
def test_session_finds_both_sides_in_order(session_clip) -> None:
    truth, result = session_clip
    segments = result.summary["segments"]
    pose_segments = [s for s in segments if s["extended_leg"]]
    sides = [s["extended_leg"] for s in pose_segments]
    # The left leg is extended in y82ukr_17.jpg, the right one in its mirror image.
    assert sides == sorted(sides) and set(sides) == {"left", "right"}, segments
    janu = [seg for seg in truth if seg["label"] == "janu"]
    for seg, side in zip(janu, ("left", "right"), strict=True):
        held = [s for s in pose_segments if s["extended_leg"] == side]
        assert held[0]["start"] >= seg["start"] - 0.5 and held[-1]["end"] <= seg["end"] + 0.5
        stats = result.summary["sides"][side]
        assert stats["hold_seconds"] == pytest.approx(seg["end"] - seg["start"], abs=0.5)
    assert result.damage is None and result.summary["warnings"] == []


@pytest.mark.slow
@pytest.mark.shared
def test_session_compares_the_two_sides(session_clip) -> None:
    _, result = session_clip
    asym = result.summary["asymmetry"]
    assert asym["compared"] is True
    assert set(asym["typical_movement"]) == {"left", "right"}
    # The same photo on both sides: not reported as one side being tighter.
    assert asym["tighter_side"] is None, asym
    assert "Asymmetry:" in summary_text(result.summary, POSE)


@pytest.mark.slow
@pytest.mark.shared
def test_session_reports_the_rounded_back(session_clip) -> None:
    _, result = session_clip
    faults = {f["rule"]: f for f in result.summary["faults"]}
    assert RULE in faults, result.summary["faults"]  # labelled "rounded" in labels.csv
    # A deep rounded fold is never praised: "Good" shows only in the moment before a rounded
    # back seen is cued (the session waits a second before it shows a mistake).
    assert not [r for r in result.records if r.message.startswith("Good") and not r.faults]
    assert set(faults[RULE]["by_side"]) == {"left", "right"}
    assert faults[RULE]["seconds"] > 6.0
    assert "Lengthen your spine" in summary_text(result.summary, POSE)


@pytest.mark.slow
@pytest.mark.shared
def test_no_fault_is_claimed_in_dandasana(session_clip) -> None:
    truth, result = session_clip
    margin = 0.5
    quiet = ("I can't tell", "I can't see", "Not in ")
    checked = 0
    for seg in (s for s in truth if s["label"] == "dandasana"):
        for r in result.records:
            if seg["start"] + margin <= r.time_s < seg["end"] - margin:
                checked += 1
                assert r.state in (UNCERTAIN, NOT_IN_POSE, NOT_IN_FRAME), r
                assert r.cues == () and r.faults == (), r
                assert r.message.startswith(quiet), r.message
    assert checked >= 2 * (2.0 * DEFAULT_RATE_HZ - 5)  # analysed at the default rate


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.parametrize("quality", ["fast", "balanced"])
@pytest.mark.parametrize(
    "name", sorted(p.name for p in VIDEOS.glob("*.*")) if VIDEOS.is_dir() else ["(missing)"]
)
def test_real_videos_are_not_the_pose(name: str, quality: str) -> None:
    """Warrior II, Down Dog, a backbend, child pose, people not doing yoga: processed without
    error, never taken for Janu Sirsasana, no Janu fault claimed (at the default rate), by
    the live preset and by the default one for videos."""
    path = shared_dir("samples", "videos", name)
    pose = load_pose("janu_sirsasana", quality)
    with open_estimator(quality, "video", [shared_dir("models")], allow_download=False) as est:
        result = analyse_video(path, pose, est)
    summary = result.summary
    assert result.damage is None, result.damage
    assert summary["frames_analysed"] >= 5
    assert summary["time_by_state"].get(IN_POSE, 0.0) < 0.5, summary["time_by_state"]
    assert not [s for s in summary["segments"] if s["extended_leg"]], summary["segments"]
    assert summary["faults"] == []
    assert all(r.cues == () for r in result.records)


# --------------------------------------------------------------------------- bad input


def bad_files(tmp: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    corrupt = tmp / "corrupt.mp4"
    corrupt.write_bytes(rng.integers(0, 256, 200_000, dtype=np.uint8).tobytes())
    text = tmp / "notes.mp4"
    text.write_text("not a video\n" * 100)
    jpeg = tmp / "photo.mp4"
    ok, data = cv2.imencode(".jpg", np.full((120, 160, 3), 128, np.uint8))
    assert ok
    jpeg.write_bytes(data.tobytes())
    return {"corrupt": corrupt, "text": text, "jpeg": jpeg, "missing": tmp / "missing.mp4"}


BAD_MESSAGES = {
    "corrupt": "cannot be opened as video",
    "text": "cannot be opened as video",
    "jpeg": "not a video file",
    "missing": "file not found",
}


class NoEstimator:
    """Fails the test if a frame ever reaches it."""

    name, models, people_in_last_frame = "none", [], 0

    def detect(self, rgb, time_s=None):  # noqa: ANN001, ANN201
        raise AssertionError("the file should have been refused before any frame")


@pytest.mark.parametrize("kind", list(BAD_MESSAGES))
def test_unreadable_files_raise_video_error(tmp_path: Path, kind: str) -> None:
    """No model needed: the file is refused before the model is loaded."""
    path = bad_files(tmp_path)[kind]
    with pytest.raises(VideoError, match=BAD_MESSAGES[kind]) as err:
        analyse_video(path, POSE, NoEstimator())
    assert str(path) in str(err.value)


def test_the_annotated_video_never_overwrites_the_input(tmp_path: Path) -> None:
    path = tmp_path / "session.mp4"
    path.write_bytes(b"precious")
    with pytest.raises(VideoError, match="would overwrite"):
        analyse_video(path, POSE, NoEstimator(), out=tmp_path / "." / "session.mp4")
    assert path.read_bytes() == b"precious"


@pytest.fixture
def shared_models(monkeypatch: pytest.MonkeyPatch) -> Path:
    models = shared_dir("models")
    monkeypatch.setenv("ALIGNMENT_MODEL", str(models))
    return models


@pytest.mark.shared
@pytest.mark.parametrize("kind", list(BAD_MESSAGES))
def test_cli_refuses_unreadable_files(
    tmp_path: Path, kind: str, shared_models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = bad_files(tmp_path)[kind]
    assert main(["video", str(path), "--quality", "fast", "--quiet"]) == 2
    out, err = capsys.readouterr()
    error = next(line for line in err.splitlines() if line.startswith("error: "))
    assert BAD_MESSAGES[kind] in error and str(path) in error
    assert "Traceback" not in err and out == ""


@pytest.mark.shared
def test_cli_refuses_every_zero(
    tmp_path: Path, shared_models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "grey.mp4"
    grey = tmp_path / "grey.png"
    cv2.imwrite(str(grey), np.full((120, 160, 3), 128, np.uint8))
    build_clip([Shot(grey, 0.5)], path, size=(160, 120))
    with pytest.raises(SystemExit) as stopped:  # argparse's own error, before any work
        main(["video", str(path), "--rate", "0", "--quiet"])
    assert stopped.value.code == 2
    assert "--rate: the rate must be at least 2 analyses a second" in capsys.readouterr().err


def grey_clip(tmp: Path, seconds: float, name: str = "empty.mp4") -> Path:
    image = tmp / "grey.png"
    cv2.imwrite(str(image), np.full((480, 640, 3), 110, np.uint8))
    path = tmp / name
    build_clip([Shot(image, seconds)], path, fps=FPS, size=(320, 240), noise_sigma=8.0)
    return path


@pytest.mark.shared
def test_truncated_video_keeps_its_frames(
    tmp_path: Path, shared_models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = grey_clip(tmp_path, 4.0, "full.mp4")
    cut = tmp_path / "cut.mp4"
    data = full.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.6)])
    with open_estimator(QUALITY, "video", [shared_models], allow_download=False) as estimator:
        result = analyse_video(cut, POSE, estimator, rate=None)  # every frame
    assert result.damage is not None and "truncated" in result.damage
    assert 0 < len(result.records) < 120
    assert len(result.records) == result.summary["video"]["frames_read"]
    times = [r.time_s for r in result.records]
    assert times[0] == 0.0 and np.allclose(np.diff(times), 1 / FPS, atol=1e-3)
    assert result.summary["video"]["damage"] == result.damage
    assert any("damaged" in w for w in result.summary["warnings"])

    assert main(["video", str(cut), "--quality", "fast", "--quiet"]) == 1
    out, _ = capsys.readouterr()
    assert out.startswith("Session: ") and "Warning: the video is damaged" in out


@pytest.mark.shared
def test_video_with_nobody(tmp_path: Path, shared_models: Path) -> None:
    path = grey_clip(tmp_path, 2.0)
    with open_estimator(QUALITY, "video", [shared_models], allow_download=False) as estimator:
        result = analyse_video(path, POSE, estimator)
    summary = result.summary
    assert result.damage is None
    assert summary["frames_analysed"] == 2 * DEFAULT_RATE_HZ  # of the 60 frames
    assert any("nobody was found" in w for w in summary["warnings"]), summary["warnings"]
    assert {s["kind"] for s in summary["segments"]} == {NOT_IN_FRAME}
    assert summary["faults"] == [] and summary["asymmetry"]["compared"] is False
    assert "Warning: nobody was found" in summary_text(summary, POSE)


@pytest.fixture(scope="module")
def every_janu_photo(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], VideoResult]:
    """One session of every Janu photo, each held 1.5 s and then mirrored (the other side)
    1.5 s, at 6 frames/s, through the default preset for videos."""
    from alignment.estimators.presets import VIDEO_QUALITY

    images = shared_dir("samples", "images", "janu")
    shots = []
    for photo in sorted(images.glob("*.jpg")):
        shots += [Shot(photo, 1.5, label=photo.name), Shot(photo, 1.5, True, photo.name)]
    path = tmp_path_factory.mktemp("every") / "every.mp4"
    truth = build_clip(shots, path, fps=6, size=(640, 480), seed=3)
    pose = load_pose("janu_sirsasana", VIDEO_QUALITY)
    with open_estimator(VIDEO_QUALITY, "video", [MODELS], allow_download=False) as estimator:
        return truth, analyse_video(path, pose, estimator)


@pytest.mark.shared
@pytest.mark.slow
def test_every_janu_photo_and_its_mirror_give_both_sides(every_janu_photo) -> None:
    """Each side of each photo: the frames that name a side name the right one, and on the
    photos the preset recognises, both sides are held."""
    truth, result = every_janu_photo
    points = read_labels(SHARED / "samples" / "leg_points.csv")
    legs = {key.split("/")[-1]: row["straight_leg"] for key, row in points.items()}
    held_both = 0
    for photo, mirror in zip(truth[::2], truth[1::2], strict=True):
        if photo["label"] not in legs:  # the photos with hand-placed leg points
            continue
        straight = legs[photo["label"]]
        held = []
        for shot, side in ((photo, straight), (mirror, "right" if straight == "left" else "left")):
            # After a cut the smoothing and the trackers need a moment to follow the jump.
            frames = [r for r in result.records if shot["start"] + 0.5 <= r.time_s < shot["end"]]
            named = [r.extended_leg for r in frames if r.extended_leg]
            assert all(s == side for s in named), (shot, named)
            held.append(sum(r.state == IN_POSE and r.extended_leg == side for r in frames))
        held_both += all(n >= 3 for n in held)
    assert held_both >= 8  # of 18: the photos the preset recognises (README, Evaluation)
    sides = result.summary["sides"]
    assert sides["left"]["hold_seconds"] > 8 and sides["right"]["hold_seconds"] > 8
