"""What the commands leave behind (issue 17): files with the user's umask, as any other tool
writes them, and nothing of the pose libraries' own logging on stderr unless --verbose."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from shared_paths import SHARED

from alignment.cli.native_logs import NATIVE_LOG_LINE, without_native_logs
from alignment.io.outputs import AtomicOutput, new_file_mode, write_json
from alignment.testing.clips import Shot, build_clip

JANU = SHARED / "samples" / "images" / "janu" / "y82ukr_30.jpg"
MODELS = SHARED / "models"
# What MediaPipe and LiteRT print (seen at the end of every run before issue 17).
NATIVE_LINES = [
    "INFO: [accelerator_registry.cc:43] DestroyAccelerator: ptr=0x7f47, name=CpuAccelerator\n",
    "WARNING: [model_load.cc:152] Sparsity is not supported\n",
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n",
    "W0000 00:00:1796219834.996518   23075 landmark_projection_calculator.cc:81] Using "
    "NORM_RECT without IMAGE_DIMENSIONS\n",
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
]


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_get_the_umask_s_mode(tmp_path: Path, mask: int, mode: int) -> None:
    previous = os.umask(mask)
    try:
        assert new_file_mode() == mode
        write_json(tmp_path / "a.json", {"x": 1})
        with AtomicOutput(tmp_path / "b.png") as target:
            target.path.write_bytes(b"png")
    finally:
        os.umask(previous)
    for name in ("a.json", "b.png"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


def test_native_log_lines_are_told_from_the_program_s_own() -> None:
    own = [
        "error: no model found\n",
        "photos  3/10 [=====     ]\n",
        "Warning: nobody was found in 12 s of the video\n",
        "INFO: the summary\n",
    ]
    assert all(NATIVE_LOG_LINE.match(line) for line in NATIVE_LINES)
    assert not any(NATIVE_LOG_LINE.match(line) for line in own)
    out = io.StringIO()
    without_native_logs([*NATIVE_LINES, *own], out)
    assert out.getvalue() == "".join(own)


def run_command(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """The installed console command, as a user runs it, under umask 022."""
    if not JANU.is_file() or not (MODELS / "pose_landmarker_full.task").is_file():
        pytest.skip(f"needs the shared photos and models under {SHARED}")
    command = [str(Path(sys.executable).with_name("alignment")), *args]
    env = {**os.environ, "ALIGNMENT_MODEL": str(MODELS)}
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=lambda: os.umask(0o022),
    )


def native_lines_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines(keepends=True) if NATIVE_LOG_LINE.match(line)]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.shared
@pytest.mark.slow
def test_alignment_image_keeps_native_logs_off_stderr_and_writes_0644(tmp_path: Path) -> None:
    done = run_command(
        ["image", str(JANU), "--json", "r.json", "--csv", "r.csv", "--annotate", "drawn"],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert native_lines_in(done.stderr) == [], done.stderr
    assert "None" not in done.stdout
    written = [tmp_path / "r.json", tmp_path / "r.csv", *(tmp_path / "drawn").rglob("*.jpg")]
    assert len(written) == 3
    assert {mode_of(p) for p in written} == {0o644}
    verbose = run_command(["image", str(JANU), "--verbose", "--quiet"], tmp_path)
    assert verbose.returncode == 0 and native_lines_in(verbose.stderr), "--verbose shows them"


@pytest.mark.shared
@pytest.mark.slow
def test_alignment_video_keeps_native_logs_off_stderr_and_writes_0644(tmp_path: Path) -> None:
    if not JANU.is_file():
        pytest.skip(f"needs the shared photos under {SHARED}")
    clip = tmp_path / "clip.mp4"
    build_clip([Shot(JANU, 1.5)], clip, fps=30, size=(320, 240))
    done = run_command(
        ["video", str(clip), "--out", "o.mp4", "--json", "s.json", "--plot", "p.png"], tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert native_lines_in(done.stderr) == [], done.stderr
    assert {mode_of(tmp_path / n) for n in ("o.mp4", "s.json", "p.png")} == {0o644}
