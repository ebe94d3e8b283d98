"""One reading of the body from several readings of the same picture (pure numpy).

The readings come from two model families (MediaPipe and MoveNet), each run on the picture and
on its mirror image (mapped back, so every reading names the person's own sides). The models
fail on different pictures, so agreement is evidence and disagreement is a reason to doubt:

1. Scale s: the median over readings of the longer leg's half-length (mean of thigh and shin).
2. Legs are matched as an unordered pair (models swap left and right): each leg of each
   reading is a candidate, supported in every other reading by the nearer of its two legs
   when hip, knee and ankle all lie within `agree` x s. The best supported candidate (ties: the
   closest) makes the first leg; its members leave the pool; the second leg is found the same
   way. A leg is trusted when at least `min_support` readings agree on it (two families, or
   one model on the picture and its mirror); its place is their mean.
3. One leg hiding the other: two trusted legs whose knees and ankles both lie within
   `overlap` x s are one visible leg and a guess at the hidden one (models lay the hidden leg
   along the visible one): the hidden leg's knee and ankle are withheld; its hip, which the
   models do see, is kept when they agree on it.
4. A straight leg shorter than `min_leg_torso` torso lengths is not a believable leg (deep
   folds where the leg lies hidden under the torso): every leg is withheld.
5. Sides: a leg takes the side that at least `side_majority` of its members give it; the sides
   stand only when the legs have different ones, and when MediaPipe's 3-D hips do not
   contradict the way the person faces. Otherwise they are unknown.
6. Other joints (shoulders, head, arms, feet): each reading's labels are first corrected by
   the legs (a reading that swapped the legs swapped the whole body); a joint is trusted when
   `min_support` readings agree on it within `agree` x s.
7. 3-D: the MediaPipe reading that agrees best with the fused joints lends its world points,
   for the joints where it agrees; elsewhere the 3-D is unknown (NaN).

Tuned on the 18 labelled photos (agree 0.2-0.35, overlap >= 0.25 and min_leg_torso 0.45-0.7
all give no trusted leg in the wrong place); `benchmarks/evaluate_images.py` measures it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from alignment.core.skeleton import Skeleton
from alignment.core.topology import MIRROR, NUM_JOINTS, SIDES, Joint, leg_joints, other_side

HIDDEN = "one leg hides the other"
NO_BELIEVABLE_LEG = "no leg is seen at a believable length"
# Where the models disagree, in words for the user, by the body part a joint belongs to.
_PART_OF = {
    "legs": ("hip", "knee", "ankle"),
    "hips and shoulders": ("shoulder",),
    "head": ("nose", "eye", "ear"),
    "arms": ("elbow", "wrist"),
    "feet": ("heel", "foot_index"),
}


def disagreement(joint: int) -> str:
    name = Joint(joint).name.lower()
    part = next(p for p, ends in _PART_OF.items() if name.endswith(ends))
    return (
        f"the models disagree about where the {part} are"
        if part != "head"
        else ("the models disagree about where the head is")
    )


@dataclass(frozen=True)
class FusionConfig:
    agree: float = 0.3  # joints agree within this x the scale s
    min_support: int = 2  # readings that must agree on a joint
    overlap: float = 0.25  # knee and ankle gaps below this x s: one leg hides the other
    min_leg_torso: float = 0.55  # a half-leg shorter than this x the torso: no believable leg
    side_majority: float = 0.75  # share of a leg's readings that must give it the same side
    facing_min: float = 0.3  # ankles this far (x s) ahead of the hips: the facing is clear


@dataclass(frozen=True)
class View:
    """One model's reading of the picture (already mapped back if it ran on the mirror)."""

    name: str  # e.g. "pose_landmarker_heavy~mirror"
    family: str  # "mediapipe", "movenet" or "blazepose_crop"
    skeleton: Skeleton | None  # None: the model found nobody


LEG = 3  # hip, knee, ankle


def _leg(skeleton: Skeleton, side: str) -> np.ndarray:
    return skeleton.image[list(leg_joints(side)[:LEG])]


def _half_leg(points: np.ndarray) -> float:
    return float(
        (np.linalg.norm(points[0] - points[1]) + np.linalg.norm(points[1] - points[2])) / 2
    )


def _leg_distance(a: np.ndarray, b: np.ndarray) -> float:
    d = np.linalg.norm(a - b, axis=1)
    return float(np.max(d)) if np.all(np.isfinite(d)) else np.inf


def _swapped(skeleton: Skeleton) -> Skeleton:
    """The same reading with its left and right labels exchanged (points stay in place)."""
    order = list(MIRROR)
    world = None if skeleton.world is None else skeleton.world[order]
    return replace(
        skeleton,
        image=skeleton.image[order],
        visibility=skeleton.visibility[order],
        world=world,
        doubts={},
    )


@dataclass
class _Leg:
    points: np.ndarray  # (3, 2) the mean of its members
    members: list[tuple[int, str]]  # (view index, the side that view gave it)


def _match_legs(pool: list[dict[str, np.ndarray]], limit: float) -> list[_Leg]:
    """Step 2: greedy unordered matching of legs across readings (consumes `pool`)."""
    legs: list[_Leg] = []
    for _ in range(2):
        best: tuple[tuple[int, float], list[tuple[int, str]]] | None = None
        for i, candidates in enumerate(pool):
            for side, candidate in candidates.items():
                members, gaps = [(i, side)], []
                for j, other in enumerate(pool):
                    if j == i or not other:
                        continue
                    gap, their_side = min(
                        (_leg_distance(candidate, o), s) for s, o in other.items()
                    )
                    if gap <= limit:
                        members.append((j, their_side))
                        gaps.append(gap)
                key = (len(members), -float(np.mean(gaps)) if gaps else 0.0)
                if best is None or key > best[0]:
                    best = (key, members)
        if best is None:
            break
        members = best[1]
        legs.append(_Leg(np.mean([pool[i][s] for i, s in members], axis=0), members))
        for i, s in members:
            del pool[i][s]
    return legs


def _consensus(points: list[np.ndarray], limit: float, need: int) -> tuple[np.ndarray, int]:
    """The mean of the largest group of points lying within `limit` of one of them, and the
    group's size; NaN when fewer than `need` agree."""
    points = [p for p in points if np.all(np.isfinite(p))]
    best: list[np.ndarray] = []
    for p in points:
        group = [q for q in points if np.linalg.norm(q - p) <= limit]
        if len(group) > len(best):
            best = group
    if len(best) < need:
        return np.full(2, np.nan), len(best)
    return np.mean(best, axis=0), len(best)


def _agreement_visibility(support: int) -> float:
    """How sure a joint is, from how many readings agree on it: 2 -> 0.75, 3 -> 0.9, 4 -> 1."""
    return {0: 0.0, 1: 0.0, 2: 0.75, 3: 0.9}.get(support, 1.0)


def _facing(legs: list[_Leg], scale: float, cfg: FusionConfig) -> str | None:
    """ "image_left"/"image_right": where the ankles point from the hips; None if unclear."""
    if not legs:
        return None
    dx = float(np.mean([leg.points[2, 0] - leg.points[0, 0] for leg in legs]))
    if abs(dx) < cfg.facing_min * scale:
        return None
    return "image_left" if dx < 0 else "image_right"


def fuse(views: list[View], cfg: FusionConfig | None = None) -> Skeleton | None:
    """One skeleton from several readings of one picture; None when no model found anyone."""
    cfg = cfg or FusionConfig()
    seen = [v for v in views if v.skeleton is not None]
    if not seen:
        return None
    skeletons = [v.skeleton for v in seen]
    assert all(s is not None for s in skeletons)
    width, height = skeletons[0].width, skeletons[0].height
    scale = float(
        np.nanmedian(
            [max(_half_leg(_leg(s, "left")), _half_leg(_leg(s, "right"))) for s in skeletons]
        )
    )
    limit = cfg.agree * scale
    notes: list[str] = []
    legs, hidden, implausible = _trusted_legs(skeletons, scale, cfg, notes)
    sides, known, facing = _leg_sides(seen, legs, scale, cfg, notes)
    # Each reading's labels corrected by the legs: a reading that gave a leg the other side
    # swapped the whole body.
    flips = {}
    for leg, side in zip(legs, sides, strict=True):
        for i, given in leg.members:
            flips.setdefault(i, given != side)
    corrected = [_swapped(s) if flips.get(i) else s for i, s in enumerate(skeletons)]
    voters = sorted({i for leg in legs for i, _ in leg.members}) or list(range(len(corrected)))
    image, visibility, doubts = _joints(
        [corrected[i] for i in voters], legs, sides, hidden, implausible, limit, cfg
    )
    # Step 7: 3-D from the MediaPipe reading that agrees best.
    world = _world(seen, corrected, image, limit)
    agreement = {
        "readings": [v.name for v in views],
        "found_by": [v.name for v in seen],
        "legs_trusted": len(legs),
        "one_leg_hides_the_other": hidden is not None,
        "sides": "agreed" if known else "unknown",
        "facing": facing,
        "notes": notes,
    }
    return Skeleton(
        image,
        visibility,
        width,
        height,
        world,
        "+".join(dict.fromkeys(v.name.split("~")[0] for v in views)),
        doubts,
        sides="agreed" if known else "unknown",
        agreement=agreement,
        # The silhouettes of the readings that saw the legs where they are.
        outlines=tuple(p for i in voters for p in corrected[i].outlines),
    )


def _trusted_legs(
    skeletons: list[Skeleton], scale: float, cfg: FusionConfig, notes: list[str]
) -> tuple[list[_Leg], _Leg | None, bool]:
    """Steps 2-4: the legs enough readings agree on, the one a visible leg hides (if any),
    and whether no leg is believable (then none is kept)."""
    pool = [{side: _leg(s, side) for side in SIDES} for s in skeletons]
    legs = [
        leg for leg in _match_legs(pool, cfg.agree * scale) if len(leg.members) >= cfg.min_support
    ]
    if len(legs) < 2:
        notes.append("the models disagree about where the legs are")
    hidden: _Leg | None = None
    if len(legs) == 2:
        gaps = np.linalg.norm(legs[0].points - legs[1].points, axis=1) / scale
        if max(gaps[1], gaps[2]) < cfg.overlap:
            hidden = legs.pop(1 if len(legs[0].members) >= len(legs[1].members) else 0)
            notes.append(HIDDEN)
    torso = _torso_length(skeletons)
    implausible = bool(legs) and not (
        torso > 0 and max(_half_leg(leg.points) for leg in legs) >= cfg.min_leg_torso * torso
    )
    if implausible:
        notes.append(NO_BELIEVABLE_LEG)
        legs, hidden = [], None
    return legs, hidden, implausible


def _leg_sides(
    seen: list[View], legs: list[_Leg], scale: float, cfg: FusionConfig, notes: list[str]
) -> tuple[list[str], bool, str | None]:
    """Step 5: each leg's side (a labelling when not known), whether the sides are known, and
    the way the person faces."""
    sides: list[str | None] = []
    for leg in legs:
        votes = [s for _, s in leg.members]
        top = max(SIDES, key=votes.count)
        sides.append(top if votes.count(top) >= cfg.side_majority * len(votes) else None)
    if len(legs) == 2 and sides[0] == sides[1]:
        sides = [None, None]
    facing = _facing(legs, scale, cfg)
    known = bool(legs) and None not in sides
    if known and _hips_contradict(seen, legs, sides, facing):
        known = False
        notes.append("the sides are unclear: the 3-D hips contradict the way the person faces")
    if not known:
        sides = ["left", "right"][: len(legs)]  # a labelling; flagged as unknown by the caller
    return sides, known, facing  # type: ignore[return-value]


def _joints(
    voters: list[Skeleton],
    legs: list[_Leg],
    sides: list[str],
    hidden: _Leg | None,
    implausible: bool,
    limit: float,
    cfg: FusionConfig,
) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Step 6: the fused legs, and every other joint (and the hidden leg's hip) by agreement
    among the readings that saw the legs where they are (a reading that turned the body
    around, putting the shoulders where the hips are, may still agree with itself on its
    mirror image); the joints left unknown, with why."""
    image = np.full((NUM_JOINTS, 2), np.nan)
    support = np.zeros(NUM_JOINTS, int)
    leg_rows: dict[str, list[int]] = {side: list(leg_joints(side)[:LEG]) for side in SIDES}
    for leg, side in zip(legs, sides, strict=True):
        image[leg_rows[side]] = leg.points
        support[leg_rows[side]] = len(leg.members)
    fused_rows = {r for side in sides for r in leg_rows[side]}
    leg_joint = {r for rows in leg_rows.values() for r in rows}
    for joint in range(NUM_JOINTS):
        if joint in fused_rows:
            continue
        point, n = _consensus([s.image[joint] for s in voters], limit, cfg.min_support)
        if joint in leg_joint and not (
            hidden is not None and joint in (Joint.LEFT_HIP, Joint.RIGHT_HIP)
        ):
            point, n = np.full(2, np.nan), 0
        image[joint], support[joint] = point, n
    doubts: dict[int, str] = {}
    for joint in range(NUM_JOINTS):
        if not np.all(np.isfinite(image[joint])):
            if joint in leg_joint and hidden is not None:
                doubts[joint] = HIDDEN
            elif joint in leg_joint and implausible:
                doubts[joint] = NO_BELIEVABLE_LEG
            else:
                doubts[joint] = disagreement(joint)
    visibility = np.array([_agreement_visibility(n) for n in support])
    visibility[list(doubts)] = 0.0
    return image, visibility, doubts


def _torso_length(skeletons: list[Skeleton]) -> float:
    lengths = []
    for s in skeletons:
        shoulders = (s.image[Joint.LEFT_SHOULDER] + s.image[Joint.RIGHT_SHOULDER]) / 2
        hips = (s.image[Joint.LEFT_HIP] + s.image[Joint.RIGHT_HIP]) / 2
        lengths.append(float(np.linalg.norm(shoulders - hips)))
    return float(np.nanmedian(lengths)) if lengths else float("nan")


def _hips_contradict(
    views: list[View], legs: list[_Leg], sides: list[str | None], facing: str | None
) -> bool:
    """Seen from the side, a person facing image-left shows the left side (nearer the camera).
    True when most of the MediaPipe readings behind the legs put the other hip nearer."""
    if facing is None:
        return False
    expected = "left" if facing == "image_left" else "right"
    votes = []
    members = {
        i: given != side for leg, side in zip(legs, sides, strict=True) for i, given in leg.members
    }
    for i, flipped in members.items():
        skeleton = views[i].skeleton
        if skeleton is None or skeleton.world is None:  # BlazePose's 3-D, either crop
            continue
        z_left, z_right = skeleton.world[Joint.LEFT_HIP, 2], skeleton.world[Joint.RIGHT_HIP, 2]
        nearer = "left" if z_left < z_right else "right"
        votes.append((other_side(nearer) if flipped else nearer) == expected)
    return bool(votes) and sum(votes) < len(votes) / 2


def _world(
    views: list[View], corrected: list[Skeleton], image: np.ndarray, limit: float
) -> np.ndarray | None:
    """3-D points: per joint, the mean of the MediaPipe readings whose picture point agrees
    with the fused one (the picture and its mirror give two such readings, so the 3-D is the
    same for a person and their mirror image); NaN where none agrees; None without any."""
    worlds, agreeing = [], []
    for skeleton in corrected:
        if skeleton.world is None:  # MoveNet has no 3-D
            continue
        agree = np.linalg.norm(skeleton.image - image, axis=1) <= limit  # NaN compares False
        worlds.append(np.where(agree[:, None], skeleton.world, np.nan))
        agreeing.append(agree)
    if not worlds or not np.any(agreeing):
        return None
    if len(worlds) == 1:
        return worlds[0]
    stacked = np.stack(worlds)
    known = np.isfinite(stacked)
    counts = known.sum(axis=0)
    total = np.where(known, stacked, 0.0).sum(axis=0)
    return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)
