"""Measurements over time, with the rule bounds and the segments drawn (matplotlib, no display
needed)."""

from __future__ import annotations

from pathlib import Path

from alignment.core.measurements import DESCRIPTIONS
from alignment.core.rules import PoseRules
from alignment.core.status import IN_POSE
from alignment.session.timeline import FrameRecord, Segment

SEGMENT_COLOURS = {
    "holding": "#cfe8cf",
    "folding": "#dbe7f6",
    "releasing": "#f7ecdc",
    "setting_up": "#eeeeee",
    "not_in_pose": "#f6dada",
    "uncertain": "#e4e4e4",
    "not_in_frame": "#f5f5f0",
}
LINE = "#1f5fa8"
BOUND = "#c0392b"


def plot_timeline(
    records: list[FrameRecord],
    pose: PoseRules,
    level: str,
    path: str | Path,
    segments: list[Segment],
) -> None:
    """A PNG: one panel per measurement the pose judges (its main movement first), the values
    while in the pose, the rule bounds at this level, the segments shaded, and a legend. When
    the person was never seen in the pose, one panel says so instead."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    in_pose = [r for r in records if r.state == IN_POSE]
    first = [pose.movement.measurement] if pose.movement else []
    names = [
        n
        for n in dict.fromkeys([*first, *(rule.measurement for rule in pose.rules)])
        if any(r.metrics.get(n) is not None for r in in_pose)
    ]
    times = [r.time_s for r in records]
    kinds = list(dict.fromkeys(s["kind"] for s in segments))
    if not names:
        fig, ax = plt.subplots(figsize=(10, 2.6))
        for seg in segments:
            ax.axvspan(seg["start"], seg["end"], color=SEGMENT_COLOURS.get(seg["kind"], "#fff"))
        why = (
            "Nobody was seen in the pose, so there is nothing to plot."
            if not in_pose
            else "No measurement could be taken while in the pose."
        )
        ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes, fontsize=11)
        ax.set_yticks([])
        ax.set_xlim(times[0] if times else 0, (times[-1] if times else 0) + 1e-3)
        ax.set_xlabel("time (s)")
        axes = [ax]
    else:
        fig, grid = plt.subplots(
            len(names), 1, figsize=(10, 1.9 * len(names) + 1.2), sharex=True, squeeze=False
        )
        axes = list(grid[:, 0])
        for ax, name in zip(axes, names, strict=True):
            for seg in segments:
                colour = SEGMENT_COLOURS.get(seg["kind"], "#fff")
                ax.axvspan(seg["start"], seg["end"], color=colour, lw=0)
            values = [r.metrics.get(name) if r.state == IN_POSE else None for r in records]
            ax.plot(times, [float("nan") if v is None else v for v in values], lw=1.4, color=LINE)
            for rule in pose.rules:
                if rule.measurement != name:
                    continue
                bounds = rule.bounds[level]
                for bound in (bounds.min, bounds.max):
                    if bound is not None:
                        ax.axhline(bound, color=BOUND, ls="--", lw=1)
                        ax.annotate(
                            rule.id.replace("_", " "),
                            (times[0], bound),
                            fontsize=7,
                            color=BOUND,
                            va="bottom",
                        )
            unit = DESCRIPTIONS[name][0]
            ax.set_ylabel(f"{name.replace('_', ' ')}\n({unit})", fontsize=8)
            ax.grid(alpha=0.3)
        axes[-1].set_xlabel("time (s)")
    handles = [
        Line2D([], [], color=LINE, lw=1.4, label="measured, in the pose"),
        Line2D([], [], color=BOUND, ls="--", lw=1, label=f"rule bound ({level})"),
        *(Patch(color=SEGMENT_COLOURS.get(k, "#fff"), label=k.replace("_", " ")) for k in kinds),
    ]
    fig.legend(
        handles=handles, loc="lower center", ncol=min(len(handles), 5), fontsize=8, frameon=False
    )
    fig.suptitle(f"{pose.name}: measurements over time (level: {level})", fontsize=10)
    # Room for the legend below and the title above, in inches whatever the figure's height.
    height = fig.get_figheight()
    legend_in = 0.35 * (1 + (len(handles) - 1) // 5)
    fig.tight_layout(rect=(0, legend_in / height, 1, 1 - 0.1 / height))
    fig.savefig(path, dpi=110)
    plt.close(fig)
