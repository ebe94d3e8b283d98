"""What the commands share: the `error:` line, the note on skipped files, and Ctrl-C, SIGTERM
and SIGHUP (the terminal closed) stopping the work cleanly: the command keeps what was done
and exits with 130, 143 or 129."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import PurePath

from alignment.settings import STOP_SIGNALS


class StopFlag(threading.Event):
    """Set by Ctrl-C, SIGTERM or SIGHUP: the work stops reading input, then keeps and closes
    what it has done. A second signal stops at once."""

    signum: int = 0

    @property
    def exit_status(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""


def error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def skipped_note(names: Sequence[str], what: str) -> str:
    """E.g. "skipped 7 files that are not images: a.txt, b.doc, ... and 2 more"."""
    shown = ", ".join(PurePath(n).name for n in names[:5])
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return f"skipped {len(names)} files that are not {what}: {shown}{more}"


def _leave_the_terminal() -> None:
    """After a hangup the terminal is gone, and writing to it fails (EIO): the progress bar or
    the closing summary would end the run with a traceback before the outputs are written.
    Whatever of stdout and stderr was that terminal now goes nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    # Python's own streams may sit on other descriptors than 1 and 2 (cli.native_logs moves
    # sys.stderr to a copy of the terminal's descriptor).
    fds = {1, 2}
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            fds.add(stream.fileno())
    try:
        for fd in sorted(fds):
            # A hung-up terminal may no longer answer isatty(); it is still a character
            # device (files and pipes, as of `cmd > log &`, keep their output).
            with contextlib.suppress(OSError):
                if stat.S_ISCHR(os.fstat(fd).st_mode):
                    os.dup2(devnull, fd)
    finally:
        os.close(devnull)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopFlag]:
    """Inside the block, SIGINT, SIGTERM and SIGHUP set the flag instead of killing the
    process."""
    flag = StopFlag()

    def stop(signum: int, _frame: object) -> None:
        # No printing here: the signal may arrive while the progress bar is writing.
        if signum == signal.SIGHUP:
            _leave_the_terminal()
        if flag.is_set():
            raise KeyboardInterrupt
        flag.signum = signum
        flag.set()

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    try:
        yield flag
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
