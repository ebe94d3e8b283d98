"""A practice session over time: smoothing, steady cues, segments, hold times, the summary.

Used by the video analysis and by the live app. Feed it one frame at a time
(`tracker.update(time_s, skeleton)`); it keeps only small per-frame records, so memory grows
by about 1 KB a frame (some 20 MB for 10 minutes at 30 fps) whatever the video's resolution.

Time makes the feedback better than any single frame:
- landmarks are smoothed with a One Euro filter (little lag on real movement, less jitter);
- a cue starts only after its mistake has lasted `cue_on_s`, and clears only after the
  mistake has been gone for `cue_off_s` (hysteresis), so the advice does not flicker;
- a frame with nobody in view, or with a skeleton we do not trust, claims nothing new; a
  moment of doubt shorter than `bridge_s` inside a pose does not end the pose (the hold timer
  and the cue carry over it), a longer one does. Live, the cue stays up during the doubt;
  if the pose does not resume, the records of those frames are cleared (they claim nothing).
"""

from __future__ import annotations

import heapq
import statistics
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import numpy as np

from alignment.analysis import Verdict, analyse
from alignment.rules import DEFAULT_LEVEL, PoseRules
from alignment.skeleton import Skeleton
from alignment.smoothing import OneEuroFilter

# Per-frame states, and the segment kinds built from them.
NOT_IN_FRAME = "not_in_frame"
UNCERTAIN = "uncertain"
NOT_IN_POSE = "not_in_pose"
IN_POSE = "in_pose"
SETTING_UP, FOLDING, HOLDING, RELEASING = "setting_up", "folding", "holding", "releasing"
POSE_PHASES = (SETTING_UP, FOLDING, HOLDING, RELEASING)

FOLD_RATE = 8.0  # deg/s of hip flexion change that counts as moving into or out of the fold
UPRIGHT_HIP_FLEXION = 75.0  # above this the torso has not started to fold
SUMMARY_METRICS = ("hip_flexion", "extended_knee_angle", "spine_rounding", "torso_inclination")


@dataclass
class FrameRecord:
    """What is kept of one analysed frame (the timeline)."""

    time_s: float
    state: str  # not_in_frame / uncertain / not_in_pose / in_pose
    extended_leg: str | None
    score: int | None
    faults: tuple[str, ...]  # raw faults in this frame
    cues: tuple[str, ...]  # cues shown (after hysteresis)
    metrics: dict[str, float | None]
    message: str


@dataclass
class LiveState:
    """What a live display needs after each frame."""

    verdict: Verdict
    skeleton: Skeleton | None  # the smoothed skeleton the verdict was made on
    record: FrameRecord
    cue: str  # the one line to show or say now
    active_cues: list[str]
    side: str | None  # side currently held
    hold_s: dict[str, float]  # seconds held so far, per side


@dataclass
class _CueTimer:
    since: float | None = None  # when the current fault streak began
    clear_since: float | None = None  # when the current ok streak began (while active)
    active: bool = False


@dataclass
class SessionTracker:
    pose: PoseRules
    level: str = DEFAULT_LEVEL
    cue_on_s: float = 1.0
    cue_off_s: float = 1.0
    smooth: bool = True
    bridge_s: float = 1.5
    records: list[FrameRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._image_filter = OneEuroFilter(min_cutoff=1.0, beta=0.02)
        self._world_filter = OneEuroFilter(min_cutoff=1.0, beta=10.0)
        self._visibility_filter = OneEuroFilter(min_cutoff=1.0, beta=0.0)
        self._timers = {rule.id: _CueTimer() for rule in self.pose.rules}
        self._hold = {"left": 0.0, "right": 0.0}
        self._last_pose: tuple[float, str | None] | None = None  # time and side, last in pose
        # Rules by weight, heaviest first: the order cues are shown in.
        self._cue_order = [rule.id for rule in sorted(self.pose.rules, key=lambda r: -r.weight)]
        self._cue_text = {rule.id: rule.cue for rule in self.pose.rules}
        # Uncertain frames since the last in-pose frame that carried its cues over (the
        # bridge). They are provisional: if the pose does not resume, they claim nothing.
        self._bridged: list[FrameRecord] = []

    # ------------------------------------------------------------------ per frame
    def _smoothed(self, skeleton: Skeleton | None, time_s: float) -> Skeleton | None:
        if skeleton is None or not self.smooth:
            if skeleton is None:
                for f in (self._image_filter, self._world_filter, self._visibility_filter):
                    f.reset()
            return skeleton
        return Skeleton(image=self._image_filter(skeleton.image, time_s),
                        world=self._world_filter(skeleton.world, time_s),
                        visibility=self._visibility_filter(skeleton.visibility, time_s),
                        width=skeleton.width, height=skeleton.height)

    def _update_cues(self, verdict: Verdict, time_s: float) -> list[str]:
        faults = set(verdict.fault_ids)
        judged = {r.rule.id: r.status for r in verdict.results}
        for rule_id, timer in self._timers.items():
            status = judged.get(rule_id)
            if status == "fault" and rule_id in faults:
                timer.clear_since = None
                if timer.since is None:
                    timer.since = time_s
                if time_s - timer.since >= self.cue_on_s:
                    timer.active = True
            elif status in ("ok", "skipped"):
                timer.since = None
                if timer.active:
                    if timer.clear_since is None:
                        timer.clear_since = time_s
                    if time_s - timer.clear_since >= self.cue_off_s:
                        timer.active = False
                        timer.clear_since = None
            else:  # uncertain, or no verdict at all: claim nothing
                timer.since, timer.clear_since, timer.active = None, None, False
        return self._active_cues()

    def _active_cues(self) -> list[str]:
        return [rule_id for rule_id in self._cue_order if self._timers[rule_id].active]

    def update(self, time_s: float, skeleton: Skeleton | None) -> LiveState:
        smoothed = self._smoothed(skeleton, time_s)
        verdict = analyse(smoothed, self.pose, self.level)
        if not verdict.person_found:
            state = NOT_IN_FRAME
        elif not verdict.trusted or verdict.in_pose is None:
            state = UNCERTAIN
        else:
            state = IN_POSE if verdict.in_pose else NOT_IN_POSE
        last_pose_time, last_side = self._last_pose or (None, None)
        bridged = last_pose_time is not None and time_s - last_pose_time <= self.bridge_s
        carried = False
        if state == IN_POSE:
            active = self._update_cues(verdict, time_s)
            side = verdict.extended_leg
            if side and bridged and side == last_side:
                self._hold[side] += time_s - last_pose_time  # type: ignore[operator]
            self._last_pose = (time_s, side or last_side)
            self._bridged.clear()  # the doubt was inside the pose: its cues stand
        elif state == UNCERTAIN and bridged:
            active = self._active_cues()
            carried = bool(active)
        else:
            active = []
            for timer in self._timers.values():
                timer.since, timer.clear_since, timer.active = None, None, False
            # The pose did not resume: the doubt after it was not part of it.
            for earlier in self._bridged:
                earlier.cues = ()
            self._bridged.clear()
        cues = tuple(self._cue_text[rule_id] for rule_id in active)
        record = FrameRecord(
            time_s=time_s, state=state, extended_leg=verdict.extended_leg,
            score=verdict.score, faults=tuple(verdict.fault_ids), cues=tuple(active),
            metrics={k: (None if v is None else round(float(v), 3))
                     for k, v in verdict.metrics.items()},
            message=verdict.message)
        self.records.append(record)
        if carried:
            self._bridged.append(record)
        if state == IN_POSE or cues:
            cue = cues[0] if cues else "Good. Breathe and stay."
        else:
            cue = verdict.message
        in_pose_now = state == IN_POSE or state == UNCERTAIN and bridged
        return LiveState(verdict=verdict, skeleton=smoothed, record=record, cue=cue,
                         active_cues=list(cues),
                         side=(self._last_pose or (None, None))[1] if in_pose_now else None,
                         hold_s=dict(self._hold))

    def finish(self) -> None:
        """The stream has ended: a doubt at the very end did not lead back into the pose, so
        its frames keep no cues. Call once after the last frame (summary() does not need it)."""
        for earlier in self._bridged:
            earlier.cues = ()
        self._bridged.clear()

    # ------------------------------------------------------------------ afterwards
    def segments(self, min_segment_s: float = 0.75) -> list[dict[str, Any]]:
        return build_segments(self.records, min_segment_s, self.bridge_s)

    def summary(self) -> dict[str, Any]:
        return summarise(self.records, self.pose, self.segments())


def _frame_durations(records: list[FrameRecord]) -> list[float]:
    """Each frame lasts until the next one (the last one as long as the one before it)."""
    if not records:
        return []
    times = [r.time_s for r in records]
    gaps = [min(max(b - a, 0.0), 0.5) for a, b in zip(times, times[1:], strict=False)]
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


def _absorb_short(labels: list[str], times: list[float], durations: list[float],
                  min_s: float) -> list[str]:
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
        group = sorted([k, best] + ([other] if other != -1 and label[other] == label[best]
                                    else []), key=lambda j: first[j])  # neighbours in a row
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
        out[first[k]:last[k]] = [label[k]] * (last[k] - first[k])
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


def _pose_phases(records: list[FrameRecord]) -> list[str]:
    """Setting up / folding / holding / releasing within one run of in-pose frames, from
    the rate of change of the (smoothed) hip flexion."""
    times = np.array([r.time_s for r in records])
    flex = np.array([np.nan if r.metrics.get("hip_flexion") is None else r.metrics["hip_flexion"]
                     for r in records], dtype=float)
    if len(records) < 3 or np.all(np.isnan(flex)):
        return [HOLDING] * len(records)
    idx = np.arange(len(flex))
    good = ~np.isnan(flex)
    flex = np.interp(idx, idx[good], flex[good])
    rate = np.gradient(flex, times) if np.ptp(times) > 0 else np.zeros_like(flex)
    # Average the rate over about half a second so that noise is not read as movement.
    window = max(1, int(round(0.5 / max(np.median(np.diff(times)), 1e-3))))
    rate = np.convolve(rate, np.ones(window) / window, mode="same")
    phases = []
    started = False
    for value, r in zip(flex, rate, strict=True):
        if r < -FOLD_RATE:
            phases.append(FOLDING)
            started = True
        elif r > FOLD_RATE and started:
            phases.append(RELEASING)
        elif not started and value >= UPRIGHT_HIP_FLEXION:
            phases.append(SETTING_UP)
        else:
            phases.append(HOLDING)
            started = True
    return phases


def build_segments(records: list[FrameRecord], min_segment_s: float = 0.75,
                   bridge_s: float = 1.5) -> list[dict]:
    """Split the timeline into segments: not_in_frame, uncertain, not_in_pose, and, in the
    pose, setting_up / folding / holding / releasing, each with its extended leg."""
    if not records:
        return []
    times = [r.time_s for r in records]
    durations = _frame_durations(records)
    states = [r.state for r in records]
    # Brief doubt inside a pose is part of the pose (the model loses a hidden leg for a moment).
    runs = _runs(states)
    for k, (a, b, state) in enumerate(runs):
        if (state == UNCERTAIN and 0 < k < len(runs) - 1 and runs[k - 1][2] == IN_POSE
                and runs[k + 1][2] == IN_POSE and sum(durations[a:b]) <= bridge_s):
            states[a:b] = [IN_POSE] * (b - a)
    states = _absorb_short(states, times, durations, min_segment_s)
    labels = list(states)
    for a, b, state in _runs(states):
        if state == IN_POSE:
            # A change of side inside one in-pose run starts a new run.
            known = _fill_unknown([records[i].extended_leg for i in range(a, b)])
            side_labels = _absorb_short(known, times[a:b], durations[a:b], min_segment_s)
            for sa, sb, _ in _runs(side_labels):
                phases = _pose_phases(records[a + sa:a + sb])
                phases = _absorb_short(phases, times[a + sa:a + sb], durations[a + sa:a + sb],
                                       min_segment_s)
                labels[a + sa:a + sb] = [f"{p}|{side_labels[sa]}" for p in phases]
    segments = []
    for a, b, label in _runs(labels):
        kind, _, _ = label.partition("|")
        sides = Counter(records[i].extended_leg for i in range(a, b) if records[i].extended_leg)
        end = times[b - 1] + durations[b - 1]
        side = sides.most_common(1)[0][0] if sides and kind in POSE_PHASES else None
        segments.append({"start": round(times[a], 3), "end": round(end, 3), "kind": kind,
                         "extended_leg": side})
    return segments


def summarise(records: list[FrameRecord], pose: PoseRules, segments: list[dict]) -> dict:
    """The teacher's summary: per side, the asymmetry, the faults ranked by time."""
    durations = _frame_durations(records)
    sides: dict[str, dict[str, Any]] = {}
    fault_time: dict[str, dict[str, float]] = {}
    first_seen: dict[str, float] = {}
    for side in ("left", "right"):
        idx = [i for i, r in enumerate(records)
               if r.state == IN_POSE and r.extended_leg == side]
        hold_segments = [s for s in segments
                         if s["extended_leg"] == side and s["kind"] in POSE_PHASES]
        stats: dict[str, Any] = {
            "hold_seconds": round(sum(s["end"] - s["start"] for s in hold_segments), 2),
            "in_pose_seconds": round(sum(durations[i] for i in idx), 2),
            "frames": len(idx),
        }
        for name in SUMMARY_METRICS:
            values = [records[i].metrics.get(name) for i in idx]
            values = [v for v in values if v is not None]
            stats[name] = ({"typical": round(statistics.median(values), 1),
                            "min": round(min(values), 1), "max": round(max(values), 1)}
                           if values else None)
        flex = stats["hip_flexion"]
        stats["best_fold_hip_flexion"] = flex["min"] if flex else None
        stats["typical_fold_hip_flexion"] = flex["typical"] if flex else None
        scores = [records[i].score for i in idx if records[i].score is not None]
        stats["typical_score"] = round(statistics.median(scores)) if scores else None
        side_faults: dict[str, float] = {}
        for i in idx:
            for rule_id in records[i].cues:
                side_faults[rule_id] = side_faults.get(rule_id, 0.0) + durations[i]
                fault_time.setdefault(rule_id, {}).setdefault(side, 0.0)
                fault_time[rule_id][side] += durations[i]
                first_seen.setdefault(rule_id, records[i].time_s)
        stats["faults"] = {k: round(v, 2) for k, v in sorted(side_faults.items(),
                                                              key=lambda kv: -kv[1])}
        sides[side] = stats

    faults = []
    for rule_id, by_side in sorted(fault_time.items(), key=lambda kv: -sum(kv[1].values())):
        rule = pose.rule(rule_id)
        faults.append({"rule": rule_id, "cue": rule.cue, "correction": rule.correction,
                       "seconds": round(sum(by_side.values()), 2),
                       "first_seen_s": round(first_seen[rule_id], 2),
                       "by_side": {k: round(v, 2) for k, v in by_side.items()}})
    time_by_state: dict[str, float] = {}
    for r, d in zip(records, durations, strict=True):
        time_by_state[r.state] = round(time_by_state.get(r.state, 0.0) + d, 2)
    return {
        "pose": pose.id,
        "frames_analysed": len(records),
        "duration_s": round(records[-1].time_s + durations[-1] - records[0].time_s, 2)
        if records else 0.0,
        "time_by_state": time_by_state,
        "segments": segments,
        "sides": sides,
        "asymmetry": asymmetry(sides) if pose.has_sides else None,
        "faults": faults,
    }


# The model does not see a body and its mirror image alike: the same photo and its mirror
# image differ by up to 8 degrees of hip flexion (janu/y82ukr_24.jpg, full model), and a session
# clip of janu/y82ukr_30.jpg held on both sides (mirrored) by 5 degrees. A smaller difference
# is not evidence that one side is tighter.
MIN_ASYMMETRY_DEG = 10.0


def asymmetry(sides: dict[str, dict[str, Any]],
              min_difference_deg: float = MIN_ASYMMETRY_DEG) -> dict:
    """Which side is tighter (folds less: larger typical hip flexion) and by how much.
    POSE.md (source 004): stay longer on the tighter side."""
    folds = {s: sides[s].get("typical_fold_hip_flexion") for s in ("left", "right")}
    if any(v is None for v in folds.values()):
        done = [s for s, v in folds.items() if v is not None]
        return {"compared": False, "tighter_side": None, "difference_deg": None,
                "note": ("Only the " + done[0] + " side was seen in the pose; do both sides "
                         "to compare them.") if done else "Neither side was seen in the pose."}
    difference = folds["left"] - folds["right"]  # positive: left folds less
    holds = {s: sides[s]["hold_seconds"] for s in ("left", "right")}
    result: dict[str, Any] = {
        "compared": True,
        "typical_fold_hip_flexion": folds,
        "hold_seconds": holds,
        "difference_deg": round(abs(difference), 1),
    }
    if abs(difference) < min_difference_deg:
        result["tighter_side"] = None
        result["note"] = (f"Both sides fold about the same (within {abs(difference):.0f} "
                          "degrees).")
    else:
        tighter = "left" if difference > 0 else "right"
        result["tighter_side"] = tighter
        result["note"] = (f"The {tighter}-leg side is tighter: it folds {abs(difference):.0f} "
                          f"degrees less. Stay a little longer on that side (POSE.md, 004).")
    return result


def record_row(record: FrameRecord) -> dict[str, Any]:
    """One CSV row of the per-frame timeline."""
    return {"time_s": round(record.time_s, 3), "state": record.state,
            "extended_leg": record.extended_leg or "", "score": record.score,
            "faults": " ".join(record.faults), "cues": " ".join(record.cues),
            **record.metrics, "message": record.message}
