"""Fit, per quality preset, the bounds of the requirements that rest on a model's 3-D output,
from the shared labelled photos, and print leave-one-out results.

A requirement marked `fitted = true` in a rule file (e.g. `hip_height`: seated or standing)
gets, for each preset, the bound with the widest margin that every Janu photo passes: halfway
between the highest Janu value and the next value of another pose (for a `max`; mirrored for a
`min`). A Janu photo that lies beyond another pose's value which is itself beyond every other
Janu photo is left out of the fit (and named): no bound could keep it without that pose.
Leave-one-out refits without each photo in turn and checks that photo against the bound fitted
on the others. The bounds are written to rules/fitted/<pose>.toml, which `load_pose` applies
for the preset in use. It also prints the back's readings (rounded_back) on the photos whose
spine is labelled long or rounded, and checks the rule's bound leave-one-out.

    python benchmarks/fit_bounds.py [--shared ../shared] [--pose janu_sirsasana]
                                    [--quality fast balanced accurate] [--recorded] [--write]
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

from evaluate_images import recorded_records  # benchmarks/, beside this script

from alignment.estimators.presets import QUALITIES, open_estimator
from alignment.io.rule_files import load_pose, rules_dir
from alignment.pipeline.photo import PhotoChecker
from alignment.testing.evaluation import read_labels

ROOT = Path(__file__).resolve().parents[1]


def separable(positives: list[float], others: list[float], side: str) -> list[float]:
    """The positives without the outliers no bound can keep: a positive beyond a value of
    another pose that is itself beyond every other positive (letting it pass would let that
    pose pass too)."""
    sign = 1.0 if side == "max" else -1.0
    kept = sorted(positives, key=lambda v: sign * v)
    while len(kept) >= 2:
        top, next_ = sign * kept[-1], sign * kept[-2]
        if not any(next_ < sign * v < top for v in others):
            break
        kept.pop()
    return kept


def fit(positives: list[float], others: list[float], side: str) -> float | None:
    """The bound between the positives (all but the outliers `separable` leaves out) and the
    nearest other value beyond them."""
    positives = separable(positives, others, side)
    if not positives:
        return None
    if side == "max":
        edge = max(positives)
        beyond = [v for v in others if v > edge]
        return round((edge + min(beyond)) / 2, 3) if beyond else None
    edge = min(positives)
    beyond = [v for v in others if v < edge]
    return round((edge + max(beyond)) / 2, 3) if beyond else None


def passes(value: float, bound: float, side: str) -> bool:
    return value <= bound if side == "max" else value >= bound


def measure_photos(
    quality: str, shared: Path, pose_name: str, recorded: bool = False
) -> dict[str, dict]:
    """Every labelled photo's measurements, from the models (or from samples/readings.json)."""
    labels = read_labels(shared / "samples" / "labels.csv")
    pose = load_pose(pose_name)
    if recorded:
        records = {r["path"]: r for r in recorded_records(quality, pose_name)[0]}
    else:
        records = {}
        with open_estimator(quality, "image", [shared / "models"], allow_download=False) as est:
            checker = PhotoChecker(est, pose)
            for key in labels:
                records[key] = checker.check_file(shared / "samples" / "images" / key).record
    return {
        key: {
            "is_janu": label["is_janu"],
            "pose": label["pose"],
            "metrics": records[key]["metrics"],
            "confidence": records[key]["confidence"],
        }
        for key, label in labels.items()
        if key in records
    }


def spine_check(quality: str, photos: dict[str, dict], pose, labels: dict) -> None:
    """The rounded_back rule's bound against the spine labels: the gap between the long and
    the rounded backs, and each labelled photo judged by the bound fitted without it."""
    rule = pose.rule("rounded_back")
    bound = rule.bounds["standard"].max
    values = {
        k: (labels[k]["spine"], p["metrics"].get(rule.measurement))
        for k, p in photos.items()
        if photos[k]["is_janu"] == "yes"
        and labels[k]["spine"] in ("long", "rounded")
        and (p["confidence"].get(rule.measurement) or 0) >= rule.min_confidence
        and p["metrics"].get(rule.measurement) is not None
    }

    def gap(items: dict) -> float | None:
        long = [v for s, v in items.values() if s == "long"]
        rounded = [v for s, v in items.values() if s == "rounded"]
        return (max(long) + min(rounded)) / 2 if long and rounded else None

    fitted = gap(values)
    right = 0
    for key, (spine, value) in values.items():
        held = gap({k: v for k, v in values.items() if k != key})
        right += held is not None and (value > held) == (spine == "rounded")
    print(
        f"  {rule.id} ({rule.measurement} <= {bound:g} in the rule file): long "
        + ", ".join(
            f"{v:.0f}" for s, v in sorted(values.values(), key=lambda x: x[1]) if s == "long"
        )
        + "; rounded "
        + ", ".join(
            f"{v:.0f}" for s, v in sorted(values.values(), key=lambda x: x[1]) if s == "rounded"
        )
        + f"; midway {fitted if fitted is None else round(fitted, 1)}; leave-one-out right "
        f"{right}/{len(values)}; the rule file's bound right "
        f"{sum((v > bound) == (s == 'rounded') for s, v in values.values())}/{len(values)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--pose", default="janu_sirsasana")
    parser.add_argument("--quality", nargs="+", default=list(QUALITIES), choices=QUALITIES)
    parser.add_argument("--write", action="store_true", help="write rules/fitted/<pose>.toml")
    parser.add_argument(
        "--recorded", action="store_true", help="use samples/readings.json, not the models"
    )
    args = parser.parse_args()
    pose = load_pose(args.pose)
    fitted = [r for r in pose.requirements if r.fitted]
    lines = [
        f"# Fitted by benchmarks/fit_bounds.py on {datetime.date.today()} from the shared",
        "# labelled photos; do not edit by hand (run the script again).",
        "",
    ]
    for quality in args.quality:
        photos = measure_photos(quality, args.shared, args.pose, args.recorded)
        for req in fitted:
            side = "max" if req.bounds.max is not None else "min"
            seen = {
                k: p["metrics"].get(req.measurement)
                for k, p in photos.items()
                if (p["confidence"].get(req.measurement) or 0) >= req.min_confidence
            }
            seen = {k: v for k, v in seen.items() if v is not None}
            janu = {k: v for k, v in seen.items() if photos[k]["is_janu"] == "yes"}
            other = {k: v for k, v in seen.items() if photos[k]["is_janu"] == "no"}
            bound = fit(list(janu.values()), list(other.values()), side)
            kept = separable(list(janu.values()), list(other.values()), side)
            outliers = [k for k, v in janu.items() if v not in kept]
            print(
                f"\n{quality}: {req.measurement} ({side}); rule file: "
                f"{getattr(req.bounds, side)}; fitted: {bound}"
            )
            print(f"  Janu ({len(janu)}): " + ", ".join(f"{v:.2f}" for v in sorted(janu.values())))
            if outliers:
                print(f"  left out (no bound keeps them without another pose): {outliers}")
            print(
                f"  other poses ({len(other)}): "
                + ", ".join(f"{v:.2f}" for v in sorted(other.values()))
            )
            # Leave-one-out: each Janu photo must pass, and each other pose this bound rejects
            # must still be rejected, by the bound fitted without that photo.
            janu_kept, rejected_kept, failures = 0, 0, []
            rejected = {
                k: v for k, v in other.items() if bound is not None and not passes(v, bound, side)
            }
            for key, value in {**janu, **rejected}.items():
                held = fit(
                    [v for k, v in janu.items() if k != key],
                    [v for k, v in other.items() if k != key],
                    side,
                )
                right = held is not None and passes(value, held, side) == (key in janu)
                janu_kept += right and key in janu
                rejected_kept += right and key in rejected
                if not right:
                    failures.append(f"{key} ({value:.2f} vs {held})")
            print(
                f"  leave-one-out: Janu photos passing {janu_kept}/{len(janu)}; other poses "
                f"still rejected {rejected_kept}/{len(rejected)}; failures: {failures}"
            )
            if bound is not None:
                lines += [f"[{quality}.{req.measurement}]", f"{side} = {bound}", ""]
        spine_check(quality, photos, pose, labels=read_labels(args.shared / "samples/labels.csv"))
    if args.write:
        out = rules_dir() / "fitted" / f"{args.pose}.toml"
        out.parent.mkdir(exist_ok=True)
        out.write_text("\n".join(lines), encoding="utf-8")
        print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
