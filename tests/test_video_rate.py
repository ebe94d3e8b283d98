"""Recorded videos analysed at a steady rate (`--rate`, 5 a second by default): which frames
are analysed, what the frames in between show, the summary against the every-frame run, and
the progress of a file whose container declares more frames than it shows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import av
import numpy as np
import pytest
from fakes import StillEstimator, recorded
from PIL import Image
from shared_paths import SHARED

from alignment.cli.main import main
from alignment.core.skeleton import Skeleton
from alignment.io.rule_files import load_pose
from alignment.io.video import FrameReader
from alignment.pipeline import video as pipeline_video
from alignment.pipeline.video import analyse_video
from alignment.session.sampling import RateSampler, parse_rate
from alignment.settings import DEFAULT_RATE_HZ
from alignment.testing.clips import Shot, build_clip

POSE = load_pose("janu_sirsasana", "fast")
IMAGES = SHARED / "samples" / "images"


def analysed_times(times: list[float], rate: float | None) -> list[float]:
    sampler = RateSampler(rate)
    return [t for t in times if sampler.due(t)]


# ------------------------------------------------------------------------ which frames


@pytest.mark.parametrize(("fps", "step"), [(30, 3), (60, 6), (20, 2), (10, 1), (5, 1)])
def test_a_steady_rate_whatever_the_frame_rate(fps: float, step: int) -> None:
    times = [i / fps for i in range(int(4 * fps))]
    assert analysed_times(times, 10) == times[::step]


def test_uneven_frame_rates_keep_the_rate_on_average() -> None:
    for times in (
        [i / 25 for i in range(100)],  # every 2nd or 3rd frame
        [i * 1.001 / 30 for i in range(120)],  # NTSC 29.97
        list(np.cumsum(np.random.default_rng(1).uniform(0.01, 0.05, 200))),  # variable
    ):
        picked = analysed_times(times, 10)
        gaps = np.diff(picked)
        assert len(picked) == pytest.approx((times[-1] - times[0]) * 10, abs=1.5)
        assert gaps.max() < 0.1 + max(np.diff(times)) + 1e-9


def test_rate_all_is_every_frame_and_bad_rates_are_refused() -> None:
    times = [i / 30 for i in range(30)]
    assert analysed_times(times, None) == times == analysed_times(times, 60)
    assert parse_rate("all") is None and parse_rate("12.5") == 12.5 and parse_rate(None) is None
    for bad in ("0", "1.5", "-3", "nan", "inf", "ten", ""):
        with pytest.raises(ValueError, match="the rate must"):
            parse_rate(bad)


# ------------------------------------------------------------------------ end to end


class Alternating(StillEstimator):
    """Sees the person at every other analysis, nobody at the others: what each analysis says
    differs from the one before."""

    def __init__(self) -> None:
        super().__init__(recorded("janu/y82ukr_30.jpg"))
        self.times: list[float] = []

    def detect(self, rgb: np.ndarray, time_s: float | None = None) -> Skeleton | None:
        self.times.append(float(time_s or 0.0))
        seen = super().detect(rgb, time_s)
        return seen if len(self.times) % 2 else None


def grey_clip(path: Path, seconds: float, fps: float) -> Path:
    photo = path.with_suffix(".png")
    Image.fromarray(np.full((240, 320, 3), 120, np.uint8)).save(photo)
    build_clip([Shot(photo, seconds)], path, fps=fps, size=(320, 240))
    return path


def test_rate_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`alignment video --rate 10` on 2 s at 30 fps: 20 frames analysed, 60 drawn; each frame
    between two analyses shows the last one (its verdict and skeleton), held at most 2 frames."""
    source = grey_clip(tmp_path / "c.mp4", 2.0, 30)
    estimator = Alternating()
    monkeypatch.setattr("alignment.cli.video.open_estimator", lambda *a, **k: estimator)
    drawn: list[tuple[float, object]] = []  # (frame time, view drawn on it)
    draw = pipeline_video.draw_frame

    def spy(rgb: np.ndarray, view: object) -> np.ndarray:
        drawn.append((len(drawn) / 30, view))
        return draw(rgb, view)

    monkeypatch.setattr(pipeline_video, "draw_frame", spy)
    out, summary_path, timeline = tmp_path / "out.mp4", tmp_path / "s.json", tmp_path / "t.csv"
    argv = ["video", str(source), "--rate", "10", "--out", str(out), "--json", str(summary_path),
            "--csv", str(timeline), "--quiet"]  # fmt: skip
    assert main(argv) == 0

    assert estimator.times == pytest.approx([i / 10 for i in range(20)], abs=1e-3)
    with FrameReader(out) as reader:
        times = [f.time_s for f in reader]
    assert times == pytest.approx([i / 30 for i in range(60)], abs=2e-3)  # every frame, in time
    summary = json.loads(summary_path.read_text())
    assert summary["frames_analysed"] == 20 and summary["duration_s"] == pytest.approx(2.0)
    video = summary["video"]
    assert (video["frames_read"], video["frames_written"], video["rate_hz"]) == (60, 60, 10)
    assert video["held_max_s"] == pytest.approx(2 / 30, abs=2e-3)
    with open(timeline, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["time_s"]) for r in rows] == pytest.approx(estimator.times, abs=1e-3)

    # What each drawn frame says is the last analysis's, alternating with the analyses.
    assert len(drawn) == 60
    for i, (_, view) in enumerate(drawn):
        made_at = drawn[i - i % 3][1]
        assert view is made_at  # held: the same verdict, skeleton and timers
        row = rows[i // 3]
        assert view.feedback.message == row["message"]  # type: ignore[attr-defined]
        assert (view.skeleton is None) == (row["state"] == "not_in_frame")  # type: ignore[attr-defined]
    assert len({id(view) for _, view in drawn}) == 20
    assert {r["state"] for r in rows} == {"not_in_frame", "in_pose"}


class Scripted:
    """A session script: which recorded skeleton (a photo, or its mirror image) is seen at
    each moment, with a little jitter that depends on the moment only (so two runs over the
    same frames see the same skeletons)."""

    name = "scripted"
    models = ["scripted"]
    people_in_last_frame = 1

    def __init__(self, script: list[tuple[float, str | None, bool]]) -> None:
        self.script = [
            (until, recorded(name, "fast", mirror) if name else None)
            for until, name, mirror in script
        ]

    def detect(self, rgb: np.ndarray, time_s: float | None = None) -> Skeleton | None:
        t = float(time_s or 0.0)
        skeleton = next(s for until, s in self.script if t < until)
        if skeleton is None:
            return None
        height, width = rgb.shape[:2]
        shake = np.random.default_rng(round(t * 1000)).normal(0, 1.5, skeleton.image.shape)
        scale = np.array([width / skeleton.width, height / skeleton.height])
        return Skeleton(skeleton.image * scale + shake, skeleton.visibility, width, height,
                        skeleton.world, "scripted", skeleton.doubts, skeleton.sides)  # fmt: skip

    def close(self) -> None:
        pass


def assert_agree(sampled: dict, every: dict, within: float = 0.5) -> None:
    kinds = [(s["kind"], s["extended_leg"]) for s in sampled["segments"]]
    assert kinds == [(s["kind"], s["extended_leg"]) for s in every["segments"]]
    for a, b in zip(sampled["segments"], every["segments"], strict=True):
        assert abs(a["start"] - b["start"]) <= within and abs(a["end"] - b["end"]) <= within
    assert set(sampled["sides"]) == set(every["sides"])
    for side, stats in every["sides"].items():
        assert abs(sampled["sides"][side]["hold_seconds"] - stats["hold_seconds"]) <= within
    assert [f["rule"] for f in sampled["faults"]] == [f["rule"] for f in every["faults"]]
    assert sampled["duration_s"] == pytest.approx(every["duration_s"], abs=0.05)


def test_a_sampled_summary_agrees_with_the_every_frame_one(tmp_path: Path) -> None:
    """Nobody, Dandasana, Janu (left leg), nobody, Janu mirrored (right leg), Dandasana: the
    segments, hold times and faults at the default rate are the every-frame run's, within
    0.5 s."""
    source = grey_clip(tmp_path / "c.mp4", 14.0, 30)
    dandasana, janu = "other/y82ukr_dandasana_1.jpg", "janu/y82ukr_30.jpg"
    script = [(1.0, None, False), (3.0, dandasana, False), (7.0, janu, False), (8.0, None, False),
              (12.0, janu, True), (99.0, dandasana, True)]  # fmt: skip
    every = analyse_video(source, POSE, Scripted(script), rate=None).summary
    sampled = analyse_video(source, POSE, Scripted(script)).summary
    assert (every["frames_analysed"], sampled["frames_analysed"]) == (420, 14 * DEFAULT_RATE_HZ)
    assert (
        every["sides"]["left"]["hold_seconds"] > 3 and every["sides"]["right"]["hold_seconds"] > 3
    )
    assert_agree(sampled, every)


@pytest.mark.shared
@pytest.mark.slow
def test_a_sampled_summary_agrees_with_the_every_frame_one_with_the_model(tmp_path: Path) -> None:
    """The same with the live preset's model on a clip composed from the shared photos."""
    from alignment.estimators.presets import LIVE_QUALITY, open_estimator

    janu, dandasana = IMAGES / "janu" / "y82ukr_30.jpg", IMAGES / "other" / "y82ukr_dandasana_1.jpg"
    if not (janu.is_file() and (SHARED / "models" / "pose_landmarker_full.task").is_file()):
        pytest.skip(f"needs the shared photos and models under {SHARED}")
    source = tmp_path / "session.mp4"
    shots = [Shot(dandasana, 1.5), Shot(janu, 3), Shot(dandasana, 1.5, True), Shot(janu, 3, True)]
    build_clip(shots, source, fps=30, size=(640, 480))
    summaries = {}
    for rate in (None, 10):
        with open_estimator(LIVE_QUALITY, "video", [SHARED / "models"], False) as est:
            summaries[rate] = analyse_video(source, POSE, est, rate=rate).summary
    assert summaries[None]["sides"]["left"]["hold_seconds"] > 2
    assert_agree(summaries[10], summaries[None])


# ------------------------------------------------------------------------ progress


@pytest.mark.shared
def test_progress_reaches_the_end_when_the_container_overcounts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """This phone video's container declares 160 frames; 113 are shown (an edit list). The
    progress follows the frames read and nears 100% before the end, in the CLI as in the app
    (the same reports feed both bars)."""
    from alignment.app import video_page

    path = SHARED / "samples" / "videos" / "cgusti_warrior2_correct_5.mp4"
    if not path.is_file():
        pytest.skip(f"shared video not found: {path}")
    with av.open(str(path)) as container:
        assert container.streams.video[0].frames == 160  # what the container claims
    shown: list[float] = []

    class Bar:
        def progress(self, value: float, text: str = "") -> None:
            shown.append(value)

    monkeypatch.setattr(video_page.st, "progress", lambda *a, **k: Bar())
    feed = video_page._ProgressFeed()
    reports: list[tuple[int, int | None]] = []

    def both(done: int, total: int | None, rate: float) -> None:
        reports.append((done, total))
        feed(done, total, rate)

    analyse_video(path, POSE, StillEstimator(recorded("janu/y82ukr_2.jpg")), on_progress=both)
    assert reports[-1] == (113, 113) and shown[-1] == 1.0
    assert all(total is not None and done <= total for done, total in reports)
    done, total = reports[-2]  # the last report while reading
    assert done / total >= 0.99, reports[-3:]
