"""The live camera of one viewer: frames in, annotated frames and a snapshot of what to show
out. No user interface here: the app's Live page wires `LiveSession.process` to the WebRTC
stream and reads `snapshot()`.

`process` runs in the stream's worker thread and creates its video-mode estimator lazily on the
first frame; what the page shows is published as plain data under a lock. `stop()` closes the
estimator; the records stay for the summary. A finaliser closes the estimator too if the
session object is dropped, and `alignment.estimators.lifecycle` at interpreter exit.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from alignment.core.rules import PoseRules
from alignment.estimators.base import PoseEstimator
from alignment.estimators.lifecycle import close_at_exit
from alignment.present.overlay import draw_frame, frame_view
from alignment.session.summary import Summary, summarise
from alignment.session.timeline import FrameRecord, build_segments
from alignment.session.tracker import SessionTracker

LOG = logging.getLogger(__name__)
EstimatorFactory = Callable[[], PoseEstimator]
MIN_STEP_S = 0.001  # timestamps handed to the tracker increase by at least this much


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows, copied out of the worker thread (plain data only)."""

    frames: int = 0  # frames analysed in the current (or last) stream
    status: str = "no_person"  # Verdict.status of the latest frame
    cue: str = ""
    active_cues: tuple[str, ...] = ()
    guidance: tuple[str, ...] = ()
    side: str | None = None  # side being held now
    hold_s: dict[str, float] = field(default_factory=lambda: {"left": 0.0, "right": 0.0})
    score: int | None = None
    fps: float = 0.0  # frames analysed per second, lately
    running: bool = False  # a detector is open (frames are arriving)
    error: str | None = None


class _DetectorBox:
    """Holds the estimator so that a finaliser can close it without keeping the session
    alive."""

    def __init__(self) -> None:
        self.detector: PoseEstimator | None = None
        self.lock = threading.Lock()  # detect() and close() never overlap

    def close(self) -> None:
        if not self.lock.acquire(timeout=5):  # a frame stuck in detect(): leave it
            return
        try:
            if self.detector is not None:
                self.detector.close()
                self.detector = None
        finally:
            self.lock.release()


class LiveSession:
    """One estimator (video mode) and one SessionTracker per viewer."""

    def __init__(self, factory: EstimatorFactory, pose: PoseRules, level: str) -> None:
        self.pose, self.level = pose, level
        self._factory = factory
        self._box = _DetectorBox()
        self._finalizer = weakref.finalize(self, self._box.close)
        self._finalizer.atexit = False  # at exit, lifecycle.close_all closes the box
        close_at_exit(self._box)
        self._lock = threading.Lock()  # guards everything below
        self._tracker: SessionTracker | None = None
        self._snapshot = LiveSnapshot()
        self._ended = True  # the next frame starts a new stream
        self._origin: float | None = None  # the first frame's own time
        self._last_t = -1.0
        self._clock_t: tuple[float, float] | None = None  # (monotonic, stream time)
        self._rate_window: list[float] = []

    # ------------------------------------------------------------------ worker thread
    def _frame_time(self, frame_time: float | None) -> float:
        """Seconds since the stream started, strictly increasing: the frame's own time when
        it has one and it moves forward, else the wall clock."""
        now = time.monotonic()
        t: float | None = None
        if frame_time is not None:
            if self._origin is None:
                self._origin = frame_time
            t = frame_time - self._origin
        if t is None or t <= self._last_t:
            if self._clock_t is None:
                t = max(self._last_t + MIN_STEP_S, 0.0)
            else:
                t = self._last_t + max(now - self._clock_t[0], MIN_STEP_S)
        self._last_t = t
        self._clock_t = (now, t)
        return t

    def _start_stream(self) -> None:
        with self._lock:
            self._tracker = SessionTracker(self.pose, self.level)
            self._snapshot = LiveSnapshot(running=True)
            self._ended = False
            self._origin, self._last_t, self._clock_t = None, -1.0, None
            self._rate_window = []

    def analyse(self, rgb: np.ndarray, frame_time: float | None = None) -> np.ndarray:
        """One camera frame (RGB) in, the annotated frame out; updates the snapshot."""
        if self._ended or self._tracker is None:
            self._start_stream()
        t = self._frame_time(frame_time)
        with self._box.lock:
            if self._box.detector is None:
                self._box.detector = self._factory()
            skeleton = self._box.detector.detect(rgb, t)
        with self._lock:
            tracker = self._tracker
            assert tracker is not None
            tracker.level = self.level  # the level may change while streaming
            live = tracker.update(t, skeleton)
            now = time.monotonic()
            self._rate_window = [x for x in self._rate_window if now - x < 2.0] + [now]
            span = now - self._rate_window[0]
            shown = live.feedback
            self._snapshot = LiveSnapshot(
                frames=len(tracker.records),
                status=shown.status,
                cue=shown.message,
                active_cues=shown.cues,
                guidance=shown.guidance,
                side=live.side,
                hold_s=dict(live.hold_s),
                score=shown.score,
                fps=(len(self._rate_window) - 1) / span if span > 0 else 0.0,
                running=True,
            )
        view = frame_view(live.verdict, live.feedback, live.skeleton, self.pose, live.hold_s)
        return draw_frame(rgb, view)

    def process(self, frame: Any) -> Any:
        """The `video_frame_callback`: av.VideoFrame in, annotated av.VideoFrame out. A
        failure is reported on the page and the frame passes through unchanged."""
        import av

        try:
            rgb = frame.to_ndarray(format="rgb24")
            out = self.analyse(rgb, getattr(frame, "time", None))
        except Exception as exc:  # shown on the page; the stream goes on
            LOG.exception("live frame failed")
            with self._lock:
                self._snapshot = replace(self._snapshot, error=f"{type(exc).__name__}: {exc}")
            return frame
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    def stop(self) -> None:
        """The `on_video_ended` callback: release the detector, keep the records."""
        self._box.close()
        with self._lock:
            self._ended = True
            self._snapshot = replace(self._snapshot, running=False)

    # ------------------------------------------------------------------ page thread
    def set_level(self, level: str) -> None:
        with self._lock:
            self.level = level

    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            return self._snapshot

    def records(self) -> list[FrameRecord]:
        with self._lock:
            return list(self._tracker.records) if self._tracker else []

    def summary(self) -> Summary | None:
        """The summary of the current (or last) stream, or None before the first frame."""
        with self._lock:
            if self._tracker is None or not self._tracker.records:
                return None
            records = list(self._tracker.records)
            bridge_s = self._tracker.bridge_s
        segments = build_segments(records, self.pose.movement, bridge_s=bridge_s)
        summary = summarise(records, self.pose, segments)
        if set(summary["time_by_state"]) <= {"not_in_frame"}:
            summary["warnings"] = ["nobody was found in this session"]
        return summary

    @property
    def detector_open(self) -> bool:
        return self._box.detector is not None

    def close(self) -> None:
        """Release the detector now (also done at garbage collection and at exit)."""
        self._finalizer()
