"""Small vector helpers shared by the measurements (pure numpy)."""

from __future__ import annotations

import numpy as np


def angle_at(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """The angle ABC in degrees (180 = A, B and C in a straight line)."""
    return angle_between(a - b, c - b)


def angle_between(u: np.ndarray, v: np.ndarray) -> float:
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu == 0.0 or nv == 0.0:
        return float("nan")
    return float(np.degrees(np.arccos(np.clip(np.dot(u, v) / (nu * nv), -1.0, 1.0))))


def signed_angle_2d(u: np.ndarray, v: np.ndarray) -> float:
    """Angle from u to v in degrees, in (-180, 180], positive counter-clockwise on screen
    (image y points down, so a positive angle turns from +x toward -y)."""
    cross = u[0] * (-v[1]) - (-u[1]) * v[0]
    dot = u[0] * v[0] + u[1] * v[1]
    return float(np.degrees(np.arctan2(cross, dot)))


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


def point_line_offset(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Where p lies relative to the segment a->b: (t along it, 0 at a and 1 at b;
    perpendicular distance from the line)."""
    ab = b - a
    length_sq = float(np.dot(ab, ab))
    if length_sq == 0.0:
        return float("nan"), float("nan")
    t = float(np.dot(p - a, ab) / length_sq)
    return t, distance(p, a + t * ab)
