"""Drawing what a frame says on the frame: the skeleton, the key angles, a banner with the
message. The same drawing for a photo, a video frame and a live frame.

Text is drawn with a real font (Pillow + DejaVu Sans) with an outline stroke, so it stays sharp
and readable from thumbnails to full HD. The banner scales with the picture, sits at the top
or the bottom (whichever keeps clear of the body) and never takes more than a third of it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from alignment.core.analysis import Verdict
from alignment.core.feedback import Feedback, feedback
from alignment.core.rules import PoseRules
from alignment.core.skeleton import Skeleton
from alignment.core.topology import BONES, FACE, Joint, leg_joints
from alignment.present.style import (
    BLACK,
    DOUBTED,
    RGB,
    STATUS_COLOURS,
    WHITE,
    font,
)
from alignment.present.words import feedback_score, status_label

MIN_VISIBILITY = 0.2  # joints less likely than this to be seen are not drawn
BANNER_SHARE = 0.34  # the banner takes at most this share of the picture's height
BANNER_SHADE = 0.35  # the picture under the banner is darkened to this brightness
MIN_LABELLED = 240  # pictures smaller than this (shorter side, pixels) get no angle labels


@dataclass
class FrameView:
    """Everything drawn on one frame."""

    feedback: Feedback
    skeleton: Skeleton | None = None
    labels: list[tuple[str, tuple[float, float]]] = field(default_factory=list)  # text, where
    extra_lines: list[str] = field(default_factory=list)  # e.g. the hold timers


def _place(reading_leg: str | None, skeleton: Skeleton, at: str) -> np.ndarray | None:
    img = skeleton.image
    if at in ("extended_knee", "bent_knee"):
        if reading_leg is None:
            return None
        leg = reading_leg if at == "extended_knee" else ("right", "left")[reading_leg == "right"]
        return img[leg_joints(leg)[1]]
    pair = (
        (Joint.LEFT_HIP, Joint.RIGHT_HIP)
        if at == "hips"
        else (Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER)
    )
    return (img[pair[0]] + img[pair[1]]) / 2


def frame_view(
    verdict: Verdict,
    shown: Feedback,
    skeleton: Skeleton | None,
    pose: PoseRules,
    hold_s: dict[str, float] | None = None,
) -> FrameView:
    """What to draw for one analysed frame: the pose's angle labels (`[display] labels` in its
    rule file) and, over a session, the hold time of each side."""
    labels: list[tuple[str, tuple[float, float]]] = []
    reading = verdict.reading
    # Numbers read off a skeleton we do not trust would look like facts, and the pose's angles
    # mean nothing on a body doing something else: none are drawn then.
    if (
        skeleton is not None
        and reading is not None
        and verdict.trusted
        and verdict.in_pose is not False
    ):
        for label in pose.labels:
            value = reading.metrics.get(label.measurement)
            if value is None or value.value is None:
                continue
            where = _place(reading.extended_leg, skeleton, label.at)
            if where is not None and np.all(np.isfinite(where)):
                labels.append((f"{label.text} {value.value:.0f}°", (where[0], where[1])))
    extra = []
    held = {side: s for side, s in (hold_s or {}).items() if s >= 0.5}
    if held:
        extra.append(
            "Hold: " + "  ·  ".join(f"{pose.side_name(side)} {s:.0f} s" for side, s in held.items())
        )
    return FrameView(shown, skeleton, labels, extra)


def _wrap(draw: ImageDraw.ImageDraw, text: str, size: int, bold: bool, width: float) -> list[str]:
    """Split text into lines no wider than `width` pixels (a long word gets its own line)."""
    lines: list[str] = []
    line = ""
    face = font(size, bold)
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=face) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def _body_span(skeleton: Skeleton | None, height: int) -> tuple[float, float]:
    """Top and bottom of the visible body on the picture (the whole height if unknown)."""
    if skeleton is None:
        return 0.0, float(height)
    seen = skeleton.visibility >= MIN_VISIBILITY
    ys = skeleton.image[seen & np.all(np.isfinite(skeleton.image), axis=1), 1]
    if ys.size == 0:
        return 0.0, float(height)
    return float(ys.min()), float(ys.max())


def _head_top(skeleton: Skeleton | None) -> float | None:
    """The top of the head on the picture (the highest face point seen), None if unseen."""
    if skeleton is None:
        return None
    face = list(FACE)
    pts = skeleton.image[face]
    seen = (skeleton.visibility[face] >= MIN_VISIBILITY) & np.all(np.isfinite(pts), axis=1)
    return float(pts[seen, 1].min()) if seen.any() else None


def _draw_skeleton(draw: ImageDraw.ImageDraw, skeleton: Skeleton, colour: RGB, unit: float) -> None:
    pts = skeleton.image
    seen = (skeleton.visibility >= MIN_VISIBILITY) & np.all(np.isfinite(pts), axis=1)
    width = max(2, round(unit * 0.5))
    for a, b in BONES:
        if seen[a] and seen[b]:
            doubted = a in skeleton.doubts or b in skeleton.doubts
            draw.line(
                [tuple(pts[a]), tuple(pts[b])], fill=DOUBTED if doubted else colour, width=width
            )
    radius = max(1.5, unit * 0.55)
    for j in range(len(pts)):
        if seen[j] and j not in FACE[1:]:
            x, y = pts[j]
            ring = DOUBTED if j in skeleton.doubts else colour
            draw.ellipse(
                [x - radius, y - radius, x + radius, y + radius],
                fill=WHITE,
                outline=ring,
                width=max(1, round(radius * 0.45)),
            )


@functools.lru_cache(maxsize=512)
def _text_tile(text: str, size: int, colour: RGB, bold: bool) -> Image.Image:
    """The text drawn once, with its outline, on a transparent tile (frames repeat the same
    words, and rendering an outlined string is the slowest part of drawing a frame)."""
    face = font(size, bold)
    stroke = max(1, round(size / 9))
    left, top, right, bottom = face.getbbox(text, stroke_width=stroke)
    tile = Image.new("RGBA", (max(1, right - left), max(1, bottom - top)), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text(
        (-left, -top), text, font=face, fill=colour, stroke_width=stroke, stroke_fill=BLACK
    )
    tile.info["offset"] = (left, top)
    return tile


def _outlined(
    image: Image.Image,
    xy: tuple[float, float],
    text: str,
    size: int,
    colour: RGB,
    bold: bool = False,
) -> None:
    """Text with a black outline, placed as `ImageDraw.text` would place it at `xy`."""
    tile = _text_tile(text, size, colour, bold)
    left, top = tile.info["offset"]
    image.paste(tile, (round(xy[0] + left), round(xy[1] + top)), tile)


def draw_frame(rgb: np.ndarray, view: FrameView) -> np.ndarray:
    """A copy of the frame (RGB uint8) with the view drawn on it."""
    height, width = rgb.shape[:2]
    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    draw = ImageDraw.Draw(image)
    colour = STATUS_COLOURS[view.feedback.status]
    unit = max(min(width, height) / 100.0, 1.0)  # 1% of the shorter side
    if view.skeleton is not None:
        _draw_skeleton(draw, view.skeleton, colour, unit)
        label_size = max(9, round(unit * 3.2))
        # On a thumbnail the labels would cover the body they describe.
        for text, (x, y) in view.labels if min(width, height) >= MIN_LABELLED else ():
            tw = draw.textlength(text, font=font(label_size, True))
            tx = min(max(x + unit * 1.5, 2), width - tw - 2)
            ty = min(max(y - unit * 1.5 - label_size, 2), height - label_size - 4)
            _outlined(image, (tx, ty), text, label_size, WHITE, bold=True)
    _draw_banner(image, draw, view, colour, unit)
    return np.asarray(image)


def _banner_lines(
    draw: ImageDraw.ImageDraw, view: FrameView, width: float, big: int, small: int
) -> list[tuple[str, int, bool, RGB]]:
    """(text, size, bold, colour) per line, most important first."""
    fb = view.feedback
    scored = feedback_score(fb)
    status = status_label(fb.status) + (f"  ·  {scored}" if scored else "")
    lines = [
        (line, big, True, STATUS_COLOURS[fb.status])
        for line in _wrap(draw, fb.message, big, True, width)
    ]
    lines.append((status, small, False, WHITE))
    for text in [
        *([fb.limits] if fb.limits else []),
        *view.extra_lines,
        *(f"• {cue}" for cue in fb.cues[1:]),
        *(f"Camera: {g}" for g in fb.guidance),
    ]:
        lines += [(line, small, False, WHITE) for line in _wrap(draw, text, small, False, width)]
    return lines


def _draw_banner(
    image: Image.Image, draw: ImageDraw.ImageDraw, view: FrameView, colour: RGB, unit: float
) -> None:
    width, height = image.size
    big = max(10, round(unit * 4.2))
    small = max(9, round(unit * 3.2))
    pad = max(3, round(unit * 1.2))
    lines = _banner_lines(draw, view, width - 2 * pad, big, small)
    limit = height * BANNER_SHARE
    used, kept = 2 * pad, []
    for line in lines:
        step = round(line[1] * 1.25)
        if used + step > limit and kept:
            break
        kept.append(line)
        used += step
    band = min(int(used), height)
    top, bottom = _body_span(view.skeleton, height)
    # The banner goes where it covers less of the body: the top, unless the body reaches
    # higher into it than into a banner at the bottom.
    at_top = max(0.0, band - top) <= max(0.0, bottom - (height - band))
    # Never over the head when the bottom keeps it clear (a standing person's feet matter less).
    head = _head_top(view.skeleton)
    # (the face points sit below the top of the skull: about 6% of the picture's shorter side)
    if at_top and head is not None and head - 6 * unit < band and head < height - band:
        at_top = False
    y0 = 0 if at_top else height - band
    region = np.asarray(image.crop((0, y0, width, y0 + band)), dtype=np.float32)
    image.paste(Image.fromarray((region * BANNER_SHADE).astype(np.uint8)), (0, y0))
    y = y0 + pad
    for text, size, bold, line_colour in kept:
        _outlined(image, (pad, y), text, size, line_colour, bold)
        y += round(size * 1.25)
    # A thin bar in the status colour marks the banner's edge toward the picture.
    edge = y0 + band - 1 if at_top else y0
    bar = max(1, round(unit * 0.4))
    draw.rectangle(
        [0, edge - (bar - 1 if at_top else 0), width, edge + (0 if at_top else bar - 1)],
        fill=colour,
    )


def draw_verdict(
    rgb: np.ndarray,
    verdict: Verdict,
    skeleton: Skeleton | None,
    pose: PoseRules,
    shown: Feedback | None = None,
    hold_s: dict[str, float] | None = None,
) -> np.ndarray:
    """Shortcut: the frame with this verdict (as a photo shows it, unless `shown` says
    otherwise) drawn on it."""
    return draw_frame(rgb, frame_view(verdict, shown or feedback(verdict), skeleton, pose, hold_s))
