"""The `alignment` command: `image`, `video` and `app` subcommands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from alignment.model import DEFAULT_VARIANT, VARIANTS, ModelNotFoundError, resolve_model
from alignment.rules import DEFAULT_LEVEL, LEVELS, RuleFileError, load_pose


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="pose model file (.task) or a folder holding one "
                        "(default: $ALIGNMENT_MODEL, the cache, then the official download)")
    parser.add_argument("--variant", choices=VARIANTS, default=DEFAULT_VARIANT,
                        help="which model to download or pick from a folder (default: full)")
    parser.add_argument("--pose", default="janu_sirsasana",
                        help="rule file name in rules/ or a path to one (default: janu_sirsasana)")
    parser.add_argument("--level", choices=LEVELS, default=DEFAULT_LEVEL,
                        help="how strict the bounds are (default: standard)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alignment", description="Pose-alignment checker for Janu Sirsasana.")
    sub = parser.add_subparsers(dest="command", required=True)

    image = sub.add_parser("image", help="score photos (files and folders)")
    image.add_argument("paths", nargs="+", help="image files or folders of images")
    image.add_argument("--json", metavar="FILE", help="write the results as JSON")
    image.add_argument("--csv", metavar="FILE", help="write the results as CSV")
    image.add_argument("--annotate", metavar="DIR",
                       help="write each image with the skeleton, angles and cues drawn")
    image.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(image)

    video = sub.add_parser("video", help="analyse a recorded practice session")
    video.add_argument("input", help="video file")
    video.add_argument("--out", metavar="FILE", help="annotated video (.mp4 H.264 or .webm)")
    video.add_argument("--json", metavar="FILE", help="session summary as JSON")
    video.add_argument("--csv", metavar="FILE", help="per-frame timeline as CSV")
    video.add_argument("--plot", metavar="FILE", help="measurements over time (.png)")
    video.add_argument("--every", type=int, default=1, metavar="N",
                       help="analyse every Nth frame (default: 1)")
    video.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(video)

    app = sub.add_parser("app", help="start the Streamlit app (headless)")
    app.add_argument("--port", type=int, default=8501)
    app.add_argument("--address", default="127.0.0.1",
                     help="address to listen on (default: loopback only)")
    _common(app)
    return parser


LITE_WARNING = (
    "warning: the lite model's 3-D landmarks are too rough for these checks: on the labelled "
    "photos it gives 6 confidently wrong verdicts out of 39, the full model none (README, "
    "Evaluation). Use it for speed tests, not for advice.")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        pose = load_pose(args.pose)
        if args.command == "app":
            from alignment.app.launch import launch

            model = resolve_model(args.model, args.variant)
            return launch(args.port, args.address, model, args.pose, args.level)
        model = resolve_model(args.model, args.variant)
        if "lite" in model.name:
            print(LITE_WARNING, file=sys.stderr)
        if args.command == "image":
            from alignment.batch import run_images

            return run_images(args, pose, model)
        from alignment.video_cli import run_video

        return run_video(args, pose, model)
    except (ModelNotFoundError, RuleFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's C++ logging quiet
    sys.exit(main())


if __name__ == "__main__":
    entry()
