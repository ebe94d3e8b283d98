"""The body's silhouette: the back read from its edge (pure numpy).

Three keypoints (hips, shoulders, ears) cannot see a curve: a back that curls evenly from the
pelvis to the neck keeps them nearly in line. The silhouette can. In a side or oblique view the
back is the outline's edge between the hips and the shoulders, on the side away from the legs.
It is found by casting rays from the hip-to-shoulder line (the torso's chord, inside the body)
outward, away from the legs, to where they leave the silhouette. A long back leaves a straight
(or slightly hollow) edge; a rounded one bulges. The bulge is read as the back's *curve*: the
angle the edge turns through between the hips and the shoulders, taking the edge as an arc of
a circle through its two ends and its highest point (0 = flat; a quarter circle = 90).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RAYS = 24  # rays cast along the chord
CHORD_SPAN = (0.1, 1.1)  # where along the chord (hips = 0, shoulders = 1) the back is read
MAX_DEPTH = 0.9  # a ray that travels farther than this x the chord left the back (arms, hair)
MIN_HITS = 0.8  # share of rays that must find the back's edge


@dataclass(frozen=True)
class BackEdge:
    """The back's edge as read from one silhouette."""

    points: np.ndarray  # (K, 2) the edge, from the hips toward the shoulders
    curve: float  # degrees the edge turns through (see the module's docstring)
    bulge: float  # the edge's highest point over the line joining its ends, / that line
    hits: float  # share of the rays that found the edge


def inside(polygon: np.ndarray, point: np.ndarray) -> bool:
    """Whether a point lies inside a closed polygon (even-odd rule)."""
    x, y = point
    a, b = polygon, np.roll(polygon, -1, axis=0)
    crosses = (a[:, 1] > y) != (b[:, 1] > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        at_x = a[:, 0] + (y - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
    return bool(np.count_nonzero(crosses & (x < at_x)) % 2)


def exit_distance(polygon: np.ndarray, start: np.ndarray, direction: np.ndarray) -> float:
    """How far a ray from `start` (inside the polygon) along the unit `direction` travels
    before it first crosses the polygon's edge; inf if it never does."""
    a, b = polygon, np.roll(polygon, -1, axis=0)
    edge = b - a
    denom = direction[0] * edge[:, 1] - direction[1] * edge[:, 0]
    rel = a - start
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (rel[:, 0] * edge[:, 1] - rel[:, 1] * edge[:, 0]) / denom  # along the ray
        s = (rel[:, 0] * direction[1] - rel[:, 1] * direction[0]) / denom  # along the edge
    ok = np.isfinite(t) & (t > 1e-9) & (s >= 0) & (s <= 1)
    return float(np.min(t[ok])) if ok.any() else float("inf")


def arc_degrees(bulge: float) -> float:
    """The angle an arc of a circle turns through, from its sagitta over its chord."""
    if bulge <= 0:
        return 0.0
    # A circular arc whose chord is 1 and whose sagitta is h: its half-angle a satisfies
    # tan(a / 2) = 2 h.
    return float(np.degrees(4.0 * np.arctan(2.0 * bulge)))


def back_edge(
    polygon: np.ndarray, hips: np.ndarray, shoulders: np.ndarray, front: np.ndarray
) -> BackEdge | None:
    """The back's edge on one silhouette. `front`: a point on the body's front side of the
    torso (the legs). None when the torso's chord is not inside the silhouette or too few rays
    find the back."""
    chord = shoulders - hips
    length = float(np.linalg.norm(chord))
    if not (length > 0 and np.all(np.isfinite(chord)) and np.all(np.isfinite(front))):
        return None
    along = chord / length
    normal = np.array([-along[1], along[0]])
    if float(np.dot(front - hips, normal)) > 0:
        normal = -normal  # the back is away from the legs
    edge = []
    for t in np.linspace(*CHORD_SPAN, RAYS):
        start = hips + t * chord
        if not inside(polygon, start):
            continue
        depth = exit_distance(polygon, start, normal)
        if depth <= MAX_DEPTH * length:
            edge.append(start + depth * normal)
    hits = len(edge) / RAYS
    if hits < MIN_HITS:
        return None
    points = np.array(edge)
    ends = points[-1] - points[0]
    span = float(np.linalg.norm(ends))
    if span <= 0:
        return None
    across = np.array([-ends[1], ends[0]]) / span
    if float(np.dot(across, normal)) < 0:
        across = -across
    bulge = float(np.max((points - points[0]) @ across)) / span
    return BackEdge(points, arc_degrees(bulge), bulge, hits)
