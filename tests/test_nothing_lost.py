"""Nothing the user owns is lost, whatever they type or do (issue 19): no output is written
over an input or where the next run would read it as one; a hangup (the terminal closed)
keeps the work as Ctrl-C does. The pose model is a stand-in (`fakes.StillEstimator`) where
the behaviour does not need a real one."""

from __future__ import annotations

import importlib.util
import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from fakes import StillEstimator, recorded
from PIL import Image
from shared_paths import ROOT, SHARED

from alignment.cli.main import main
from alignment.io.outputs import OutputError
from alignment.io.rule_files import load_pose
from alignment.io.video import FrameReader
from alignment.testing.clips import Shot, build_clip

JANU = "janu/y82ukr_30.jpg"
POSE = load_pose("janu_sirsasana")


def scene(width: int = 320, height: int = 180, level: int = 120) -> np.ndarray:
    """A picture with something in it (a flat one is blank): a soft gradient."""
    ramp = np.linspace(-40, 40, width)[None, :, None] + np.zeros((height, 1, 3))
    return np.clip(level + ramp, 0, 255).astype(np.uint8)


def photo(path: Path, value: int = 120) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(scene(level=value)).save(path)
    return path


def clip(path: Path, seconds: float = 2.0) -> Path:
    build_clip([Shot(photo(path.with_suffix(".png")), seconds)], path, fps=15, size=(320, 180))
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def error_line(err: str) -> str:
    return next(line for line in err.splitlines() if line.startswith("error: "))


# ---------------------------------------------------------------------------- 1. originals


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_annotating_into_the_photo_folder_is_refused_and_the_originals_stay(
    tmp_path, capsys, still, overwrite
) -> None:
    photos = tmp_path / "photos"
    for i in range(3):
        photo(photos / f"p{i}.jpg", 40 * i)
    photo(photos / "sub" / "q.png")
    before = snapshot(photos)
    for target in (photos, photos / "drawn", photos / "sub"):
        assert main(["image", str(photos), "--annotate", str(target), *overwrite, "--quiet"]) == 2
        err = capsys.readouterr().err
        line = error_line(err)
        assert f"--annotate {target}" in line and f"the input {photos}" in line
        assert "choose a folder outside" in line.lower() and "Traceback" not in err
        assert snapshot(photos) == before  # not one byte changed, nothing added
    # The same folder by another name (a relative path, a symbolic link) is the same folder.
    (tmp_path / "link").symlink_to(photos)
    assert main(["image", str(photos), "--annotate", str(tmp_path / "link"), "--quiet"]) == 2
    assert "is the input" in error_line(capsys.readouterr().err)
    assert snapshot(photos) == before
    # A folder beside it is fine, and a second run there reads only the originals.
    out = tmp_path / "annotated"
    assert main(["image", str(photos), "--annotate", str(out), "--quiet"]) == 0
    assert sorted(snapshot(out)) == sorted(before)
    assert snapshot(photos) == before


def test_a_photo_given_by_name_is_never_its_own_annotated_copy(tmp_path, capsys, still) -> None:
    original = photo(tmp_path / "here" / "a.jpg")
    other = photo(tmp_path / "there" / "b.jpg")
    data = original.read_bytes()
    argv = ["image", str(original), str(other), "--annotate", str(tmp_path / "here"), "--quiet"]
    assert main([*argv, "--overwrite"]) == 2
    line = error_line(capsys.readouterr().err)
    assert f"would write {original} over the input" in line
    assert original.read_bytes() == data and not (tmp_path / "here" / "b.jpg").exists()


def test_a_video_is_never_its_own_annotated_copy(tmp_path, monkeypatch, capsys, still) -> None:
    source = clip(tmp_path / "session.mp4")
    data = source.read_bytes()
    monkeypatch.chdir(tmp_path)
    assert main(["video", "session.mp4", "--out", str(source), "--quiet"]) == 2
    line = error_line(capsys.readouterr().err)
    assert f"--out {source}: is the input session.mp4" in line
    assert source.read_bytes() == data


def test_ray_annotate_inside_the_inputs_is_refused_before_ray(tmp_path, capsys) -> None:
    if importlib.util.find_spec("ray") is None:  # not imported here: the Ray tests set it up
        pytest.skip("needs the ray extra")
    photos = tmp_path / "photos"
    photo(photos / "p.jpg")
    videos = tmp_path / "videos"
    clip(videos / "s.mp4")
    before = snapshot(tmp_path)
    results = tmp_path / "results"
    cases = [
        (["image", "--ray", str(photos), "--annotate", str(photos / "drawn")], "lies inside"),
        (["video", "--ray", str(videos / "s.mp4"), "--annotate", str(videos)], "would write"),
    ]
    for argv, words in cases:
        assert main([*argv, "--results", str(results), "--overwrite", "--quiet"]) == 2
        err = capsys.readouterr().err
        assert words in error_line(err) and "Traceback" not in err
        assert snapshot(tmp_path) == before and not results.exists()


# ---------------------------------------------------------------------------- 2. hangups


def test_sighup_stops_like_sigterm(still, tmp_path, capsys) -> None:
    """In this process: the handler in place during the work sets the flag, status 129."""
    from alignment.cli.common import stop_on_signals

    previous = signal.getsignal(signal.SIGHUP)
    with stop_on_signals() as stop:
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = time.monotonic() + 5
        while not stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
    assert stop.is_set() and (stop.name, stop.exit_status) == ("SIGHUP", 129)
    assert signal.getsignal(signal.SIGHUP) == previous


def test_sighup_ends_a_wait_for_ray_as_ctrl_c_does() -> None:
    """With --ray the command waits on Ray (a long video, say): SIGHUP ends the wait at once,
    as SIGINT and SIGTERM do, so what is committed is kept and --resume finishes."""
    from alignment.cli.common import stop_on_signals
    from alignment.pipeline import cluster

    with stop_on_signals() as stop:
        restore = cluster._stop_while_waiting(stop, lambda: True)
        try:
            with pytest.raises(cluster._Stopped):
                os.kill(os.getpid(), signal.SIGHUP)
                time.sleep(5)  # the handler raises in this thread, during the sleep
        finally:
            restore()
    assert stop.name == "SIGHUP"


@pytest.mark.shared
@pytest.mark.slow
def test_sighup_on_a_photo_batch_keeps_what_was_done(tmp_path) -> None:
    folder = tmp_path / "photos"
    for i in range(40):
        photo(folder / f"p{i:02}.jpg", 60 + i)
    out = tmp_path / "out.json"
    env = {"ALIGNMENT_MODEL": str(SHARED / "models"), "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    command = [sys.executable, "-m", "alignment.cli.main", "image", str(folder), "--json",
               str(out), "--quality", "fast"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:
        if "photos  " in line:
            proc.send_signal(signal.SIGHUP)
            break
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 129, err
    records = json.loads(out.read_text())
    done = [r for r in records if r["error"] is None]
    assert len(records) == 40 and 0 < len(done) < 40
    assert "SIGHUP" in err and "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.shared
@pytest.mark.slow
def test_closing_the_terminal_keeps_a_partial_summary_and_no_hidden_file(tmp_path) -> None:
    """`alignment video --out --json` on a terminal that goes away: the terminal is closed
    (writing to it fails from then on), then SIGHUP comes, as when a terminal window is shut.
    The summary is written, marked partial; the annotated video is complete; no hidden
    temporary file is left; exit status 129."""
    source = clip(tmp_path / "long.mp4", seconds=30)
    out, summary = tmp_path / "out.mp4", tmp_path / "s.json"
    env = {"ALIGNMENT_MODEL": str(SHARED / "models"), "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    master, slave = pty.openpty()
    command = [sys.executable, "-m", "alignment.cli.main", "video", str(source), "--out",
               str(out), "--json", str(summary), "--quality", "fast"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=tmp_path, stdin=slave, stdout=slave, stderr=slave,
                            env=env, start_new_session=True)  # fmt: skip
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120
    while b"frames" not in seen:  # the progress bar is drawing: frames are being analysed
        assert proc.poll() is None and time.monotonic() < deadline, seen.decode(errors="replace")
        seen += os.read(master, 4096)
    os.close(master)  # the terminal is gone
    proc.send_signal(signal.SIGHUP)
    status = proc.wait(timeout=120)
    assert status == 129
    data = json.loads(summary.read_text())
    assert data["partial"] is True and 0 < data["frames_analysed"] < 300
    assert any(w.startswith("interrupted at") for w in data["warnings"])
    with FrameReader(out) as reader:
        assert sum(1 for _ in reader) == data["video"]["frames_written"] > 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---------------------------------------------------------------------------- 6. damaged parts


def test_a_damaged_part_is_set_aside_and_its_files_redone(tmp_path) -> None:
    """Parts cut short or garbled (a crash mid-write where renames are not atomic): a
    --resume keeps the whole parts, sets the others aside with a warning, never a traceback."""
    from alignment.io.record_log import DAMAGED, OPTIONS, PARTS, RecordLog

    options = {"command": "image", "level": "standard"}
    results = tmp_path / "results"
    first = RecordLog(str(results))
    first.open(options, resume=False, overwrite=False)
    for name in ("a", "b", "c", "d", "e", "f"):
        first.add(name, json.dumps({"path": name, "error": None}))
        if name in ("b", "d"):
            first.flush()
    first.flush()
    parts = sorted((results / PARTS).glob("part-*.jsonl"))
    assert len(parts) == 3
    whole = parts[0].read_text()
    parts[1].write_text(parts[1].read_text()[:-7])  # cut short mid-line
    parts[2].write_text('{"path": "e", "error": null}\nnot json\n')

    again = RecordLog(str(results))
    previous = again.open(options, resume=True, overwrite=False)
    assert sorted(previous) == ["a", "b"]  # c-f are redone
    assert len(again.warnings) == 2 and all("set aside" in w for w in again.warnings)
    assert sorted(p.name for p in (results / PARTS).glob("part-*.jsonl")) == [parts[0].name]
    assert parts[0].read_text() == whole
    assert sorted(p.name for p in (results / PARTS / DAMAGED).iterdir()) == sorted(
        p.name for p in parts[1:]
    )
    # A third run finds nothing damaged any more.
    third = RecordLog(str(results))
    assert sorted(third.open(options, resume=True, overwrite=False)) == ["a", "b"]
    assert third.warnings == []

    (results / PARTS / OPTIONS).write_text('{"command": "ima')
    with pytest.raises(OutputError, match=r"options.json is damaged.*--overwrite"):
        RecordLog(str(results)).open(options, resume=True, overwrite=False)


# ---------------------------------------------------------------------------- 4. big uploads


def test_the_app_takes_a_long_phone_video() -> None:
    from alignment.cli.app import streamlit_command
    from alignment.settings import MAX_UPLOAD_MB

    options = dict(zip(*[iter(streamlit_command(8501, "127.0.0.1")[5:])] * 2, strict=True))
    assert int(options["--server.maxUploadSize"]) == MAX_UPLOAD_MB >= 1400  # 10 min ~ 1.3 GB


@pytest.mark.shared
@pytest.mark.slow
def test_the_video_page_gives_memory_back_after_each_upload(tmp_path) -> None:
    """benchmarks/upload_memory.py in its own process: the Video page (AppTest) analyses four
    uploads; the server grows by the models once, not by each video, and stays so once the
    session is closed. (Without giving the pages back, the same run grows ~100 MB a video.)"""
    figures = tmp_path / "memory.json"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "upload_memory.py"), "--uploads", "4",
         "--seconds", "6", "--size", "640x480", "--json", str(figures)],
        check=True, cwd=tmp_path, capture_output=True, timeout=300,
        env={**os.environ, "ALIGNMENT_MODEL": str(SHARED / "models"), "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    data = json.loads(figures.read_text())
    first, *later = data["after_each_mb"]
    assert max(later) < first + 80, data
    assert data["closed_mb"] < first + 80, data


@pytest.mark.shared
def test_the_video_page_states_the_upload_limit(monkeypatch) -> None:
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    from alignment.settings import MAX_UPLOAD_MB

    def video_script() -> None:
        from alignment.app.video_page import render

        render()

    monkeypatch.setenv("ALIGNMENT_MODEL", str(SHARED / "models"))
    before = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", MAX_UPLOAD_MB)  # as `alignment app` sets it
    try:
        at = AppTest.from_function(video_script, default_timeout=60).run()
    finally:
        config.set_option("server.maxUploadSize", before)
    assert not at.exception
    (upload,) = at.file_uploader
    assert upload.label.endswith("up to 2 GB") and "alignment video" in upload.help
    assert [i.value for i in at.info] == ["Upload a video to analyse it (up to 2 GB)."]


# ---------------------------------------------------------------------------- 5. layouts


def reference() -> np.ndarray:
    """A picture as a viewer shows it: a dark figure on a lighter, graded background."""
    rgb = scene(160, 120, 150).copy()
    yy, xx = np.mgrid[:120, :160]
    figure = (yy - 60) ** 2 / 40**2 + (xx - 80) ** 2 / 20**2 < 1
    rgb[figure] = (40, 60, 90)
    return rgb


def grey(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).convert("L"))


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def sixteen_bit_rgb_png(rgb: np.ndarray) -> bytes:
    import cv2

    ok, data = cv2.imencode(".png", rgb[:, :, ::-1].astype(np.uint16) * 257)
    assert ok
    return data.tobytes()


def transparent(rgb: np.ndarray, mode: str) -> tuple[bytes, np.ndarray]:
    """The left half transparent, hiding black: it looks white."""
    alpha = np.full(rgb.shape[:2], 255, np.uint8)
    alpha[:, :80] = 0
    hidden = rgb.copy()
    hidden[:, :80] = 0
    looks = rgb.copy()
    looks[:, :80] = 255
    if mode == "LA":
        image = Image.fromarray(np.dstack([grey(hidden), alpha]), "LA")
        return encoded(image, "PNG"), np.dstack([grey(looks)] * 3)
    return encoded(Image.fromarray(np.dstack([hidden, alpha]), "RGBA"), "PNG"), looks


def rotated_jpeg(rgb: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Stored on its side with EXIF orientation 6 (turn 90 degrees clockwise to view)."""
    stored = np.ascontiguousarray(np.rot90(rgb, 1))  # what a phone held upright stores
    exif = Image.Exif()
    exif[0x0112] = 6
    return encoded(Image.fromarray(stored), "JPEG", quality=95, exif=exif), rgb


def layouts() -> dict[str, tuple[bytes, np.ndarray, float]]:
    """name -> (file bytes, how it looks, the mean difference allowed)."""
    rgb = reference()
    grey3 = np.dstack([grey(rgb)] * 3)
    palette = Image.fromarray(rgb).quantize(64)
    with_hole = palette.copy()
    with_hole.info["transparency"] = 255  # an index no pixel uses
    cases = {
        "16-bit grey PNG": (
            encoded(Image.fromarray(grey(rgb).astype(np.uint16) * 257), "PNG"),
            grey3,
            1.0,
        ),
        "16-bit grey TIFF": (
            encoded(Image.fromarray(grey(rgb).astype(np.uint16) * 257), "TIFF"),
            grey3,
            1.0,
        ),
        "32-bit float TIFF (0..1)": (
            encoded(Image.fromarray(grey(rgb).astype(np.float32) / 255), "TIFF"),
            grey3,
            1.0,
        ),
        "16-bit RGB PNG": (sixteen_bit_rgb_png(rgb), rgb, 1.0),
        "grey + alpha PNG": (*transparent(rgb, "LA"), 1.0),
        "RGBA PNG": (*transparent(rgb, "RGBA"), 1.0),
        "palette PNG": (encoded(palette, "PNG"), rgb, 6.0),
        "palette PNG with transparency": (encoded(with_hole, "PNG", transparency=255), rgb, 6.0),
        "CMYK JPEG": (encoded(Image.fromarray(rgb).convert("CMYK"), "JPEG", quality=95), rgb, 4),
        "CMYK TIFF": (encoded(Image.fromarray(rgb).convert("CMYK"), "TIFF"), rgb, 1.0),
        "1-bit PNG": (
            encoded(Image.fromarray(grey(rgb) > 100), "PNG"),
            np.dstack([(grey(rgb) > 100).astype(np.uint8) * 255] * 3),
            1.0,
        ),
        "JPEG with EXIF rotation": (*rotated_jpeg(rgb), 4.0),
    }
    return cases


@pytest.mark.parametrize("layout", list(layouts()))
def test_every_layout_reads_as_it_looks(layout) -> None:
    from alignment.io.images import decode_photo

    data, looks, allowed = layouts()[layout]
    rgb = decode_photo(data, "p").rgb
    assert rgb.dtype == np.uint8 and rgb.shape == looks.shape
    assert np.abs(rgb.astype(int) - looks).mean() <= allowed


@pytest.mark.parametrize("level", [0, 128, 255])
def test_a_blank_picture_is_said_to_be_blank(tmp_path, capsys, still, level) -> None:
    from alignment.io.images import decode_photo
    from alignment.pipeline.photo import BLANK, PhotoChecker

    flat = Image.fromarray(np.full((120, 160, 3), level, np.uint8))
    checker = PhotoChecker(still, POSE)
    for fmt, options in (("JPEG", {"quality": 60}), ("PNG", {})):
        record = checker.check_bytes(encoded(flat, fmt, **options), "p").record
        assert record["error"] == BLANK.format(name="p")
        assert "the picture is blank" in record["error"]
    # A 16-bit picture read as 8 bits would be one flat white; it is not blank.
    assert decode_photo(layouts()["16-bit grey PNG"][0], "p").rgb.std() > 10
    assert checker.check_bytes(layouts()["16-bit grey PNG"][0], "p").record["error"] is None
    # The command says so for that photo and goes on with the others.
    flat.save(tmp_path / "blank.png")
    photo(tmp_path / "fine.png")
    out = tmp_path / "out.json"
    assert main(["image", str(tmp_path), "--json", str(out), "--quiet"]) == 1
    records = {Path(r["path"]).name: r for r in json.loads(out.read_text())}
    assert "the picture is blank" in records["blank.png"]["error"]
    assert records["fine.png"]["error"] is None


def test_holds_never_exceed_the_video_when_its_timestamps_jump(tmp_path) -> None:
    """4 s of a held pose whose timestamps jump by an hour half-way (a phone's clock reset,
    an edit): the hold is the 4 s that were filmed (and at most the gap's MAX_FRAME_S), not an
    hour."""
    from alignment.io.video import VideoWriter
    from alignment.pipeline.video import analyse_video
    from alignment.session.timeline import MAX_FRAME_S

    path = tmp_path / "jump.mp4"
    frame = scene(320, 180)
    times = [i / 10 for i in range(20)] + [3600 + i / 10 for i in range(20)]
    with VideoWriter(path, 10, 320, 180) as writer:
        for t in times:
            writer.write(frame, t)
    summary = analyse_video(path, POSE, StillEstimator(recorded(JANU)), rate=None).summary
    assert 3.9 <= summary["duration_s"] <= 4.0 + MAX_FRAME_S
    held = summary["sides"]["left"]["hold_seconds"] + summary["sides"]["right"]["hold_seconds"]
    assert 3.0 <= held <= summary["duration_s"]


@pytest.mark.parametrize(("seconds", "rate", "words"), [
    (1.0, 3.0, "only 3 of the video's 15 frames were analysed (3 a second"),
    (0.2, None, "the video has only 3 frames: too few"),
])  # fmt: skip
def test_too_few_analysed_frames_is_a_warning(tmp_path, capsys, still, seconds, rate, words):
    path = clip(tmp_path / "short.mp4", seconds=seconds)
    out = tmp_path / "s.json"
    argv = ["video", str(path), "--json", str(out), "--rate", "all" if rate is None else str(rate)]
    assert main([*argv, "--quiet"]) == 0
    warnings = json.loads(out.read_text())["warnings"]
    assert any(words in w for w in warnings), warnings
    assert words in capsys.readouterr().out
    # Enough frames: no such warning.
    assert (
        main(["video", str(clip(tmp_path / "long.mp4", 2.0)), "--json", str(out), "--quiet"]) == 0
    )
    assert not any("too few" in w for w in json.loads(out.read_text())["warnings"])
