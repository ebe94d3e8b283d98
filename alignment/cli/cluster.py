"""`alignment image|video --ray [ADDRESS] --results DIR|URI`: many photos or recorded sessions
on a local Ray or a cluster. Everything the user can get wrong is checked before Ray starts;
Ctrl-C keeps what is committed, and `--resume` finishes the run later."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from alignment.cli.common import error, skipped_note, stop_on_signals
from alignment.core.rules import PoseRules
from alignment.estimators.presets import model_files
from alignment.io import storage
from alignment.io.outputs import OutputError, check_output, write_each, write_json, write_text
from alignment.io.record_log import RECORDS
from alignment.pipeline import cluster
from alignment.present.report import CSV_FIELDS, csv_row, csv_text, row_fields, video_row

RAY_ONLY = ("results", "resume", "parquet", "actors")


def local_mode_error(args: argparse.Namespace) -> str | None:
    """What is wrong with a command line for a run without --ray, if anything."""
    for name in RAY_ONLY:
        if getattr(args, name):
            return f"--{name} goes with --ray"
    if args.command == "video":
        if len(args.inputs) > 1:
            return (
                f"{len(args.inputs)} videos given: without --ray, `alignment video` analyses "
                "one; add --ray --results DIR to analyse many on a local Ray or a cluster"
            )
        if args.annotate or args.overwrite:
            return "--annotate and --overwrite go with --ray (for one video, --out FILE)"
    return None


def run_on_ray(args: argparse.Namespace, pose: PoseRules) -> int:
    image = args.command == "image"
    what = "photos" if image else "videos"
    problem = _ray_mode_error(args)
    if problem:
        error(problem)
        return 2
    results = storage.check_folder(args.results, "--results")
    inputs = args.paths if image else args.inputs
    annotate = args.annotate and storage.check_folder(args.annotate, "--annotate", results)
    if annotate:
        storage.check_apart(annotate, "--annotate", inputs)
    if annotate and not (args.resume or args.overwrite) and not storage.is_empty(annotate):
        raise OutputError(
            f"--annotate {annotate}: already holds files; choose another folder, or pass "
            "--resume (adding to an earlier run) or --overwrite (replacing what it wrote)"
        )
    for flag, path, suffix in (("--json", args.json, ".json"), ("--csv", args.csv, ".csv")):
        if path:
            check_output(path, flag, (suffix,))
    try:
        listing = storage.list_inputs(inputs, cluster.SUFFIXES[what])
    except storage.StorageError as exc:
        error(str(exc))
        return 2
    if listing.skipped:
        print(skipped_note(listing.skipped, "images" if image else "videos"), file=sys.stderr)
    if not listing.files:
        error(f"no {'image' if image else 'video'} files found in " + ", ".join(inputs))
        return 2
    single_folder = len(inputs) == 1 and bool(listing.below)
    if annotate:
        targets = cluster.annotated_targets(what, listing, annotate, single_folder)
        storage.check_apart(annotate, "--annotate", inputs, targets.values(), listing.files)
    models = [str(p) for p in model_files(args.quality, args.model)]  # fails before Ray starts
    options: dict[str, Any] = {
        "pose": pose,
        "level": args.level,
        "quality": args.quality,
        "model_paths": models,
        "annotate": annotate,
        "single_folder": single_folder,
        "actors": args.actors,
        "cpus_per_actor": args.cpus_per_actor,
        "resume": args.resume,
        "overwrite": args.overwrite,
        "progress": not args.quiet,
        "address": args.ray or None,
    }
    if not image:
        options["rate"] = args.rate
    run = cluster.run_photos if image else cluster.run_videos
    joined = cluster.joined()  # by the caller (tests): theirs to leave
    try:
        with stop_on_signals() as stop:
            stats = run(listing, results, stop=stop, **options)
    except Exception as exc:  # Ray's own failures: a worker that cannot start, a lost cluster
        if not type(exc).__module__.startswith("ray."):
            raise
        cause = [line for line in str(exc).splitlines() if line.strip()][-1].strip()
        error(
            f"the run on Ray failed ({cause}); what was committed stays in {results}: run "
            "again with --resume once it is fixed"
        )
        return 2
    finally:
        if not joined:
            cluster.disconnect()
    return _report(args, stats, results, stop)


def _ray_mode_error(args: argparse.Namespace) -> str | None:
    if not args.results:
        return "--ray needs --results DIR|URI: the folder (or s3://, gs://, ...) for the records"
    if args.resume and args.overwrite:
        return "--resume and --overwrite cannot go together"
    if args.actors is not None and args.actors < 1:
        return f"--actors must be 1 or more, got {args.actors}"
    if args.cpus_per_actor <= 0:
        return f"--cpus-per-actor must be more than 0, got {args.cpus_per_actor}"
    if args.command == "image" and args.journal is not None:
        return "--journal keeps the photos of a run on this machine; not with --ray"
    if args.command == "video" and (args.out or args.plot):
        return (
            "with --ray, each video's summary, timeline and plot go to RESULTS/videos/ and "
            "the annotated videos below --annotate DIR; --out and --plot are for one video"
        )
    return cluster.ray_missing(args.ray or None)


def _report(args: argparse.Namespace, stats: cluster.RunStats, results: str, stop: Any) -> int:
    """The summary on stderr, then the small-run outputs (--json, --csv) and Parquet."""
    for message in stats.warnings:
        print(f"warning: {message}", file=sys.stderr)
    where = f"{stats.where}, {stats.actors} workers" if stats.where else "nothing to run"
    print(f"Ray ({where}): {stats.line()}", file=sys.stderr)
    print(f"records: {storage.join(results, RECORDS)}", file=sys.stderr)
    for message in stats.failures:
        print(f"  failed: {message}", file=sys.stderr)
    records = stats.records()
    row: Callable[[Any], dict[str, Any]] = csv_row if args.command == "image" else video_row
    rows = [row(r) for r in records] if args.csv or args.parquet else []
    fields = CSV_FIELDS if args.command == "image" else row_fields(rows)
    failed = stats.problems + write_each(
        [
            (args.json, lambda dest: write_json(dest, records)),
            (args.csv, lambda dest: write_text(dest, csv_text(rows, fields))),
            (
                storage.join(results, "records.parquet") if args.parquet else None,
                lambda dest: storage.write_parquet(dest, rows, fields),
            ),
        ]
    )
    for message in failed:
        error(message)
    if stats.interrupted:
        left = stats.total - stats.skipped - stats.done
        print(
            f"{stop.name}: {left} {stats.what} not done; what is done is kept in {results}: "
            "run the same command with --resume to finish",
            file=sys.stderr,
        )
        return stop.exit_status
    return 1 if stats.failed or failed else 0
