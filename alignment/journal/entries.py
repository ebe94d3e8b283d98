"""A journal entry: the figures of one session, taken from its summary. Pure dataclasses; the
store turns them into rows and back. No frames or pictures are ever part of an entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from alignment.core.measurements import DESCRIPTIONS
from alignment.core.rules import PoseRules
from alignment.core.status import IN_POSE, state_of

SOURCES = ("video", "live", "photo")


@dataclass(frozen=True)
class SideFigures:
    """One side of one session: how long it was held and how deep it went."""

    side: str
    hold_seconds: float
    in_pose_seconds: float
    typical_fold: float | None  # the median of the pose's main movement
    deepest_fold: float | None
    measurements: dict[str, float] = field(default_factory=dict)  # typical values


@dataclass(frozen=True)
class FaultFigures:
    rule: str
    cue: str
    seconds: float


@dataclass(frozen=True)
class Entry:
    """One session. `deeper` says which way the fold goes further ("smaller" or "larger"), so
    the trend can compare sides without the rule file."""

    when: datetime
    source: str  # one of SOURCES
    source_name: str  # the video's path, "camera", the photo's path
    pose: str
    preset: str
    level: str
    partial: bool
    duration_s: float
    movement: str | None
    deeper: str
    unit: str  # the movement's unit, "deg" for angles
    sides: tuple[SideFigures, ...]
    faults: tuple[FaultFigures, ...]
    summary_path: str | None = None
    id: int | None = None

    def side(self, name: str) -> SideFigures | None:
        return next((s for s in self.sides if s.side == name), None)

    def depth(self, side: str) -> float | None:
        """The typical fold of a side turned so that larger is deeper."""
        figures = self.side(side)
        if figures is None or figures.typical_fold is None:
            return None
        return -figures.typical_fold if self.deeper == "smaller" else figures.typical_fold

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["when"] = self.when.isoformat()
        return data


def from_summary(
    summary: Mapping[str, Any],
    pose: PoseRules,
    *,
    source: str,
    source_name: str,
    preset: str,
    level: str,
    when: datetime | None = None,
    summary_path: str | None = None,
) -> Entry:
    """The entry of a session summary (alignment.session.summary.Summary): per side the hold,
    in-pose time, typical and deepest fold and typical measurements; the faults' durations."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    movement = pose.movement
    sides = []
    for name, stats in summary.get("sides", {}).items():
        typical = {
            m: spread["typical"]
            for m, spread in (stats.get("measurements") or {}).items()
            if spread is not None
        }
        sides.append(
            SideFigures(
                side=name,
                hold_seconds=float(stats.get("hold_seconds", 0.0)),
                in_pose_seconds=float(stats.get("in_pose_seconds", 0.0)),
                typical_fold=stats.get("typical_movement"),
                deepest_fold=stats.get("best_movement"),
                measurements=typical,
            )
        )
    faults = tuple(
        FaultFigures(rule=f["rule"], cue=f.get("cue", ""), seconds=float(f["seconds"]))
        for f in summary.get("faults", [])
    )
    return Entry(
        when=when or datetime.now(timezone.utc),
        source=source,
        source_name=source_name,
        pose=summary.get("pose", pose.id),
        preset=preset,
        level=level,
        partial=bool(summary.get("partial", False)),
        duration_s=float(summary.get("duration_s", 0.0)),
        movement=movement.measurement if movement else None,
        deeper=movement.deeper if movement else "larger",
        unit=DESCRIPTIONS[movement.measurement][0] if movement else "",
        sides=tuple(sides),
        faults=faults,
        summary_path=summary_path,
    )


def from_photo(
    record: Mapping[str, Any],
    pose: PoseRules,
    *,
    preset: str,
    level: str,
    when: datetime | None = None,
) -> Entry | None:
    """The entry of one photo in the pose (alignment.present.report.PhotoRecord): the side
    its extended leg is on, its fold and measurements, and its faults, none of them timed (a
    photo holds nothing). None for a photo that is not in the pose, or not read."""
    if record.get("error") or state_of(record["status"]) != IN_POSE:
        return None
    side = record.get("extended_leg")
    if side not in ("left", "right"):
        return None
    movement = pose.movement
    metrics = {m: float(v) for m, v in (record.get("metrics") or {}).items() if v is not None}
    fold = metrics.get(movement.measurement) if movement else None
    cues = {rule.id: rule.cue for rule in pose.rules}
    return Entry(
        when=when or datetime.now(timezone.utc),
        source="photo",
        source_name=str(record["path"]),
        pose=pose.id,
        preset=preset,
        level=level,
        partial=False,
        duration_s=0.0,
        movement=movement.measurement if movement else None,
        deeper=movement.deeper if movement else "larger",
        unit=DESCRIPTIONS[movement.measurement][0] if movement else "",
        sides=(SideFigures(side, 0.0, 0.0, fold, fold, metrics),),
        faults=tuple(FaultFigures(rule, cues.get(rule, ""), 0.0) for rule in record["faults"]),
    )
