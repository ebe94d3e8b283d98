"""What is drawn and written for people: the overlay (pixels), the photo report's contract, the
plot, and the session's time accounting. The skeletons are the fast preset's recorded readings
of the shared photos (`samples/readings.json`), so no model runs."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fakes import StillEstimator, recorded
from PIL import Image, ImageDraw
from shared_paths import ROOT

from alignment.core.analysis import analyse
from alignment.core.feedback import feedback
from alignment.core.skeleton import Skeleton
from alignment.io.rule_files import load_pose
from alignment.io.video import VideoWriter
from alignment.pipeline.video import analyse_video
from alignment.present import overlay
from alignment.present.overlay import BANNER_SHARE, draw_frame, frame_view
from alignment.present.report import error_record, photo_record
from alignment.present.style import STATUS_COLOURS
from alignment.session.tracker import SessionTracker

POSE = load_pose("janu_sirsasana", "fast")
IN_POSE = recorded("janu/y82ukr_17.jpg", "accurate")  # in the pose, a fault: a red banner
GREY = 128


def placed(skeleton: Skeleton, width: int, height: int, top: float, bottom: float) -> Skeleton:
    """The skeleton fitted into a picture of this size, between the heights `top` and
    `bottom` (fractions of the height), keeping its proportions."""
    image = skeleton.image.copy()
    seen = np.isfinite(image).all(axis=1)
    lo, hi = image[seen].min(axis=0), image[seen].max(axis=0)
    scale = min((bottom - top) * height / (hi[1] - lo[1]), 0.9 * width / (hi[0] - lo[0]))
    shift = np.array([0.05 * width, top * height])
    outlines = tuple((p - lo) * scale + shift for p in skeleton.outlines)
    image = (image - lo) * scale + shift
    return replace(skeleton, image=image, width=width, height=height, outlines=outlines)


def view_of(skeleton: Skeleton, hold: dict[str, float] | None = None) -> overlay.FrameView:
    verdict = analyse(skeleton, POSE)
    return frame_view(verdict, feedback(verdict), skeleton, POSE, hold)


# ------------------------------------------------------------------------------ the overlay
@pytest.mark.parametrize("size", [9, 11, 14, 20, 33, 60])
def test_the_outline_sits_under_the_text(size: int) -> None:
    """The black outline surrounds the coloured glyphs evenly, at every size: text drawn with
    a wider or offset outline (OpenCV's putText at two thicknesses) would show the coloured
    glyphs shifted inside their outline, or doubled."""
    image = Image.new("RGB", (30 * size, 3 * size), (GREY,) * 3)
    colour = (230, 40, 40)
    overlay._outlined(image, (size, size // 2), "leaning back.", size, colour, bold=True)
    pixels = np.asarray(image).astype(int)
    red = (pixels[..., 0] > 180) & (pixels[..., 1] < 90) & (pixels[..., 2] < 90)
    black = pixels.max(axis=2) < 40
    assert red.sum() > 10 * size and black.sum() > 10 * size
    ys, xs = np.nonzero(red)
    bys, bxs = np.nonzero(black)
    margins = [
        xs.min() - bxs.min(),
        bxs.max() - xs.max(),
        ys.min() - bys.min(),
        bys.max() - ys.max(),
    ]
    stroke = max(1, round(size / 9))
    assert all(1 <= m <= stroke + 2 for m in margins), (size, margins)
    assert abs(margins[0] - margins[1]) <= 1 and abs(margins[2] - margins[3]) <= 1, margins
    # Every coloured pixel touches only colour or outline: none borders the background.
    fill = red | black | ~((np.abs(pixels - GREY).max(axis=2)) < 8)
    padded = np.pad(red, 1)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            neighbour = np.roll(np.roll(padded, dy, 0), dx, 1)[1:-1, 1:-1]
            assert not (neighbour & ~fill).any(), (size, dy, dx)


def test_message_lines_take_the_status_colour() -> None:
    """A message long enough to wrap is one colour on every line: the status's."""
    skeleton = placed(IN_POSE, 480, 360, 0.5, 0.95)
    view = view_of(skeleton)
    assert view.feedback.status == "faults"
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    lines = overlay._banner_lines(draw, view, 200, 20, 15)
    message = [line for line in lines if line[1] == 20]
    assert len(message) >= 2  # wrapped
    assert {line[3] for line in message} == {STATUS_COLOURS["faults"]}


def banner_rows(drawn: np.ndarray, grey: int = GREY) -> np.ndarray:
    """The rows the banner darkened (the picture is a plain grey)."""
    return np.nonzero(np.median(drawn, axis=(1, 2)) < grey * 0.8)[0]


@pytest.mark.parametrize("width, height", [(160, 120), (480, 360), (1280, 720), (1920, 1080)])
def test_the_banner_scales_and_keeps_off_the_body(width: int, height: int) -> None:
    blank = np.full((height, width, 3), GREY, np.uint8)
    low = placed(IN_POSE, width, height, 0.45, 0.95)  # the body low in the picture
    rows = banner_rows(draw_frame(blank, view_of(low)))
    assert len(rows) > 0 and rows.min() == 0  # at the top
    assert rows.max() + 1 <= height * BANNER_SHARE + 1
    top, _ = overlay._body_span(low, height)
    assert rows.max() < top  # above the body
    high = placed(IN_POSE, width, height, 0.05, 0.55)  # the body high: the banner goes below
    rows_high = banner_rows(draw_frame(blank, view_of(high)))
    assert rows_high.max() == height - 1
    _, bottom = overlay._body_span(high, height)
    assert rows_high.min() > bottom
    # Its text grows with the picture: the banner is a similar share of every size.
    assert len(rows) >= 0.08 * height


def test_angle_labels_are_outlined_and_readable_on_white() -> None:
    """White labels on a white wall stay readable: each has its black outline."""
    white = np.full((720, 1280, 3), 255, np.uint8)
    skeleton = placed(IN_POSE, 1280, 720, 0.4, 0.95)
    view = view_of(skeleton)
    assert view.labels, "a trusted reading in the pose has angle labels"
    drawn = draw_frame(white, view)
    dark = drawn.max(axis=2) < 40
    for text, (x, y) in view.labels:
        region = dark[max(0, int(y) - 60) : int(y), int(x) : int(x) + 20 * len(text)]
        assert region.sum() > 30, text


def test_the_hold_time_is_drawn() -> None:
    skeleton = placed(IN_POSE, 640, 480, 0.45, 0.95)
    left, right = POSE.side_name("left"), POSE.side_name("right")
    assert view_of(skeleton, {"left": 12.4, "right": 0.2}).extra_lines == [f"Hold: {left} 12 s"]
    both = view_of(skeleton, {"left": 12.4, "right": 3.0}).extra_lines
    assert both == [f"Hold: {left} 12 s  ·  {right} 3 s"]  # the sides apart, as on the status line


# ------------------------------------------------------------------------------ the report
def documented_photo_keys() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## `alignment image`", 1)[1].split("\n## ", 1)[0]
    keys: set[str] = set()
    for cell in re.findall(r"^\| (`[^|]+`) \|", section, re.M):
        keys |= set(re.findall(r"`([a-z_]+)`", cell))
    return keys


def test_error_rows_carry_every_key_of_a_photo_record() -> None:
    skeleton = recorded("janu/y82ukr_2.jpg")
    record = photo_record("a.jpg", analyse(skeleton, POSE), skeleton, 1500, 951, ["m"])
    error = error_record("b.jpg", "not an image")
    assert set(error) == set(record) == documented_photo_keys()
    assert error["status"] == "error" and error["score"] is None and error["in_pose"] is None


# ------------------------------------------------------------------------------ the session
def clip_states(fps: float, seconds: float) -> list[Skeleton | None]:
    """A session: nobody, in the pose, doubt, in the pose again, out of it."""
    in_pose = recorded("janu/y82ukr_2.jpg")
    doubt = recorded("janu/y82ukr_15.jpg")
    pattern = [None] * 3 + [in_pose] * 5 + [doubt] * 2 + [in_pose] * 4 + [None] * 3
    n = round(fps * seconds)
    return [pattern[i * len(pattern) // n] for i in range(n)]


@pytest.mark.parametrize("fps", [24, 30, 60])
def test_time_by_state_adds_up_to_the_duration(fps: int) -> None:
    tracker = SessionTracker(POSE)
    for i, skeleton in enumerate(clip_states(fps, 13.68)):
        tracker.update(i / fps, skeleton)
    summary = tracker.summary()
    total = sum(summary["time_by_state"].values())
    assert abs(total - summary["duration_s"]) <= 1 / fps, summary["time_by_state"]
    assert abs(summary["duration_s"] - 13.68) <= 1 / fps
    assert len(summary["time_by_state"]) >= 3


def test_video_progress_ends_at_the_frames_read(tmp_path: Path) -> None:
    """The progress counts the frames read, and its last report is complete (100%)."""
    path = tmp_path / "clip.mp4"
    with VideoWriter(path, 25, 320, 240) as writer:
        for i in range(40):
            writer.write(np.full((240, 320, 3), 60 + i, np.uint8))
    reports: list[tuple[int, int | None]] = []
    result = analyse_video(
        path,
        POSE,
        StillEstimator(recorded("janu/y82ukr_2.jpg")),
        "standard",
        None,  # every frame
        on_progress=lambda done, total, rate: reports.append((done, total)),
    )
    assert reports and reports[-1] == (40, 40)
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    assert result.summary["frames_analysed"] == 40


# ------------------------------------------------------------------------------ the plot
def test_the_plot_has_a_legend_and_an_empty_one_says_why(tmp_path: Path, monkeypatch) -> None:
    import matplotlib.figure

    from alignment.present.plot import plot_timeline

    figures = []
    original = matplotlib.figure.Figure.savefig

    def keep(fig, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        figures.append(fig)
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", keep)
    for name, states in (("full", clip_states(30, 10)), ("empty", [None] * 60)):
        tracker = SessionTracker(POSE)
        for i, skeleton in enumerate(states):
            tracker.update(i / 30, skeleton)
        path = tmp_path / f"{name}.png"
        plot_timeline(tracker.records, POSE, "standard", path, tracker.segments())
        assert Image.open(path).size[0] > 500
    full, empty = figures
    labels = [t.get_text() for legend in full.legends for t in legend.get_texts()]
    assert "measured, in the pose" in labels and "rule bound (standard)" in labels
    assert len(full.axes) >= 2
    texts = [t.get_text() for ax in empty.axes for t in ax.texts]
    assert any("Nobody was seen in the pose" in t for t in texts), texts


def plotted(skeleton: Skeleton | None, pose, tmp_path: Path, monkeypatch) -> object:  # noqa: ANN001
    """The figure of a 3 s session holding this skeleton."""
    import matplotlib.figure

    from alignment.present.plot import plot_timeline

    figures = []
    original = matplotlib.figure.Figure.savefig

    def keep(fig, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        figures.append(fig)
        fig.canvas.draw()
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", keep)
    tracker = SessionTracker(pose)
    for i in range(90):
        tracker.update(i / 30, skeleton)
    plot_timeline(tracker.records, pose, "standard", tmp_path / "p.png", tracker.segments())
    return figures[0]


def test_the_plot_shows_faint_what_was_not_judged_and_labels_inside_the_panels(
    tmp_path: Path, monkeypatch
) -> None:
    """The fast preset cannot judge the thigh angle on this photo: its line is faint, the
    legend says why, and no bound label leaves its panel or sits on an edge."""
    from alignment.present.plot import FAINT, NOT_JUDGED

    skeleton = recorded("janu/y82ukr_2.jpg")
    verdict = analyse(skeleton, POSE)
    unjudged = {r.rule.measurement for r in verdict.unjudged}
    judged = {r.rule.measurement for r in verdict.results if r.status == "ok"}
    assert "thigh_angle" in unjudged and "extended_knee_angle" in judged
    fig = plotted(skeleton, POSE, tmp_path, monkeypatch)
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert NOT_JUDGED in labels
    for ax in fig.axes:
        ylabel = ax.get_ylabel()
        assert "(degrees)" in ylabel or "(ratio)" in ylabel, ylabel  # a unit on every axis
        name = ylabel.split("\n")[0].replace(" ", "_")
        faint = [
            line
            for line in ax.get_lines()
            if line.get_alpha() == FAINT and np.isfinite(line.get_ydata()).any()
        ]
        assert bool(faint) == (name in unjudged and name not in judged), name
        box = ax.get_window_extent()
        for text in ax.texts:
            extent = text.get_window_extent()
            assert box.x0 < extent.x0 and extent.x1 < box.x1, text.get_text()
            assert box.y0 + 1 < extent.y0 and extent.y1 < box.y1 - 1, text.get_text()
            assert "_" not in text.get_text()  # the rule's plain name, not its id
    assert fig.axes[-1].get_xlabel() == "time (s)"


@pytest.mark.parametrize("name", ["other/wifi_standing_1.jpg", "other/y82ukr_warrior2_1.jpg"])
def test_the_banner_never_covers_a_standing_person_s_head(name: str) -> None:
    """A standing body fills the picture's height: the banner goes to the feet, not the head,
    and no angle of the pose is drawn on a body doing something else."""
    skeleton = recorded(name)
    verdict = analyse(skeleton, POSE)
    assert verdict.status == "not_in_pose"
    view = view_of(skeleton)
    assert view.labels == []
    canvas = np.full((skeleton.height, skeleton.width, 3), GREY, np.uint8)
    drawn = draw_frame(canvas, view)
    assert (drawn[0] == GREY).all(), "the top row (above the head) is left as it was"
    assert (drawn[-1] < GREY).any(), "the banner sits at the bottom"
