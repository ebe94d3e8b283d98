"""A small progress bar for long work (batches, videos, downloads), written to stderr."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """`with Progress(total, "images") as bar: bar.advance()`; redraws at most 10 times a second.

    On a terminal it redraws one line; elsewhere (CI logs, pipes) it prints a line every 10%.
    `total` may be None when unknown (then it shows a count and a rate).
    """

    def __init__(
        self,
        total: int | None,
        unit: str,
        stream: TextIO | None = None,
        enabled: bool = True,
        label: str = "",
    ) -> None:
        self.total = total
        self.unit = unit
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.done = 0
        self.note = ""
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._last_decile = -1
        self._last_line = -1
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self._start
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self, n: int = 1, note: str = "") -> None:
        self.done += n
        self.note = note
        self._draw()

    def _line(self) -> str:
        rate = f"{self.rate:.1f} {self.unit}/s"
        if self.total:
            frac = min(1.0, self.done / self.total)
            filled = int(frac * 24)
            bar = "#" * filled + "-" * (24 - filled)
            text = f"[{bar}] {self.done}/{self.total} {self.unit} {frac:4.0%} {rate}"
        else:
            text = f"{self.done} {self.unit} {rate}"
        text = f"{self.label}: {text}" if self.label else text
        return f"{text} {self.note}".rstrip()

    def _write(self, text: str) -> None:
        """A bar that cannot be written (the terminal closed: EIO, a closed pipe) goes quiet;
        the work it shows goes on."""
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False

    def _draw(self, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self._tty:
            if final or now - self._last_draw >= 0.1:
                self._last_draw = now
                self._write("\r" + self._line()[:120].ljust(80))
            return
        decile = int(10 * self.done / self.total) if self.total else self.done // 500
        if decile != self._last_decile or final and self._last_line != self.done:
            self._last_line = self.done
            self._last_decile = decile
            self._write(self._line() + "\n")

    def close(self) -> None:
        self._draw(final=True)
        if self.enabled and self._tty:
            self._write("\n")
