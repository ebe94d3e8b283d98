"""Readings recorded from the pose models (samples/readings.json, written by
benchmarks/record_readings.py) turned back into what an estimator gives: the checker can then
be tested and evaluated on real readings without the models or the photos.

Each record holds, per model, the reading of the photo and that of its mirror image (mapped
back to the photo). The mirror image of the photo is then known too: its own reading is the
recorded mirror reading mirrored, and its mirror reading the recorded photo reading mirrored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from alignment.core.fusion import FusionConfig, View, fuse
from alignment.core.skeleton import Skeleton


def load(path: str | Path) -> dict[str, dict]:
    """file (e.g. "janu/y82ukr_30.jpg") -> record."""
    return {r["file"]: r for r in json.loads(Path(path).read_text(encoding="utf-8"))}


def _reading(record: dict, model: str, which: str, mirrored: bool) -> Skeleton | None:
    """A model's reading of the photo (which="photo") or of its mirror image, for the photo
    itself or (mirrored=True) for the photo's mirror image."""
    if mirrored:
        which = "mirror" if which == "photo" else "photo"
    data = record["readings"][model][which]
    if data is None:
        return None
    skeleton = Skeleton.from_json(data)
    return skeleton.mirrored() if mirrored else skeleton


def family(model: str) -> str:
    """ "mediapipe_heavy" -> "mediapipe"; a reading on MoveNet's crop -> "blazepose_crop"."""
    return "blazepose_crop" if model.endswith("_crop") else model.split("_")[0]


def estimate(
    record: dict,
    models: Sequence[str],
    mirror: bool,
    mirrored: bool = False,
    config: FusionConfig | None = None,
) -> Skeleton | None:
    """What an estimator running `models` (each also on the mirror image, with `mirror`) gives
    for the recorded photo, or for its mirror image."""
    if len(models) == 1 and not mirror:
        return _reading(record, models[0], "photo", mirrored)
    views = []
    for model in models:
        photo = _reading(record, model, "photo", mirrored)
        views.append(View(model, family(model), photo))
        if mirror:
            views.append(
                View(f"{model}~mirror", family(model), _reading(record, model, "mirror", mirrored))
            )
    return fuse(views, config)
