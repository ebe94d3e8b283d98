"""`alignment journal`: the sessions kept, as a list, JSON or CSV, one in full, deleted or all
exported; the trend of the two sides and the next session's plan. Also how `alignment video`
records its session, and `alignment image --journal` its photos. A journal that cannot be read
is one `error:` line and exit status 2."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import datetime, time
from typing import Any

from alignment.cli.common import error
from alignment.core.rules import PoseRules
from alignment.journal.entries import Entry, from_photo, from_summary
from alignment.journal.places import journal_place, shown
from alignment.journal.store import Journal, JournalError
from alignment.journal.trend import SIDES, next_session, trend_words
from alignment.present.words import how_many

CSV_COLUMNS = [
    "id", "when", "source", "source_name", "pose", "preset", "level", "partial", "duration_s",
    *(f"{what}_{side}" for side in SIDES
      for what in ("hold_s", "in_pose_s", "typical_fold", "deepest_fold")),
    "faults", "summary_path",
]  # fmt: skip


def record_session(
    args: argparse.Namespace,
    summary: dict[str, Any],
    pose: PoseRules,
    source: str,
    source_name: str,
    summary_path: str | None,
) -> None:
    """Keep the session in the journal (unless --no-journal) and say where (unless --quiet);
    a journal that cannot be written is said, and the command's own work stands."""
    if getattr(args, "no_journal", False):
        return
    entry = from_summary(
        summary,
        pose,
        source=source,
        source_name=source_name,
        preset=args.quality,
        level=args.level,
        summary_path=summary_path,
    )
    try:
        with Journal(journal_place(args.journal)) as journal:
            number = journal.add(entry)
            where = shown(journal.url)
    except JournalError as exc:
        error(f"{exc} (the session was not recorded; --no-journal to switch it off)")
        return
    if not getattr(args, "quiet", False):
        partial = " (partial)" if entry.partial else ""
        print(f"Recorded in the journal as session {number}{partial}: {where}", file=sys.stderr)


def record_photos(args: argparse.Namespace, records: list[dict[str, Any]], pose: PoseRules) -> None:
    """`alignment image --journal`: keep each photo in the pose, in one transaction each; a
    journal that cannot be written is said, and the photos' results stand."""
    entries = [
        entry
        for record in records
        if (entry := from_photo(record, pose, preset=args.quality, level=args.level))
    ]
    try:
        with Journal(journal_place(args.journal or None)) as journal:
            for entry in entries:
                journal.add(entry)
            where = shown(journal.url)
    except JournalError as exc:
        error(f"{exc} (the photos were not recorded)")
        return
    if not args.quiet:
        print(
            f"Recorded {len(entries)} of {how_many(len(records), 'photo')} (those in the pose) "
            f"in the journal: {where}",
            file=sys.stderr,
        )


def run_journal(args: argparse.Namespace) -> int:
    if args.action in ("show", "delete") and args.id is None:
        error(f"`alignment journal {args.action}` needs the session's ID (see `alignment journal`)")
        return 2
    try:
        with Journal(journal_place(args.journal)) as journal:
            if args.action == "delete":
                if not journal.delete(args.id):
                    error(f"no session {args.id} in the journal at {shown(journal.url)}")
                    return 2
                print(f"Deleted session {args.id}.")
                return 0
            since = datetime.combine(args.since, time()).astimezone() if args.since else None
            entries = journal.entries(since)
            where = shown(journal.url)
    except JournalError as exc:
        error(str(exc))
        return 2
    if args.action == "show":
        entry = next((e for e in entries if e.id == args.id), None)
        if entry is None:
            error(f"no session {args.id} in the journal at {where}")
            return 2
        print(json.dumps(entry.to_dict(), indent=2) if args.json else describe(entry))
        return 0
    if args.action == "export" or args.json:
        print(json.dumps([e.to_dict() for e in entries], indent=2))
    elif args.csv:
        writer = csv.DictWriter(sys.stdout, CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(csv_row(e) for e in entries)
    else:
        print(listing(entries, where))
    return 0


def _local(entry: Entry) -> str:
    return f"{entry.when.astimezone():%Y-%m-%d %H:%M}"


def _side(entry: Entry, side: str) -> str:
    figures = entry.side(side)
    if figures is None:
        return f"{side}: -"
    fold = "" if figures.typical_fold is None else f", fold {figures.typical_fold:.0f}"
    return f"{side}: held {figures.hold_seconds:.0f} s{fold}"


def listing(entries: list[Entry], where: str) -> str:
    if not entries:
        return f"No sessions in the journal ({where})."
    lines = [f"{len(entries)} sessions in the journal ({where}):"]
    for e in entries:
        partial = " (partial)" if e.partial else ""
        sides = "; ".join(_side(e, s) for s in SIDES)
        lines.append(f"{e.id:>5}  {_local(e)}  {e.source:<5}  {sides}{partial}")
    lines += ["", trend_words(entries), "Next session: " + " ".join(next_session(entries).words)]
    return "\n".join(lines)


def describe(entry: Entry) -> str:
    """One session in full, in words."""
    lines = [
        f"Session {entry.id}: {entry.source} {entry.source_name}, {_local(entry)}"
        + (" (partial: the analysis was interrupted)" if entry.partial else ""),
        f"Pose {entry.pose}, preset {entry.preset}, level {entry.level}, "
        f"{entry.duration_s:.0f} s analysed",
    ]
    for s in entry.sides:
        fold = (
            f"; {entry.movement} typical {s.typical_fold}, deepest {s.deepest_fold}"
            if s.typical_fold is not None
            else ""
        )
        lines.append(
            f"  {s.side}: held {s.hold_seconds:.1f} s, in the pose {s.in_pose_seconds:.1f} s" + fold
        )
        if s.measurements:
            values = ", ".join(f"{k} {v}" for k, v in s.measurements.items())
            lines.append(f"    typical: {values}")
    for f in entry.faults:
        lines.append(f"  fault: {f.cue or f.rule} for {f.seconds:.1f} s")
    if entry.summary_path:
        lines.append(f"  summary: {entry.summary_path}")
    return "\n".join(lines)


def csv_row(entry: Entry) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": entry.id,
        "when": entry.when.isoformat(),
        "source": entry.source,
        "source_name": entry.source_name,
        "pose": entry.pose,
        "preset": entry.preset,
        "level": entry.level,
        "partial": entry.partial,
        "duration_s": entry.duration_s,
        "faults": "; ".join(f"{f.rule}={f.seconds:g}" for f in entry.faults),
        "summary_path": entry.summary_path or "",
    }
    for side in SIDES:
        figures = entry.side(side)
        row[f"hold_s_{side}"] = figures.hold_seconds if figures else ""
        row[f"in_pose_s_{side}"] = figures.in_pose_seconds if figures else ""
        row[f"typical_fold_{side}"] = (
            "" if not figures or figures.typical_fold is None else (figures.typical_fold)
        )
        row[f"deepest_fold_{side}"] = (
            "" if not figures or figures.deepest_fold is None else (figures.deepest_fold)
        )
    return row
