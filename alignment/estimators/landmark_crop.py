"""BlazePose's landmark network on a crop found by MoveNet, not by a face detector.

MediaPipe's Pose Landmarker finds the person with a detector that leans on the face; in a deep
fold the head is down on the knee and it misses the person or frames them badly. The landmark
network inside the same `.task` bundle (`pose_landmarks_detector.tflite`) is run here through
LiteRT on a crop built from MoveNet's keypoints instead:

- centred on the hip midpoint;
- rotated so that hips-to-shoulders points up (the network's upright person);
- its side 2 x `margin` x the distance from the hips to the farthest confident keypoint.

Its 33 landmarks, their 3-D world landmarks and its person mask are mapped back through the
same transform. The mask's outline (the body's silhouette) lets the back be measured from its
edge (`core.measurements`), which three keypoints cannot do.
"""

from __future__ import annotations

import os
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alignment.core.skeleton import Skeleton
from alignment.core.topology import BLAZEPOSE_33, JOINT_NAMES, Joint
from alignment.io.models import ModelNotFoundError

INPUT = 256  # the landmark network's square input
LANDMARKS = 39  # 33 body landmarks and 6 auxiliary ones
NETWORK = "pose_landmarks_detector.tflite"
MIN_PRESENCE = 0.5  # the network's own "a person is in this crop" score
MIN_GUIDE_SCORE = 0.2  # MoveNet keypoints this sure frame the crop
MASK_THRESHOLD = 0.5
# Row i of a Skeleton is BlazePose landmark _ROWS[i].
_ROWS = [BLAZEPOSE_33[name] for name in JOINT_NAMES]
_HIPS = (Joint.LEFT_HIP, Joint.RIGHT_HIP)
_SHOULDERS = (Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER)


@dataclass(frozen=True)
class Crop:
    """A rotated square of the picture: `matrix` maps the crop's pixels (u, v) to the
    picture's (x, y); `rotation` turns the crop's axes into the picture's."""

    matrix: np.ndarray  # (2, 3)
    rotation: np.ndarray  # (2, 2)

    def to_picture(self, uv: np.ndarray) -> np.ndarray:
        return uv @ self.matrix[:, :2].T + self.matrix[:, 2]


def crop_from_guide(guide: Skeleton, margin: float = 1.25, size: int = INPUT) -> Crop | None:
    """The crop around the person a guide reading (MoveNet) saw, or None when it saw no hips
    and shoulders to frame it by."""
    img, vis = guide.image, guide.visibility
    if min(vis[j] for j in (*_HIPS, *_SHOULDERS)) < MIN_GUIDE_SCORE:
        return None
    hips = (img[_HIPS[0]] + img[_HIPS[1]]) / 2
    shoulders = (img[_SHOULDERS[0]] + img[_SHOULDERS[1]]) / 2
    up = shoulders - hips
    length = float(np.linalg.norm(up))
    sure = (vis >= MIN_GUIDE_SCORE) & np.all(np.isfinite(img), axis=1)
    if not (length > 0 and np.all(np.isfinite(up))) or not sure.any():
        return None
    up /= length
    farthest = float(np.max(np.linalg.norm(img[sure] - hips, axis=1)))
    side = 2.0 * margin * max(farthest, length)
    # The crop's v axis (down) runs from the shoulders to the hips; u is v turned a quarter
    # clockwise on the picture, so the crop is turned, never mirrored.
    down = -up
    right = np.array([-up[1], up[0]])
    rotation = np.stack([right, down], axis=1)
    scale = side / size
    offset = hips - 0.5 * side * (right + down)
    return Crop(np.column_stack([rotation * scale, offset]), rotation)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def read_network(task_path: Path) -> bytes:
    """The landmark network's bytes from inside a Pose Landmarker `.task` bundle (a zip)."""
    try:
        with zipfile.ZipFile(task_path) as bundle:
            return bundle.read(NETWORK)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ModelNotFoundError(
            f"{task_path}: not a Pose Landmarker bundle holding {NETWORK} ({exc})"
        ) from exc


class LandmarkCropEstimator:
    """BlazePose's landmark network on a MoveNet-framed crop. `detect` needs the guide reading
    of the same picture; without one it finds nobody."""

    needs_guide = True

    def __init__(self, task_path: str | os.PathLike, margin: float = 1.25, threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        task_path = Path(task_path)
        try:
            self._interpreter = Interpreter(
                model_content=read_network(task_path), num_threads=threads
            )
            self._interpreter.allocate_tensors()
        except ModelNotFoundError:
            raise
        except Exception as exc:  # whatever LiteRT makes of it, it is not a usable model
            raise ModelNotFoundError(
                f"{task_path}: LiteRT cannot load its landmark network ({exc})"
            ) from exc
        self._input = self._interpreter.get_input_details()[0]["index"]
        outputs = {d["name"]: d for d in self._interpreter.get_output_details()}
        by_size = {int(np.prod(d["shape"])): d["index"] for d in outputs.values()}
        try:
            self._landmarks = by_size[LANDMARKS * 5]
            self._world = by_size[LANDMARKS * 3]
            self._presence = by_size[1]
            self._mask = by_size[INPUT * INPUT]
        except KeyError as exc:
            raise ModelNotFoundError(
                f"{task_path}: its landmark network has unexpected outputs"
            ) from exc
        self.margin = margin
        self.name = task_path.stem.replace("pose_landmarker", "blazepose") + "_crop"
        self.models = [task_path.name]
        self.people_in_last_frame = 0
        self.last_ms = 0.0

    def __enter__(self) -> LandmarkCropEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._interpreter = None

    def detect(
        self, rgb: np.ndarray, time_s: float | None = None, guide: Skeleton | None = None
    ) -> Skeleton | None:
        import cv2

        if self._interpreter is None:
            raise RuntimeError("the pose estimator is closed")
        started = time.perf_counter()
        self.people_in_last_frame = 0
        crop = crop_from_guide(guide, self.margin) if guide is not None else None
        if crop is None:
            return None
        patch = cv2.warpAffine(
            rgb,
            crop.matrix,
            (INPUT, INPUT),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
        )
        self._interpreter.set_tensor(self._input, (patch.astype(np.float32) / 255.0)[None])
        self._interpreter.invoke()
        presence = float(self._interpreter.get_tensor(self._presence).ravel()[0])
        self.last_ms = (time.perf_counter() - started) * 1000
        if presence < MIN_PRESENCE:
            return None
        self.people_in_last_frame = 1
        raw = self._interpreter.get_tensor(self._landmarks).reshape(LANDMARKS, 5)
        world = self._interpreter.get_tensor(self._world).reshape(LANDMARKS, 3).astype(float)
        world[:, :2] = world[:, :2] @ crop.rotation.T
        height, width = rgb.shape[:2]
        mask = _sigmoid(self._interpreter.get_tensor(self._mask).reshape(INPUT, INPUT))
        return Skeleton(
            crop.to_picture(raw[:33, :2].astype(float))[_ROWS],
            _sigmoid(raw[:33, 3].astype(float))[_ROWS],
            width,
            height,
            world=world[:33][_ROWS],
            source=self.name,
            outlines=tuple(p for p in [outline(mask, crop)] if p is not None),
        )


def outline(mask: np.ndarray, crop: Crop) -> np.ndarray | None:
    """The silhouette of the largest blob of the crop's person mask, as a polygon in the
    picture's pixels ((N, 2), in order around the body), or None when the mask is empty."""
    import cv2

    binary = (mask >= MASK_THRESHOLD).astype(np.uint8)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    largest = max(contours, key=cv2.contourArea)
    if cv2.contourArea(largest) < 0.01 * INPUT * INPUT:
        return None
    # Within a pixel of the crop's mask: a few hundred corners instead of every edge pixel.
    largest = cv2.approxPolyDP(largest, 1.0, True)
    points = largest[:, 0, :].astype(float) + 0.5  # pixel centres
    return np.round(crop.to_picture(points), 1)
