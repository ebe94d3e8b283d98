"""The Streamlit app without a browser: the Video and Photos pages through AppTest (their
real file uploaders), the live pipeline fed frames directly, and the launcher's command line.

streamlit-webrtc is never imported here: the page scripts import only their own module.
"""

from __future__ import annotations

import json
import re
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from shared_paths import SHARED
from skeletons import seated
from streamlit.testing.v1 import AppTest

from alignment.app import common
from alignment.cli.app import app_environment, streamlit_command
from alignment.core.feedback import feedback
from alignment.io.rule_files import load_pose
from alignment.present.words import STATUS_LABELS
from alignment.settings import (
    DEFAULT_RATE_HZ,
    ICE_ENV,
    LEVEL_ENV,
    POSE_ENV,
    QUALITY_ENV,
    VIDEO_QUALITY_ENV,
)

MODELS = SHARED / "models"
JANU = SHARED / "samples" / "images" / "janu" / "y82ukr_30.jpg"
DANDASANA = SHARED / "samples" / "images" / "other" / "y82ukr_dandasana_1.jpg"
SPINE_CUE = "Lengthen your spine and lead with your chest."
TIMEOUT = 180  # seconds for one AppTest run (the video page analyses a clip)


def photos_script() -> None:
    from alignment.app.photos_page import render

    render()


def video_script() -> None:
    from alignment.app.video_page import render

    render()


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared photos and models; ALIGNMENT_MODEL points at the models folder."""
    if not (
        JANU.is_file() and DANDASANA.is_file() and (MODELS / "pose_landmarker_full.task").is_file()
    ):
        pytest.skip(f"needs the shared photos and models in {SHARED} (not present)")
    monkeypatch.setenv("ALIGNMENT_MODEL", str(MODELS))
    for name in (POSE_ENV, LEVEL_ENV, ICE_ENV, QUALITY_ENV, VIDEO_QUALITY_ENV):
        monkeypatch.delenv(name, raising=False)
    return SHARED


@pytest.fixture(scope="module")
def session_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of Dandasana then 4 s of Janu Sirsasana (left leg extended), 640x480 H.264."""
    if not (JANU.is_file() and DANDASANA.is_file()):
        pytest.skip(f"needs the shared photos in {SHARED} (not present)")
    from alignment.testing.clips import Shot, build_clip

    out = tmp_path_factory.mktemp("clip") / "session.mp4"
    build_clip([Shot(DANDASANA, 2), Shot(JANU, 4)], out)
    return out


def texts(at: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


def download_labels(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def uploader(at: AppTest):
    assert len(at.file_uploader) == 1
    return at.file_uploader[0]


# ---------------------------------------------------------------------------- Photos page


@pytest.mark.slow
@pytest.mark.shared
def test_photos_page_shows_verdict_and_cue(shared: Path) -> None:
    webrtc_loaded = "streamlit_webrtc" in sys.modules
    at = AppTest.from_function(photos_script, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "Upload one or more photos to check them." in texts(at, "info")
    uploader(at).set_value(("y82ukr_30.jpg", JANU.read_bytes(), "image/jpeg"))
    at.run()
    assert not at.exception and not at.error
    markdown = "\n".join(texts(at, "markdown"))
    assert ":red[In the pose: corrections]" in markdown  # the status, in its colour
    assert SPINE_CUE in markdown  # the cue, in words
    assert "left leg extended" in markdown and "score" in markdown
    table = at.table[0].value
    assert list(table["photo"]) == ["y82ukr_30.jpg"]
    assert list(table["status"]) == [STATUS_LABELS["faults"]]
    assert len(at.image) == 1  # the photo with its overlay
    assert download_labels(at) == ["Download the table (CSV)", "Download the results (JSON)"]
    # The page ran without importing the Live page's streamlit_webrtc.
    assert ("streamlit_webrtc" in sys.modules) == webrtc_loaded


@pytest.mark.shared
def test_photos_page_reports_a_bad_file_and_goes_on(shared: Path) -> None:
    at = AppTest.from_function(photos_script, default_timeout=TIMEOUT).run()
    uploader(at).set_value(
        [
            ("notes.txt", b"not a picture at all", "text/plain"),
            ("y82ukr_30.jpg", JANU.read_bytes(), "image/jpeg"),
        ]
    )
    at.run()
    assert not at.exception
    errors = texts(at, "error")
    assert len(errors) == 1 and errors[0].startswith("notes.txt:")
    assert "not a readable image" in errors[0]
    assert SPINE_CUE in "\n".join(texts(at, "markdown"))  # the good photo is still analysed
    table = at.table[0].value
    assert list(table["status"]) == [STATUS_LABELS["error"], STATUS_LABELS["faults"]]
    assert "None" not in table.to_string()
    assert "1 of 2 files analysed." in texts(at, "caption")


@pytest.mark.shared
def test_photos_page_keeps_photos_in_the_journal_when_asked(
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing is kept until the button is pressed; then the photo in the pose is kept once
    (not the unreadable file), and the page says so."""
    from alignment.journal.places import journal_place
    from alignment.journal.store import Journal

    journal = tmp_path / "journal.sqlite"
    monkeypatch.setenv("ALIGNMENT_JOURNAL", str(journal))
    at = AppTest.from_function(photos_script, default_timeout=TIMEOUT).run()
    uploader(at).set_value(
        [
            ("notes.txt", b"not a picture at all", "text/plain"),
            ("y82ukr_30.jpg", JANU.read_bytes(), "image/jpeg"),
        ]
    )
    at.run()
    [keep] = [b for b in at.button if "practice journal" in b.label]
    assert keep.label == "Keep 1 photo in the pose in the practice journal"
    assert not journal.exists()
    keep.click().run()
    assert not at.exception
    assert "Kept 1 photo in the practice journal." in texts(at, "caption")
    at.run()  # a rerun keeps nothing twice
    assert "These photos are in the practice journal." in texts(at, "caption")
    with Journal(journal_place(str(journal))) as kept:
        [entry] = kept.entries()
    assert (entry.source, entry.source_name) == ("photo", "y82ukr_30.jpg")
    assert [s.side for s in entry.sides] == ["left"]


@pytest.mark.shared
def test_photos_page_downloads_and_cache(shared: Path) -> None:
    from alignment.app import photos_page

    at = AppTest.from_function(photos_script, default_timeout=TIMEOUT).run()
    uploader(at).set_value(
        [
            ("y82ukr_30.jpg", JANU.read_bytes(), "image/jpeg"),
            ("broken.png", b"\x89PNG\r\n\x1a\nbroken", "image/png"),
        ]
    )
    at.run()
    results = list(at.session_state[photos_page.RESULTS_KEY].values())
    records = [r.record for r in results]
    csv_text = photos_page.table_csv(records).decode("utf-8")
    assert csv_text.splitlines()[0].startswith("path,status,")
    assert "y82ukr_30.jpg,faults," in csv_text and "broken.png,error," in csv_text
    assert json.loads(json.dumps(records))[0]["cues"][0] == SPINE_CUE
    # A rerun (a click on a download button, say) does not analyse again.
    cached = {k: id(v) for k, v in at.session_state[photos_page.RESULTS_KEY].items()}
    at.run()
    assert {k: id(v) for k, v in at.session_state[photos_page.RESULTS_KEY].items()} == cached


# ---------------------------------------------------------------------------- Video page


@pytest.mark.slow
@pytest.mark.shared
def test_video_page_summary_hold_time_and_downloads(shared: Path, session_clip: Path) -> None:
    from alignment.app import video_page

    at = AppTest.from_function(video_script, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any(t.startswith("Upload a video to analyse it (up to ") for t in texts(at, "info"))
    uploader(at).set_value(("session.mp4", session_clip.read_bytes(), "video/mp4"))
    started = time.monotonic()
    at.run()
    took = time.monotonic() - started
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    held = float(metrics["Left leg extended: held"].split()[0])
    assert 2.0 <= held <= 4.5, metrics  # the clip holds the pose (left leg) for 4 s
    assert metrics["Frames analysed"] == f"{6 * DEFAULT_RATE_HZ:g}"  # as the CLI
    assert any("Only one side was seen" in t for t in texts(at, "info"))  # asymmetry
    summary_text = "\n".join(texts(at, "code"))
    assert "Left leg extended: held" in summary_text and "Rounded back" in summary_text
    assert download_labels(at) == [
        "Download the summary (JSON)",
        "Download the per-frame timeline (CSV)",
        "Download the annotated video (MP4)",
    ]
    assert len(at.get("video")) == 1 and len(at.image) == 1  # video and plot

    result = at.session_state[video_page.RESULT_KEY]
    summary = json.loads(result.json)
    assert summary["sides"]["left"]["hold_seconds"] == pytest.approx(held, abs=0.05)
    assert summary["video"]["path"] == "session.mp4"  # not the temporary file
    assert result.csv.decode().splitlines()[0].startswith("time_s,state,extended_leg,")
    assert len(result.csv.decode().splitlines()) == 1 + 6 * DEFAULT_RATE_HZ  # a row per analysis
    assert (
        summary["video"]["rate_hz"] == DEFAULT_RATE_HZ and summary["video"]["frames_written"] == 180
    )
    assert summary["video"]["models"] == [
        "pose_landmarker_full.task",
        "movenet_singlepose_thunder.onnx",
    ]  # the CLI's default preset for videos (balanced), not the photos' one
    assert result.video[4:8] == b"ftyp" and result.plot[:4] == b"\x89PNG"

    # Reruns use the stored result.
    started = time.monotonic()
    at.run()
    assert time.monotonic() - started < max(1.0, took / 4)
    assert at.session_state[video_page.RESULT_KEY] is result


@pytest.mark.shared
def test_video_page_rejects_a_non_video(shared: Path) -> None:
    at = AppTest.from_function(video_script, default_timeout=TIMEOUT).run()
    uploader(at).set_value(("notes.txt", b"this is text, not a video", "text/plain"))
    at.run()
    assert not at.exception
    errors = texts(at, "error")
    assert len(errors) == 1
    assert errors[0].startswith("notes.txt: this is not a video I can read")
    assert "mp4" in errors[0]
    assert not download_labels(at) and not at.metric
    # A photo renamed .mp4 is not a video either.
    uploader(at).set_value(("photo.mp4", JANU.read_bytes(), "video/mp4"))
    at.run()
    assert texts(at, "error")[0].startswith("photo.mp4: this is not a video I can read")


@pytest.mark.shared
def test_video_page_warns_when_nobody_is_in_view(shared: Path, tmp_path: Path) -> None:
    import cv2

    from alignment.testing.clips import Shot, build_clip

    wall = tmp_path / "wall.png"
    cv2.imwrite(str(wall), np.full((480, 640, 3), 180, np.uint8))
    clip = tmp_path / "empty_room.mp4"
    build_clip([Shot(wall, 1.0)], clip, fps=15)
    at = AppTest.from_function(video_script, default_timeout=TIMEOUT).run()
    uploader(at).set_value(("empty_room.mp4", clip.read_bytes(), "video/mp4"))
    at.run()
    assert not at.exception and not at.error
    assert any("nobody was found" in w for w in texts(at, "warning"))


# ---------------------------------------------------------------------------- Live pipeline


@pytest.mark.slow
@pytest.mark.shared
def test_live_session_cue_and_hold_from_frames(shared: Path) -> None:
    """What the frame callback does, without WebRTC: av frames in, annotated frames out,
    the snapshot (cue, hold timer, frame count) and the summary."""
    import av

    from alignment.estimators.presets import LIVE_QUALITY, open_estimator
    from alignment.io.rule_files import load_pose
    from alignment.pipeline.live import LiveSession
    from alignment.testing.clips import Shot, iter_clip_frames

    session = LiveSession(
        lambda: open_estimator(LIVE_QUALITY, "video", [MODELS]), load_pose(), "standard"
    )
    assert session.summary() is None and session.snapshot().frames == 0
    try:
        for time_s, rgb in iter_clip_frames([Shot(JANU, 2.5)], fps=15):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.time_base = Fraction(1, 90000)  # RTP video clock, arbitrary origin
            frame.pts = 12_345_678 + round(time_s * 90000)
            out = session.process(frame)
            assert isinstance(out, av.VideoFrame) and (out.width, out.height) == (640, 480)
            assert session.wait_idle()  # every frame analysed (live, a newer one would win)
        snap = session.snapshot()
        assert snap.error is None and snap.running
        assert snap.frames == 38
        assert snap.status == "faults" and snap.cue == SPINE_CUE
        assert snap.side == "left" and snap.hold_s["left"] > 1.5 and snap.hold_s["right"] == 0
        assert session.detector_open
    finally:
        session.stop()  # what on_video_ended does
    assert not session.detector_open and not session.snapshot().running
    summary = session.summary()
    assert summary is not None and summary["frames_analysed"] == 38
    assert summary["sides"]["left"]["hold_seconds"] > 1.5
    assert summary["faults"][0]["rule"] == "rounded_back"
    # The next frame starts a new stream (a new detector, a new tracker).
    session.analyse(np.zeros((480, 640, 3), np.uint8), None)
    assert session.snapshot().frames == 1 and session.snapshot().status == "no_person"
    session.close()
    assert not session.detector_open


def live_panel_script() -> None:
    from alignment.app.live import render_panel
    from alignment.io.rule_files import load_pose
    from alignment.pipeline.live import LiveSnapshot

    snap = LiveSnapshot(
        frames=120,
        status="faults",
        cue="Lengthen your spine and lead with your chest.",
        active_cues=("Lengthen your spine and lead with your chest.", "Relax your shoulders."),
        side="left",
        hold_s={"left": 12.4, "right": 3.0},
        score=71,
        fps=22.0,
        camera_fps=30.0,
        stage_ms={"model": 21.0, "analysis": 1.0, "draw": 1.1},
        running=True,
        stream=1,
        model="pose_landmarker_full",
    )
    render_panel(snap, True, load_pose())


def test_live_panel_shows_one_cue_the_timers_and_one_rate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the panel beside the video shows while streaming, from a snapshot (an empty
    journal: no targets on the timers)."""
    monkeypatch.setenv("ALIGNMENT_JOURNAL", str(tmp_path / "empty.sqlite"))
    at = AppTest.from_function(live_panel_script, default_timeout=30).run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Left leg extended: hold": "12 s", "Right leg extended: hold": "3 s"}
    markdown = "\n".join(texts(at, "markdown"))
    assert SPINE_CUE in markdown and "Relax your shoulders." in markdown
    captions = texts(at, "caption")
    assert [c for c in captions if "frames/s" in c] == ["Analysed 120 frames · 22 of 30 frames/s"]
    assert any("model 21.0 ms" in c and "drawing 1.1 ms" in c for c in captions)
    assert any("score 71" in c for c in captions)


def dandasana_panel_script() -> None:
    from alignment.app.live import render_panel
    from alignment.io.rule_files import load_pose
    from alignment.pipeline.live import LiveSnapshot

    snap = LiveSnapshot(frames=40, status="good", side=None, hold_s={"both": 7.4}, running=True)
    render_panel(snap, True, load_pose("dandasana"))


def test_a_pose_without_sides_has_one_timer() -> None:
    """Dandasana (`sides = false`): one hold timer, not a left and a right one at 0 s."""
    at = AppTest.from_function(dandasana_panel_script, default_timeout=30).run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric} == {"In the pose: hold": "7 s"}


def test_a_session_of_a_pose_without_sides_times_the_pose() -> None:
    """The tracker and the summary count the hold of a pose without sides under "both"."""
    from alignment.session.tracker import SessionTracker

    pose = load_pose("dandasana")
    skeleton = seated(both_straight=True, torso_incline=5.0, yaw=40.0)  # both legs in view
    tracker = SessionTracker(pose)
    for i in range(60):
        live = tracker.update(i / 15, skeleton)
    tracker.finish()
    summary = tracker.summary()
    assert live.verdict.in_pose, feedback(live.verdict).message
    assert set(live.hold_s) == {"both"} and live.hold_s["both"] > 3.0
    assert summary["sides"]["both"]["hold_seconds"] == pytest.approx(live.hold_s["both"], abs=0.2)


def seed_journal(path: Path, days: int = 6) -> None:
    """`days` sessions, a day apart: the right side folds 10 degrees less than the left."""
    from datetime import datetime, timedelta, timezone

    from test_journal import made_up

    from alignment.journal.places import journal_place
    from alignment.journal.store import Journal

    start = datetime(2026, 11, 1, 7, tzinfo=timezone.utc)
    with Journal(journal_place(str(path))) as journal:
        for d in range(days):
            back = ("rounded_back", "Lengthen your back", 10.0 + d)
            journal.add(made_up(start + timedelta(days=d), 40 - d / 2, 50 - d / 2, 30 + 5 * d,
                                (back,)))  # fmt: skip


def test_live_panel_shows_each_sides_target_from_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_journal(tmp_path / "journal.sqlite")
    monkeypatch.setenv("ALIGNMENT_JOURNAL", str(tmp_path / "journal.sqlite"))
    at = AppTest.from_function(live_panel_script, default_timeout=30).run()
    assert not at.exception and not at.error
    labels = sorted(m.label for m in at.metric)
    # The last 5 sessions held 35-55 s a side (median 45); the right side is the tighter one.
    assert labels == ["Left leg extended: hold (target 45 s)",
                      "Right leg extended: hold (target 75 s)"]  # fmt: skip


def progress_script() -> None:
    from alignment.app.journal_ui import render_progress

    render_progress()


def test_progress_page_shows_the_trend_and_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_journal(tmp_path / "journal.sqlite")
    monkeypatch.setenv("ALIGNMENT_JOURNAL", str(tmp_path / "journal.sqlite"))
    at = AppTest.from_function(progress_script, default_timeout=60).run()
    assert not at.exception and not at.error
    markdown = "\n".join(texts(at, "markdown"))
    assert "Your right side folds 10 degrees less than your left over the last 5 sessions" in (
        markdown
    )
    assert "Hold the right side 30 s longer" in markdown and "Lengthen your back" in markdown
    assert any("6 sessions in" in c for c in texts(at, "caption"))


def test_progress_page_with_no_journal_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIGNMENT_JOURNAL", str(tmp_path / "none.sqlite"))
    at = AppTest.from_function(progress_script, default_timeout=60).run()
    assert not at.exception and any("No sessions in the journal yet" in i.value for i in at.info)


def test_live_session_timestamps_strictly_increase() -> None:
    from alignment.io.rule_files import load_pose
    from alignment.pipeline.live import LiveSession, _Stream

    stream = _Stream(1, load_pose(), "standard")
    times = [
        LiveSession._frame_time(stream, t, 1000.0 + i / 1000)
        for i, t in enumerate((100.0, 100.1, 100.1, None, 100.05, 100.3))
    ]
    assert times[0] == 0.0 and times[1] == pytest.approx(0.1)
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    assert times[-1] == pytest.approx(0.3)


# ---------------------------------------------------------------------------- settings, launch


def test_ice_servers_from_json() -> None:
    assert common.parse_ice_servers(None) == [] and common.parse_ice_servers("  ") == []
    turn = {"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}
    assert common.parse_ice_servers(json.dumps([turn])) == [turn]
    assert common.parse_ice_servers(json.dumps({"iceServers": [turn]})) == [turn]
    assert common.parse_ice_servers(json.dumps(turn)) == [turn]
    with pytest.raises(ValueError):
        common.parse_ice_servers("[1, 2]")
    with pytest.raises(ValueError):
        common.parse_ice_servers("{not json")


@pytest.mark.shared
def test_each_preset_opens_its_own_model_file(
    shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`alignment app` passes the files of the photo preset and the live preset in one
    variable; the Live page must get the live preset's model, not the first `.task` listed."""
    heavy, full = MODELS / "pose_landmarker_heavy.task", MODELS / "pose_landmarker_full.task"
    thunder = MODELS / "movenet_singlepose_thunder.onnx"
    monkeypatch.setenv("ALIGNMENT_MODEL", f"{heavy}:{full}:{thunder}")
    common._load_settings.clear()
    try:
        settings = common.settings()
        assert settings.error is None and settings.quality == "accurate"
        assert heavy in settings.preset_models["accurate"] and full in settings.models
        assert settings.preset_models[common.LIVE_QUALITY][0] == full
    finally:
        common._load_settings.clear()


def test_missing_model_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALIGNMENT_MODEL", str(tmp_path / "nowhere"))
    at = AppTest.from_function(photos_script, default_timeout=30).run()
    assert not at.exception
    assert texts(at, "error")[0].startswith("The app cannot analyse anything:")
    assert not at.file_uploader


def test_launch_command_and_environment(tmp_path: Path) -> None:
    cmd = streamlit_command(8765, "127.0.0.1")
    assert cmd[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert Path(cmd[4]).name == "main.py" and Path(cmd[4]).is_file()
    options = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert options["--server.headless"] == "true"
    assert options["--server.port"] == "8765"
    assert options["--server.address"] == "127.0.0.1"
    assert options["--browser.gatherUsageStats"] == "false"
    assert options["--server.fileWatcherType"] == "none"
    models = [tmp_path / "m.task", tmp_path / "n.onnx"]
    env = app_environment(models, "janu_sirsasana", "gentle", "accurate", "balanced")
    assert env["ALIGNMENT_MODEL"] == f"{models[0]}:{models[1]}"
    assert env[POSE_ENV] == "janu_sirsasana" and env[LEVEL_ENV] == "gentle"
    assert env[QUALITY_ENV] == "accurate" and env[VIDEO_QUALITY_ENV] == "balanced"


def test_only_the_live_page_imports_webrtc() -> None:
    pattern = re.compile(r"^\s*(from|import)\s+streamlit_webrtc\b", re.MULTILINE)
    importers = sorted(
        p.name
        for p in Path(common.__file__).parent.glob("*.py")
        if pattern.search(p.read_text(encoding="utf-8"))
    )
    assert importers == ["live.py"]


@pytest.mark.shared
@pytest.mark.parametrize("script", [photos_script, video_script])
def test_the_level_is_on_the_page_itself(shared: Path, script) -> None:  # noqa: ANN001
    """A phone's collapsed sidebar never hides the level: each page shows it under its
    title, and the choice is kept across pages."""
    at = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert not at.sidebar.selectbox
    level = at.selectbox(key=f"{common.LEVEL_KEY}_page")
    assert level.label == "Level"
    level.set_value("strict").run()
    assert at.session_state[common.LEVEL_KEY] == "strict"
