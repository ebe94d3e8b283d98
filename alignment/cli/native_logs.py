"""The pose libraries' native logging (MediaPipe's glog/absl, LiteRT's "INFO: ..." lines),
kept off the terminal and out of the app's log unless `--verbose`."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from typing import TextIO

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
