"""The live frame path without a model or a browser: the fast preset's readings of the shared
photos (`samples/readings.json`) stand in for the model, and av frames go through
`LiveSession.process` as WebRTC hands them over.
No timings are asserted: how fast it is, is the benchmark's business."""

from __future__ import annotations

import itertools
import threading
import time
from fractions import Fraction

import av
import numpy as np
import pytest
from fakes import recorded

from alignment.core.skeleton import Skeleton
from alignment.io.rule_files import load_pose
from alignment.pipeline.live import LiveSession
from alignment.session.summary import hold_seconds
from alignment.session.timeline import build_segments

POSE = load_pose("janu_sirsasana", "fast")  # the live preset's bounds
# What the live preset saw (its silhouette shows the back):
LEFT = recorded("janu/y82ukr_17.jpg", "balanced")  # left leg extended, a rounded back
RIGHT = recorded("janu/y82ukr_2.jpg", "balanced")  # right leg extended, good


def fitted(skeleton: Skeleton, rgb: np.ndarray) -> Skeleton:
    """The photo's reading, the photo shown whole on the camera's frame (its proportions kept:
    the back's outline is a shape)."""
    height, width = rgb.shape[:2]
    k = min(width / skeleton.width, height / skeleton.height)
    return skeleton.resized(round(skeleton.width * k), round(skeleton.height * k))


class ShadeEstimator:
    """Sees LEFT in dark frames, RIGHT in bright ones, nobody in mid-grey ones; remembers the
    shades it was shown; takes `delay` seconds per frame (a slow model)."""

    name, models, people_in_last_frame = "shade", ["shade"], 1

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.seen: list[int] = []
        self.times: list[float] = []
        self.closed = False

    def detect(self, rgb: np.ndarray, time_s: float | None = None) -> Skeleton | None:
        time.sleep(self.delay)
        shade = int(rgb[0, 0, 0])
        self.seen.append(shade)
        self.times.append(time_s)
        if shade < 60:
            return fitted(LEFT, rgb)
        if shade > 190:
            return fitted(RIGHT, rgb)
        return None

    def close(self) -> None:
        self.closed = True


def camera_frame(shade: int, index: int, fps: float = 30.0) -> av.VideoFrame:
    """A 640x480 camera frame of one shade, with an RTP-like timestamp."""
    rgb = np.full((480, 640, 3), shade, np.uint8)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    frame.time_base = Fraction(1, 90000)
    frame.pts = 5_000_000 + round(index / fps * 90000)
    return frame


def session_with(estimator: ShadeEstimator) -> LiveSession:
    return LiveSession(lambda: estimator, POSE, "standard")


def test_newest_frame_is_analysed_and_stale_ones_dropped() -> None:
    """With a model slower than the camera, the frames in between are dropped, not queued:
    every frame comes back at once, drawn, and the last frame handed over is analysed."""
    estimator = ShadeEstimator(delay=0.05)
    session = session_with(estimator)
    try:
        for i in range(40):
            out = session.process(camera_frame(20, i))
            assert isinstance(out, av.VideoFrame) and (out.width, out.height) == (640, 480)
            time.sleep(1 / 120)  # a camera four times faster than the model
        assert session.wait_idle()
        snap = session.snapshot()
        assert snap.error is None and snap.running
        assert 0 < snap.frames < 40 and snap.dropped > 0
        assert snap.frames + snap.dropped == 40  # each frame analysed or dropped, once
        assert estimator.times[-1] == pytest.approx(39 / 30, abs=1e-3)  # the newest
        assert snap.stage_ms["model"] > 0 and snap.stage_ms["draw"] > 0
        assert snap.camera_fps > 0 and snap.fps > 0
    finally:
        session.stop()
    assert estimator.closed and not session.snapshot().running


def test_frames_are_drawn_with_the_last_verdict() -> None:
    """Once a verdict exists, every returned frame carries it (the banner's status colour in
    the first column), also frames that were not analysed."""
    session = session_with(ShadeEstimator(delay=0.0))
    try:
        first = session.process(camera_frame(20, 0)).to_ndarray(format="rgb24")
        assert np.abs(first.astype(int) - 20).max() <= 2  # nothing drawn: no verdict yet
        assert session.wait_idle()
        drawn = session.process(camera_frame(20, 1)).to_ndarray(format="rgb24")
        assert np.abs(drawn.astype(int) - 20).max() > 100  # the skeleton and banner are on it
    finally:
        session.close()


def test_two_viewers_at_once_do_not_mix() -> None:
    """Two sessions streaming at the same time, each with its own model: each model sees only
    its own camera, each summary has only its own side."""
    left_model, right_model = ShadeEstimator(0.005), ShadeEstimator(0.005)
    left, right = session_with(left_model), session_with(right_model)

    def stream(session: LiveSession, shade: int) -> None:
        for i in range(60):
            session.process(camera_frame(shade, i))
            time.sleep(1 / 60)
        session.wait_idle()

    threads = [
        threading.Thread(target=stream, args=(left, 20)),
        threading.Thread(target=stream, args=(right, 230)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert left_model.seen and max(left_model.seen) < 60  # dark frames only
        assert right_model.seen and min(right_model.seen) > 190  # bright frames only
        a, b = left.summary(), right.summary()
        assert a is not None and b is not None
        assert a["sides"]["left"]["frames"] > 0 and a["sides"]["right"]["frames"] == 0
        assert b["sides"]["right"]["frames"] > 0 and b["sides"]["left"]["frames"] == 0
        assert left.snapshot().status == "faults" and right.snapshot().status != "faults"
    finally:
        left.stop()
        right.stop()


def test_hold_timer_is_the_summarys_hold_time() -> None:
    """The live hold timer counts what the summary's hold_seconds counts; after STOP they are
    equal."""
    session = session_with(ShadeEstimator())
    shades = [20] * 90 + [128] * 20 + [230] * 60  # left 3 s, nobody, right 2 s
    for i, shade in enumerate(shades):
        session.process(camera_frame(shade, i))
        assert session.wait_idle()
    live = session.snapshot().hold_s
    session.stop()
    summary = session.summary()
    assert summary is not None
    held = {side: stats["hold_seconds"] for side, stats in summary["sides"].items()}
    assert session.snapshot().hold_s == held
    assert held["left"] > 2 and held["right"] > 1
    assert live["left"] == pytest.approx(held["left"], abs=0.5)
    records = session.records()
    assert hold_seconds(build_segments(records, POSE.movement), POSE) == held


def test_a_new_start_is_a_new_session() -> None:
    """After STOP, the next frame starts a new stream: its own tracker and summary."""
    estimator = ShadeEstimator()
    session = session_with(estimator)
    for i in range(30):
        session.process(camera_frame(20, i))
        session.wait_idle()
    first = session.snapshot()
    session.stop()
    assert first.stream == 1 and first.frames == 30
    session.process(camera_frame(230, 1000))
    assert session.wait_idle()
    second = session.snapshot()
    assert second.stream == 2 and second.frames == 1 and second.running
    summary = session.summary()
    assert summary is not None and summary["frames_analysed"] == 1
    session.close()


def test_a_short_stream_has_a_summary() -> None:
    """A few frames in the pose, then STOP: no failure on the page, a summary after (a run
    shorter than the phases' half-second smoothing window)."""
    session = session_with(ShadeEstimator())
    for i in range(6):
        session.process(camera_frame(20, i))
        assert session.wait_idle()
    assert session.snapshot().error is None
    session.stop()
    summary = session.summary()
    assert summary is not None and summary["frames_analysed"] == 6
    assert session.snapshot().hold_s["left"] == summary["sides"]["left"]["hold_seconds"]


def test_model_turns_alternate_between_viewers() -> None:
    """With one slot, two viewers asking again and again get turns by turns."""
    from alignment.pipeline.live import ModelTurns

    turns, order = ModelTurns(1), []

    def viewer(name: str) -> None:
        for _ in range(10):
            with turns.turn():
                order.append(name)
                time.sleep(0.002)

    threads = [threading.Thread(target=viewer, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(order) == ["a"] * 10 + ["b"] * 10
    longest = max(len(list(run)) for _, run in itertools.groupby(order))
    assert longest <= 2, "".join(order)  # the first one in may go twice before the other asks


def test_each_ended_stream_is_handed_over_once_with_its_summary() -> None:
    """`on_end` gets each stream's summary once, when it ends (STOP, or the page closed):
    a second stop() hands nothing over again; a stream with no frame analysed hands nothing;
    a keeper that fails is logged and the stream still ends."""
    handed: list[tuple[int, dict]] = []
    session = LiveSession(
        lambda: ShadeEstimator(), POSE, "standard", on_end=lambda n, s: handed.append((n, s))
    )
    for i in range(6):
        session.process(camera_frame(20, i))
        assert session.wait_idle()
    expected = session.summary()
    session.stop()
    session.stop()
    assert [n for n, _ in handed] == [1] and handed[0][1] == expected
    assert expected["frames_analysed"] > 0
    session.stop()  # a new stream only begins with a frame: nothing more to hand over
    assert len(handed) == 1

    def failing(number: int, summary: dict) -> None:
        raise OSError("disk full")

    broken = LiveSession(lambda: ShadeEstimator(), POSE, "standard", on_end=failing)
    broken.process(camera_frame(20, 0))
    assert broken.wait_idle()
    broken.stop()  # logged, not raised
    assert not broken.snapshot().running
