"""MediaPipe Pose Landmarker (Tasks API) backend: RGB frame in, `Skeleton` (or None) out.

The 33 BlazePose landmarks are mapped onto the project's joints (`core.topology`), with their
3-D world landmarks."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from alignment.core.skeleton import Skeleton
from alignment.core.topology import BLAZEPOSE_33, JOINT_NAMES
from alignment.io.models import ModelNotFoundError
from alignment.settings import NATIVE_LOGS_ENV

QUIET_CALLS = 5  # the graph's start-up notices come during its first few frames
# Row i of a Skeleton is BlazePose landmark _ROWS[i].
_ROWS = [BLAZEPOSE_33[name] for name in JOINT_NAMES]


class MediaPipeEstimator:
    """One Pose Landmarker. `mode` is "image" (independent photos) or "video" (a stream with
    increasing timestamps, which lets the model track between frames).

    Use it as a context manager (or call close()) so the graph is released before exit.
    Up to two people are detected; the largest one is the person we coach.
    """

    def __init__(
        self,
        model_path: str | os.PathLike,
        mode: str = "image",
        num_poses: int = 2,
        min_detection_confidence: float = 0.5,
    ) -> None:
        from mediapipe.tasks.python import BaseOptions, vision

        if mode not in ("image", "video"):
            raise ValueError(f"mode must be 'image' or 'video', not {mode!r}")
        self.mode = mode
        self.name = Path(model_path).stem
        self.models = [Path(model_path).name]
        running_mode = vision.RunningMode.IMAGE if mode == "image" else vision.RunningMode.VIDEO
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(Path(model_path))),
            running_mode=running_mode,
            num_poses=num_poses,
            min_pose_detection_confidence=min_detection_confidence,
            output_segmentation_masks=False,
        )
        self._landmarker = None
        try:
            with _native_stderr_quiet():
                self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except Exception as exc:  # whatever the bundle lacks, it is not a usable model
            raise ModelNotFoundError(
                f"{model_path}: MediaPipe cannot load it as a pose landmarker model ({exc})"
            ) from exc
        self._calls = 0
        self._last_ts_ms = -1
        self.people_in_last_frame = 0

    def __enter__(self) -> MediaPipeEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def detect(self, rgb: np.ndarray, time_s: float | None = None) -> Skeleton | None:
        """Landmarks of the main person in an RGB uint8 frame, or None when nobody is found."""
        import mediapipe as mp

        if self._landmarker is None:
            raise RuntimeError("the pose estimator is closed")
        frame = np.ascontiguousarray(rgb, dtype=np.uint8)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=frame)
        # The graph logs a few notices from C++ on its first frames; keep them off the console.
        quiet = _native_stderr_quiet() if self._calls < QUIET_CALLS else contextlib.nullcontext()
        self._calls += 1
        with quiet:
            if self.mode == "video":
                if time_s is None:
                    raise ValueError("video mode needs the frame's time")
                # The graph needs strictly increasing integer timestamps.
                ts_ms = max(int(round(time_s * 1000)), self._last_ts_ms + 1)
                self._last_ts_ms = ts_ms
                result = self._landmarker.detect_for_video(image, ts_ms)
            else:
                result = self._landmarker.detect(image)
        self.people_in_last_frame = len(result.pose_landmarks)
        if not result.pose_landmarks:
            return None
        height, width = frame.shape[:2]
        people = [
            _to_skeleton(
                result.pose_landmarks[i], result.pose_world_landmarks[i], width, height, self.name
            )
            for i in range(len(result.pose_landmarks))
        ]
        return max(people, key=_bbox_area)


@contextlib.contextmanager
def _native_stderr_quiet() -> Iterator[None]:
    """Send what C++ code writes to stderr into a temporary file; replay it if anything fails
    (so real errors are never hidden). Set ALIGNMENT_NATIVE_LOGS=1 to see everything."""
    if os.environ.get(NATIVE_LOGS_ENV) == "1":
        yield
        return
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (e.g. under a test runner)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        failed = True
        try:
            yield
            failed = False
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            if failed:
                sink.seek(0)
                sys.stderr.write(sink.read().decode(errors="replace"))


def _to_skeleton(image_lms, world_lms, width: int, height: int, source: str) -> Skeleton:
    image = np.array([[lm.x * width, lm.y * height] for lm in image_lms], dtype=float)[_ROWS]
    world = np.array([[lm.x, lm.y, lm.z] for lm in world_lms], dtype=float)[_ROWS]
    visibility = np.array([lm.visibility or 0.0 for lm in image_lms], dtype=float)[_ROWS]
    return Skeleton(image, visibility, width, height, world=world, source=source)


def _bbox_area(skeleton: Skeleton) -> float:
    span = skeleton.image.max(axis=0) - skeleton.image.min(axis=0)
    return float(span[0] * span[1])
