"""Score every quality preset on the shared labelled photos and their mirror images; print the
figures the README reports.

    python benchmarks/evaluate_images.py [--shared ../shared] [--quality fast balanced accurate]
                                         [--recorded] [--json FILE]

By default each photo (and its mirror image, flipped in memory) goes through the whole
pipeline: decoding, the preset's models, fusion, measurements, rules; the time per photo is the
median over the 40 photos (decoding included). With --recorded the readings in
samples/readings.json stand in for the models (no time is measured).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from alignment.core.analysis import analyse
from alignment.estimators.presets import QUALITIES, open_estimator, preset
from alignment.io.images import read_photo
from alignment.io.rule_files import load_pose
from alignment.pipeline.photo import PhotoChecker
from alignment.present.report import photo_record
from alignment.testing.evaluation import (
    evaluate,
    mirror_agreement,
    mirrored_leg_points,
    read_labels,
)
from alignment.testing.recorded import estimate, load

ROOT = Path(__file__).resolve().parents[1]
SWAP = {"image_left": "image_right", "image_right": "image_left"}


def live_records(quality: str, shared: Path) -> tuple[list, list, list[float]]:
    """Records of every labelled photo and of its mirror image, and seconds per photo."""
    labels = read_labels(shared / "samples" / "labels.csv")
    pose = load_pose("janu_sirsasana", quality)
    photos, mirrors, seconds = [], [], []
    with open_estimator(quality, "image", [shared / "models"], allow_download=False) as est:
        checker = PhotoChecker(est, pose)
        for key in labels:
            started = time.perf_counter()
            photo = read_photo(shared / "samples" / "images" / key)
            photos.append(checker.check_photo(photo, key).record)
            seconds.append(time.perf_counter() - started)
            photo.rgb = np.ascontiguousarray(photo.rgb[:, ::-1])
            mirrors.append(checker.check_photo(photo, key).record)
    return photos, mirrors, seconds


def recorded_records(
    quality: str, pose_name: str = "janu_sirsasana"
) -> tuple[list, list, list[float]]:
    pose = load_pose(pose_name, quality)
    chosen = preset(quality)
    out: tuple[list, list] = ([], [])
    for key, record in load(ROOT / "samples" / "readings.json").items():
        for mirrored, records in ((False, out[0]), (True, out[1])):
            skeleton = estimate(record, chosen.readings, chosen.mirror, mirrored)
            size = (skeleton.width, skeleton.height) if skeleton else (0, 0)
            records.append(
                photo_record(key, analyse(skeleton, pose), skeleton, *size, list(chosen.models))
            )
    return out[0], out[1], []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--quality", nargs="+", default=list(QUALITIES), choices=QUALITIES)
    parser.add_argument(
        "--recorded",
        action="store_true",
        help="use samples/readings.json instead of running the models",
    )
    parser.add_argument("--json", type=Path, help="write every figure as JSON")
    args = parser.parse_args()
    labels = read_labels(args.shared / "samples" / "labels.csv")
    legs = read_labels(args.shared / "samples" / "leg_points.csv")
    flipped_labels = {
        k: {**v, "extended_foot": SWAP.get(v["extended_foot"], v["extended_foot"])}
        for k, v in labels.items()
    }
    flipped_legs = {k: mirrored_leg_points(v) for k, v in legs.items()}
    table, everything = [], {}
    for quality in args.quality:
        photos, mirrors, seconds = (
            recorded_records(quality) if args.recorded else live_records(quality, args.shared)
        )
        f = evaluate(photos, labels, legs)
        fm = evaluate(mirrors, flipped_labels, flipped_legs)
        agree = mirror_agreement(photos, mirrors)
        everything[quality] = {
            "photos": f,
            "mirrors": fm,
            "mirror_agreement": agree,
            "seconds": seconds,
        }
        rec, spine = f["recognition"], f["rounded_back_vs_spine_label"]
        ms = f"{1000 * statistics.median(seconds):.0f}" if seconds else "-"
        table.append(
            f"| {quality} | {f['legs_right']['both']}/{f['legs_right']['photos']} | "
            f"{rec['true_positives']}/{rec['janu_photos']} | "
            f"{rec['true_negatives']}/{rec['negative_photos']} | "
            f"{f['near_misses']['rejected']}/{f['near_misses']['photos']} | {rec['uncertain']} | "
            f"{f['verdicts']['confidently_wrong']} + {fm['verdicts']['confidently_wrong']} | "
            f"{spine['judged']}/{spine['labelled']}, {spine['agree']} agree | "
            f"{agree['agree']}/{agree['photos']} | {ms} |"
        )
        print(
            f"\n== {quality}\n"
            + "\n".join(
                [
                    *(f"  wrong: {w}" for w in f["confidently_wrong"] + fm["confidently_wrong"]),
                    f"  photo and mirror differ: {agree['differ']}",
                ]
            )
        )
    print(
        "\n| preset | legs right | Janu recognised | negatives rejected | near-misses rejected | "
        "uncertain | confidently wrong (photo + mirror) | spine judged | mirror agrees | "
        "ms per photo |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(table))
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
