"""Scoring the checker against the hand labels of the shared photos (pure).

Takes photo records (as written by `alignment image --json`) and the label rows of
`labels.csv` and `leg_points.csv`; returns the figures the README reports. A verdict is
*confidently wrong* when it claims something the labels contradict (a Janu photo called "not
in the pose", another pose called Janu, the wrong side, a wrong spine verdict, a mistake
claimed where the labels say there is none); *uncertain* when it declines to claim.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

LEG_PARTS = ("hip", "knee", "ankle")
# Negatives that are not near-misses: standing poses, lying down, and people not doing yoga.
NOT_NEAR_MISSES = {
    "nonyoga",
    "standing_nonyoga",
    "uttanasana",
    "vrksasana",
    "virabhadrasana_2",
    "ananda_balasana",
}
OTHER = {"left": "right", "right": "left", "image_left": "image_right", "image_right": "image_left"}
# The README's judge of leg points: right within this share of half the straight leg's length
# (the mean of its thigh and shin) of the hand-placed point.
LEG_TOLERANCE = 0.4


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def read_labels(path: str | Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


def mirrored_leg_points(row: Mapping[str, str]) -> dict[str, str]:
    """The hand-placed leg points of a photo's mirror image: x -> 100 - x, and the person in
    the mirror image extends the other leg."""
    out = dict(row)
    out["straight_leg"] = OTHER[row["straight_leg"]]
    for key, value in row.items():
        if key.endswith("_x") and value:
            out[key] = f"{100 - float(value):g}"
    return out


def _truth(row: Mapping[str, str], width: int, height: int) -> dict[str, dict[str, tuple | None]]:
    """Hand-placed points in pixels: {"straight"|"bent": {part: (x, y) or None if hidden}}."""
    legs: dict[str, dict[str, tuple | None]] = {}
    for leg in ("straight", "bent"):
        legs[leg] = {}
        for part in LEG_PARTS:
            x, y = row[f"{leg}_{part}_x"], row[f"{leg}_{part}_y"]
            legs[leg][part] = (float(x) * width / 100, float(y) * height / 100) if x and y else None
    return legs


def legs_right(record: Mapping[str, Any], row: Mapping[str, str]) -> dict[str, bool]:
    """Whether the record's legs (per person's side) lie where the hand placed them: each
    visible hand-placed point needs a reported point within the tolerance; hidden ones are not
    judged. Returns {"straight": bool, "bent": bool, "both": bool}."""
    legs = record.get("legs") or {}
    if not legs or not record.get("width"):
        return {"straight": False, "bent": False, "both": False}
    truth = _truth(row, record["width"], record["height"])
    s = truth["straight"]
    if not all(s[p] for p in LEG_PARTS):
        return {"straight": False, "bent": False, "both": False}
    thigh = ((s["hip"][0] - s["knee"][0]) ** 2 + (s["hip"][1] - s["knee"][1]) ** 2) ** 0.5
    shin = ((s["knee"][0] - s["ankle"][0]) ** 2 + (s["knee"][1] - s["ankle"][1]) ** 2) ** 0.5
    tolerance = LEG_TOLERANCE * (thigh + shin) / 2
    side = {"straight": row["straight_leg"], "bent": OTHER[row["straight_leg"]]}
    right = {}
    for leg in ("straight", "bent"):
        said = legs.get(side[leg]) or {}
        ok = True
        for part in LEG_PARTS:
            hand = truth[leg][part]
            if hand is None:
                continue
            point = said.get(part)
            if (
                point is None
                or ((point[0] - hand[0]) ** 2 + (point[1] - hand[1]) ** 2) ** 0.5 > tolerance
            ):
                ok = False
        right[leg] = ok
    right["both"] = right["straight"] and right["bent"]
    return right


def _key(record: Mapping[str, Any], labels: Mapping[str, Any]) -> str | None:
    path = Path(record["path"]).as_posix()
    return next((k for k in labels if path.endswith(k)), None)


def evaluate(
    records: Iterable[Mapping[str, Any]],
    labels: Mapping[str, Mapping[str, str]],
    leg_points: Mapping[str, Mapping[str, str]] | None = None,
) -> dict:
    """records: photo records whose `path` ends with a labels key (e.g. 'janu/x.jpg')."""
    by_key = {k: r for r in records if (k := _key(r, labels))}
    janu = [k for k, lab in labels.items() if lab["is_janu"] == "yes" and k in by_key]
    negatives = [k for k, lab in labels.items() if lab["is_janu"] == "no" and k in by_key]
    found = [k for k in janu if by_key[k]["person_found"]]
    wrong: list[str] = []

    tp = [k for k in janu if by_key[k]["in_pose"] is True]
    fn_confident = [k for k in janu if by_key[k]["in_pose"] is False]
    fp = [k for k in negatives if by_key[k]["in_pose"] is True]
    tn = [k for k in negatives if by_key[k]["in_pose"] is False]
    wrong += [f"{k}: said in the pose" for k in fp]
    wrong += [f"{k}: said not in the pose" for k in fn_confident]
    recognition = {
        "janu_photos": len(janu),
        "negative_photos": len(negatives),
        "true_positives": len(tp),
        "false_positives": len(fp),
        "true_negatives": len(tn),
        "false_negatives_confident": len(fn_confident),
        "uncertain": sum(1 for k in janu + negatives if by_key[k]["in_pose"] is None),
        "precision": _ratio(len(tp), len(tp) + len(fp)),
        "recall": _ratio(len(tp), len(janu)),
        "negatives_rejected": _ratio(len(tn), len(negatives)),
    }

    near = [k for k in negatives if labels[k]["pose"] not in NOT_NEAR_MISSES]
    near_misses = {
        "photos": len(near),
        "rejected": sum(1 for k in near if by_key[k]["in_pose"] is False),
        "said_in_pose": sum(1 for k in near if by_key[k]["in_pose"] is True),
    }
    near_misses["rate"] = _ratio(near_misses["rejected"], len(near))

    legs = {"both": 0, "straight": 0, "photos": 0}
    sides = {"given": 0, "right": 0}
    if leg_points:
        for k in janu:
            if k not in leg_points:
                continue
            legs["photos"] += 1
            right = legs_right(by_key[k], leg_points[k])
            legs["both"] += right["both"]
            legs["straight"] += right["straight"]
            said = by_key[k].get("extended_leg")
            if said:
                sides["given"] += 1
                truth = leg_points[k]["straight_leg"]
                sides["right"] += said == truth
                if said != truth:
                    wrong.append(f"{k}: the {truth} leg is extended, said {said}")

    spine = {"labelled": 0, "judged": 0, "agree": 0, "disagree": 0}
    for k in janu:
        label = labels[k]["spine"]
        if label not in ("long", "rounded"):
            continue
        spine["labelled"] += 1
        record = by_key[k]
        if record["in_pose"] is not True or "rounded_back" in record.get("uncertain_rules", []):
            continue
        spine["judged"] += 1
        said_rounded = "rounded_back" in record["faults"]
        if said_rounded == (label == "rounded"):
            spine["agree"] += 1
        else:
            spine["disagree"] += 1
            wrong.append(f"{k}: rounded_back {'claimed' if said_rounded else 'missed'}")
    spine["coverage"] = _ratio(spine["judged"], spine["labelled"])
    spine["agreement"] = _ratio(spine["agree"], spine["judged"])

    foot = {"agree": 0, "disagree": 0}
    for k in found:
        said, truth = by_key[k].get("extended_foot"), labels[k]["extended_foot"]
        if truth in ("image_left", "image_right") and said:
            foot["agree" if said == truth else "disagree"] += 1
            if said != truth and by_key[k]["in_pose"] is True:
                wrong.append(f"{k}: extended foot points {truth}, said {said}")
    foot["agreement"] = _ratio(foot["agree"], foot["agree"] + foot["disagree"])

    for k in tp:  # other labelled mistakes, where a verdict was given
        record, lab = by_key[k], labels[k]
        if lab["extended_knee"] == "straight" and "straight_leg_bent" in record["faults"]:
            wrong.append(f"{k}: straight_leg_bent claimed on a straight leg")
        if lab["bent_knee"] == "down" and "bent_knee_lifted" in record["faults"]:
            wrong.append(f"{k}: bent_knee_lifted claimed on a knee that is down")

    judged = janu + negatives
    confident = [k for k in judged if by_key[k]["in_pose"] is not None]
    return {
        "person_found_rate_janu": _ratio(len(found), len(janu)),
        "recognition": recognition,
        "near_misses": near_misses,
        "legs_right": legs,
        "sides": sides,
        "rounded_back_vs_spine_label": spine,
        "extended_foot_direction": foot,
        "verdicts": {
            "photos": len(judged),
            "confident": len(confident),
            "uncertain": len(judged) - len(confident),
            "confidently_wrong": len(wrong),
        },
        "confidently_wrong": wrong,
    }


def same_verdict(photo: Mapping[str, Any], mirror: Mapping[str, Any]) -> bool:
    """A photo and its mirror image say the same thing with left and right exchanged: the same
    status, mistakes and score (within 2 points), the other side, the other direction."""
    if photo["status"] != mirror["status"] or photo["faults"] != mirror["faults"]:
        return False
    if (photo["extended_leg"] is None) != (mirror["extended_leg"] is None):
        return False
    if photo["extended_leg"] and OTHER[photo["extended_leg"]] != mirror["extended_leg"]:
        return False
    if (photo["score"] is None) != (mirror["score"] is None):
        return False
    return photo["score"] is None or abs(photo["score"] - mirror["score"]) <= 2


def mirror_agreement(
    records: Iterable[Mapping[str, Any]], mirrored: Iterable[Mapping[str, Any]]
) -> dict:
    """How often a photo and its mirror image get the same verdict (paired by position)."""
    pairs = list(zip(records, mirrored, strict=True))
    differ = [Path(a["path"]).name for a, b in pairs if not same_verdict(a, b)]
    return {
        "photos": len(pairs),
        "agree": len(pairs) - len(differ),
        "rate": _ratio(len(pairs) - len(differ), len(pairs)),
        "differ": differ,
    }


def format_report(result: dict) -> str:
    rec, spine, foot, verdicts = (
        result["recognition"],
        result["rounded_back_vs_spine_label"],
        result["extended_foot_direction"],
        result["verdicts"],
    )
    legs = result["legs_right"]
    lines = [
        f"person found on Janu photos: {result['person_found_rate_janu']:.0%}",
        f"legs right (both / straight): {legs['both']} / {legs['straight']} of {legs['photos']}",
        f"recognition: {rec['true_positives']} of {rec['janu_photos']} Janu photos recognised, "
        f"{rec['true_negatives']} of {rec['negative_photos']} negatives rejected confidently, "
        f"{rec['uncertain']} uncertain, precision {rec['precision']}",
        f"near-miss poses rejected with a reason: {result['near_misses']['rejected']} of "
        f"{result['near_misses']['photos']}, said in the pose "
        f"{result['near_misses']['said_in_pose']}",
        f"rounded_back vs spine label: judged {spine['judged']} of {spine['labelled']} "
        f"({spine['coverage']}), agreement {spine['agreement']}",
        f"extended foot direction vs label: agreement {foot['agreement']} "
        f"({foot['agree']}/{foot['agree'] + foot['disagree']})",
        f"sides given {result['sides']['given']}, right {result['sides']['right']}",
        f"verdicts: {verdicts['photos']} photos, {verdicts['confident']} confident, "
        f"{verdicts['uncertain']} uncertain, {verdicts['confidently_wrong']} confidently wrong",
    ]
    lines += [f"  confidently wrong: {w}" for w in result["confidently_wrong"]]
    return "\n".join(lines)
