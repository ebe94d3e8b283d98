"""How statuses look: one colour per status, and the font, for every picture, plot and page
(what they are called is `present.words`)."""

from __future__ import annotations

import functools
import os

from PIL import ImageFont

from alignment.core.status import FAULTS, GOOD, NO_PERSON, NOT_IN_POSE, PARTIAL, UNCERTAIN

RGB = tuple[int, int, int]

STATUS_COLOURS: dict[str, RGB] = {
    GOOD: (46, 184, 92),
    FAULTS: (232, 72, 60),
    PARTIAL: (90, 170, 235),
    NOT_IN_POSE: (245, 170, 30),
    UNCERTAIN: (185, 185, 185),
    NO_PERSON: (185, 185, 185),
}
# Streamlit's named colours for the same statuses (markdown `:colour[text]`).
STATUS_MARKDOWN_COLOURS: dict[str, str] = {
    GOOD: "green",
    FAULTS: "red",
    PARTIAL: "blue",
    NOT_IN_POSE: "orange",
    UNCERTAIN: "gray",
    NO_PERSON: "gray",
    "error": "red",
}
WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)
DOUBTED: RGB = (150, 150, 150)  # joints the models disagree about


def _font_path(bold: bool) -> str:
    """DejaVu Sans, the open-licence font matplotlib ships (so no font file of our own)."""
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", name)


@functools.lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_font_path(bold), max(6, int(size)))
