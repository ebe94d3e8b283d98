"""The cost of a fused preset's readings, run one after the other or the frame's and the
mirror image's at once on two threads, measured side by side in one run.

    python benchmarks/fused_speed.py [--shared ../shared] [--quality balanced accurate]
                                     [--photos 12] [--repeats 3]

For each preset and way, the median milliseconds per picture over the first N labelled Janu
photos (image mode) and over the same photos read as a stream of frames (video mode), the
models' load excluded; the runs alternate so that both ways see the same machine.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

from alignment.estimators.presets import open_estimator
from alignment.io.images import read_rgb

ROOT = Path(__file__).resolve().parents[1]


def per_picture_ms(quality: str, mode: str, concurrent: bool, pictures: list, models: Path):
    with open_estimator(quality, mode, [models], False, concurrent=concurrent) as estimator:
        estimator.detect(pictures[0], 0.0)  # warm up
        started = time.perf_counter()
        for i, rgb in enumerate(pictures):
            estimator.detect(rgb, 0.1 * (i + 1))
        return 1000 * (time.perf_counter() - started) / len(pictures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--quality", nargs="+", default=["balanced", "accurate"])
    parser.add_argument("--photos", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    samples = args.shared / "samples"
    with open(samples / "labels.csv", newline="") as fh:
        janu = [r["file"] for r in csv.DictReader(fh) if r["is_janu"] == "yes"]
    pictures = [read_rgb(samples / "images" / name) for name in janu[: args.photos]]
    print("| preset | mode | one after the other (ms) | frame and mirror at once (ms) | speed-up |")
    print("| --- | --- | ---: | ---: | ---: |")
    for quality in args.quality:
        for mode in ("image", "video"):
            times: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(args.repeats):
                for concurrent in (False, True):
                    times[concurrent].append(
                        per_picture_ms(
                            quality, mode, concurrent, pictures, samples.parent / "models"
                        )
                    )
            serial, both = statistics.median(times[False]), statistics.median(times[True])
            print(f"| {quality} | {mode} | {serial:.0f} | {both:.0f} | {serial / both:.2f}x |")


if __name__ == "__main__":
    main()
