"""`alignment video` end to end: the summary, the annotated video, the JSON, CSV and plot."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import av
import pytest
from shared_paths import SHARED

from alignment.cli.main import main
from alignment.core.status import IN_POSE
from alignment.testing.clips import Shot, build_clip

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = [pytest.mark.shared, pytest.mark.slow]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A 6 s clip (Janu photo 3 s, then mirrored 3 s) through the whole command, once."""
    janu = SHARED / "samples" / "images" / "janu" / "y82ukr_30.jpg"
    models = SHARED / "models"
    if not janu.is_file() or not (models / "pose_landmarker_full.task").is_file():
        pytest.skip(f"needs the shared photos and models under {SHARED}")
    tmp = tmp_path_factory.mktemp("cli")
    clip = tmp / "clip.mp4"
    build_clip([Shot(janu, 3.0), Shot(janu, 3.0, mirror=True)], clip, fps=30, size=(640, 480))
    files = {name: tmp / name for name in ("out.mp4", "s.json", "t.csv", "p.png")}
    argv = [
        "video",
        str(clip),
        "--out",
        str(files["out.mp4"]),
        "--json",
        str(files["s.json"]),
        "--csv",
        str(files["t.csv"]),
        "--plot",
        str(files["p.png"]),
        "--rate",
        "15",
        "--quiet",
    ]  # every 2nd frame of 30 fps analysed; the annotated video has them all
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ALIGNMENT_MODEL", str(models))
        status = main(argv)
    return {"status": status, **files}


def test_exit_status_and_all_files_written(outputs: dict) -> None:
    assert outputs["status"] == 0
    for name in ("out.mp4", "s.json", "t.csv", "p.png"):
        assert outputs[name].is_file() and outputs[name].stat().st_size > 0, name


def test_annotated_video_is_browser_playable_h264(outputs: dict) -> None:
    with av.open(str(outputs["out.mp4"])) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.codec_context.width, stream.codec_context.height) == (640, 480)
        assert float(stream.average_rate) == pytest.approx(30.0)  # the source's frames, all
        frames = sum(1 for _ in container.decode(stream))
    assert frames == 180  # every frame drawn, every 2nd one analysed


def test_json_summary(outputs: dict) -> None:
    summary = json.loads(outputs["s.json"].read_text(encoding="utf-8"))
    assert summary["frames_analysed"] == 90
    assert summary["segments"], "no segments"
    for seg in summary["segments"]:
        assert set(seg) == {"start", "end", "kind", "extended_leg"}
        assert seg["start"] < seg["end"]
    for side in ("left", "right"):  # 3 s each, the first and the mirrored photo
        assert summary["sides"][side]["hold_seconds"] == pytest.approx(3.0, abs=0.5)
    assert summary["asymmetry"]["compared"] is True
    assert [f["rule"] for f in summary["faults"]] == ["rounded_back"]
    video = summary["video"]
    assert video["rate_hz"] == 15 and video["damage"] is None
    assert (video["frames_read"], video["frames_written"]) == (180, 180)
    assert video["held_max_s"] == pytest.approx(1 / 30, abs=2e-3)  # one frame, then analysed
    assert summary["video"]["width"] == 640 and summary["video"]["height"] == 480


def test_csv_timeline_one_row_per_analysed_frame(outputs: dict) -> None:
    with open(outputs["t.csv"], newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["time_s", "state"]
    assert {"extended_leg", "score", "faults", "cues", "hip_flexion", "message"} <= set(header)
    assert len(body) == 90
    times = [float(row[0]) for row in body]
    assert times == sorted(times) and times[1] - times[0] == pytest.approx(2 / 30, abs=1e-3)
    assert IN_POSE in {row[1] for row in body}


def test_plot_is_a_png(outputs: dict) -> None:
    data = outputs["p.png"].read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    import matplotlib.image

    image = matplotlib.image.imread(outputs["p.png"])
    assert image.shape[0] > 200 and image.shape[1] > 400


def test_summary_is_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    janu = SHARED / "samples" / "images" / "janu" / "y82ukr_30.jpg"
    if not janu.is_file():
        pytest.skip(f"needs the shared photos under {SHARED}")
    monkeypatch.setenv("ALIGNMENT_MODEL", str(SHARED / "models"))
    clip = tmp_path / "short.mp4"
    build_clip([Shot(janu, 2.0)], clip, fps=30, size=(320, 240))
    assert main(["video", str(clip), "--quiet"]) == 0  # 5 analyses a second: every 6th frame
    out, err = capsys.readouterr()
    assert out.startswith("Session: 2.0 s, 10 frames analysed (5 a second) of 60 read")
    assert "Segments:" in out and "(left leg extended)" in out
    assert "Left leg extended: held" in out and "Right leg extended: not seen in the pose" in out
    assert "Only one side was seen in the pose" in out
    assert "Rounded back: " in out and "rounded_back" not in out  # the rule's plain name
    assert "hip flexion typical" in out and "°" in out  # angles with their unit
    assert "None" not in out
    assert err == ""
