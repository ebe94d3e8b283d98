"""What the commands share: the `error:` line, the note on skipped files, and Ctrl-C and
SIGTERM stopping the work cleanly (the command keeps what was done; exit 130 and 143)."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import PurePath


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
