"""Nothing the user owns is lost, whatever they type or do (issue 19): no output is written
over an input or where the next run would read it as one; a hangup (the terminal closed)
keeps the work as Ctrl-C does. The pose model is a stand-in (`fakes.StillEstimator`) where
the behaviour does not need a real one."""

from __future__ import annotations

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
from alignment.io.clips import Shot, build_clip
from alignment.io.outputs import OutputError
from alignment.io.video import FrameReader

JANU = "janu/y82ukr_30.jpg"


@pytest.fixture
def still(monkeypatch: pytest.MonkeyPatch) -> StillEstimator:
    """The CLI's pose model: a stand-in that sees y82ukr_30's skeleton in every picture."""
    estimator = StillEstimator(recorded(JANU))
    for module in ("alignment.cli.image", "alignment.cli.video"):
        monkeypatch.setattr(f"{module}.open_estimator", lambda *a, **k: estimator)
    return estimator


def photo(path: Path, value: int = 120) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((180, 320, 3), value, np.uint8)).save(path)
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
    pytest.importorskip("ray.data")
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
    from alignment.cli.run import stop_on_signals

    previous = signal.getsignal(signal.SIGHUP)
    with stop_on_signals() as stop:
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = time.monotonic() + 5
        while not stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
    assert stop.is_set() and (stop.name, stop.exit_status) == ("SIGHUP", 129)
    assert signal.getsignal(signal.SIGHUP) == previous


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
