"""Running a command: set-up errors become one `error:` line and exit status 2; Ctrl-C and
SIGTERM stop the work cleanly (the command keeps what was done) with 130 and 143."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import PurePath

from alignment.core.rules import PoseRules, RuleFileError
from alignment.io.models import ModelNotFoundError
from alignment.io.outputs import OutputError
from alignment.io.rule_files import load_pose


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
