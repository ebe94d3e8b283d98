"""Record what each pose model sees on the shared labelled photos into samples/readings.json.

For every photo and every model of the presets, the reading of the photo and the reading of its
mirror image (mapped back to the photo: x flipped, left and right exchanged), as the fusion gets
them. The file lets the fusion, the measurements and the rules be tested on real readings in a
fresh clone, with no model and no photo. It holds only numbers derived by this project's code
(the hand labels stay in ../shared).

    python benchmarks/record_readings.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

from alignment.estimators.landmark_crop import LandmarkCropEstimator
from alignment.estimators.mediapipe import MediaPipeEstimator
from alignment.estimators.movenet import MoveNetEstimator
from alignment.io.images import read_rgb
from alignment.io.models import resolve_model

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("mediapipe_full", "mediapipe_heavy", "movenet_thunder")
# Readings guided by another model's reading of the same picture: name -> (bundle, guide).
GUIDED = {f"mediapipe_{v}_crop": (f"mediapipe_{v}", "movenet_thunder") for v in ("full", "heavy")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=ROOT / "samples" / "readings.json")
    args = parser.parse_args()
    with open(args.shared / "samples" / "labels.csv", newline="") as fh:
        labels = list(csv.DictReader(fh))
    estimators = {}
    for name in MODELS:
        path = resolve_model(name, [args.shared / "models"], allow_download=False)
        estimators[name] = (
            MoveNetEstimator(path) if name.startswith("movenet") else MediaPipeEstimator(path)
        )
    for name, (bundle, _) in GUIDED.items():
        path = resolve_model(bundle, [args.shared / "models"], allow_download=False)
        estimators[name] = LandmarkCropEstimator(path)
    records = []
    try:
        for row in labels:
            rgb = read_rgb(args.shared / "samples" / "images" / row["file"])
            flipped = np.ascontiguousarray(rgb[:, ::-1])
            readings = {}
            raw: dict[str, tuple] = {}
            for name, estimator in estimators.items():
                if name in GUIDED:
                    guide = raw[GUIDED[name][1]]
                    photo = estimator.detect(rgb, guide=guide[0])
                    mirror = estimator.detect(flipped, guide=guide[1])
                else:
                    photo = estimator.detect(rgb)
                    mirror = estimator.detect(flipped)
                raw[name] = (photo, mirror)
                readings[name] = {
                    "photo": photo.to_json() if photo else None,
                    "mirror": mirror.mirrored().to_json() if mirror else None,
                }
            records.append({"file": row["file"], "readings": readings})
            print(row["file"])
    finally:
        for estimator in estimators.values():
            estimator.close()
    args.out.write_text(json.dumps(records, separators=(",", ":")) + "\n")
    print(f"wrote {len(records)} photos to {args.out}")


if __name__ == "__main__":
    main()
