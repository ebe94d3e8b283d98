"""The live camera of one viewer: frames in, annotated frames and a snapshot of what to show
out. No user interface here: the app's Live page wires `LiveSession.process` to the WebRTC
stream and reads `snapshot()`.

The frame path never lets latency grow:

- `process` (the WebRTC frame callback) hands each camera frame to this session's analysis
  thread and returns at once with the same frame, the last verdict drawn on it
  (`present.overlay.draw_frame`: about 1 ms, its text tiles cached). So the video goes back
  at the camera's rate, and what is drawn is at most one analysis old.
- The analysis thread keeps only the newest frame: a frame that arrives while the model is
  busy replaces the one waiting, which is dropped (counted). The model, the session tracker
  and the view to draw run there, on the newest frame each time.

Each viewer has their own session (estimator, tracker, thread): nothing is shared
between two people streaming at once. What the page shows is published as plain data under a
lock. `stop()` ends the thread and closes the estimator; the records stay for the summary. A
finaliser closes the estimator too if the session object is dropped, and
`alignment.estimators.lifecycle` at interpreter exit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from alignment.core.rules import PoseRules
from alignment.estimators.base import PoseEstimator
from alignment.estimators.lifecycle import close_at_exit
from alignment.present.overlay import FrameView, draw_frame, frame_view
from alignment.session.summary import Summary, hold_seconds, summarise
from alignment.session.timeline import FrameRecord, build_segments
from alignment.session.tracker import LiveState, SessionTracker

LOG = logging.getLogger(__name__)
EstimatorFactory = Callable[[], PoseEstimator]
MIN_STEP_S = 0.001  # timestamps handed to the tracker increase by at least this much
RATE_WINDOW_S = 2.0  # rates and stage costs are over the last this many seconds
ERROR_SHOWN_S = 5.0  # a failure stays on the page this long after the last one
HOLD_EVERY_S = 1.0  # the hold time is counted from the segments at most this often
IDLE_S = 30.0  # an analysis thread with no frame for this long ends
STAGES = ("convert", "draw", "callback", "model", "analysis", "wait")


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows, copied out of the analysis thread (plain data only)."""

    frames: int = 0  # frames analysed in the current (or last) stream
    status: str = "no_person"  # Verdict.status of the latest frame
    cue: str = ""  # the feedback's message: the one line to show or say now
    limits: str = ""  # the feedback's second line: what could not be checked
    active_cues: tuple[str, ...] = ()
    guidance: tuple[str, ...] = ()
    side: str | None = None  # side being held now
    # Seconds held per side, counted as the summary counts them (its `hold_seconds`).
    hold_s: dict[str, float] = field(default_factory=lambda: {"left": 0.0, "right": 0.0})
    score: int | None = None
    checked: int = 0  # the rules judged (what the score covers)
    checks: int = 0  # the rules that applied
    fps: float = 0.0  # frames analysed per second, lately
    camera_fps: float = 0.0  # frames arriving per second, lately
    dropped: int = 0  # frames not analysed because a newer one came first (this stream)
    stage_ms: dict[str, float] = field(default_factory=dict)  # median cost per stage, lately
    model: str = ""  # the pose model's name
    running: bool = False  # a stream is on (frames are arriving)
    stream: int = 0  # 1 for the first stream of this session, 2 for the next...
    error: str | None = None


class ModelTurns:
    """At most `slots` model runs at once across all viewers, granted in the order asked for.

    The model is the costliest stage; left alone, the analysis threads of two viewers would
    take every core, and the video itself (decoding, drawing, encoding, the network) would
    stall. With turns, one core is left for the video, and two viewers take turns with the
    model (each gets about half), whichever thread the system would have favoured."""

    def __init__(self, slots: int) -> None:
        self.slots = max(1, slots)
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()
        self._running = 0

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        me = object()
        with self._cond:
            self._queue.append(me)
            while self._queue[0] is not me or self._running >= self.slots:
                self._cond.wait()
            self._queue.popleft()
            self._running += 1
            self._cond.notify_all()
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()


MODEL_TURNS = ModelTurns((os.cpu_count() or 2) - 1)


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


class _Rate:
    """Events per second over a sliding window."""

    def __init__(self) -> None:
        self.times: deque[float] = deque()

    def add(self, now: float) -> None:
        self.times.append(now)
        while self.times and now - self.times[0] > RATE_WINDOW_S:
            self.times.popleft()

    def per_second(self, now: float) -> float:
        while self.times and now - self.times[0] > RATE_WINDOW_S:
            self.times.popleft()
        if len(self.times) < 2:
            return 0.0
        return (len(self.times) - 1) / max(self.times[-1] - self.times[0], 1e-6)


class _Stream:
    """Everything of one stream (START to STOP): created on its first frame."""

    def __init__(self, number: int, pose: PoseRules, level: str) -> None:
        self.number = number
        self.tracker = SessionTracker(pose, level)
        self.view: FrameView | None = None  # the last verdict, as drawn
        self.origin: float | None = None  # the first frame's own time
        self.last_t = -1.0
        self.clock_t: tuple[float, float] | None = None  # (monotonic, stream time)
        self.arrived = _Rate()
        self.analysed = _Rate()
        self.costs: dict[str, deque[tuple[float, float]]] = {s: deque() for s in STAGES}
        self.dropped = 0
        self.error_at = -1e9  # when a frame last failed
        # The newest frame not analysed yet: (rgb, stream time, arrival time).
        self.pending: tuple[np.ndarray, float, float] | None = None
        self.busy = False  # the analysis thread is working on a frame
        self.ended = False
        self.handed_over = False  # its summary went to `on_end`
        self.thread: threading.Thread | None = None
        # Hold time: counted from the segments now and then, with the tracker's own
        # increments in between (see LiveSession._hold).
        self.hold_base: dict[str, float] = {}
        self.hold_tracker: dict[str, float] = {}
        self.hold_due = 0.0

    def cost(self, stage: str, now: float, ms: float) -> None:
        window = self.costs[stage]
        window.append((now, ms))
        while window and now - window[0][0] > RATE_WINDOW_S:
            window.popleft()

    def stage_ms(self) -> dict[str, float]:
        return {
            stage: round(statistics.median(ms for _, ms in window), 2)
            for stage, window in self.costs.items()
            if window
        }


class LiveSession:
    """One estimator (video mode), one SessionTracker and one analysis thread per viewer.

    `on_end(stream number, summary)` is given each stream's summary once, when it ends: by
    STOP, or because the viewer closed the page (the WebRTC connection then ends the stream).
    It runs in the thread that ended it; a failure there is logged, never raised."""

    def __init__(
        self,
        factory: EstimatorFactory,
        pose: PoseRules,
        level: str,
        on_end: Callable[[int, Summary], None] | None = None,
    ) -> None:
        self.pose, self.level = pose, level
        self._on_end = on_end
        self._factory = factory
        self._box = _DetectorBox()
        self._finalizer = weakref.finalize(self, self._box.close)
        self._finalizer.atexit = False  # at exit, lifecycle.close_all closes the box
        close_at_exit(self._box)
        self._lock = threading.Condition()  # guards the stream and the snapshot
        self._stream: _Stream | None = None
        self._streams = 0
        self._snapshot = LiveSnapshot()

    # ------------------------------------------------------------------ stream bookkeeping
    def _current(self) -> _Stream:
        """The stream the next frame belongs to (a new one after stop()). Under the lock."""
        stream = self._stream
        if stream is None or stream.ended:
            self._streams += 1
            stream = _Stream(self._streams, self.pose, self.level)
            self._stream = stream
            self._snapshot = LiveSnapshot(running=True, stream=stream.number)
        return stream

    @staticmethod
    def _frame_time(stream: _Stream, frame_time: float | None, now: float) -> float:
        """Seconds since the stream started, strictly increasing: the frame's own time when
        it has one and it moves forward, else the wall clock."""
        t: float | None = None
        if frame_time is not None:
            if stream.origin is None:
                stream.origin = frame_time
            t = frame_time - stream.origin
        if t is None or t <= stream.last_t:
            if stream.clock_t is None:
                t = max(stream.last_t + MIN_STEP_S, 0.0)
            else:
                t = stream.last_t + max(now - stream.clock_t[0], MIN_STEP_S)
        stream.last_t = t
        stream.clock_t = (now, t)
        return t

    # ------------------------------------------------------------------ analysis
    def _analyse(self, stream: _Stream, rgb: np.ndarray, t: float) -> LiveState:
        """Model, tracker and view for one frame; publishes the snapshot and the view."""
        with self._box.lock:
            if self._box.detector is None:
                self._box.detector = self._factory()
            with MODEL_TURNS.turn():
                started = time.perf_counter()
                skeleton = self._box.detector.detect(rgb, t)
                modelled = time.perf_counter()
        tracker = stream.tracker
        tracker.level = self.level  # the level may change while streaming
        live = tracker.update(t, skeleton)
        hold = self._hold(stream, live, t)
        view = frame_view(live.verdict, live.feedback, live.skeleton, self.pose, hold)
        done = time.perf_counter()
        now = time.monotonic()
        with self._lock:
            stream.cost("model", now, (modelled - started) * 1000)
            stream.cost("analysis", now, (done - modelled) * 1000)
            stream.analysed.add(now)
            stream.view = view
            if stream is self._stream:
                self._publish(stream, live, hold, now)
        return live

    def _hold(self, stream: _Stream, live: LiveState, t: float) -> dict[str, float]:
        """The hold time per side as the summary counts it. Counting the segments of a long
        session takes a while (some 50 ms for 10 minutes), so they are counted once every
        HOLD_EVERY_S of the stream (less often if it is slow); in between, the tracker's own
        increments are added."""
        if t >= stream.hold_due or not stream.hold_base:
            started = time.perf_counter()
            tracker = stream.tracker
            # The time per side does not depend on the phases: none are worked out here.
            segments = build_segments(tracker.records, None, bridge_s=tracker.bridge_s)
            stream.hold_base = hold_seconds(segments, self.pose, tracker.records)
            stream.hold_tracker = dict(live.hold_s)
            took = time.perf_counter() - started
            stream.hold_due = t + max(HOLD_EVERY_S, 20 * took)
        return {
            side: round(
                held + max(0.0, live.hold_s.get(side, 0.0) - stream.hold_tracker.get(side, 0.0)),
                2,
            )
            for side, held in stream.hold_base.items()
        }

    def _publish(
        self, stream: _Stream, live: LiveState, hold: dict[str, float], now: float
    ) -> None:
        shown = live.feedback
        self._snapshot = LiveSnapshot(
            frames=len(stream.tracker.records),
            status=shown.status,
            cue=shown.message,
            limits=shown.limits,
            active_cues=shown.cues,
            guidance=shown.guidance,
            side=live.side,
            hold_s=hold,
            score=shown.score,
            checked=shown.checked,
            checks=shown.checks,
            fps=stream.analysed.per_second(now),
            camera_fps=stream.arrived.per_second(now),
            dropped=stream.dropped,
            stage_ms=stream.stage_ms(),
            running=not stream.ended,
            stream=stream.number,
            model=getattr(self._box.detector, "name", ""),
            error=self._snapshot.error if now - stream.error_at < ERROR_SHOWN_S else None,
        )

    def _fail(self, stream: _Stream | None, exc: Exception) -> None:
        with self._lock:
            if self._snapshot.error is None:  # the first failure in a while, with its trace
                LOG.exception("live frame failed")
            if stream is not None:
                stream.error_at = time.monotonic()
            self._snapshot = replace(self._snapshot, error=f"{type(exc).__name__}: {exc}")

    def _work(self, stream: _Stream) -> None:
        """The analysis thread of one stream: the newest frame each time, until stop() (or
        until no frame has come for IDLE_S: the next frame starts a new thread)."""
        while True:
            with self._lock:
                idle_since = time.monotonic()
                while stream.pending is None and not stream.ended:
                    if time.monotonic() - idle_since > IDLE_S:
                        stream.thread = None
                        return
                    self._lock.wait(timeout=1.0)
                if stream.ended:
                    return
                assert stream.pending is not None
                rgb, t, arrived = stream.pending
                stream.pending = None
                stream.busy = True
                stream.cost("wait", time.monotonic(), (time.monotonic() - arrived) * 1000)
            try:
                self._analyse(stream, rgb, t)
            except Exception as exc:  # shown on the page; the stream goes on
                self._fail(stream, exc)
            finally:
                with self._lock:
                    stream.busy = False
                    self._lock.notify_all()

    # ------------------------------------------------------------------ WebRTC thread
    def process(self, frame: Any) -> Any:
        """The `video_frame_callback`: av.VideoFrame in, the same frame with the last verdict
        drawn on it out, at once; the frame goes to the analysis thread (replacing one still
        waiting there). A failure is reported on the page and the frame passes unchanged."""
        import av

        try:
            started = time.perf_counter()
            rgb = frame.to_ndarray(format="rgb24")
            converted = time.perf_counter()
            now = time.monotonic()
            with self._lock:
                stream = self._current()
                t = self._frame_time(stream, getattr(frame, "time", None), now)
                stream.arrived.add(now)
                if stream.pending is not None:
                    stream.dropped += 1
                stream.pending = (rgb, t, now)
                if stream.thread is None or not stream.thread.is_alive():
                    stream.thread = threading.Thread(
                        target=self._work, args=(stream,), name="live-analysis", daemon=True
                    )
                    stream.thread.start()
                self._lock.notify_all()
                view = stream.view
            drawn = rgb if view is None else draw_frame(rgb, view)
            out = av.VideoFrame.from_ndarray(drawn, format="rgb24")
            done = time.perf_counter()
            with self._lock:
                stream.cost("convert", now, (converted - started) * 1000)
                stream.cost("draw", now, (done - converted) * 1000)
                stream.cost("callback", now, (done - started) * 1000)
        except Exception as exc:  # shown on the page; the stream goes on
            self._fail(self._stream, exc)
            return frame
        return out

    def stop(self) -> None:
        """The `on_video_ended` callback: end the analysis thread, release the detector, keep
        the records. The hold time is counted once more, so it is the summary's."""
        with self._lock:
            stream = self._stream
            if stream is not None:
                stream.ended = True
                stream.pending = None
                self._lock.notify_all()
        if stream is not None and stream.thread is not None:
            stream.thread.join(timeout=10)
        self._box.close()
        with self._lock:
            snapshot = replace(self._snapshot, running=False, side=None)
            if stream is not None and stream.tracker.records:
                tracker = stream.tracker
                segments = tracker.segments()
                snapshot = replace(
                    snapshot, hold_s=hold_seconds(segments, self.pose, tracker.records)
                )
            self._snapshot = snapshot
            hand_over = bool(stream and stream.tracker.records and not stream.handed_over)
            if hand_over:
                stream.handed_over = True
        if hand_over and self._on_end is not None:
            summary = self._summary_of(stream)
            try:
                self._on_end(stream.number, summary)
            except Exception:  # the stream has ended either way
                LOG.exception("keeping the summary of live stream %d failed", stream.number)

    # ------------------------------------------------------------------ direct use
    def analyse(self, rgb: np.ndarray, frame_time: float | None = None) -> np.ndarray:
        """One camera frame (RGB) analysed now, in this thread: the annotated frame out.
        (Tests and scripts; the live page uses `process`.)"""
        now = time.monotonic()
        with self._lock:
            stream = self._current()
            t = self._frame_time(stream, frame_time, now)
            stream.arrived.add(now)
        self._analyse(stream, rgb, t)
        return rgb if stream.view is None else draw_frame(rgb, stream.view)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until the frame handed over last has been analysed (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._stream is not None and (self._stream.pending or self._stream.busy):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    # ------------------------------------------------------------------ page thread
    def set_level(self, level: str) -> None:
        with self._lock:
            self.level = level

    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            return self._snapshot

    def records(self) -> list[FrameRecord]:
        with self._lock:
            return list(self._stream.tracker.records) if self._stream else []

    def summary(self) -> Summary | None:
        """The summary of the current (or last) stream, or None before the first frame."""
        return self._summary_of(self._stream)

    def _summary_of(self, stream: _Stream | None) -> Summary | None:
        with self._lock:
            if stream is None or not stream.tracker.records:
                return None
            records = list(stream.tracker.records)
            bridge_s = stream.tracker.bridge_s
        segments = build_segments(records, self.pose.movement, bridge_s=bridge_s)
        summary = summarise(records, self.pose, segments)
        if set(summary["time_by_state"]) <= {"not_in_frame"}:
            summary["warnings"] = ["nobody was found in this session"]
        return summary

    @property
    def detector_open(self) -> bool:
        return self._box.detector is not None

    def close(self) -> None:
        """End the stream and release the detector now (also done at garbage collection and
        at exit)."""
        with self._lock:
            if self._stream is not None:
                self._stream.ended = True
                self._lock.notify_all()
        self._finalizer()
