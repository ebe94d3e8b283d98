"""`alignment video`: a recorded session analysed, summarised and drawn. Every output is checked
before the first frame and written atomically; an interrupted or damaged video keeps what was
analysed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alignment.cli.common import error, stop_on_signals
from alignment.cli.journal import record_session
from alignment.core.rules import PoseRules
from alignment.estimators.presets import open_estimator
from alignment.io.outputs import check_output
from alignment.io.progress import Progress
from alignment.io.storage import check_apart
from alignment.io.video import VideoError, probe
from alignment.pipeline.video import analyse_video, expected_frames, save_outputs
from alignment.present.text import summary_text

VIDEO_OUTPUTS = (".mp4", ".webm")


def run_video(args: argparse.Namespace, pose: PoseRules) -> int:
    if args.out:
        check_output(args.out, "--out", VIDEO_OUTPUTS)
        check_apart(args.out, "--out", args.inputs)
    for flag, path, suffix in (
        ("--json", args.json, ".json"),
        ("--csv", args.csv, ".csv"),
        ("--plot", args.plot, ".png"),
    ):
        if path:
            check_output(path, flag, (suffix,))
    try:
        info = probe(args.inputs[0])
    except VideoError as exc:
        error(str(exc))
        return 2
    with open_estimator(args.quality, "video", args.model) as estimator, stop_on_signals() as stop:
        bar = Progress(expected_frames(info), "frames", enabled=not args.quiet)

        def progress(done: int, total: int | None, _fps: float) -> None:
            bar.total = total
            bar.advance(done - bar.done)

        try:
            with bar:
                result = analyse_video(
                    args.inputs[0],
                    pose,
                    estimator,
                    args.level,
                    args.rate,
                    args.out,
                    on_progress=progress,
                    stop=stop,
                )
        except (VideoError, ValueError) as exc:
            error(str(exc))
            return 2
    # The files first: a terminal that is gone (a hangup) must not cost them.
    failed = save_outputs(result, pose, args.level, args.json, args.csv, args.plot)
    print(summary_text(result.summary, pose))
    for message in failed:
        error(message)
    json_written = bool(args.json) and not any(str(args.json) in m for m in failed)
    record_session(
        args,
        dict(result.summary),
        pose,
        "video",
        str(Path(args.inputs[0]).resolve()),
        str(Path(args.json).resolve()) if json_written else None,
    )
    if stop.is_set():
        print(
            f"{stop.name}: stopped after {result.summary['frames_analysed']} frames; the "
            "outputs hold what was analysed (marked partial)",
            file=sys.stderr,
        )
        return stop.exit_status
    lost_video = bool(args.out) and not result.video_written
    return 1 if result.damage or result.gaps or failed or lost_video else 0
