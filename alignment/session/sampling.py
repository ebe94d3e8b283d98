"""Which frames of a recorded video are analysed: a steady number a second, whatever the file's
frame rate (a 60 fps phone video and a 24 fps one give the same timeline), or every frame.

The rate is read and checked here only (the CLI's `--rate`, the Video page, Ray workers and
`analyse_video` all call `parse_rate`). Pure: no video library here."""

from __future__ import annotations

import math

ALL_FRAMES = "all"  # what `--rate` takes for "analyse every frame"
# The fewest analyses a second of a recorded video: each stands for the time until the next,
# so segment boundaries stay within half a second of the every-frame run's.
MIN_RATE_HZ = 2.0
_EARLY_S = 1e-3  # a frame this close before a tick (timestamp rounding) is on it


def parse_rate(value: str | float | None) -> float | None:
    """Analyses a second from what the user gave: a number of at least MIN_RATE_HZ, or
    "all" / None for every frame (returned as None). ValueError with a message otherwise."""
    if value is None or (isinstance(value, str) and value.strip().lower() == ALL_FRAMES):
        return None
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"the rate must be a number of analyses a second or '{ALL_FRAMES}', got {value!r}"
        ) from None
    if not math.isfinite(rate) or rate < MIN_RATE_HZ:
        raise ValueError(
            f"the rate must be at least {MIN_RATE_HZ:g} analyses a second (or '{ALL_FRAMES}' "
            f"for every frame), got {value}"
        )
    return rate


class RateSampler:
    """`due(time_s)`: whether to analyse the frame shown at `time_s`. With a rate, the first
    frame at or after each tick of a steady clock (`rate` ticks a second from time 0): at
    30 fps and 10 a second, every third frame; at 25 fps, every 2nd or 3rd, 0.1 s apart on
    average; over a variable frame rate, the same. With None, every frame."""

    def __init__(self, rate: float | None) -> None:
        self.rate = parse_rate(rate)
        self._next: float | None = None  # the time of the next tick not yet served

    def due(self, time_s: float) -> bool:
        if self.rate is None:
            return True
        if self._next is not None and time_s < self._next - _EARLY_S:
            return False
        tick = math.floor((time_s + _EARLY_S) * self.rate)
        self._next = (tick + 1) / self.rate
        return True
