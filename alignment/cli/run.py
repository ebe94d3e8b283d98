"""Running a command: the pose is loaded, the command's module runs it; set-up errors become one
`error:` line and exit status 2 (stopping cleanly on a signal, and the other helpers the
commands share: cli.common)."""

from __future__ import annotations

import argparse
import sys

from alignment.cli.common import error
from alignment.core.rules import PoseRules, RuleFileError
from alignment.io.models import ModelNotFoundError
from alignment.io.outputs import OutputError
from alignment.io.rule_files import load_pose


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
