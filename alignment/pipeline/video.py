"""A recorded session: streamed frame by frame through the estimator and the session tracker,
summarised, and optionally drawn into an annotated copy. No user interface here: the CLI and
the app's Video page both call `analyse_video`."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from alignment.core.rules import PoseRules
from alignment.estimators.base import PoseEstimator
from alignment.io.outputs import AtomicOutput, write_each
from alignment.io.video import FrameReader, VideoError, VideoInfo, VideoWriter
from alignment.present.overlay import FrameView, draw_frame, frame_view
from alignment.session.sampling import MIN_RATE_HZ, RateSampler
from alignment.session.summary import Summary
from alignment.session.timeline import FrameRecord
from alignment.session.tracker import SessionTracker
from alignment.settings import DEFAULT_LEVEL, DEFAULT_RATE_HZ

__all__ = [
    "MIN_RATE_HZ",
    "Summary",
    "VideoError",
    "VideoResult",
    "analyse_video",
    "expected_frames",
    "save_outputs",
]

# Frames done, frames expected (None when unknown; it may change as the file is read), frames/s.
ProgressCallback = Callable[[int, int | None, float], None]


@dataclass
class VideoResult:
    summary: Summary
    records: list[FrameRecord]
    info: VideoInfo | None
    damage: str | None = None  # why the reading stopped early, if it did
    warnings: list[str] = field(default_factory=list)
    gaps: int = 0  # damaged stretches skipped
    video_written: bool = False  # the annotated copy asked for is complete and in place


def expected_frames(info: VideoInfo) -> int | None:
    """Frames the file should yield, from what the container declares: its duration times its
    frame rate where it gives both (the frame count some containers declare includes frames an
    edit list leaves out: 160 for 113 shown), else its frame count. An estimate: progress
    corrects it as the frames are read."""
    if info.duration_s and info.fps:
        return max(1, round(info.duration_s * info.fps))
    return info.frame_count or None


FEW_FRAMES = 5  # fewer analysed frames than this cannot show a pose held over time


def few_frames_warning(analysed: int, frames: int, rate: float | None, seconds: float) -> str:
    """What to say when too few frames were analysed: the rate's doing, or the video's."""
    if frames > analysed and rate is not None:
        return (
            f"only {analysed} of the video's {frames} frames were analysed ({rate:g} a second "
            f"over {seconds:.1f} s): too few to judge the pose over time; analyse more a second "
            "(a higher rate) or film longer"
        )
    return f"the video has only {frames} frames: too few to judge the pose over time"


def analyse_video(
    path: str | Path,
    pose: PoseRules,
    estimator: PoseEstimator,
    level: str = DEFAULT_LEVEL,
    rate: float | None = DEFAULT_RATE_HZ,
    out: str | Path | None = None,
    on_progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
) -> VideoResult:
    """Stream the video through the (video-mode) estimator and the session tracker, analysing
    `rate` frames a second (None: every frame; see session.sampling); optionally write the
    annotated copy (atomically: it appears complete or not at all).

    The annotated copy has every frame of the file: a frame between two analyses shows the
    last analysis (its skeleton, verdict and timers, held; `summary["video"]["held_max_s"]`
    is the longest any was held). The progress counts the frames read. A video damaged part
    way keeps (and reports) the frames it could decode. When `stop` is set the reading stops
    and the result covers what was analysed (`summary["partial"]`). An annotated copy that
    cannot be written (a full disk) is dropped with a warning; the analysis goes on. Raises
    VideoError when the file cannot be read at all, ValueError for a bad rate."""
    sampler = RateSampler(rate)
    if out is not None and Path(out).resolve() == Path(path).resolve():
        raise VideoError(f"{out}: the annotated video would overwrite the video being read")
    tracker = SessionTracker(pose, level)
    warnings: list[str] = []
    started = time.monotonic()
    with contextlib.ExitStack() as cleanup, FrameReader(path) as reader:
        info = reader.info
        expected = expected_frames(info)
        target = cleanup.enter_context(AtomicOutput(out)) if out is not None else None
        copy = _AnnotatedCopy(target, info.fps, warnings)
        crowded = 0  # analysed frames with more than one person in view
        view: FrameView | None = None  # what the last analysis draws
        analysed_at = 0.0  # the time of the frame it was made on
        for done, frame in enumerate(reader, start=1):
            if sampler.due(frame.time_s):
                skeleton = estimator.detect(frame.rgb, frame.time_s)
                crowded += estimator.people_in_last_frame > 1
                live = tracker.update(frame.time_s, skeleton)
                view, analysed_at = None, frame.time_s
            if copy.active:
                if view is None:
                    view = frame_view(live.verdict, live.feedback, live.skeleton, pose, live.hold_s)
                copy.add(frame.rgb, frame.time_s, view, analysed_at)
            if on_progress:
                total = max(expected, done) if expected else None
                on_progress(done, total, done / max(time.monotonic() - started, 1e-6))
            if stop is not None and stop.is_set():
                break
        tracker.finish()
        damage, frames, gaps = reader.damage, reader.frames_read, reader.gaps
        copy.finish()
    if on_progress and frames:
        on_progress(frames, frames, frames / max(time.monotonic() - started, 1e-6))
    if frames == 0:
        raise VideoError(f"{path}: contains no frames" + (f" ({damage})" if damage else ""))
    summary = tracker.summary()
    summary["video"] = {
        "path": str(path),
        "width": info.width,
        "height": info.height,
        "fps": round(info.fps, 3),
        "rotation_deg": info.rotation_deg,
        "frames_read": frames,
        "rate_hz": sampler.rate,
        "frames_written": copy.written,
        "held_max_s": round(copy.held_max, 3) if copy.written else None,
        "damage": damage,
        "gaps": [[round(a, 2), round(b, 2)] for a, b in gaps],
        "models": estimator.models,
    }
    partial = stop is not None and stop.is_set()
    summary["partial"] = partial
    if partial:
        warnings.append(
            f"interrupted at {tracker.records[-1].time_s:.1f} s: this covers the frames before it"
        )
    warnings += _reading_warnings(summary, damage, gaps, len(tracker.records), crowded)
    analysed = len(tracker.records)
    if analysed < FEW_FRAMES and not partial:
        warnings.append(few_frames_warning(analysed, frames, sampler.rate, summary["duration_s"]))
    summary["warnings"] = warnings
    return VideoResult(
        summary, tracker.records, info, damage, warnings, len(gaps), copy.written > 0
    )


class _AnnotatedCopy:
    """The annotated video, written as the file is read: every frame, with the last analysis
    drawn on it. A write that fails (a full disk, say) drops the copy with a warning; the
    analysis goes on."""

    def __init__(self, target: AtomicOutput | None, fps: float, warnings: list[str]) -> None:
        self.target, self.fps, self.warnings = target, fps, warnings
        self.writer: VideoWriter | None = None
        self.held_max = 0.0  # the longest a view was drawn on frames after its own
        self.written = 0

    @property
    def active(self) -> bool:
        return self.target is not None

    def add(self, rgb: np.ndarray, time_s: float, view: FrameView, analysed_at: float) -> None:
        assert self.target is not None
        try:
            if self.writer is None:
                height, width = rgb.shape[:2]
                self.writer = VideoWriter(self.target.path, self.fps, width, height)
            self.writer.write(draw_frame(rgb, view), time_s)
            self.held_max = max(self.held_max, time_s - analysed_at)
        except (VideoError, OSError) as exc:
            self.warnings.append(f"the annotated video was not written: {exc}")
            if self.writer is not None:
                self.writer.abort()
            self.writer = None
            self.target.discard()
            self.target = None

    def finish(self) -> None:
        """Finish the file before it is renamed into place (no frame: no video)."""
        if self.target is None:
            return
        if self.writer is None:
            self.target.discard()
            return
        try:
            self.writer.close()
            self.written = self.writer.frames_written
        except (VideoError, OSError) as exc:
            self.warnings.append(f"the annotated video was not written: {exc}")
            self.target.discard()


def _reading_warnings(
    summary: dict, damage: str | None, gaps: list, analysed: int, crowded: int
) -> list[str]:
    """What the reading of the file found that the user should know."""
    warnings = []
    if damage:
        warnings.append(f"the video is damaged: {damage}")
    if gaps:
        near = ", ".join(f"{a:.1f} s" for a, _ in gaps[:5])
        warnings.append(
            f"damaged data in the video was skipped near {near}; the frames around it were analysed"
        )
    if set(summary["time_by_state"]) <= {"not_in_frame"}:
        warnings.append("nobody was found in this video")
    if crowded > 0.1 * analysed:
        warnings.append(
            f"more than one person was in view in {crowded / analysed:.0%} of the "
            "frames: the largest one is judged"
        )
    return warnings


def save_outputs(
    result: VideoResult,
    pose: PoseRules,
    level: str,
    json_path: str | Path | None = None,
    csv_path: str | Path | None = None,
    plot_path: str | Path | None = None,
) -> list[str]:
    """Write the summary (JSON), the timeline (CSV) and the plot (PNG) that were asked for,
    each atomically. One that fails does not stop the others; returns what failed, in words."""
    from alignment.io.outputs import write_json, write_text
    from alignment.present.report import csv_text, timeline_fields, timeline_row

    def plot(dest: str | Path) -> None:
        from alignment.present.plot import plot_timeline

        with AtomicOutput(dest) as target:
            plot_timeline(result.records, pose, level, target.path, result.summary["segments"])

    jobs: list[tuple[str | Path | None, Callable[[str | Path], None]]] = [
        (json_path, lambda dest: write_json(dest, result.summary)),
        (
            csv_path,
            lambda dest: write_text(
                dest, csv_text(map(timeline_row, result.records), timeline_fields(result.records))
            ),
        ),
        (plot_path, plot),
    ]
    return write_each(jobs)
