"""The timeline of a session: one small record per analysed frame, and the segments built from
them (nobody in view, uncertain, not in the pose, and in the pose: setting up, folding, holding,
releasing, each with its side). Pure: lists and numpy."""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate
from typing import TypedDict

import numpy as np

from alignment.core.rules import Movement
from alignment.core.status import (
    FOLDING,
    HOLDING,
    IN_POSE,
    POSE_PHASES,
    RELEASING,
    SETTING_UP,
    UNCERTAIN,
)

# A frame counts for at most this long: a longer gap in the stream (a jump in a video's
# timestamps, a stalled camera) is not a hold. As long as a doubt a session bridges
# (SessionTracker.bridge_s), so that a live page analysing one frame a second, on a slow
# machine, still counts all of the time held.
MAX_FRAME_S = 1.5


@dataclass
class FrameRecord:
    """What is kept of one analysed frame."""

    time_s: float
    state: str  # one of STATES
    extended_leg: str | None
    score: int | None
    faults: tuple[str, ...]  # mistakes seen in this frame alone
    cues: tuple[str, ...]  # mistakes shown (they have lasted), by rule id
    metrics: dict[str, float | None]
    message: str  # what was shown
    unjudged: tuple[str, ...] = ()  # rules that applied but could not be judged, by rule id


class Segment(TypedDict):
    start: float
    end: float
    kind: str  # a state other than in_pose, or one of POSE_PHASES
    extended_leg: str | None


def frame_durations(records: list[FrameRecord]) -> list[float]:
    """Each frame lasts until the next one (at most MAX_FRAME_S); the last one as long as the
    one before it."""
    if not records:
        return []
    times = [r.time_s for r in records]
    gaps = [min(max(b - a, 0.0), MAX_FRAME_S) for a, b in zip(times, times[1:], strict=False)]
    return [*gaps, gaps[-1] if gaps else 0.0]


def _runs(labels: list[str]) -> list[tuple[int, int, str]]:
    """(start index, end index exclusive, label) of each run of equal labels."""
    runs: list[tuple[int, int, str]] = []
    for i, label in enumerate(labels):
        if runs and runs[-1][2] == label:
            runs[-1] = (runs[-1][0], i + 1, label)
        else:
            runs.append((i, i + 1, label))
    return runs


def _absorb_short(labels: list[str], durations: list[float], min_s: float) -> list[str]:
    """Relabel runs shorter than min_s with the label of the longer neighbour (flicker),
    the shortest run first (on a tie the earlier one; between equally long neighbours the
    earlier one).

    Runs are kept in a linked list with a heap of their lengths, so a long, flickering
    timeline costs O(runs x log runs), not O(runs x frames)."""
    runs = _runs(labels)
    if len(runs) < 2:
        return list(labels)
    prefix = list(accumulate(durations, initial=0.0))
    first = [a for a, _, _ in runs]
    last = [b for _, b, _ in runs]
    label = [run_label for _, _, run_label in runs]
    prev = list(range(-1, len(runs) - 1))
    nxt = [*range(1, len(runs)), -1]
    version = [0] * len(runs)

    def length(k: int) -> float:
        # Rounded so that runs of as many equal frames tie exactly wherever they lie.
        return round(prefix[last[k]] - prefix[first[k]], 9)

    heap = [(length(k), first[k], 0, k) for k in range(len(runs))]
    heapq.heapify(heap)
    alive = len(runs)
    while heap and alive >= 2:
        run_length, _, seen, k = heapq.heappop(heap)
        if seen != version[k]:
            continue  # merged or grown since it was pushed
        if run_length >= min_s:
            break
        before, after = prev[k], nxt[k]
        if before == -1 or after != -1 and length(after) > length(before):
            best, other = after, before
        else:
            best, other = before, after
        group = sorted(
            [k, best] + ([other] if other != -1 and label[other] == label[best] else []),
            key=lambda j: first[j],
        )  # neighbours in a row
        keep, rightmost = group[0], group[-1]
        last[keep], label[keep] = last[rightmost], label[best]
        nxt[keep] = nxt[rightmost]
        if nxt[keep] != -1:
            prev[nxt[keep]] = keep
        for j in group:
            version[j] += 1
        alive -= len(group) - 1
        heapq.heappush(heap, (length(keep), first[keep], version[keep], keep))
    out = list(labels)
    k = 0  # the first run always keeps its id: a merged run keeps its leftmost member's
    while k != -1:
        out[first[k] : last[k]] = [label[k]] * (last[k] - first[k])
        k = nxt[k]
    return out


def _fill_unknown(sides: list[str | None]) -> list[str]:
    """Frames of a pose whose side was not seen take the side of the nearest earlier frame
    (or, at the start, the first later one)."""
    filled: list[str] = []
    last = next((s for s in sides if s), "?")
    for side in sides:
        last = side or last
        filled.append(last)
    return filled


def pose_phases(records: list[FrameRecord], movement: Movement | None) -> list[str]:
    """Setting up / folding / holding / releasing within one run of in-pose frames, from the
    rate of change of the pose's main movement (all holding when the pose names none)."""
    if movement is None or len(records) < 3:
        return [HOLDING] * len(records)
    times = np.array([r.time_s for r in records])
    raw = [r.metrics.get(movement.measurement) for r in records]
    depth = np.array([np.nan if v is None else movement.depth(v) for v in raw], dtype=float)
    if np.all(np.isnan(depth)):
        return [HOLDING] * len(records)
    idx = np.arange(len(depth))
    good = ~np.isnan(depth)
    depth = np.interp(idx, idx[good], depth[good])
    rate = np.gradient(depth, times) if np.ptp(times) > 0 else np.zeros_like(depth)
    # Average the rate over about half a second so that noise is not read as movement.
    # (Never longer than the run: np.convolve's "same" would give a longer array.)
    window = max(1, int(round(0.5 / max(float(np.median(np.diff(times))), 1e-3))))
    window = min(window, len(rate))
    rate = np.convolve(rate, np.ones(window) / window, mode="same")
    shallow = movement.depth(movement.start_beyond)
    phases = []
    started = False
    for value, r in zip(depth, rate, strict=True):
        if r > movement.rate:
            phases.append(FOLDING)
            started = True
        elif r < -movement.rate and started:
            phases.append(RELEASING)
        elif not started and value <= shallow:
            phases.append(SETTING_UP)
        else:
            phases.append(HOLDING)
            started = True
    return phases


def _changes_side(
    records: list[FrameRecord], before: tuple[int, int, str], after: tuple[int, int, str]
) -> bool:
    """Whether the last known extended leg of the run before differs from the first after."""
    last = next(
        (r.extended_leg for r in reversed(records[before[0] : before[1]]) if r.extended_leg), None
    )
    first = next((r.extended_leg for r in records[after[0] : after[1]] if r.extended_leg), None)
    return last is not None and first is not None and last != first


def build_segments(
    records: list[FrameRecord],
    movement: Movement | None,
    min_segment_s: float = 0.75,
    bridge_s: float = 1.5,
) -> list[Segment]:
    """Split the timeline into segments: not_in_frame, uncertain, not_in_pose, and, in the
    pose, setting_up / folding / holding / releasing, each with its extended leg."""
    if not records:
        return []
    times = [r.time_s for r in records]
    durations = frame_durations(records)
    states = [r.state for r in records]
    # Brief doubt inside a pose is part of the pose (the model loses a hidden leg for a moment),
    # unless the pose resumes on the other side: then the person came out and changed legs.
    runs = _runs(states)
    for k, (a, b, state) in enumerate(runs):
        if (
            state == UNCERTAIN
            and 0 < k < len(runs) - 1
            and runs[k - 1][2] == IN_POSE
            and runs[k + 1][2] == IN_POSE
            and sum(durations[a:b]) <= bridge_s
            and not _changes_side(records, runs[k - 1], runs[k + 1])
        ):
            states[a:b] = [IN_POSE] * (b - a)
    states = _absorb_short(states, durations, min_segment_s)
    labels = list(states)
    for a, b, state in _runs(states):
        if state != IN_POSE:
            continue
        # A change of side inside one in-pose run starts a new run.
        known = _fill_unknown([records[i].extended_leg for i in range(a, b)])
        side_labels = _absorb_short(known, durations[a:b], min_segment_s)
        for sa, sb, _ in _runs(side_labels):
            phases = pose_phases(records[a + sa : a + sb], movement)
            phases = _absorb_short(phases, durations[a + sa : a + sb], min_segment_s)
            labels[a + sa : a + sb] = [f"{p}|{side_labels[sa]}" for p in phases]
    segments: list[Segment] = []
    for a, b, label in _runs(labels):
        kind, _, _ = label.partition("|")
        sides = Counter(records[i].extended_leg for i in range(a, b) if records[i].extended_leg)
        end = times[b - 1] + durations[b - 1]
        side = sides.most_common(1)[0][0] if sides and kind in POSE_PHASES else None
        segments.append(
            Segment(start=round(times[a], 3), end=round(end, 3), kind=kind, extended_leg=side)
        )
    return segments
