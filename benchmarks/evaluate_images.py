"""Score the checker on the shared labelled photos and print the figures in the README.

    python benchmarks/evaluate_images.py [--shared ../shared] [--model FILE] [--recorded]

By default every photo goes through the whole pipeline (MediaPipe, measurements, rules). With
--recorded it uses samples/shared_landmarks.json instead (no model, no photos needed).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from alignment.core.analysis import analyse
from alignment.core.evaluation import evaluate, format_report, read_labels
from alignment.core.rules import load_pose
from alignment.core.skeleton import Skeleton
from alignment.present.report import photo_record

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ROOT / "samples" / "shared_landmarks.json"


def recorded_records(level: str = "standard") -> tuple[list[dict], dict]:
    pose = load_pose("janu_sirsasana")
    data = json.loads(RECORDED.read_text())
    records, labels = [], {}
    for item in data:
        skeleton = Skeleton.from_json(item["skeleton"]) if item["skeleton"] else None
        size = (skeleton.width, skeleton.height) if skeleton else (0, 0)
        verdict = analyse(skeleton, pose, level)
        records.append(photo_record(item["file"], verdict, skeleton, *size, [item["model"]]))
        labels[item["file"]] = {"file": item["file"], **item["labels"]}
    return records, labels


def live_records(shared: Path, model: str | None, level: str = "standard") -> list[dict]:
    from alignment.io.models import resolve_model
    from alignment.pipeline.photo import analyse_images

    labels = read_labels(shared / "samples" / "labels.csv")
    paths = [shared / "samples" / "images" / k for k in labels]
    return analyse_images(
        paths,
        load_pose("janu_sirsasana"),
        resolve_model(model or shared / "models", allow_download=False),
        level,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--model", default=None)
    parser.add_argument("--level", default="standard")
    parser.add_argument(
        "--recorded",
        action="store_true",
        help="use the recorded landmarks in samples/ instead of the model",
    )
    parser.add_argument("--json", type=Path, help="write the figures as JSON")
    args = parser.parse_args()
    if args.recorded:
        records, labels = recorded_records(args.level)
    else:
        labels = read_labels(args.shared / "samples" / "labels.csv")
        records = live_records(args.shared, args.model, args.level)
    result = evaluate(records, labels)
    print(format_report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
