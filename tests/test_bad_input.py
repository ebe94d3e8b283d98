"""Bad input, faults and interruptions: each gets a clear message and an exit status, and
nothing already analysed is lost. The pose model is replaced by a stand-in that sees the
skeleton MediaPipe recorded on a real photo, so these run anywhere, quickly; the few that need
the real model are marked `shared`."""

from __future__ import annotations

import errno
import json
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from fakes import StillEstimator, recorded
from PIL import Image
from shared_paths import ROOT, SHARED

from alignment.cli.main import main
from alignment.core.rules import RuleFileError
from alignment.io import outputs
from alignment.io.images import ImageError, decode_photo
from alignment.io.rule_files import load_rules
from alignment.io.video import FrameReader, VideoError, VideoWriter
from alignment.settings import DEFAULT_RATE_HZ
from alignment.testing.clips import Shot, build_clip

JANU = "janu/y82ukr_30.jpg"


def scene(width: int, height: int, level: int = 120) -> np.ndarray:
    """A picture with something in it (a flat one is refused as blank): a soft gradient."""
    ramp = np.linspace(-40, 40, width)[None, :, None] + np.zeros((height, 1, 3))
    return np.clip(level + ramp, 0, 255).astype(np.uint8)


def photo(path: Path, size: tuple[int, int] = (320, 180)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(scene(*size)).save(path)
    return path


def clip(path: Path, seconds: float = 2.0) -> Path:
    build_clip([Shot(photo(path.with_suffix(".png")), seconds)], path, fps=15, size=(320, 180))
    return path


def error_line(err: str) -> str:
    return next(line for line in err.splitlines() if line.startswith("error: "))


# ---------------------------------------------------------------------------- outputs first


@pytest.mark.parametrize(
    ("flag", "target", "words"),
    [
        ("--json", "missing/out.json", "folder missing does not exist"),
        ("--json", "a_folder", "is a folder"),
        ("--csv", "out.txt", "unsupported file type .txt"),
        ("--annotate", "a_file.txt", "is a file, not a folder"),
    ],
)
def test_image_outputs_are_checked_before_any_photo(
    tmp_path, monkeypatch, capsys, still, flag, target, words
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "a_file.txt").write_text("x")
    assert main(["image", str(photo(tmp_path / "p.jpg")), flag, target, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert words in error_line(err) and "Traceback" not in err
    assert still.frames == 0  # refused before the first photo


@pytest.mark.parametrize(
    ("flag", "target", "words"),
    [
        ("--plot", "plot.svgz", "unsupported file type .svgz"),
        ("--out", "out.avi", "unsupported file type .avi"),
        ("--csv", "nowhere/t.csv", "does not exist"),
    ],
)
def test_video_outputs_are_checked_before_any_frame(
    tmp_path, monkeypatch, capsys, still, flag, target, words
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["video", str(clip(tmp_path / "c.mp4")), flag, target, "--quiet"]) == 2
    assert words in error_line(capsys.readouterr().err)
    assert still.frames == 0


def test_a_full_disk_loses_one_output_not_the_others(tmp_path, monkeypatch, capsys, still):
    """The JSON cannot be written (ENOSPC): no empty or partial JSON is left, the CSV, the
    plot and the annotated video are still written, and the exit status says it."""
    real = outputs.write_bytes

    def full_for_json(dest, data):  # noqa: ANN001, ANN202
        if str(dest).endswith(".json"):
            with outputs.AtomicOutput(dest) as target:
                target.path.write_bytes(data[:10])
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(dest, data)

    monkeypatch.setattr(outputs, "write_bytes", full_for_json)
    files = {k: tmp_path / f"out.{k}" for k in ("json", "csv", "png", "mp4")}
    code = main([
        "video", str(clip(tmp_path / "c.mp4")), "--json", str(files["json"]),
        "--csv", str(files["csv"]), "--plot", str(files["png"]), "--out", str(files["mp4"]),
        "--quiet",
    ])  # fmt: skip
    assert code == 1
    assert "No space left on device" in error_line(capsys.readouterr().err)
    assert not files["json"].exists()
    assert not list(tmp_path.glob(".out*"))  # no temporary file left behind
    assert all(files[k].stat().st_size > 0 for k in ("csv", "png", "mp4"))


def test_a_failing_video_writer_keeps_the_analysis(tmp_path, monkeypatch, capsys, still):
    def no_space(self, rgb, time_s=None):  # noqa: ANN001, ANN202
        if self.frames_written >= 5:
            raise VideoError(f"{self.path}: cannot write video: No space left on device")
        self.frames_written += 1

    source = clip(tmp_path / "c.mp4")
    monkeypatch.setattr(VideoWriter, "write", no_space)
    out, summary = tmp_path / "out.mp4", tmp_path / "s.json"
    code = main(["video", str(source), "--out", str(out), "--json", str(summary), "--quiet"])
    assert code == 1
    assert not out.exists() and not list(tmp_path.glob(".out*"))  # no unplayable file
    data = json.loads(summary.read_text())
    assert data["frames_analysed"] == 2 * DEFAULT_RATE_HZ  # 2 s, analysed all the same
    assert any("annotated video was not written" in w for w in data["warnings"])


# ---------------------------------------------------------------------------- photos


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A tiny PNG file that declares a huge picture (a few hundred bytes on disk)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
                     + chunk(b"IEND", b""))  # fmt: skip
    return path


def test_a_huge_picture_is_refused_and_the_batch_goes_on(tmp_path, capsys, still) -> None:
    huge = png_header_only(tmp_path / "huge.png", 40000, 30000)
    good = photo(tmp_path / "good.jpg")
    out = tmp_path / "out.json"
    assert main(["image", str(huge), str(good), "--json", str(out), "--quiet"]) == 1
    records = {Path(r["path"]).name: r for r in json.loads(out.read_text())}
    assert "too large (1200 million pixels" in records["huge.png"]["error"]
    assert records["good.jpg"]["error"] is None and records["good.jpg"]["person_found"]


def test_a_large_photo_is_downscaled_and_says_so(tmp_path) -> None:
    big = tmp_path / "big.jpg"
    Image.fromarray(scene(5000, 3000, 90)).save(big, quality=80)
    decoded = decode_photo(big.read_bytes(), "big.jpg")
    assert max(decoded.rgb.shape[:2]) == 2048
    assert decoded.notes == ["downscaled from 5000 x 3000 to 2048 x 1229 pixels for the analysis"]


def test_empty_and_broken_pictures(tmp_path) -> None:
    with pytest.raises(ImageError, match="the file is empty"):
        decode_photo(b"", "empty.jpg")
    with pytest.raises(ImageError, match="not a readable image"):
        decode_photo(b"GIF89a garbage", "broken.gif")


def test_annotated_photos_never_collide_or_overwrite(tmp_path, capsys, still) -> None:
    a, b = photo(tmp_path / "a" / "x.jpg"), photo(tmp_path / "b" / "x.jpg")
    png = photo(tmp_path / "a" / "x.png")
    out = tmp_path / "annotated"
    assert main(["image", str(a), str(b), str(png), "--annotate", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["x-2.jpg", "x.jpg", "x.png"]
    # A folder keeps its tree.
    assert main(["image", str(tmp_path / "a"), str(tmp_path / "b"), "--annotate",
                 str(tmp_path / "tree"), "--quiet"]) == 0  # fmt: skip
    tree = tmp_path / "tree"
    drawn = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.*"))
    assert drawn == ["a/x.jpg", "a/x.png", "b/x.jpg"]
    # A second run into the same folder refuses to replace the first run's files ...
    before = (out / "x.jpg").stat().st_mtime_ns
    assert main(["image", str(a), "--annotate", str(out), "--quiet"]) == 2
    assert "already exist" in error_line(capsys.readouterr().err)
    assert (out / "x.jpg").stat().st_mtime_ns == before
    # ... unless asked to.
    assert main(["image", str(a), "--annotate", str(out), "--overwrite", "--quiet"]) == 0


def test_files_in_a_folder_that_are_not_photos_are_named(tmp_path, capsys, still) -> None:
    photo(tmp_path / "p.jpg")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "session.mp4").write_bytes(b"\x00" * 10)
    assert main(["image", str(tmp_path), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "skipped 2 files that are not images" in err and "notes.txt" in err


def test_two_people_are_reported(tmp_path, capsys, monkeypatch) -> None:
    estimator = StillEstimator(recorded(JANU), people=2)
    monkeypatch.setattr("alignment.cli.image.open_estimator", lambda *a, **k: estimator)
    out = tmp_path / "out.json"
    assert main(["image", str(photo(tmp_path / "p.jpg")), "--json", str(out), "--quiet"]) == 0
    assert json.loads(out.read_text())[0]["notes"] == ["2 people in view: the largest is judged"]


# ---------------------------------------------------------------------------- set-up errors


def test_a_rule_file_with_a_nan_bound_is_refused(tmp_path) -> None:
    text = (ROOT / "rules" / "janu_sirsasana.toml").read_text()
    bad = tmp_path / "nan.toml"
    bad.write_text(text.replace("max = 48\n", "max = nan\n", 1))  # rounded_back's
    with pytest.raises(RuleFileError, match=r"rule 'rounded_back', field 'max': must be a finite"):
        load_rules(bad)


def test_a_folder_as_pose_is_a_clear_error(tmp_path, capsys) -> None:
    assert main(["image", str(photo(tmp_path / "p.jpg")), "--pose", str(tmp_path)]) == 2
    assert "is a folder" in error_line(capsys.readouterr().err)


def test_help_and_version(capsys) -> None:
    assert main([]) == 0
    assert "usage: alignment" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("alignment ")
    with pytest.raises(SystemExit):
        main(["app", "--help"])
    assert "port to listen on" in capsys.readouterr().out


@pytest.mark.shared
def test_a_zip_that_is_not_a_pose_model(tmp_path, capsys) -> None:
    import zipfile

    fake = tmp_path / "model.task"
    with zipfile.ZipFile(fake, "w") as zf:
        zf.writestr("readme.txt", "not a model")
    code = main(["image", str(photo(tmp_path / "p.jpg")), "--model", str(fake), "--model",
                 str(SHARED / "models"), "--quality", "fast", "--quiet"])  # fmt: skip
    assert code == 2
    assert "cannot load it as a pose landmarker model" in error_line(capsys.readouterr().err)


# ---------------------------------------------------------------------------- damaged videos


def test_damage_in_the_middle_is_skipped(tmp_path) -> None:
    path = tmp_path / "c.mp4"
    build_clip([Shot(photo(tmp_path / "p.png"), 9.5)], path, fps=30, size=(320, 240), noise_sigma=6)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2000] = np.random.default_rng(1).bytes(2000)
    path.write_bytes(bytes(data))
    with FrameReader(path) as reader:
        frames = sum(1 for _ in reader)
    assert frames >= 270 and reader.damage is None  # of 285: only the damaged part is lost


class _Packet:
    def __init__(self, frame: object, broken: bool) -> None:
        self.frame, self.broken = frame, broken

    def decode(self) -> list:
        if self.broken:
            raise av.InvalidDataError(1094995529, "Invalid data found when processing input")
        return [self.frame]


class _Frame:
    def __init__(self, pts: int) -> None:
        self.pts, self.time_base, self.side_data, self.rotation = pts, Fraction(1, 30), {}, 0

    def to_ndarray(self, format: str) -> np.ndarray:
        return np.zeros((8, 8, 3), np.uint8)


class _Container:
    def __init__(self, packets: list[_Packet]) -> None:
        self.packets = packets

    def demux(self, stream: object) -> list[_Packet]:
        return self.packets

    def close(self) -> None:
        pass


def test_packets_that_fail_to_decode_are_skipped_and_reported(tmp_path) -> None:
    """Frames 10 to 14 cannot be decoded: the reading goes on after them and says where."""
    path = clip(tmp_path / "c.mp4", seconds=1)
    packets = [_Packet(_Frame(i), 10 <= i < 15) for i in range(30)]
    with FrameReader(path) as reader:
        reader._container.close()
        reader._container = _Container(packets)
        reader._first = None
        reader._decoded = reader._decode()
        times = [f.time_s for f in reader]
    assert len(times) == 25 and reader.damage is None
    assert reader.gaps == [(pytest.approx(9 / 30), pytest.approx(15 / 30))]


def test_a_phone_video_cut_short_says_so(tmp_path) -> None:
    """Phones write the index at the end: cut short, the file cannot be read at all."""
    path = tmp_path / "phone.mp4"
    with av.open(str(path), "w") as container:  # no +faststart: the index goes last
        stream = container.add_stream("libx264", rate=30, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(60):
            frame = np.full((120, 160, 3), i * 4, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode(None))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size * 6 // 10])
    with pytest.raises(VideoError, match="cut short before its index"):
        FrameReader(cut)


def test_annotated_video_keeps_a_variable_frame_rate(tmp_path) -> None:
    times = [0.0, 0.04, 0.08, 0.5, 0.54, 2.0, 2.033]
    path = tmp_path / "vfr.mp4"
    with VideoWriter(path, 25, 64, 48) as writer:
        for t in times:
            writer.write(np.zeros((48, 64, 3), np.uint8), t)
    with FrameReader(path) as reader:
        read = [f.time_s for f in reader]
    assert read == pytest.approx(times, abs=2e-3)


# ---------------------------------------------------------------------------- interruptions


def run_cli(args: list[str], signum: int, after: str, cwd: Path) -> tuple[int, str]:
    """Run the command, send `signum` once `after` appears on stderr, return (status, stderr).
    The journal is the tests' own (conftest), never the home folder's."""
    env = {"ALIGNMENT_MODEL": str(SHARED / "models"), "PATH": "/usr/bin:/bin",
           "ALIGNMENT_JOURNAL": os.environ["ALIGNMENT_JOURNAL"]}  # fmt: skip
    command = [sys.executable, "-m", "alignment.cli.main", *args]
    proc = subprocess.Popen(command, cwd=cwd, stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=env)  # fmt: skip
    assert proc.stderr is not None
    lines = []
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        lines.append(line)
        if after in line:
            proc.send_signal(signum)
            break
        assert time.monotonic() < deadline, "".join(lines)
    _, rest = proc.communicate(timeout=120)
    return proc.returncode, "".join(lines) + rest


@pytest.mark.shared
@pytest.mark.slow
def test_ctrl_c_on_a_photo_batch_keeps_what_was_done(tmp_path) -> None:
    folder = tmp_path / "photos"
    for i in range(40):
        photo(folder / f"p{i:02}.jpg")
    out = tmp_path / "out.json"
    code, err = run_cli(["image", str(folder), "--json", str(out), "--quality", "fast"],
                        signal.SIGINT, "photos  ", tmp_path)  # fmt: skip
    assert code == 130, err
    records = json.loads(out.read_text())
    assert len(records) == 40
    done = [r for r in records if r["error"] is None]
    assert 0 < len(done) < 40
    assert all(r["error"] == "not analysed: the run was interrupted" for r in records[len(done) :])
    assert "SIGINT" in err and "Traceback" not in err


@pytest.mark.shared
@pytest.mark.slow
def test_sigterm_on_a_video_keeps_a_playable_video_and_a_partial_summary(tmp_path) -> None:
    source = clip(tmp_path / "long.mp4", seconds=30)
    out, summary = tmp_path / "out.mp4", tmp_path / "s.json"
    code, err = run_cli(["video", str(source), "--out", str(out), "--json", str(summary),
                         "--quality", "fast"], signal.SIGTERM, "frames  ", tmp_path)  # fmt: skip
    assert code == 143, err
    data = json.loads(summary.read_text())
    assert data["partial"] is True and 0 < data["frames_analysed"] < 450
    assert any(w.startswith("interrupted at") for w in data["warnings"])
    video = data["video"]
    assert video["frames_written"] == video["frames_read"]  # every frame read is in it
    with FrameReader(out) as reader:
        assert sum(1 for _ in reader) == video["frames_written"]
    assert "Traceback" not in err
