"""The overlay of `overlay.draw_frame`, drawn cheaply on every frame of a live stream.

A live camera sends some 30 frames a second and each is drawn with the last verdict. Rendering
the banner's text (with an outline) is most of `draw_frame`'s cost, yet a line of it rarely
changes from one frame to the next (the score, the hold seconds, now and then the message). So
each line of text is rendered once, as a patch of premultiplied colour and coverage, and laid
over the frames that show it with a few integer operations; the banner's shading and its edge
bar are integer operations too. The skeleton and the angle labels move with the person and are
drawn on each frame, as `draw_frame` does.

A text patch is made with `overlay`'s own text drawing, over a black and over a white
background: over black it gives the text's colour premultiplied by its coverage, the
difference between the two gives how much of the picture shows through. The layout is
`overlay._draw_banner`'s (same lines, sizes, places). So the painted frame is `draw_frame`'s,
to within a unit of rounding (tests/test_live_frames.py checks it).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from alignment.present import overlay
from alignment.present.overlay import BANNER_SHADE, BANNER_SHARE, FrameView
from alignment.present.style import STATUS_COLOURS, WHITE, font

CACHED_TEXTS = 64  # text patches kept
CACHED_LAYOUTS = 16  # banner layouts kept
SHADE = round(BANNER_SHADE * 2048)  # the shading as an integer fraction of 2048


@dataclass(frozen=True)
class _Patch:
    """Pixels x0.., y0.. of the picture become `(colour + keep * picture) >> 8`."""

    x0: int
    y0: int
    colour: np.ndarray  # uint16 (h, w, 3): the text's colour times its coverage, << 8, + 128
    keep: np.ndarray  # uint16 (h, w, 1): how much of the picture shows through, 0-256


@dataclass(frozen=True)
class _Layout:
    """The banner of one view on one picture size (as overlay._draw_banner lays it out)."""

    band: int  # height in pixels
    pad: int
    lines: tuple[tuple[str, int, bool, tuple[int, int, int]], ...]  # text, size, bold, colour
    bar: int  # the edge bar's thickness


def _unit(width: int, height: int) -> float:
    return max(min(width, height) / 100.0, 1.0)  # as in overlay.draw_frame


def _layout(view: FrameView, width: int, height: int) -> _Layout:
    """overlay._draw_banner's layout: the lines that fit in a third of the picture."""
    unit = _unit(width, height)
    big, small = max(10, round(unit * 4.2)), max(9, round(unit * 3.2))
    pad = max(3, round(unit * 1.2))
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    lines = overlay._banner_lines(measure, view, width - 2 * pad, big, small)
    limit = height * BANNER_SHARE
    used, kept = 2 * pad, []
    for line in lines:
        step = round(line[1] * 1.25)
        if used + step > limit and kept:
            break
        kept.append(line)
        used += step
    return _Layout(min(int(used), height), pad, tuple(kept), max(1, round(unit * 0.4)))


def _text_patch(text: str, size: int, bold: bool, colour: tuple[int, int, int]) -> _Patch:
    """One line of outlined text, drawn by overlay._outlined at (0, 0): x0, y0 are where its
    pixels start relative to that point."""
    face = font(size, bold)
    stroke = max(1, round(size / 9))  # as overlay._outlined
    left, top, right, bottom = face.getbbox(text, stroke_width=stroke)
    margin = 2
    x0, y0 = left - margin, top - margin
    width, height = right - left + 2 * margin, bottom - top + 2 * margin
    renders = []
    for background in (0, 255):
        image = Image.new("RGB", (max(width, 1), max(height, 1)), (background,) * 3)
        overlay._outlined(ImageDraw.Draw(image), (-x0, -y0), text, size, colour, bold)
        renders.append(np.asarray(image, dtype=np.int16))
    over_black, over_white = renders
    keep = np.clip(over_white - over_black, 0, 255).max(axis=2, keepdims=True)
    keep = keep.astype(np.uint16)
    keep += keep >> 7  # 0-255 -> 0-256, so that `>> 8` divides by the full scale
    return _Patch(x0, y0, (over_black.astype(np.uint16) << 8) + 128, keep)


def _lay(out: np.ndarray, patch: _Patch, x: int, y: int) -> None:
    """Lay a patch over the picture with its origin at (x, y), clipped to the picture."""
    height, width = out.shape[:2]
    ph, pw = patch.colour.shape[:2]
    ax, ay = x + patch.x0, y + patch.y0
    cx0, cy0 = max(0, -ax), max(0, -ay)
    cx1, cy1 = min(pw, width - ax), min(ph, height - ay)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    region = out[ay + cy0 : ay + cy1, ax + cx0 : ax + cx1]
    colour = patch.colour[cy0:cy1, cx0:cx1]
    keep = patch.keep[cy0:cy1, cx0:cx1]
    region[...] = (colour + keep * region) >> 8


class FramePainter:
    """Draws a `FrameView` on many frames; keeps the text patches and layouts it made. Not
    thread-safe: one painter per stream."""

    def __init__(self) -> None:
        self._texts: OrderedDict[tuple, _Patch] = OrderedDict()
        self._layouts: OrderedDict[tuple, _Layout] = OrderedDict()

    @staticmethod
    def _cached(cache: OrderedDict, key: tuple, make, limit: int):  # noqa: ANN001, ANN205
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        value = cache[key] = make()
        while len(cache) > limit:
            cache.popitem(last=False)
        return value

    def _banner(self, out: np.ndarray, view: FrameView) -> None:
        height, width = out.shape[:2]
        fb = view.feedback
        layout = self._cached(
            self._layouts,
            (fb, tuple(view.extra_lines), width, height),
            lambda: _layout(view, width, height),
            CACHED_LAYOUTS,
        )
        band = layout.band
        # The top, unless the body reaches higher into it than into one at the bottom.
        top, bottom = overlay._body_span(view.skeleton, height)
        at_top = max(0.0, band - top) <= max(0.0, bottom - (height - band))
        y0 = 0 if at_top else height - band
        rows = out[y0 : y0 + band]
        rows[...] = (rows.astype(np.uint32) * SHADE) >> 11
        y = y0 + layout.pad
        for text, size, bold, colour in layout.lines:
            patch = self._cached(
                self._texts,
                (text, size, bold, colour),
                lambda t=text, s=size, b=bold, c=colour: _text_patch(t, s, b, c),
                CACHED_TEXTS,
            )
            _lay(out, patch, layout.pad, y)
            y += round(size * 1.25)
        edge = y0 + band - 1 if at_top else y0
        first = edge - (layout.bar - 1 if at_top else 0)
        last = edge + (0 if at_top else layout.bar - 1)
        out[max(first, 0) : min(last, height - 1) + 1] = STATUS_COLOURS[fb.status]

    def paint(self, rgb: np.ndarray, view: FrameView | None) -> np.ndarray:
        """A copy of the frame (RGB uint8) with the view drawn on it (the frame itself when
        there is no view yet)."""
        if view is None:
            return rgb
        height, width = rgb.shape[:2]
        image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
        if view.skeleton is not None:
            draw = ImageDraw.Draw(image)
            unit = _unit(width, height)
            overlay._draw_skeleton(draw, view.skeleton, STATUS_COLOURS[view.feedback.status], unit)
            label_size = max(9, round(unit * 3.2))
            # As draw_frame: no labels on a thumbnail.
            for text, (x, y) in view.labels if min(width, height) >= overlay.MIN_LABELLED else ():
                tw = draw.textlength(text, font=font(label_size, True))
                tx = min(max(x + unit * 1.5, 2), width - tw - 2)
                ty = min(max(y - unit * 1.5 - label_size, 2), height - label_size - 4)
                overlay._outlined(draw, (tx, ty), text, label_size, WHITE, bold=True)
        out = np.array(image)
        self._banner(out, view)
        return out
