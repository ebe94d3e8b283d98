"""The live pipeline of one browser session, between the WebRTC thread and the page.

`LiveSession.process` is the streamlit-webrtc `video_frame_callback`: it runs in the WebRTC
worker thread, never calls `st.*`, creates its video-mode PoseDetector lazily on the first
frame, and publishes what the page shows as plain data under a lock (`snapshot()`). `stop()`
(the `on_video_ended` callback) closes the detector; the records stay for the summary. A
finaliser closes the detector too if the session object is dropped, and
`alignment.app.lifecycle` at interpreter exit.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from alignment.app.lifecycle import close_at_exit
from alignment.detector import PoseDetector
from alignment.overlay import draw_verdict
from alignment.rules import PoseRules
from alignment.session import FrameRecord, SessionTracker, build_segments, summarise
from alignment.video_cli import overlay_lines

LOG = logging.getLogger(__name__)
DetectorFactory = Callable[[], PoseDetector]
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
    """Holds the detector so that a finaliser can close it without keeping the session
    alive."""

    def __init__(self) -> None:
        self.detector: PoseDetector | None = None
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
    """One PoseDetector (video mode) and one SessionTracker per browser session."""

    def __init__(self, model: Path, pose: PoseRules, level: str,
                 detector_factory: DetectorFactory | None = None) -> None:
        self.model, self.pose, self.level = model, pose, level
        self._factory = detector_factory or (lambda: PoseDetector(self.model, mode="video"))
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
            self._snapshot = LiveSnapshot(
                frames=len(tracker.records), status=live.verdict.status, cue=live.cue,
                active_cues=tuple(live.active_cues), guidance=tuple(live.verdict.guidance),
                side=live.side, hold_s=dict(live.hold_s), score=live.verdict.score,
                fps=(len(self._rate_window) - 1) / span if span > 0 else 0.0, running=True)
        return draw_verdict(rgb, live.skeleton, live.verdict, overlay_lines(live),
                            message=live.cue, show_score=False)

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

    def summary(self) -> dict[str, Any] | None:
        """The summary of the current (or last) stream, or None before the first frame."""
        with self._lock:
            if self._tracker is None or not self._tracker.records:
                return None
            records = list(self._tracker.records)
            bridge_s = self._tracker.bridge_s
        summary = summarise(records, self.pose, build_segments(records, bridge_s=bridge_s))
        states = summary["time_by_state"]
        summary["warnings"] = ([] if any(s in states for s in ("uncertain", "not_in_pose",
                                                              "in_pose"))
                               else ["nobody was found in this session"])
        return summary

    @property
    def detector_open(self) -> bool:
        return self._box.detector is not None

    def close(self) -> None:
        """Release the detector now (also done at garbage collection and at exit)."""
        self._finalizer()
