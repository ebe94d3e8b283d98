"""`alignment video`: a recorded session analysed frame by frame, summarised, drawn."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignment.detector import PoseDetector
from alignment.overlay import draw_verdict
from alignment.progress import Progress
from alignment.rules import DEFAULT_LEVEL, PoseRules
from alignment.session import FrameRecord, LiveState, SessionTracker, record_row
from alignment.video_io import FrameReader, VideoError, VideoInfo, VideoWriter

ProgressCallback = Callable[[int, int | None, float], None]  # frames done, total, frames/s


@dataclass
class VideoResult:
    summary: dict[str, Any]
    records: list[FrameRecord]
    info: VideoInfo | None
    damage: str | None = None
    warnings: list[str] = field(default_factory=list)


def overlay_lines(live: LiveState) -> list[str]:
    """Hold timers and the other active cues, drawn under the main cue."""
    lines = [f"- {cue}" for cue in live.active_cues[1:]]
    holds = [f"{side} leg {seconds:4.0f}s" for side, seconds in live.hold_s.items() if seconds]
    if holds:
        lines.append("hold: " + "   ".join(holds))
    return lines


def _analysed_count(frame_count: int | None, every: int) -> int | None:
    """Frames that reading every `every`th frame yields (0, every, 2*every, ...)."""
    return -(-frame_count // every) if frame_count else None


def analyse_video(path: str | Path, pose: PoseRules, model: Path, level: str = DEFAULT_LEVEL,
                  every: int = 1, out: str | Path | None = None,
                  on_progress: ProgressCallback | None = None) -> VideoResult:
    """Stream the video through the model and the session tracker; optionally write the
    annotated copy. A video damaged part way keeps (and reports) the frames before the damage.
    Raises VideoError when the file cannot be read at all."""
    if every < 1:
        raise ValueError("--every must be 1 or more")
    if out is not None and Path(out).resolve() == Path(path).resolve():
        raise VideoError(f"{out}: the annotated video would overwrite the video being read")
    tracker = SessionTracker(pose, level)
    writer: VideoWriter | None = None
    started = time.monotonic()
    with FrameReader(path, every=every) as reader:
        info = reader.info
        total = _analysed_count(info.frame_count, every)
        try:
            with PoseDetector(model, mode="video") as detector:
                for done, frame in enumerate(reader, start=1):
                    skeleton = detector.detect(frame.rgb, frame.time_s)
                    live = tracker.update(frame.time_s, skeleton)
                    if out is not None:
                        if writer is None:
                            height, width = frame.rgb.shape[:2]
                            writer = VideoWriter(out, max(info.fps / every, 1.0), width, height)
                        writer.write(draw_verdict(frame.rgb, live.skeleton, live.verdict,
                                                  overlay_lines(live), message=live.cue,
                                                  show_score=False))
                    if on_progress:
                        on_progress(done, total, done / max(time.monotonic() - started, 1e-6))
        finally:
            if writer is not None:
                writer.close()
        tracker.finish()
        damage, frames = reader.damage, reader.frames_read
    if frames == 0:
        raise VideoError(f"{path}: contains no frames" + (f" ({damage})" if damage else ""))
    summary = tracker.summary()
    summary["video"] = {
        "path": str(path), "width": info.width, "height": info.height,
        "fps": round(info.fps, 3), "rotation_deg": info.rotation_deg,
        "frames_read": frames, "every": every, "damage": damage,
    }
    warnings = []
    if damage:
        warnings.append(f"the video is damaged: {damage}; kept the {frames} frames before it")
    if not any(s in summary["time_by_state"] for s in ("not_in_pose", "uncertain", "in_pose")):
        warnings.append("nobody was found in this video")
    summary["warnings"] = warnings
    return VideoResult(summary, tracker.records, info, damage, warnings)


def write_timeline_csv(records: list[FrameRecord], path: str | Path) -> None:
    """One row per analysed frame; the columns are the same whatever the first frame held
    (frames with nobody in view have no measurements), the message last. Rows are written as
    they are made, so a long video does not hold a second copy of its timeline."""
    fields: dict[str, None] = {}
    for record in records:
        fields.update(dict.fromkeys(record_row(record)))
    names = [name for name in fields if name != "message"] + ["message"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=names)
        writer.writeheader()
        for record in records:
            writer.writerow(record_row(record))


def summary_text(summary: dict[str, Any]) -> str:
    """What a teacher would say afterwards, as plain text."""
    lines = [f"Session: {summary['duration_s']:.1f} s, {summary['frames_analysed']} frames"]
    for warning in summary.get("warnings", []):
        lines.append(f"Warning: {warning}")
    lines.append("Segments:")
    for seg in summary["segments"]:
        side = f" ({seg['extended_leg']} leg extended)" if seg["extended_leg"] else ""
        lines.append(f"  {seg['start']:7.1f}-{seg['end']:7.1f} s  {seg['kind']}{side}")
    for side, stats in summary["sides"].items():
        if not stats["frames"]:
            lines.append(f"{side.capitalize()} leg extended: not seen in the pose")
            continue
        fold = stats["typical_fold_hip_flexion"]
        knee = stats["extended_knee_angle"]
        lines.append(
            f"{side.capitalize()} leg extended: held {stats['hold_seconds']:.1f} s; "
            f"fold (hip angle) typical {fold} deg, best {stats['best_fold_hip_flexion']} deg; "
            f"straight knee {knee['typical'] if knee else '?'} deg")
        for rule_id, seconds in stats["faults"].items():
            lines.append(f"    {rule_id}: {seconds:.1f} s")
    asym = summary.get("asymmetry")
    if asym:
        lines.append(f"Asymmetry: {asym['note']}")
    if summary["faults"]:
        lines.append("Faults, longest first:")
        for fault in summary["faults"]:
            lines.append(f"  {fault['rule']}: {fault['seconds']:.1f} s from "
                         f"{fault['first_seen_s']:.1f} s. {fault['cue']}")
    else:
        lines.append("No lasting faults seen.")
    return "\n".join(lines)


def run_video(args: argparse.Namespace, pose: PoseRules, model: Path) -> int:
    if args.every < 1:
        print(f"error: --every must be 1 or more, got {args.every}", file=sys.stderr)
        return 2
    try:
        from alignment.video_io import probe

        info = probe(args.input)
        total = _analysed_count(info.frame_count, args.every)
        with Progress(total, "frames", enabled=not args.quiet) as bar:
            result = analyse_video(
                args.input, pose, model, args.level, args.every, args.out,
                on_progress=lambda done, _total, _fps: bar.advance())
    except (VideoError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary_text(result.summary))
    try:
        if args.json:
            Path(args.json).write_text(json.dumps(result.summary, indent=2) + "\n",
                                       encoding="utf-8")
        if args.csv:
            write_timeline_csv(result.records, args.csv)
        if args.plot:
            from alignment.plot import plot_timeline

            plot_timeline(result.records, pose, args.level, args.plot, result.summary["segments"])
    except OSError as exc:
        print(f"error: cannot write {exc.filename or 'the output'}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    return 1 if result.damage else 0
