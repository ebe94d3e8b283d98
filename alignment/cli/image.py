"""`alignment image`: score a batch of photos. A bad file gets an error record and the batch
goes on; every output is checked before the first photo and written atomically."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from alignment.cli.common import error, skipped_note, stop_on_signals
from alignment.core.rules import PoseRules
from alignment.estimators.presets import open_estimator
from alignment.io.images import FoundFiles, encode_image, expand_paths
from alignment.io.outputs import (
    OutputError,
    check_output,
    mirrored_names,
    write_each,
    write_json,
    write_text,
)
from alignment.io.progress import Progress
from alignment.io.storage import check_apart, write_location
from alignment.pipeline.photo import PhotoChecker, PhotoResult
from alignment.present.report import CSV_FIELDS, csv_row, csv_text, error_record
from alignment.present.text import photo_table

NOT_ANALYSED = "not analysed: the run was interrupted"


def annotated_paths(found: FoundFiles, folder: Path, single_folder: bool) -> dict[Path, Path]:
    """Where each photo's annotated copy goes: below `folder`, the input folders mirrored
    (see `mirrored_names`). The format stays the photo's own."""
    names = mirrored_names([str(image) for image in found.images], found.below(), single_folder)
    return {image: folder / names[str(image)] for image in found.images}


def write_image(dest: Path, rgb: np.ndarray) -> None:
    write_location(str(dest), encode_image(rgb, dest.suffix))


def run_images(args: argparse.Namespace, pose: PoseRules) -> int:
    found = expand_paths(args.paths)
    if found.skipped:
        print(skipped_note([str(p) for p in found.skipped], "images"), file=sys.stderr)
    if not found.images:
        error("no image files found in " + ", ".join(args.paths))
        return 2
    if args.json:
        check_output(args.json, "--json", (".json",))
    if args.csv:
        check_output(args.csv, "--csv", (".csv",))
    targets: dict[Path, Path] = {}
    if args.annotate:
        folder = check_output(args.annotate, "--annotate", folder=True)
        single = len(args.paths) == 1 and Path(args.paths[0]).is_dir()
        targets = annotated_paths(found, folder, single)
        check_apart(
            str(folder),
            "--annotate",
            args.paths,
            [str(t) for t in targets.values()],
            [str(p) for p in found.images],
        )
        existing = [d for d in targets.values() if d.exists()]
        if existing and not args.overwrite:
            raise OutputError(
                f"--annotate {folder}: {len(existing)} annotated photos already exist there "
                f"(e.g. {existing[0]}); choose another folder or pass --overwrite"
            )

    records = []
    failed_writes: list[str] = []
    with open_estimator(args.quality, "image", args.model) as estimator, stop_on_signals() as stop:
        checker = PhotoChecker(estimator, pose, args.level)
        bar = Progress(len(found.images), "photos", enabled=not args.quiet)

        def done(result: PhotoResult) -> None:
            records.append(result.record)
            drawn = result.annotated()
            path = Path(result.record["path"])
            if drawn is not None and path in targets:
                try:
                    write_image(targets[path], drawn)
                except OSError as exc:
                    failed_writes.append(f"cannot write {targets[path]}: {exc.strerror or exc}")
            bar.advance(note=path.name)

        with bar:
            checker.check_files(found.images, on_done=done, stop=stop)
    if stop.is_set():
        for path in found.images[len(records) :]:
            records.append(error_record(str(path), NOT_ANALYSED))
    # The files first: a terminal that is gone (a hangup) must not cost them.
    failed_writes += write_each(
        [
            (args.json, lambda d: write_json(d, records)),
            (args.csv, lambda d: write_text(d, csv_text(map(csv_row, records), CSV_FIELDS))),
        ]
    )
    print(photo_table(records, pose=pose))
    for message in failed_writes:
        error(message)
    if args.journal is not None:
        from alignment.cli.journal import record_photos

        record_photos(args, records, pose)
    if stop.is_set():
        analysed = sum(1 for r in records if r["error"] != NOT_ANALYSED)
        print(
            f"{stop.name}: {analysed} of {len(found.images)} photos analysed; the outputs "
            "hold them, the others are marked 'not analysed'",
            file=sys.stderr,
        )
        return stop.exit_status
    failed = [r for r in records if r["error"]]
    if failed:
        print(f"{len(failed)} of {len(records)} files could not be read", file=sys.stderr)
    return 1 if failed or failed_writes else 0
