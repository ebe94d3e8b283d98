"""Scoring the checker against hand labels (`labels.csv` of the shared photos).

Pure: takes verdict records (as written by `alignment image --json`) and label rows; returns
the figures the README reports. A verdict is *confidently wrong* when it claims something the
labels contradict; *uncertain* when it declines to claim.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def evaluate(records: Iterable[dict[str, Any]], labels: dict[str, dict[str, str]]) -> dict:
    """records: JSON records whose `path` ends with a labels key (e.g. 'janu/x.jpg')."""
    by_key: dict[str, dict[str, Any]] = {}
    for record in records:
        path = Path(record["path"]).as_posix()
        key = next((k for k in labels if path.endswith(k)), None)
        if key:
            by_key[key] = record

    janu = [k for k, lab in labels.items() if lab["is_janu"] == "yes" and k in by_key]
    negatives = [k for k, lab in labels.items() if lab["is_janu"] == "no" and k in by_key]
    found = [k for k in janu if by_key[k]["person_found"]]

    tp = sum(1 for k in janu if by_key[k]["in_pose"] is True)
    fn_confident = [k for k in janu if by_key[k]["in_pose"] is False]
    fp = [k for k in negatives if by_key[k]["in_pose"] is True]
    tn = sum(1 for k in negatives if by_key[k]["in_pose"] is False)
    recognition = {
        "janu_photos": len(janu),
        "negative_photos": len(negatives),
        "true_positives": tp,
        "false_positives": len(fp),
        "true_negatives": tn,
        "false_negatives_confident": len(fn_confident),
        "uncertain": sum(1 for k in janu + negatives if by_key[k]["in_pose"] is None),
        "precision": _ratio(tp, tp + len(fp)),
        "recall": _ratio(tp, len(janu)),
        "recall_when_confident": _ratio(tp, tp + len(fn_confident)),
        "negatives_rejected": _ratio(tn, len(negatives)),
    }

    spine = {"agree": 0, "disagree": 0, "uncertain": 0, "not_in_pose_or_unseen": 0}
    wrong: list[str] = [f"{k}: said in the pose" for k in fp]
    wrong += [f"{k}: said not in the pose" for k in fn_confident]
    for k in janu:
        label = labels[k]["spine"]
        if label not in ("long", "rounded"):
            continue
        record = by_key[k]
        if record["in_pose"] is not True:
            spine["not_in_pose_or_unseen"] += 1
        elif "rounded_back" in record.get("uncertain_rules", []):
            spine["uncertain"] += 1
        else:
            said_rounded = "rounded_back" in record["faults"]
            if said_rounded == (label == "rounded"):
                spine["agree"] += 1
            else:
                spine["disagree"] += 1
                wrong.append(f"{k}: rounded_back {'claimed' if said_rounded else 'missed'}")
    spine["agreement"] = _ratio(spine["agree"], spine["agree"] + spine["disagree"])

    foot = {"agree": 0, "disagree": 0}
    for k in found:
        said = by_key[k].get("extended_foot")
        truth = labels[k]["extended_foot"]
        if truth in ("image_left", "image_right") and said:
            foot["agree" if said == truth else "disagree"] += 1
            if said != truth and by_key[k]["in_pose"] is True:
                wrong.append(f"{k}: extended foot points {truth}, said {said}")
    foot["agreement"] = _ratio(foot["agree"], foot["agree"] + foot["disagree"])

    for k in janu:  # other labelled faults, where a verdict was given
        record, lab = by_key[k], labels[k]
        if record["in_pose"] is not True:
            continue
        if lab["extended_knee"] == "straight" and "straight_leg_bent" in record["faults"]:
            wrong.append(f"{k}: straight_leg_bent claimed on a straight leg")
        if lab["bent_knee"] == "down" and "bent_knee_lifted" in record["faults"]:
            wrong.append(f"{k}: bent_knee_lifted claimed on a knee that is down")

    judged = janu + negatives
    confident = [k for k in judged if by_key[k]["in_pose"] is not None]
    return {
        "person_found_rate_janu": _ratio(len(found), len(janu)),
        "recognition": recognition,
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


def format_report(result: dict) -> str:
    rec, spine, foot, verdicts = (
        result["recognition"],
        result["rounded_back_vs_spine_label"],
        result["extended_foot_direction"],
        result["verdicts"],
    )
    lines = [
        f"person found on Janu photos: {result['person_found_rate_janu']:.0%}",
        f"recognition (Janu vs not, 'unclear' left out): precision {rec['precision']}, "
        f"recall {rec['recall']} ({rec['true_positives']}/{rec['janu_photos']}), "
        f"recall when confident {rec['recall_when_confident']}, negatives rejected "
        f"{rec['true_negatives']}/{rec['negative_photos']}, uncertain {rec['uncertain']}",
        f"rounded_back vs spine label: agreement {spine['agreement']} "
        f"({spine['agree']} agree, {spine['disagree']} disagree, {spine['uncertain']} uncertain, "
        f"{spine['not_in_pose_or_unseen']} not judged: pose not confirmed)",
        f"extended foot direction vs label: agreement {foot['agreement']} "
        f"({foot['agree']}/{foot['agree'] + foot['disagree']})",
        f"verdicts: {verdicts['photos']} photos, {verdicts['confident']} confident, "
        f"{verdicts['uncertain']} marked uncertain, {verdicts['confidently_wrong']} "
        "confidently wrong",
    ]
    lines += [f"  confidently wrong: {w}" for w in result["confidently_wrong"]]
    return "\n".join(lines)


def read_labels(path: str | Path) -> dict[str, dict[str, str]]:
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}
