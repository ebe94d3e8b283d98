"""What the journal says over weeks: the fold and the hold of each side, how the gap between
the sides moves, and the next session planned from it. Pure: entries in, numbers and words
out. The sources: "stay longer on the tighter side ... hold the right side for an extra 30
seconds consistently" and "the comparison between sides is information, not a ranking" (004);
hold 30-90 s per side (004 FAQ)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from alignment.journal.entries import Entry
from alignment.settings import HOLD_TARGET_S

SIDES = ("left", "right")
RECENT = 5  # sessions the trend and the suggestion read
MIN_GAP = 3.0  # a smaller difference between the sides (in the fold's unit) is not evidence
EXTRA_HOLD_S = 30.0  # 004: "an extra 30 seconds" on the tighter side
A_MONTH = timedelta(days=28)


def compared(entries: Sequence[Entry]) -> list[Entry]:
    """The complete sessions that saw both sides fold, oldest first."""
    return [
        e
        for e in sorted(entries, key=lambda e: e.when)
        if not e.partial and all(e.depth(s) is not None for s in SIDES)
    ]


def gap(entries: Sequence[Entry]) -> float | None:
    """How much deeper the left side folds than the right, on average (negative: the right
    folds deeper); None without a session of both sides."""
    both = compared(entries)
    if not both:
        return None
    return statistics.mean(e.depth("left") - e.depth("right") for e in both)  # type: ignore[operator]


def _unit(entries: Sequence[Entry]) -> str:
    return " degrees" if entries and entries[-1].unit == "deg" else ""


def trend_words(entries: Sequence[Entry]) -> str:
    """E.g. "Your right side folds 9 degrees less than your left over the last 5 sessions;
    the gap has closed 4 degrees since last month"."""
    both = compared(entries)
    if not both:
        return "No session in the journal saw both sides in the pose yet: do both sides."
    recent = both[-RECENT:]
    now = gap(recent)
    assert now is not None
    unit = _unit(recent)
    span = f"over the last {len(recent)} sessions" if len(recent) > 1 else "in the last session"
    if abs(now) < MIN_GAP:
        words = f"Both sides fold about as deep {span} (within {abs(now):.0f}{unit})"
    else:
        tighter, looser = ("right", "left") if now > 0 else ("left", "right")
        words = f"Your {tighter} side folds {abs(now):.0f}{unit} less than your {looser} {span}"
    latest = recent[-1].when
    earlier = [e for e in both if e.when <= latest - A_MONTH]
    since, then = "since last month", "last month"
    if not earlier:
        earlier = both[: -len(recent)]
        if earlier:
            then = f"on {earlier[-1].when:%d %B}"
            since = f"since {earlier[-1].when:%d %B}"
    if earlier:
        before = gap(earlier[-RECENT:])
        assert before is not None
        change = abs(before) - abs(now)
        if abs(change) < 1.0:
            words += f"; the gap is as it was {then}"
        else:
            verb = "closed" if change > 0 else "widened"
            words += f"; the gap has {verb} {abs(change):.0f}{unit} {since}"
    return words + "."


@dataclass(frozen=True)
class Plan:
    """The next session: a hold target per side, the side to stay longer on, a fault to
    watch, said in plain words."""

    targets: dict[str, float]  # seconds per side
    longer_side: str | None
    watch: str | None  # the cue of the fault shown longest lately
    words: list[str] = field(default_factory=list)


def next_session(entries: Sequence[Entry]) -> Plan:
    """Hold each side at least 30 s (more if you already do), the tighter side 30 s longer;
    watch the fault that was shown longest over the recent sessions (photos aside)."""
    low, high = HOLD_TARGET_S
    timed = [e for e in entries if e.source != "photo"]  # a photo holds nothing
    recent = sorted(timed, key=lambda e: e.when)[-RECENT:]
    held = [e.side(s).hold_seconds for e in recent for s in SIDES if e.side(s)]  # type: ignore[union-attr]
    base = min(high, max(low, 5 * round(statistics.median(held) / 5))) if held else low
    targets = {s: float(base) for s in SIDES}
    words = []
    both = compared(recent)
    now = gap(both)
    longer = None
    if now is not None and abs(now) >= MIN_GAP:
        longer = "right" if now > 0 else "left"
        targets[longer] = base + EXTRA_HOLD_S
        words.append(
            f"Hold the {longer} side {EXTRA_HOLD_S:.0f} s longer: {targets[longer]:.0f} s on "
            f"the {longer}, {base:.0f} s on the other (it folds {abs(now):.0f}"
            f"{_unit(both)} less lately)."
        )
    elif recent:
        words.append(f"Hold each side {base:.0f} s.")
    else:
        words.append(f"Hold each side {low:.0f} to {high:.0f} s.")
    seconds: dict[str, float] = {}
    cues: dict[str, str] = {}
    for e in recent:
        for f in e.faults:
            seconds[f.rule] = seconds.get(f.rule, 0.0) + f.seconds
            cues[f.rule] = f.cue
    watch = None
    if seconds:
        rule = max(seconds, key=lambda r: seconds[r])
        watch = cues[rule] or rule
        span = f"over the last {len(recent)} sessions" if len(recent) > 1 else "last session"
        words.append(f"Watch: {watch} ({seconds[rule]:.0f} s {span}).")
    return Plan(targets=targets, longer_side=longer, watch=watch, words=words)


def per_day(entries: Sequence[Entry]) -> list[dict[str, object]]:
    """One row a day: the typical fold and the total hold of each side (for the plots)."""
    days: dict[str, list[Entry]] = {}
    for e in sorted(entries, key=lambda e: e.when):
        if not e.partial:
            days.setdefault(e.when.date().isoformat(), []).append(e)
    rows = []
    for day, es in days.items():
        row: dict[str, object] = {"day": day, "deeper": es[-1].deeper}
        for s in SIDES:
            folds = [e.side(s).typical_fold for e in es if e.side(s)]  # type: ignore[union-attr]
            folds = [f for f in folds if f is not None]
            row[f"fold_{s}"] = round(statistics.median(folds), 1) if folds else None
            row[f"hold_{s}"] = round(sum(e.side(s).hold_seconds for e in es if e.side(s)), 1)  # type: ignore[union-attr]
        rows.append(row)
    return rows


def faults_per_week(entries: Sequence[Entry]) -> dict[str, dict[str, float]]:
    """Week (ISO, e.g. "2026-W48") -> fault cue -> seconds shown."""
    weeks: dict[str, dict[str, float]] = {}
    for e in entries:
        year, week, _ = e.when.isocalendar()
        into = weeks.setdefault(f"{year}-W{week:02d}", {})
        for f in e.faults:
            into[f.cue or f.rule] = round(into.get(f.cue or f.rule, 0.0) + f.seconds, 2)
    return dict(sorted(weeks.items()))
