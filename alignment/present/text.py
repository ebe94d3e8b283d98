"""Results as plain text: the photo table and the session summary a teacher would give."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alignment.core.rules import PoseRules
from alignment.present.report import PhotoRecord
from alignment.present.words import (
    NOT_KNOWN,
    cell,
    how_many,
    measurement_name,
    measurement_value,
    rule_names,
    score_covers,
    status_label,
)
from alignment.session.summary import Summary


def photo_table(
    records: Sequence[PhotoRecord],
    names: Sequence[str] | None = None,
    pose: PoseRules | None = None,
) -> str:
    """A fixed-width table for people: one line per photo (status and rules in words, a dash
    where there is nothing), then its headline and what could not be checked. `names` are the
    labels to show (by default the file names); `pose` names the rules."""
    header = f"{'image':32} {'status':28} {'side':5} {'score':>5}  corrections"
    lines = [header, "-" * len(header)]
    for i, r in enumerate(records):
        name = names[i] if names else Path(r["path"]).name
        name = name if len(name) <= 32 else "..." + name[-29:]
        score = cell(r.get("score"))
        side = cell(r.get("extended_leg"))
        faults = ", ".join(rule_names(pose, r.get("faults") or [])) or NOT_KNOWN
        status = status_label(r["status"])
        lines.append(f"{name:32} {status:28} {side:5} {score:>5}  {faults}")
        covers = score_covers(r.get("score"), r.get("rules_checked", 0), r.get("rules_applied", 0))
        for text in (r.get("message"), r.get("limits"), covers):
            if text:
                lines.append(f"{'':32} {text}")
    return "\n".join(lines)


def summary_text(summary: Summary, pose: PoseRules) -> str:
    """What a teacher would say afterwards."""
    analysed = how_many(summary["frames_analysed"], "frame")
    head = f"Session: {summary['duration_s']:.1f} s, {analysed} analysed"
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
        kind = seg["kind"].replace("_", " ")
        lines.append(f"  {seg['start']:7.1f}-{seg['end']:7.1f} s  {kind}{side}")
    movement = pose.movement
    for side, stats in summary["sides"].items():
        title = pose.side_name(side).capitalize() if pose.has_sides else "In the pose"
        if not stats["frames"]:
            lines.append(f"{title}: not seen in the pose")
            continue
        parts = [f"held {stats['hold_seconds']:.1f} s"]
        if movement and stats["typical_movement"] is not None:
            name = movement.measurement
            typical = measurement_value(name, stats["typical_movement"])
            deepest = measurement_value(name, stats["best_movement"])
            parts.append(f"{measurement_name(name)} typical {typical}, deepest {deepest}")
        for name, spread in stats["measurements"].items():
            if spread and (movement is None or name != movement.measurement):
                typical = measurement_value(name, spread["typical"])
                parts.append(f"{measurement_name(name)} {typical}")
        lines.append(f"{title}: " + "; ".join(parts))
        for rule_id, seconds in stats["faults"].items():
            lines.append(f"    {rule_names(pose, [rule_id])[0]}: {seconds:.1f} s")
    asym = summary.get("asymmetry")
    if asym:
        lines.append(f"Asymmetry: {asym['note']}")
    if summary["faults"]:
        lines.append("Faults, longest first:")
        for fault in summary["faults"]:
            lines.append(
                f"  {rule_names(pose, [fault['rule']])[0]}: {fault['seconds']:.1f} s from "
                f"{fault['first_seen_s']:.1f} s. {fault['cue']}"
            )
    elif summary.get("in_pose"):
        lines.append("No lasting faults seen.")
    else:
        lines.append(f"Not seen in {pose.name}, so nothing was judged.")
    return "\n".join(lines)
