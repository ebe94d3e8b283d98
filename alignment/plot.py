"""Measurements over time, with the rule bounds drawn (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

from alignment.rules import PoseRules
from alignment.session import FrameRecord

SEGMENT_COLOURS = {"holding": "#cfe8cf", "folding": "#e3ecf7", "releasing": "#f7ecdc",
                   "setting_up": "#eeeeee", "not_in_pose": "#f6dada", "uncertain": "#f0f0f0",
                   "not_in_frame": "#ffffff"}


def plot_timeline(records: list[FrameRecord], pose: PoseRules, level: str, path: str | Path,
                  segments: list[dict] | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measured = [r for r in pose.rules if any(rec.metrics.get(r.measurement) is not None
                                             for rec in records)]
    # The fold first (the pose's main movement), then every measurement a rule judges.
    names = list(dict.fromkeys(["hip_flexion", *(r.measurement for r in measured)]))
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 1.9 * len(names) + 0.8), sharex=True,
                             squeeze=False)
    times = [r.time_s for r in records]
    for ax, name in zip(axes[:, 0], names, strict=True):
        for seg in segments or []:
            ax.axvspan(seg["start"], seg["end"], color=SEGMENT_COLOURS.get(seg["kind"], "#fff"),
                       lw=0)
        values = [r.metrics.get(name) if r.state == "in_pose" else None for r in records]
        ax.plot(times, [float("nan") if v is None else v for v in values], lw=1.4,
                color="#1f5fa8")
        for rule in pose.rules:
            if rule.measurement != name:
                continue
            bounds = rule.bounds[level]
            for bound in (bounds.min, bounds.max):
                if bound is not None:
                    ax.axhline(bound, color="#c0392b", ls="--", lw=1)
                    ax.annotate(rule.id, (times[0] if times else 0, bound), fontsize=7,
                                color="#c0392b", va="bottom")
        ax.set_ylabel(name.replace("_", " "), fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("time (s)")
    fig.suptitle(f"{pose.name}: measurements while in the pose (level: {level})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
