"""The overlay of `overlay.draw_frame`, drawn cheaply on every frame of a live stream.

A live camera sends some 30 frames a second and each is drawn with the last verdict, but the
banner's text changes about once a second. Rendering its text (with an outline) is most of
`draw_frame`'s cost, so the banner is rendered once per change, as a patch of premultiplied
colour and coverage, and laid over each frame with a few integer operations. The skeleton and
the angle labels move with the person and are drawn on each frame, as `draw_frame` does.

The patch is made with `draw_frame`'s own banner drawing, rendered over a black and over a
white picture: over black it gives the banner's colour premultiplied by its coverage, the
difference between the two gives how much of the picture shows through. So the painted frame
is `draw_frame`'s, to within a unit of rounding.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from alignment.present import overlay
from alignment.present.overlay import FrameView
from alignment.present.style import STATUS_COLOURS, WHITE, font

CACHED_BANNERS = 8  # banner patches kept (texts x top/bottom)


@dataclass(frozen=True)
class _Patch:
    """A banner: rows y0..y0+height of the picture become `colour + keep * picture / 256`."""

    y0: int
    colour: np.ndarray  # uint16, (height, width, 3): the banner's colour times its coverage
    keep: np.ndarray  # uint16, (height, width, 3): how much of the picture shows through, 0-256

    @property
    def at_top(self) -> bool:
        return self.y0 == 0

    @property
    def height(self) -> int:
        return self.colour.shape[0]


def _unit(width: int, height: int) -> float:
    return max(min(width, height) / 100.0, 1.0)  # as in overlay.draw_frame


def _render_patch(view: FrameView, width: int, height: int) -> _Patch | None:
    """The banner of `view` on a picture of this size (None if it draws nothing)."""
    colour = STATUS_COLOURS[view.feedback.status]
    renders = []
    for background in (0, 255):
        image = Image.new("RGB", (width, height), (background,) * 3)
        overlay._draw_banner(image, ImageDraw.Draw(image), view, colour, _unit(width, height))
        renders.append(np.asarray(image, dtype=np.int16))
    over_black, over_white = renders
    changed = np.flatnonzero(
        np.any((over_black != 0) | (over_white != 255), axis=(1, 2))
    )  # rows the banner touches
    if changed.size == 0:
        return None
    y0, y1 = int(changed[0]), int(changed[-1]) + 1
    black, white = over_black[y0:y1], over_white[y0:y1]
    keep = np.clip(white - black, 0, 255).astype(np.uint16)
    keep += keep >> 7  # 0-255 -> 0-256, so that `>> 8` divides by the full scale
    return _Patch(y0, (black.astype(np.uint16) << 8) + 128, keep)


class FramePainter:
    """Draws a `FrameView` on many frames; keeps the last few banners. Not thread-safe: one
    painter per stream."""

    def __init__(self) -> None:
        self._banners: OrderedDict[tuple, _Patch | None] = OrderedDict()

    def _banner(self, view: FrameView, width: int, height: int) -> _Patch | None:
        fb = view.feedback
        content = (fb, tuple(view.extra_lines), width, height)
        # Where draw_frame puts this banner for this skeleton: the top unless the body reaches
        # higher into it than into one at the bottom (overlay._draw_banner's rule).
        known = self._banners.get((*content, True)) or self._banners.get((*content, False))
        if known is None:
            patch = _render_patch(view, width, height)
            at_top = patch is None or patch.at_top
        else:
            top, bottom = overlay._body_span(view.skeleton, height)
            band = known.height
            at_top = max(0.0, band - top) <= max(0.0, bottom - (height - band))
            key = (*content, at_top)
            if key in self._banners:
                self._banners.move_to_end(key)
                return self._banners[key]
            patch = _render_patch(view, width, height)
        self._banners[(*content, at_top)] = patch
        while len(self._banners) > CACHED_BANNERS:
            self._banners.popitem(last=False)
        return patch

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
        patch = self._banner(view, width, height)
        if patch is not None:
            rows = out[patch.y0 : patch.y0 + patch.height]
            rows[...] = (patch.colour + patch.keep * rows) >> 8
        return out
