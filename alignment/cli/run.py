"""Running a command: set-up errors become one `error:` line and exit status 2; Ctrl-C and
SIGTERM stop the work cleanly (the command keeps what was done) with 130 and 143."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import PurePath
from typing import TextIO

from alignment.core.rules import PoseRules, RuleFileError, load_pose
from alignment.io.models import ModelNotFoundError
from alignment.io.outputs import OutputError


class StopFlag(threading.Event):
    """Set by Ctrl-C or SIGTERM: the work stops reading input, then keeps and closes what it
    has done. A second signal stops at once."""

    signum: int = 0

    @property
    def exit_status(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""


# Set before the native libraries load: MediaPipe's C++ logging (glog / absl) and LiteRT's.
QUIET_NATIVE_ENV = {"GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "3"}


def native_logs_off_stderr() -> None:
    """Keep what MediaPipe and LiteRT write straight to file descriptor 2 ("INFO: ...
    DestroyAccelerator", "WARNING: [model_load.cc...]") off the terminal: fd 2 goes to
    /dev/null for the rest of the process, and Python's own stderr (errors, warnings, the
    progress bar, tracebacks) moves to a copy of the original. For the console command only
    (`--verbose` keeps everything); never inside a test runner or a host program."""
    for name, value in QUIET_NATIVE_ENV.items():
        os.environ.setdefault(name, value)
    sys.stderr.flush()
    original = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = os.fdopen(original, "w", buffering=1, errors="backslashreplace")


# A line of the native libraries' own logging: glog/absl ("W0000 00:00:1796.. 123 file.cc:81]
# ..."), LiteRT ("INFO: [accelerator_registry.cc:43] ...", "INFO: Created TensorFlow Lite
# XNNPACK delegate for CPU."), and absl's notice before its logging starts.
NATIVE_LOG_LINE = re.compile(
    r"^([IW]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\]"
    r"|(INFO|WARNING|VERBOSE): (\[\S+\.cc:\d+\]|Created TensorFlow Lite)"
    r"|WARNING: All log messages before absl::InitializeLog)"
)


def without_native_logs(lines: Iterable[str], out: TextIO) -> None:
    """Copy `lines` to `out`, leaving out the native libraries' log lines."""
    for line in lines:
        if not NATIVE_LOG_LINE.match(line):
            out.write(line)
            out.flush()


def error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def skipped_note(names: Sequence[str], what: str) -> str:
    """E.g. "skipped 7 files that are not images: a.txt, b.doc, ... and 2 more"."""
    shown = ", ".join(PurePath(n).name for n in names[:5])
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return f"skipped {len(names)} files that are not {what}: {shown}{more}"


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopFlag]:
    """Inside the block, SIGINT and SIGTERM set the flag instead of killing the process."""
    flag = StopFlag()

    def stop(signum: int, _frame: object) -> None:
        # No printing here: the signal may arrive while the progress bar is writing.
        if flag.is_set():
            raise KeyboardInterrupt
        flag.signum = signum
        flag.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run(args: argparse.Namespace) -> int:
    try:
        pose: PoseRules = load_pose(args.pose, args.quality)
        if args.command == "app":
            from alignment.cli.app import launch

            return launch(args, pose)
        from alignment.cli.cluster import local_mode_error, run_on_ray

        if args.ray is not None:
            return run_on_ray(args, pose)
        problem = local_mode_error(args)
        if problem:
            error(problem)
            return 2
        if args.command == "image":
            from alignment.cli.image import run_images

            return run_images(args, pose)
        from alignment.cli.video import run_video

        return run_video(args, pose)
    except (ModelNotFoundError, RuleFileError, OutputError) as exc:
        error(str(exc))
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
