"""Photos: decode, see the person, judge, record, draw. No user interface here: the CLI and the
app's Photos page both call `PhotoChecker`.

An unreadable file gives an error record and the batch goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alignment.core.analysis import analyse
from alignment.core.feedback import feedback
from alignment.core.rules import PoseRules
from alignment.estimators.base import PoseEstimator
from alignment.io.images import (
    IMAGE_SUFFIXES,
    ImageError,
    Photo,
    decode_photo,
    is_blank,
    read_photo,
)
from alignment.present.overlay import FrameView, draw_frame, frame_view
from alignment.present.report import PhotoRecord, error_record, photo_record
from alignment.settings import DEFAULT_LEVEL

MANY_PEOPLE = "{n} people in view: the largest is judged"
BLANK = "{name}: the picture is blank (one flat colour: there is nothing in it to analyse)"
__all__ = ["IMAGE_SUFFIXES", "PhotoChecker", "PhotoResult"]


@dataclass
class PhotoResult:
    """One photo: its record (as in `alignment image --json`) and what to draw on it."""

    record: PhotoRecord
    rgb: np.ndarray | None = None
    view: FrameView | None = None

    @property
    def error(self) -> str | None:
        return self.record["error"]

    def annotated(self) -> np.ndarray | None:
        """The photo with the skeleton, the key angles and the message drawn on it."""
        if self.rgb is None or self.view is None:
            return None
        return draw_frame(self.rgb, self.view)


class PhotoChecker:
    """Judges photos against one pose with one (image-mode) estimator."""

    def __init__(
        self, estimator: PoseEstimator, pose: PoseRules, level: str = DEFAULT_LEVEL
    ) -> None:
        self.estimator, self.pose, self.level = estimator, pose, level

    def check_rgb(self, rgb: np.ndarray, name: str, notes: list[str] | None = None) -> PhotoResult:
        skeleton = self.estimator.detect(rgb)
        verdict = analyse(skeleton, self.pose, self.level)
        notes = list(notes or [])
        view = frame_view(verdict, feedback(verdict), skeleton, self.pose)
        if self.estimator.people_in_last_frame > 1:
            crowd = MANY_PEOPLE.format(n=self.estimator.people_in_last_frame)
            notes.append(crowd)
            view.extra_lines.append(crowd)
        height, width = rgb.shape[:2]
        record = photo_record(name, verdict, skeleton, width, height, self.estimator.models, notes)
        return PhotoResult(record, rgb, view)

    def check_photo(self, photo: Photo, name: str) -> PhotoResult:
        """A blank picture is said to be one, not judged ("I can't see anyone")."""
        if is_blank(photo.rgb):
            return PhotoResult(error_record(name, BLANK.format(name=name), photo.notes))
        return self.check_rgb(photo.rgb, name, photo.notes)

    def check_bytes(self, data: bytes, name: str) -> PhotoResult:
        """An uploaded file."""
        try:
            photo = decode_photo(data, name)
        except ImageError as exc:
            return PhotoResult(error_record(name, str(exc)))
        return self.check_photo(photo, name)

    def check_file(self, path: str | Path) -> PhotoResult:
        try:
            photo = read_photo(path)
        except ImageError as exc:
            return PhotoResult(error_record(str(path), str(exc)))
        return self.check_photo(photo, str(path))

    def check_files(
        self,
        paths: Iterable[Path],
        on_done: Callable[[PhotoResult], None] | None = None,
        stop: threading.Event | None = None,
    ) -> list[PhotoRecord]:
        """Every file in turn, until `stop` is set; `on_done` sees each result (to draw it, to
        show progress)."""
        records = []
        for path in paths:
            if stop is not None and stop.is_set():
                break
            result = self.check_file(path)
            records.append(result.record)
            if on_done:
                on_done(result)
        return records
