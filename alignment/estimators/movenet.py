"""MoveNet SinglePose backend (ONNX Runtime): RGB frame in, `Skeleton` (17 COCO joints, no 3-D)
out.

MoveNet was built for two passes: one on the whole picture, letterboxed (padded, not
stretched) to the model's square, then one on a square crop around the person the first pass
found. On photos of this pose the second pass places the legs right far more often. In video
mode the crop follows the person: each frame gets one pass on the crop around the previous
frame's person, and the whole picture is read again only when the person is lost.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alignment.core.skeleton import Skeleton
from alignment.core.topology import COCO_17, JOINT_NAMES, NUM_JOINTS
from alignment.io.models import ModelNotFoundError

# Row i of a Skeleton is COCO keypoint _COCO[i] (None: MoveNet has no such joint).
_COCO = [COCO_17.get(name) for name in JOINT_NAMES]
_ROWS = [i for i, k in enumerate(_COCO) if k is not None]
_KEYS = [k for k in _COCO if k is not None]


@dataclass(frozen=True)
class Box:
    """A square of the picture, in pixels; it may reach past the picture (padded black)."""

    x0: float
    y0: float
    side: float


def whole_picture(width: int, height: int) -> Box:
    """The letterbox: the smallest square holding the picture, the picture centred in it."""
    side = float(max(width, height))
    return Box((width - side) / 2, (height - side) / 2, side)


def square_input(rgb: np.ndarray, box: Box, size: int) -> np.ndarray:
    """The box's content resized to size x size, black where the box leaves the picture (only
    the part inside the picture is resized: cheaper than padding a large photo first)."""
    import cv2

    height, width = rgb.shape[:2]
    scale = size / box.side
    canvas = np.zeros((size, size, 3), np.uint8)
    ix0, iy0 = max(0, int(np.ceil(box.x0))), max(0, int(np.ceil(box.y0)))
    ix1 = min(width, int(np.floor(box.x0 + box.side)))
    iy1 = min(height, int(np.floor(box.y0 + box.side)))
    if ix1 <= ix0 or iy1 <= iy0:
        return canvas
    dx0, dy0 = round((ix0 - box.x0) * scale), round((iy0 - box.y0) * scale)
    dx1 = min(size, round((ix1 - box.x0) * scale))
    dy1 = min(size, round((iy1 - box.y0) * scale))
    if dx1 <= dx0 or dy1 <= dy0:
        return canvas
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    canvas[dy0:dy1, dx0:dx1] = cv2.resize(
        rgb[iy0:iy1, ix0:ix1], (dx1 - dx0, dy1 - dy0), interpolation=interp
    )
    return canvas


@dataclass(frozen=True)
class CropRule:
    """The second pass's square: the bounding box of the keypoints scoring >= min_score, made
    square around its centre and grown by `margin` x its side on each side. Fewer than
    `min_points` such keypoints: no crop. (Measured on the shared photos, margins 0.1-0.5 with
    min_score 0.1-0.3 are a plateau; no margin at all is clearly worse.)"""

    margin: float = 0.25
    min_score: float = 0.2
    min_points: int = 4

    def box(self, points: np.ndarray, scores: np.ndarray, width: int, height: int) -> Box | None:
        ok = scores >= self.min_score
        if ok.sum() < self.min_points:
            return None
        lo, hi = points[ok].min(0), points[ok].max(0)
        centre = (lo + hi) / 2
        side = float(max(hi - lo)) * (1 + 2 * self.margin)
        side = min(max(side, 0.1 * max(width, height)), float(max(width, height)))
        return Box(centre[0] - side / 2, centre[1] - side / 2, side)


class MoveNetEstimator:
    """One MoveNet SinglePose model. `passes`: 1 (whole picture) or 2 (then a crop around the
    person). `mode`: "image" (independent photos) or "video" (the crop follows the person)."""

    def __init__(
        self,
        model_path: str | os.PathLike,
        passes: int = 2,
        mode: str = "image",
        crop: CropRule | None = None,
        threads: int = 2,
    ) -> None:
        import onnxruntime as ort

        if mode not in ("image", "video"):
            raise ValueError(f"mode must be 'image' or 'video', not {mode!r}")
        if passes not in (1, 2):
            raise ValueError(f"passes must be 1 or 2, not {passes!r}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        try:
            self._session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # whatever the file lacks, it is not a usable model
            raise ModelNotFoundError(
                f"{model_path}: ONNX Runtime cannot load it as a MoveNet model ({exc})"
            ) from exc
        model_input = self._session.get_inputs()[0]
        shape = model_input.shape
        if len(shape) != 4 or shape[1] != shape[2] or shape[3] != 3:
            raise ModelNotFoundError(
                f"{model_path}: not a MoveNet SinglePose model (input shape {shape}, expected "
                "[1, size, size, 3])"
            )
        # Exports differ in the input's name and type (int32 in the TF.js conversions).
        self._input = model_input.name
        self._dtype = np.float32 if "float" in model_input.type else np.int32
        self._output = self._session.get_outputs()[0].name
        self.size = int(shape[1])
        self.passes, self.mode = passes, mode
        self.crop = crop or CropRule()
        self.name = Path(model_path).stem
        self.models = [Path(model_path).name]
        self.people_in_last_frame = 0
        self.last_ms = 0.0
        self._follow: Box | None = None  # video mode: where the person was last seen

    def __enter__(self) -> MoveNetEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._session = None

    def infer(self, rgb: np.ndarray, box: Box) -> tuple[np.ndarray, np.ndarray]:
        """One pass on `box`: (17, 2) points in `rgb`'s pixels and (17,) scores."""
        if self._session is None:
            raise RuntimeError("the pose estimator is closed")
        x = square_input(rgb, box, self.size)[None].astype(self._dtype)
        out = self._session.run([self._output], {self._input: x})[0].reshape(-1, 3)
        points = np.stack([box.x0 + out[:, 1] * box.side, box.y0 + out[:, 0] * box.side], 1)
        return points.astype(float), out[:, 2].astype(float)

    def detect(self, rgb: np.ndarray, time_s: float | None = None) -> Skeleton | None:
        started = time.perf_counter()
        height, width = rgb.shape[:2]
        points = scores = None
        if self.mode == "video" and self._follow is not None:
            points, scores = self.infer(rgb, self._follow)
            if self.crop.box(points, scores, width, height) is None:
                points = None  # lost: read the whole picture again
        if points is None:
            points, scores = self.infer(rgb, whole_picture(width, height))
            box = self.crop.box(points, scores, width, height) if self.passes == 2 else None
            if box is not None:
                points, scores = self.infer(rgb, box)
        assert scores is not None
        found = self.crop.box(points, scores, width, height)
        self._follow = found if self.mode == "video" else None
        self.people_in_last_frame = int(found is not None)
        self.last_ms = (time.perf_counter() - started) * 1000
        if found is None:
            return None
        image = np.full((NUM_JOINTS, 2), np.nan)
        visibility = np.zeros(NUM_JOINTS)
        image[_ROWS] = points[_KEYS]
        visibility[_ROWS] = scores[_KEYS]
        return Skeleton(image, visibility, width, height, world=None, source=self.name)
