"""Record the landmarks of the shared labelled photos into samples/shared_landmarks.json.

The file lets measurement and rule tests run on real skeletons in a fresh clone, with no model
and no photos. It holds only numbers derived by this project's own code, plus the hand labels.

    python benchmarks/record_landmarks.py [--shared ../shared] [--model FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from alignment.estimators.mediapipe import PoseDetector
from alignment.io.images import read_rgb
from alignment.io.models import resolve_model

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "samples" / "shared_landmarks.json")
    args = parser.parse_args()

    model = resolve_model(args.model or args.shared / "models", allow_download=False)
    with open(args.shared / "samples" / "labels.csv", newline="") as fh:
        labels = list(csv.DictReader(fh))
    records = []
    with PoseDetector(model, mode="image") as detector:
        for row in labels:
            skeleton = detector.detect(read_rgb(args.shared / "samples" / "images" / row["file"]))
            records.append(
                {
                    "file": row["file"],
                    "labels": {k: v for k, v in row.items() if k not in ("file",)},
                    "model": model.name,
                    "skeleton": skeleton.to_json() if skeleton else None,
                }
            )
            print(row["file"], "person" if skeleton else "NO PERSON")
    args.out.write_text(json.dumps(records, indent=1) + "\n")
    print(f"wrote {len(records)} records to {args.out}")


if __name__ == "__main__":
    main()
