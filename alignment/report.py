"""Verdicts as records (JSON / CSV rows) and as a readable table."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alignment.analysis import Verdict
from alignment.measurements import DESCRIPTIONS
from alignment.skeleton import Skeleton

CSV_FIELDS = ["path", "status", "person_found", "in_pose", "extended_leg", "extended_foot",
              "view", "score", "faults", "message", "error", *DESCRIPTIONS]


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def verdict_record(path: str, verdict: Verdict | None, skeleton: Skeleton | None,
                   error: str | None = None) -> dict[str, Any]:
    """The JSON object for one image (documented in the README)."""
    if verdict is None:
        return {"path": path, "status": "error", "person_found": None, "in_pose": None,
                "extended_leg": None, "metrics": {}, "confidence": {}, "faults": [], "cues": [],
                "uncertain_rules": [], "score": None, "message": error, "landmarks": None,
                "error": error}
    reading = verdict.reading
    metrics = reading.metrics if reading else {}
    landmarks = None
    if skeleton is not None:
        landmarks = [[round(float(x), 1), round(float(y), 1), round(float(v), 3)]
                     for (x, y), v in zip(skeleton.image, skeleton.visibility, strict=True)]
    return {
        "path": path,
        "status": verdict.status,
        "person_found": verdict.person_found,
        "trusted": verdict.trusted,
        "in_pose": verdict.in_pose,
        "extended_leg": verdict.extended_leg,
        "extended_foot": verdict.extended_foot,
        "view": verdict.view,
        "metrics": {name: _round(m.value) for name, m in metrics.items()},
        "confidence": {name: _round(m.confidence, 2) for name, m in metrics.items()},
        "faults": verdict.fault_ids,
        "cues": verdict.cues,
        "uncertain_rules": [r.rule.id for r in verdict.results if r.status == "uncertain"],
        "not_in_pose_because": verdict.missing,
        "doubts": (verdict.trust.reasons + verdict.trust.notes) if verdict.trust else [],
        "guidance": verdict.guidance,
        "score": verdict.score,
        "message": verdict.message,
        "landmarks": landmarks,
        "error": error,
    }


def csv_row(record: dict[str, Any]) -> dict[str, Any]:
    row = {k: record.get(k) for k in CSV_FIELDS if k not in DESCRIPTIONS}
    row["faults"] = " ".join(record.get("faults") or [])
    for name in DESCRIPTIONS:
        row[name] = (record.get("metrics") or {}).get(name)
    return row


def write_json(records: Sequence[dict[str, Any]], path: str | Path) -> None:
    Path(path).write_text(json.dumps(list(records), indent=2) + "\n", encoding="utf-8")


def write_csv(records: Sequence[dict[str, Any]], path: str | Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for record in records:
            writer.writerow(csv_row(record))


def table(records: Sequence[dict[str, Any]]) -> str:
    """A fixed-width table: one line per image, then its message."""
    header = f"{'image':32} {'status':12} {'side':5} {'score':>5}  faults"
    lines = [header, "-" * len(header)]
    for r in records:
        name = Path(r["path"]).name
        name = name if len(name) <= 32 else "..." + name[-29:]
        score = "" if r.get("score") is None else str(r["score"])
        side = r.get("extended_leg") or ""
        faults = ", ".join(r.get("faults") or []) or "-"
        lines.append(f"{name:32} {r['status']:12} {side:5} {score:>5}  {faults}")
        lines.append(f"{'':32} {r.get('message') or ''}")
    return "\n".join(lines)
