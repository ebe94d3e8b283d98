"""`alignment image`: score a batch of photos. A bad file gets an error row; the batch goes on."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from alignment.analysis import Verdict, analyse
from alignment.detector import PoseDetector
from alignment.images import ImageError, expand_paths, read_rgb
from alignment.progress import Progress
from alignment.report import table, verdict_record, write_csv, write_json
from alignment.rules import PoseRules
from alignment.skeleton import Skeleton


def analyse_rgb(detector: PoseDetector, rgb: np.ndarray, name: str, pose: PoseRules,
                level: str) -> tuple[Skeleton | None, Verdict, dict]:
    """One photo: landmarks, verdict, and its JSON record."""
    skeleton = detector.detect(rgb)
    verdict = analyse(skeleton, pose, level)
    return skeleton, verdict, verdict_record(name, verdict, skeleton)


def annotate(rgb: np.ndarray, skeleton: Skeleton | None, verdict: Verdict) -> np.ndarray:
    """The photo with the skeleton, the key angles, the cues and the camera advice drawn."""
    from alignment.overlay import draw_verdict

    return draw_verdict(rgb, skeleton, verdict, [f"- {c}" for c in verdict.cues[1:]]
                        + verdict.guidance)


def analyse_images(paths: list[Path], pose: PoseRules, model: Path, level: str,
                   annotate_dir: Path | None = None, show_progress: bool = True) -> list[dict]:
    records = []
    if annotate_dir:
        annotate_dir.mkdir(parents=True, exist_ok=True)
    with PoseDetector(model, mode="image") as detector, \
            Progress(len(paths), "images", enabled=show_progress) as bar:
        for path in paths:
            try:
                rgb = read_rgb(path)
            except ImageError as exc:
                records.append(verdict_record(str(path), None, None, error=str(exc)))
                bar.advance(note=path.name)
                continue
            skeleton, verdict, record = analyse_rgb(detector, rgb, str(path), pose, level)
            records.append(record)
            if annotate_dir:
                _write_bgr(annotate_dir / f"{path.stem}.jpg", annotate(rgb, skeleton, verdict))
            bar.advance(note=path.name)
    return records


def _write_bgr(dest: Path, rgb: np.ndarray) -> None:
    import cv2

    cv2.imwrite(str(dest), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def run_images(args: argparse.Namespace, pose: PoseRules, model: Path) -> int:
    paths = expand_paths(args.paths)
    if not paths:
        print("error: no image files found in " + ", ".join(args.paths), file=sys.stderr)
        return 2
    records = analyse_images(paths, pose, model, args.level,
                             Path(args.annotate) if args.annotate else None,
                             show_progress=not args.quiet)
    print(table(records))
    if args.json:
        write_json(records, args.json)
    if args.csv:
        write_csv(records, args.csv)
    failed = [r for r in records if r["error"]]
    if failed:
        print(f"{len(failed)} of {len(records)} files could not be read", file=sys.stderr)
    return 1 if failed else 0
