"""Results as plain text: the photo table and the session summary a teacher would give."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alignment.core.rules import PoseRules
from alignment.present.report import PhotoRecord
from alignment.session.summary import Summary


def photo_table(records: Sequence[PhotoRecord], names: Sequence[str] | None = None) -> str:
    """A fixed-width table: one line per photo, then its message. `names` are the labels to
    show (by default the file names)."""
    header = f"{'image':32} {'status':12} {'side':5} {'score':>5}  faults"
    lines = [header, "-" * len(header)]
    for i, r in enumerate(records):
        name = names[i] if names else Path(r["path"]).name
        name = name if len(name) <= 32 else "..." + name[-29:]
        score = "" if r.get("score") is None else str(r["score"])
        side = r.get("extended_leg") or ""
        faults = ", ".join(r.get("faults") or []) or "-"
        lines.append(f"{name:32} {r['status']:12} {side:5} {score:>5}  {faults}")
        lines.append(f"{'':32} {r.get('message') or ''}")
    return "\n".join(lines)


def summary_text(summary: Summary, pose: PoseRules) -> str:
    """What a teacher would say afterwards."""
    head = f"Session: {summary['duration_s']:.1f} s, {summary['frames_analysed']} frames analysed"
    video = summary.get("video") or {}
    if video.get("frames_read"):
        rate = video.get("rate_hz")
        pace = "every frame" if rate is None else f"{rate:g} a second"
        head += f" ({pace}) of {video['frames_read']} read"
    lines = [head]
    if summary.get("partial"):
        lines.append("Partial: the analysis was interrupted; this covers what was analysed.")
    for warning in summary.get("warnings", []):
        lines.append(f"Warning: {warning}")
    lines.append("Segments:")
    for seg in summary["segments"]:
        side = f" ({pose.side_name(seg['extended_leg'])})" if seg["extended_leg"] else ""
        lines.append(f"  {seg['start']:7.1f}-{seg['end']:7.1f} s  {seg['kind']}{side}")
    movement = pose.movement
    for side, stats in summary["sides"].items():
        title = pose.side_name(side).capitalize() if pose.has_sides else "In the pose"
        if not stats["frames"]:
            lines.append(f"{title}: not seen in the pose")
            continue
        parts = [f"held {stats['hold_seconds']:.1f} s"]
        if movement and stats["typical_movement"] is not None:
            what = movement.measurement.replace("_", " ")
            parts.append(
                f"{what} typical {stats['typical_movement']}, deepest {stats['best_movement']}"
            )
        for name, spread in stats["measurements"].items():
            if spread and (movement is None or name != movement.measurement):
                parts.append(f"{name.replace('_', ' ')} {spread['typical']}")
        lines.append(f"{title}: " + "; ".join(parts))
        for rule_id, seconds in stats["faults"].items():
            lines.append(f"    {rule_id}: {seconds:.1f} s")
    asym = summary.get("asymmetry")
    if asym:
        lines.append(f"Asymmetry: {asym['note']}")
    if summary["faults"]:
        lines.append("Faults, longest first:")
        for fault in summary["faults"]:
            lines.append(
                f"  {fault['rule']}: {fault['seconds']:.1f} s from "
                f"{fault['first_seen_s']:.1f} s. {fault['cue']}"
            )
    elif summary.get("in_pose"):
        lines.append("No lasting faults seen.")
    else:
        lines.append(f"Not seen in {pose.name}, so nothing was judged.")
    return "\n".join(lines)
