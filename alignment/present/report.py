"""Verdicts as records (JSON objects, CSV rows) and the timeline as CSV rows. The types below
are the README's tables; an error record carries every key too."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, TypedDict

import numpy as np

from alignment.core.analysis import Verdict
from alignment.core.feedback import feedback
from alignment.core.measurements import DESCRIPTIONS
from alignment.core.skeleton import Skeleton
from alignment.core.topology import SIDES, leg_joints
from alignment.session.summary import Summary
from alignment.session.timeline import FrameRecord


class LegPoints(TypedDict):
    hip: list[float] | None  # [x, y] in pixels, None where not trusted
    knee: list[float] | None
    ankle: list[float] | None


class PhotoRecord(TypedDict):
    path: str
    status: str  # a Verdict status, or "error"
    person_found: bool | None
    trusted: bool | None
    in_pose: bool | None
    extended_leg: str | None
    extended_foot: str | None
    view: str | None
    width: int | None
    height: int | None
    models: list[str]  # the pose model files that ran
    agreement: dict[str, Any] | None  # what the models agreed on (fused presets)
    legs: dict[str, LegPoints] | None  # per person's side
    metrics: dict[str, float | None]
    confidence: dict[str, float]
    faults: list[str]
    cues: list[str]
    uncertain_rules: list[str]
    not_in_pose_because: list[str]
    doubts: list[str]
    guidance: list[str]
    score: int | None  # None unless every major rule was judged
    rules_checked: int  # the rules judged (what the score covers)
    rules_applied: int  # the rules that applied, judged or not
    message: str  # the headline (core.feedback)
    limits: str  # the second line: what could not be checked, "" when everything was
    landmarks: list[list[float]] | None  # per joint [x, y, visibility] (core.topology order)
    notes: list[str]  # about the input itself (e.g. downscaled, several people)
    error: str | None


CSV_FIELDS = [
    "path",
    "status",
    "person_found",
    "trusted",
    "in_pose",
    "extended_leg",
    "extended_foot",
    "view",
    "score",
    "faults",
    "message",
    "limits",
    "error",
    *DESCRIPTIONS,
]


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _legs(skeleton: Skeleton) -> dict[str, LegPoints]:
    """Hip, knee and ankle of each leg, None where the models disagree or do not see it."""

    def point(joint: int) -> list[float] | None:
        x, y = skeleton.image[joint]
        known = bool(np.isfinite(x) and np.isfinite(y)) and joint not in skeleton.doubts
        return [round(float(x), 1), round(float(y), 1)] if known else None

    legs: dict[str, LegPoints] = {}
    for side in SIDES:
        hip, knee, ankle, _ = leg_joints(side)
        legs[side] = LegPoints(hip=point(hip), knee=point(knee), ankle=point(ankle))
    return legs


def error_record(path: str, error: str, notes: list[str] | None = None) -> PhotoRecord:
    """The record of a file that could not be analysed: every key, nothing claimed."""
    return PhotoRecord(
        path=path,
        status="error",
        person_found=None,
        trusted=None,
        in_pose=None,
        extended_leg=None,
        extended_foot=None,
        view=None,
        width=None,
        height=None,
        models=[],
        agreement=None,
        legs=None,
        metrics={},
        confidence={},
        faults=[],
        cues=[],
        uncertain_rules=[],
        not_in_pose_because=[],
        doubts=[],
        guidance=[],
        score=None,
        rules_checked=0,
        rules_applied=0,
        message=error,
        limits="",
        landmarks=None,
        notes=list(notes or []),
        error=error,
    )


def photo_record(
    path: str,
    verdict: Verdict,
    skeleton: Skeleton | None,
    width: int,
    height: int,
    models: list[str],
    notes: list[str] | None = None,
) -> PhotoRecord:
    """The JSON object for one photo (documented in the README)."""
    said = feedback(verdict)
    metrics = verdict.reading.metrics if verdict.reading else {}
    landmarks = None
    if skeleton is not None:
        landmarks = [
            [_round(x, 1), _round(y, 1), round(float(v), 3)]
            for (x, y), v in zip(skeleton.image, skeleton.visibility, strict=True)
        ]
    return PhotoRecord(
        path=path,
        status=said.status,
        person_found=verdict.person_found,
        trusted=verdict.trusted,
        in_pose=verdict.in_pose,
        extended_leg=verdict.extended_leg,
        extended_foot=verdict.extended_foot,
        view=verdict.view,
        width=width,
        height=height,
        models=models,
        agreement=(skeleton.agreement or None) if skeleton is not None else None,
        legs=_legs(skeleton) if skeleton is not None else None,
        metrics={name: _round(m.value) for name, m in metrics.items()},
        confidence={name: round(m.confidence, 2) for name, m in metrics.items()},
        faults=list(said.fault_ids),
        cues=list(said.cues),
        uncertain_rules=[r.rule.id for r in verdict.unjudged],
        not_in_pose_because=verdict.missing,
        doubts=verdict.doubts,
        guidance=list(said.guidance),
        score=said.score,
        rules_checked=said.checked,
        rules_applied=said.checks,
        message=said.message,
        limits=said.limits,
        landmarks=landmarks,
        notes=list(notes or []),
        error=None,
    )


def csv_row(record: PhotoRecord) -> dict[str, Any]:
    row: dict[str, Any] = {k: record.get(k) for k in CSV_FIELDS if k not in DESCRIPTIONS}
    row["faults"] = " ".join(record.get("faults") or [])
    for name in DESCRIPTIONS:
        row[name] = (record.get("metrics") or {}).get(name)
    return row


class VideoRecord(TypedDict):
    """One video of a batch (`alignment video --ray`): its summary as `--json` writes it, or
    why it could not be analysed."""

    path: str
    error: str | None
    summary: Summary | None


def video_record(path: str, summary: Summary | None, error: str | None = None) -> VideoRecord:
    return VideoRecord(path=path, error=error, summary=summary)


def video_row(record: VideoRecord) -> dict[str, Any]:
    """One CSV (or Parquet) row of a batch of videos: the summary's totals, per side the hold
    time and the typical score, the faults longest first."""
    summary: Summary = record["summary"] or {}
    row: dict[str, Any] = {
        "path": record["path"],
        "error": record["error"],
        "duration_s": summary.get("duration_s"),
        "frames_analysed": summary.get("frames_analysed"),
        "in_pose": summary.get("in_pose"),
        "partial": summary.get("partial"),
    }
    for state, seconds in (summary.get("time_by_state") or {}).items():
        row[f"{state}_s"] = seconds
    for side, stats in (summary.get("sides") or {}).items():
        row[f"{side}_hold_s"] = stats["hold_seconds"]
        row[f"{side}_typical_score"] = stats["typical_score"]
    asymmetry = summary.get("asymmetry") or {}
    row["tighter_side"] = asymmetry.get("tighter_side")
    row["faults"] = " ".join(fault["rule"] for fault in summary.get("faults") or [])
    row["warnings"] = "; ".join(summary.get("warnings") or [])
    return row


def row_fields(rows: list[dict[str, Any]]) -> list[str]:
    """Every column any row has, in the order they first appear."""
    fields: dict[str, None] = {}
    for row in rows:
        fields.update(dict.fromkeys(row))
    return list(fields)


def timeline_row(record: FrameRecord) -> dict[str, Any]:
    """One CSV row of a session's per-frame timeline."""
    return {
        "time_s": round(record.time_s, 3),
        "state": record.state,
        "extended_leg": record.extended_leg or "",
        "score": record.score,
        "faults": " ".join(record.faults),
        "cues": " ".join(record.cues),
        **record.metrics,
        "message": record.message,
    }


def timeline_fields(records: list[FrameRecord]) -> list[str]:
    """The columns, the same whatever the first frame held (frames with nobody in view have no
    measurements), the message last."""
    fields: dict[str, None] = {}
    for record in records:
        fields.update(dict.fromkeys(timeline_row(record)))
    return [name for name in fields if name != "message"] + ["message"]


def csv_text(rows: Iterable[dict[str, Any]], fields: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue()
