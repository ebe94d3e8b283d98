"""The `alignment` command: `image`, `video` and `app`.

Exit status: 0 done; 1 done, but some input failed or the output is partial; 2 nothing done
(a user mistake: a bad path, a missing model, a bad rule file; the message says what);
130 / 143 interrupted by Ctrl-C / SIGTERM (what was done is kept).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from alignment.estimators.presets import (
    LIVE_QUALITY,
    PHOTO_QUALITY,
    PRESETS,
    QUALITIES,
    VIDEO_QUALITY,
)
from alignment.settings import DEFAULT_LEVEL, DEFAULT_POSE, LEVELS, MODEL_ENV


def _version() -> str:
    try:
        return version("janu-alignment")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _common(parser: argparse.ArgumentParser, default_quality: str) -> None:
    qualities = "; ".join(f"{p.name}: {p.description}" for p in PRESETS.values())
    parser.add_argument(
        "--quality",
        choices=QUALITIES,
        default=default_quality,
        help=f"which pose models run ({qualities}); default: {default_quality}",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="PATH",
        help=f"a model file, or a folder holding the model files; may be repeated "
        f"(default: ${MODEL_ENV}, the cache, then the official download)",
    )
    parser.add_argument(
        "--pose",
        default=DEFAULT_POSE,
        help=f"a rule file name in rules/ or a path to one (default: {DEFAULT_POSE})",
    )
    parser.add_argument(
        "--level",
        choices=LEVELS,
        default=DEFAULT_LEVEL,
        help=f"how strict the bounds are (default: {DEFAULT_LEVEL})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alignment",
        description="Pose-alignment checker for Janu Sirsasana (Head-to-Knee Pose): photos, "
        "recorded videos and a live camera app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    image = sub.add_parser(
        "image",
        help="score photos (files and folders)",
        description="Score photos; folders are searched recursively.",
    )
    image.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders")
    image.add_argument("--json", metavar="FILE", help="write the results as JSON")
    image.add_argument("--csv", metavar="FILE", help="write the results as CSV")
    image.add_argument(
        "--annotate",
        metavar="DIR",
        help="write each photo with the skeleton, angles and cues drawn into DIR "
        "(the input folders mirrored below it; existing files are kept)",
    )
    image.add_argument(
        "--overwrite",
        action="store_true",
        help="replace annotated photos left in DIR by an earlier run",
    )
    image.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(image, PHOTO_QUALITY)

    video = sub.add_parser(
        "video",
        help="analyse a recorded practice session",
        description="Analyse a recorded session frame by frame.",
    )
    video.add_argument("input", help="video file")
    video.add_argument("--out", metavar="FILE", help="annotated video (.mp4 H.264 or .webm)")
    video.add_argument("--json", metavar="FILE", help="session summary as JSON")
    video.add_argument("--csv", metavar="FILE", help="per-frame timeline as CSV")
    video.add_argument("--plot", metavar="FILE", help="measurements over time (.png)")
    video.add_argument(
        "--every", type=int, default=1, metavar="N", help="analyse every Nth frame (default: 1)"
    )
    video.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(video, VIDEO_QUALITY)

    app = sub.add_parser(
        "app",
        help="start the Streamlit app (headless)",
        description="Serve the app: live camera, videos and photos.",
    )
    app.add_argument("--port", type=int, default=8501, help="port to listen on (default: 8501)")
    app.add_argument(
        "--address",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    _common(app, PHOTO_QUALITY)
    app.set_defaults(live_quality=LIVE_QUALITY)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from alignment.cli.run import run

    return run(args)


def entry() -> None:
    os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's C++ logging quiet
    sys.exit(main())


if __name__ == "__main__":
    entry()
