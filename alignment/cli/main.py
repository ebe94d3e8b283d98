"""The `alignment` command: `image`, `video`, `app` and `journal`; `image` and `video` also on Ray
(`--ray [ADDRESS] --results DIR|URI`).

Exit status: 0 done; 1 done, but some input failed or the output is partial; 2 nothing done
(a user mistake: a bad path, a missing model, a bad rule file; the message says what);
130 / 143 / 129 interrupted by Ctrl-C / SIGTERM / SIGHUP (what was done is kept).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import date
from importlib.metadata import PackageNotFoundError, version

from alignment.estimators.presets import (
    LIVE_QUALITY,
    PHOTO_QUALITY,
    PRESETS,
    QUALITIES,
    VIDEO_QUALITY,
)
from alignment.io.images import MAX_SIDE
from alignment.journal.places import default_path
from alignment.session.sampling import ALL_FRAMES, MIN_RATE_HZ, parse_rate
from alignment.settings import (
    DEFAULT_LEVEL,
    DEFAULT_POSE,
    DEFAULT_RATE_HZ,
    JOURNAL_ENV,
    LEVELS,
    MODEL_ENV,
)


def _version() -> str:
    try:
        return version("janu-alignment")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _common(parser: argparse.ArgumentParser, default_quality: str, used_for: str = "") -> None:
    qualities = "; ".join(f"{p.name}: {p.description}" for p in PRESETS.values())
    parser.add_argument(
        "--quality",
        choices=QUALITIES,
        default=default_quality,
        help=f"which pose models run{used_for} ({qualities}); default: {default_quality}",
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
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also show the pose libraries' own log lines (MediaPipe, LiteRT) on stderr",
    )


def _rate(text: str) -> float | None:
    """`--rate`, checked by the one rule (alignment.session.sampling.parse_rate)."""
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# What `--ray` takes as its ADDRESS: host:port, ray:// or http(s):// addresses, auto, local.
RAY_ADDRESS = re.compile(r"^(auto|local|(ray|https?)://\S+|[\w.-]+:\d+)$")


def normalise_ray_flag(argv: Sequence[str]) -> list[str]:
    """`--ray ADDRESS` -> `--ray=ADDRESS` when what follows looks like an address, else
    `--ray=` (start or join the default): a bare `--ray` never swallows the path after it."""
    out: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        if args[i] != "--ray":
            out.append(args[i])
        elif i + 1 < len(args) and RAY_ADDRESS.match(args[i + 1]):
            out.append(f"--ray={args[i + 1]}")
            i += 1
        else:
            out.append("--ray=")
        i += 1
    return out


def _ray_options(parser: argparse.ArgumentParser, what: str) -> argparse._ArgumentGroup:
    """The options of a run on Ray, in their own group of the help (they need --ray)."""
    ray = parser.add_argument_group(
        "on Ray (these options need --ray)",
        f"Score many {what} on a local Ray or a cluster (pip install 'janu-alignment[ray]').",
    )
    ray.add_argument(
        "--ray",
        metavar="[ADDRESS]",
        help="run on Ray: join the cluster at ADDRESS if one is given (host:port, ray://..., "
        "auto), else at $RAY_ADDRESS, else start Ray on this machine; write --ray=ADDRESS to "
        "be explicit",
    )
    ray.add_argument(
        "--results",
        metavar="DIR|URI",
        help="where the records go (records.jsonl; a folder or s3://, gs://, ...); required",
    )
    ray.add_argument("--resume", action="store_true", help="skip the files --results holds")
    ray.add_argument("--parquet", action="store_true", help="also write records.parquet")
    ray.add_argument(
        "--actors",
        type=int,
        metavar="N",
        help="workers, each with its own model (default: the cluster's CPUs)",
    )
    ray.add_argument(
        "--cpus-per-actor",
        type=float,
        default=1.0,
        metavar="C",
        help="CPUs Ray reserves for each worker (default: 1)",
    )
    return ray


def _journal_option(parser: argparse.ArgumentParser, switch: bool) -> None:
    parser.add_argument(
        "--journal",
        metavar="PATH|URL",
        help=f"the practice journal: an SQLite file or an SQLAlchemy URL (default: "
        f"${JOURNAL_ENV}, else {default_path()})",
    )
    if switch:
        parser.add_argument(
            "--no-journal",
            action="store_true",
            help="do not record this session in the practice journal",
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
        help="write each photo with the skeleton, angles and message drawn into DIR, at the "
        f"size analysed (at most {MAX_SIDE} pixels on the longer side; the input folders "
        "mirrored below it; with --ray, a URI too)",
    )
    image.add_argument(
        "--overwrite",
        action="store_true",
        help="replace annotated photos an earlier run left in DIR (with --ray: start --results "
        "again)",
    )
    image.add_argument("--quiet", action="store_true", help="no progress bar")
    image.add_argument(
        "--journal",
        nargs="?",
        const="",
        metavar="PATH|URL",
        help="keep each photo in the pose in the practice journal (its side, fold and faults; "
        "never the picture); put it after the photos. PATH|URL as for `alignment video` "
        f"(default: ${JOURNAL_ENV}, else {default_path()})",
    )
    _common(image, PHOTO_QUALITY)
    _ray_options(image, "photos")

    video = sub.add_parser(
        "video",
        help="analyse a recorded practice session",
        description="Analyse a recorded session, a steady number of frames a second. One "
        "video, or with --ray many (files and folders).",
        usage="%(prog)s VIDEO [options]\n       %(prog)s --ray [ADDRESS] --results DIR|URI "
        "VIDEO|FOLDER... [options]",
    )
    video.add_argument(
        "inputs",
        nargs="+",
        metavar="VIDEO",
        help="the video file (with --ray: several files and folders)",
    )
    video.add_argument("--out", metavar="FILE", help="annotated video (.mp4 H.264 or .webm)")
    video.add_argument(
        "--json", metavar="FILE", help="session summary as JSON (with --ray: all the records)"
    )
    video.add_argument(
        "--csv",
        metavar="FILE",
        help="per-frame timeline as CSV (with --ray: one row per video)",
    )
    video.add_argument("--plot", metavar="FILE", help="measurements over time (.png)")
    video.add_argument(
        "--rate",
        type=_rate,
        default=DEFAULT_RATE_HZ,
        metavar="HZ",
        help=f"analyses a second, whatever the video's frame rate (at least {MIN_RATE_HZ:g}; "
        f"'{ALL_FRAMES}': every frame); the annotated video keeps every frame, showing the last "
        f"analysis in between (default: {DEFAULT_RATE_HZ:g})",
    )
    video.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(video, VIDEO_QUALITY)
    _journal_option(video, switch=True)
    ray = _ray_options(video, "recorded sessions")
    ray.add_argument(
        "--annotate",
        metavar="DIR|URI",
        help="write each annotated video (.mp4) into DIR, the input folders mirrored below it "
        "(for one video: --out FILE)",
    )
    ray.add_argument("--overwrite", action="store_true", help="start --results again")

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
    _common(app, PHOTO_QUALITY, f" on the Photos page (Live uses {LIVE_QUALITY})")
    app.add_argument(
        "--video-quality",
        choices=QUALITIES,
        default=VIDEO_QUALITY,
        help=f"which pose models run on the Video page; default: {VIDEO_QUALITY}, as for "
        "`alignment video`",
    )
    _journal_option(app, switch=True)
    app.set_defaults(live_quality=LIVE_QUALITY)

    journal = sub.add_parser(
        "journal",
        help="the practice journal: sessions over weeks, both sides compared",
        description="List, show, delete or export the sessions recorded by `alignment video` "
        "and the Live page, with the trend of the two sides and the next session's plan. "
        "Only figures are kept, never frames.",
    )
    journal.add_argument(
        "action",
        nargs="?",
        choices=("list", "show", "delete", "export"),
        default="list",
        help="list (default): one line a session; show ID: one session; delete ID; "
        "export: every session as JSON",
    )
    journal.add_argument("id", nargs="?", type=int, metavar="ID", help="with show and delete")
    journal.add_argument("--json", action="store_true", help="list as JSON")
    journal.add_argument("--csv", action="store_true", help="list as CSV")
    journal.add_argument(
        "--since", type=_date, metavar="DATE", help="only sessions from DATE (YYYY-MM-DD) on"
    )
    _journal_option(journal, switch=False)
    return parser


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def main(argv: Sequence[str] | None = None, quiet_native: bool = False) -> int:
    """`quiet_native`: keep the native libraries' logging off stderr unless `--verbose` (the
    console command; in-process callers keep their own stderr)."""
    parser = build_parser()
    args = parser.parse_args(normalise_ray_flag(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "journal":
        from alignment.cli.journal import run_journal

        return run_journal(args)
    from alignment.cli.native_logs import native_logs_off_stderr
    from alignment.cli.run import run

    if quiet_native and not args.verbose:
        native_logs_off_stderr()
    return run(args)


def entry() -> None:
    sys.exit(main(quiet_native=True))


if __name__ == "__main__":
    entry()
