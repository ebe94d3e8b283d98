"""The teacher's summary of a session: per side, the asymmetry between the sides, the mistakes
ranked by time. Pure: built from the timeline's records and segments. The types below are the
README's tables."""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections.abc import Sequence
from typing import Any, TypedDict

from alignment.core.measurements import DESCRIPTIONS
from alignment.core.rules import PoseRules
from alignment.core.status import IN_POSE, POSE_PHASES, STATES
from alignment.core.topology import SIDES
from alignment.session.timeline import FrameRecord, Segment, frame_durations


class Spread(TypedDict):
    typical: float  # the median
    min: float
    max: float


class SideStats(TypedDict):
    hold_seconds: float  # time in the pose's segments on this side (brief doubts included)
    in_pose_seconds: float  # time in frames seen in the pose on this side
    frames: int
    measurements: dict[str, Spread | None]  # the pose's summary measurements
    best_movement: float | None  # the deepest value of the pose's main movement
    typical_movement: float | None  # its median
    typical_score: int | None
    faults: dict[str, float]  # rule id -> seconds shown


class Asymmetry(TypedDict, total=False):
    compared: bool
    tighter_side: str | None
    difference: float | None  # in the main movement's unit
    typical_movement: dict[str, float]
    hold_seconds: dict[str, float]
    note: str


class FaultTime(TypedDict):
    rule: str
    cue: str
    correction: str
    seconds: float
    first_seen_s: float
    by_side: dict[str, float]


class Summary(TypedDict, total=False):
    pose: str
    movement: str | None  # the measurement followed as the main movement
    frames_analysed: int
    duration_s: float
    time_by_state: dict[str, float]
    segments: list[Segment]
    sides: dict[str, SideStats]
    asymmetry: Asymmetry | None
    faults: list[FaultTime]
    in_pose: bool  # was the person seen in the pose at all
    video: dict[str, Any]  # added by the video pipeline
    warnings: list[str]
    partial: bool  # the analysis was interrupted: the summary covers the frames before it


def _spread(values: list[float]) -> Spread | None:
    if not values:
        return None
    return Spread(
        typical=round(statistics.median(values), 1),
        min=round(min(values), 1),
        max=round(max(values), 1),
    )


def hold_seconds(
    segments: list[Segment], pose: PoseRules, records: Sequence[FrameRecord] | None = None
) -> dict[str, float]:
    """Seconds held per side: the time in the pose's segments (brief doubts inside a hold
    included). The summary's `hold_seconds`, and the live page's hold timers. With the
    `records`, a segment lasts as long as its frames do (each at most MAX_FRAME_S, see
    `frame_durations`), so a jump in a video's timestamps is not held time: the holds never
    exceed the video's duration."""
    lengths = _segment_seconds(segments, records)
    return {
        side: round(
            sum(
                length
                for s, length in zip(segments, lengths, strict=True)
                if s["kind"] in POSE_PHASES and (s["extended_leg"] == side or not pose.has_sides)
            ),
            2,
        )
        for side in pose.sides
    }


def _segment_seconds(segments: list[Segment], records: Sequence[FrameRecord] | None) -> list[float]:
    """How long each segment lasts: from its start to its end, or, with the records, the sum of
    its frames' durations."""
    if not records:
        return [s["end"] - s["start"] for s in segments]
    times = [r.time_s for r in records]
    total = [0.0, *itertools.accumulate(frame_durations(list(records)))]
    half_ms = 5e-4  # segment times are rounded to the millisecond
    lengths = []
    for s in segments:
        a = bisect.bisect_left(times, s["start"] - half_ms)
        b = bisect.bisect_left(times, s["end"] - half_ms)
        lengths.append(total[b] - total[a])
    return lengths


def summarise(records: list[FrameRecord], pose: PoseRules, segments: list[Segment]) -> Summary:
    """The teacher's summary: per side, the asymmetry, the faults ranked by time."""
    durations = frame_durations(records)
    movement = pose.movement
    names = list(
        dict.fromkeys([*([movement.measurement] if movement else []), *pose.summary_measurements])
    )
    sides: dict[str, SideStats] = {}
    fault_time: dict[str, dict[str, float]] = {}
    first_seen: dict[str, float] = {}
    held = hold_seconds(segments, pose, records)
    for side in held:
        idx = [
            i
            for i, r in enumerate(records)
            if r.state == IN_POSE and (r.extended_leg == side or not pose.has_sides)
        ]
        spreads: dict[str, Spread | None] = {}
        for name in names:
            values = [records[i].metrics.get(name) for i in idx]
            spreads[name] = _spread([v for v in values if v is not None])
        main = spreads.get(movement.measurement) if movement else None
        deepest = None
        if main:
            deepest = main["min"] if movement and movement.deeper == "smaller" else main["max"]
        scores = [records[i].score for i in idx if records[i].score is not None]
        side_faults: dict[str, float] = {}
        for i in idx:
            for rule_id in records[i].cues:
                side_faults[rule_id] = side_faults.get(rule_id, 0.0) + durations[i]
                by_side = fault_time.setdefault(rule_id, {})
                by_side[side] = by_side.get(side, 0.0) + durations[i]
                first_seen.setdefault(rule_id, records[i].time_s)
        sides[side] = SideStats(
            hold_seconds=held[side],
            in_pose_seconds=round(sum(durations[i] for i in idx), 2),
            frames=len(idx),
            measurements=spreads,
            best_movement=deepest,
            typical_movement=main["typical"] if main else None,
            typical_score=round(statistics.median(scores)) if scores else None,
            faults={k: round(v, 2) for k, v in sorted(side_faults.items(), key=lambda kv: -kv[1])},
        )

    faults = []
    for rule_id, by_side in sorted(fault_time.items(), key=lambda kv: -sum(kv[1].values())):
        rule = pose.rule(rule_id)
        faults.append(
            FaultTime(
                rule=rule_id,
                cue=rule.cue,
                correction=rule.correction,
                seconds=round(sum(by_side.values()), 2),
                first_seen_s=round(first_seen[rule_id], 2),
                by_side={k: round(v, 2) for k, v in by_side.items()},
            )
        )
    # Summed unrounded, rounded once: the states add up to the duration.
    time_by_state: dict[str, float] = {}
    for r, d in zip(records, durations, strict=True):
        time_by_state[r.state] = time_by_state.get(r.state, 0.0) + d
    duration = sum(durations)
    return Summary(
        pose=pose.id,
        movement=movement.measurement if movement else None,
        frames_analysed=len(records),
        duration_s=round(duration, 2),
        time_by_state={s: round(time_by_state[s], 2) for s in STATES if s in time_by_state},
        segments=segments,
        sides=sides,
        asymmetry=asymmetry(sides, pose) if pose.has_sides else None,
        faults=faults,
        in_pose=IN_POSE in time_by_state,
        warnings=[],
    )


def asymmetry(sides: dict[str, SideStats], pose: PoseRules) -> Asymmetry:
    """Which side is tighter (goes less deep into the main movement) and by how much.
    POSE.md (source 004): stay longer on the tighter side."""
    movement = pose.movement
    typical = {s: sides[s]["typical_movement"] for s in SIDES}
    if movement is None or any(v is None for v in typical.values()):
        done = [s for s, v in typical.items() if v is not None]
        note = (
            f"Only one side was seen in the pose ({pose.side_name(done[0])}); do both sides "
            "to compare them."
            if done
            else "Neither side was seen in the pose."
        )
        return Asymmetry(compared=False, tighter_side=None, difference=None, note=note)
    depth = {s: movement.depth(v) for s, v in typical.items()}  # type: ignore[arg-type]
    difference = depth["right"] - depth["left"]  # positive: left goes less deep
    result = Asymmetry(
        compared=True,
        typical_movement=typical,  # type: ignore[typeddict-item]
        hold_seconds={s: sides[s]["hold_seconds"] for s in SIDES},
        difference=round(abs(difference), 1),
    )
    what = movement.measurement.replace("_", " ")
    unit = " degrees" if DESCRIPTIONS[movement.measurement][0] == "deg" else ""
    amount = f"{abs(difference):.0f}{unit}" if unit else f"{abs(difference):.2f}"
    if abs(difference) < movement.min_asymmetry:
        result["tighter_side"] = None
        result["note"] = f"Both sides go about as deep: the {what} differs by {amount}."
    else:
        tighter = "left" if difference > 0 else "right"
        result["tighter_side"] = tighter
        result["note"] = (
            f"The tighter side: {pose.side_name(tighter)} (the {what} is {amount} "
            "shallower). Stay a little longer on that side (POSE.md, 004)."
        )
    return result
