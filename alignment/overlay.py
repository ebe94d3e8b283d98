"""Drawing a verdict on a frame: skeleton, key angles, the current cue (OpenCV, RGB in/out)."""

from __future__ import annotations

import cv2
import numpy as np

from alignment.analysis import Verdict
from alignment.skeleton import BONES, Joint, Skeleton, leg_joints

GREEN = (60, 200, 90)
AMBER = (245, 170, 30)
RED = (230, 60, 50)
GREY = (170, 170, 170)
WHITE = (255, 255, 255)
STATUS_COLOURS = {"good": GREEN, "faults": RED, "not_in_pose": AMBER, "uncertain": GREY,
                  "no_person": GREY}


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float,
          colour: tuple[int, int, int]) -> None:
    thickness = max(1, int(round(scale * 2)))
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 2,
                cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thickness, cv2.LINE_AA)


def _wrap(text: str, width_chars: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width_chars:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def draw_skeleton(img: np.ndarray, skeleton: Skeleton, colour: tuple[int, int, int],
                  min_visibility: float = 0.2) -> None:
    scale = max(img.shape[:2]) / 640
    pts = skeleton.image.round().astype(int)
    for a, b in BONES:
        if min(skeleton.visibility[a], skeleton.visibility[b]) >= min_visibility:
            cv2.line(img, tuple(pts[a]), tuple(pts[b]), colour, max(2, int(3 * scale)),
                     cv2.LINE_AA)
    for i, (x, y) in enumerate(pts):
        if skeleton.visibility[i] >= min_visibility and i not in range(1, 11):
            cv2.circle(img, (int(x), int(y)), max(3, int(4 * scale)), WHITE, -1, cv2.LINE_AA)


def draw_verdict(rgb: np.ndarray, skeleton: Skeleton | None, verdict: Verdict,
                 extra_lines: list[str] | None = None, message: str | None = None,
                 show_score: bool = True) -> np.ndarray:
    """A copy of the frame with the skeleton, the key angles and the message (by default the
    verdict's own) drawn on it."""
    img = np.ascontiguousarray(rgb).copy()
    height, width = img.shape[:2]
    scale = max(0.45, min(width, height) / 900)
    colour = STATUS_COLOURS[verdict.status]
    if skeleton is not None:
        draw_skeleton(img, skeleton, colour)
        metrics = verdict.metrics
        if verdict.reading and verdict.reading.extended_leg:
            _, knee, _, _ = leg_joints(verdict.reading.extended_leg)
            angle = metrics.get("extended_knee_angle")
            if angle is not None:
                x, y = skeleton.image[knee].astype(int)
                _text(img, f"knee {angle:.0f}", (x + 8, y - 8), scale * 0.8, WHITE)
        hip_flexion = metrics.get("hip_flexion")
        if hip_flexion is not None:
            hips = (skeleton.image[Joint.LEFT_HIP] + skeleton.image[Joint.RIGHT_HIP]) / 2
            _text(img, f"hip {hip_flexion:.0f}", (int(hips[0]) + 8, int(hips[1]) + 20),
                  scale * 0.8, WHITE)
    lines = _wrap(message or verdict.message, max(20, int(width / (scale * 22))))
    for extra in extra_lines or []:
        lines.extend(_wrap(extra, max(20, int(width / (scale * 22)))))
    if show_score and verdict.score is not None:
        lines.insert(0, f"score {verdict.score}")
    line_h = int(34 * scale)
    band = min(height, line_h * len(lines) + int(12 * scale))
    img[:band] = (img[:band] * 0.45).astype(img.dtype)
    for i, line in enumerate(lines):
        _text(img, line, (int(10 * scale), int((i + 1) * line_h)), scale,
              colour if i == 0 else WHITE)
    return img
