"""Measurements over time, with the rule bounds and the segments drawn (matplotlib, no display
needed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alignment.core.measurements import DESCRIPTIONS
from alignment.core.rules import PoseRules
from alignment.core.status import IN_POSE
from alignment.present.words import measurement_name
from alignment.session.timeline import FrameRecord, Segment

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

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
FAINT = 0.5  # the line's opacity where the measurement was not sure enough to be judged
NOT_JUDGED = "measured, not sure enough to judge"
NAN = float("nan")
AXIS_UNITS = {"deg": "degrees", "ratio": "ratio"}
UNIT_SUFFIX = {"deg": "°"}


def _axis_label(name: str) -> str:
    unit = DESCRIPTIONS[name][0]
    return f"{measurement_name(name)}\n({AXIS_UNITS.get(unit, unit)})"


def plot_timeline(
    records: list[FrameRecord],
    pose: PoseRules,
    level: str,
    path: str | Path,
    segments: list[Segment],
) -> None:
    """A PNG: one panel per measurement the pose judges (its main movement first), the values
    while in the pose (faint where its rule could not judge them, not sure enough: a bound
    crossed there was not judged), the rule bounds at this level labelled inside the panel,
    the segments shaded, and a legend. When the person was never seen in the pose, one panel
    says so instead, in words readable at any width."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    in_pose = [r for r in records if r.state == IN_POSE]
    first = [pose.movement.measurement] if pose.movement else []
    names = [
        n
        for n in dict.fromkeys([*first, *(rule.measurement for rule in pose.rules)])
        if any(r.metrics.get(n) is not None for r in in_pose)
    ]
    times = [r.time_s for r in records]
    faint_used = False
    if not names:
        # A small figure with large words: shown at a phone's width it still reads.
        fig, ax = plt.subplots(figsize=(6, 3))
        _nothing_to_plot(ax, times, segments, bool(in_pose))
    else:
        fig, grid = plt.subplots(
            len(names), 1, figsize=(10, 1.9 * len(names) + 1.2), sharex=True, squeeze=False
        )
        axes = list(grid[:, 0])
        for ax, name in zip(axes, names, strict=True):
            faint_used |= _measurement_panel(ax, name, records, times, segments, pose, level)
        axes[-1].set_xlabel("time (s)")
    _legend_and_title(fig, pose, level, segments, bool(names), faint_used)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _nothing_to_plot(ax: Axes, times: list[float], segments: list[Segment], seen: bool) -> None:
    for seg in segments:
        ax.axvspan(seg["start"], seg["end"], color=SEGMENT_COLOURS.get(seg["kind"], "#fff"))
    why = (
        "Nobody was seen in the pose,\nso there is nothing to plot."
        if not seen
        else "No measurement could be taken\nwhile in the pose."
    )
    ax.text(0.5, 0.55, why, ha="center", va="center", transform=ax.transAxes, fontsize=15)
    ax.set_yticks([])
    ax.set_xlim(times[0] if times else 0, (times[-1] if times else 0) + 1e-3)
    ax.set_xlabel("time (s)")


def _measurement_panel(
    ax: Axes,
    name: str,
    records: list[FrameRecord],
    times: list[float],
    segments: list[Segment],
    pose: PoseRules,
    level: str,
) -> bool:
    """One measurement over time with its rules' bounds; whether any of it is drawn faint."""
    for seg in segments:
        colour = SEGMENT_COLOURS.get(seg["kind"], "#fff")
        ax.axvspan(seg["start"], seg["end"], color=colour, lw=0)
    ruled_by = {rule.id for rule in pose.rules if rule.measurement == name}
    sure, unsure = [], []
    for r in records:
        value = r.metrics.get(name) if r.state == IN_POSE else None
        # Faint where a rule on it could not judge it (not sure enough of the value).
        low = value is not None and bool(ruled_by.intersection(r.unjudged))
        sure.append(NAN if value is None or low else value)
        unsure.append(value if low else NAN)
    ax.plot(times, unsure, lw=1.8, color=LINE, alpha=FAINT, ls=":")
    ax.plot(times, sure, lw=1.4, color=LINE)
    shown = [v for v in (*sure, *unsure) if v == v]
    bounds = [
        (rule, bound, side)
        for rule in pose.rules
        if rule.measurement == name
        for bound, side in ((rule.bounds[level].min, "min"), (rule.bounds[level].max, "max"))
        if bound is not None
    ]
    # Room above and below, so no label sits on the panel's edge.
    span = [*shown, *(b for _, b, _ in bounds)]
    lo, hi = min(span), max(span)
    pad = max((hi - lo) * 0.25, 1e-3 if hi == lo else 0.0, abs(hi) * 0.02)
    ax.set_ylim(lo - pad, hi + pad)
    for rule, bound, side in bounds:
        ax.axhline(bound, color=BOUND, ls="--", lw=1)
        # Inside the acceptable side of its line: above a minimum, below a maximum, at the
        # right end, on a white card so no line runs through it.
        ax.annotate(
            f"{rule.name} ({'below' if side == 'min' else 'above'} "
            f"{bound:g}{UNIT_SUFFIX.get(DESCRIPTIONS[name][0], '')})",
            xy=(1.0, bound),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 3 if side == "min" else -3),
            textcoords="offset points",
            ha="right",
            va="bottom" if side == "min" else "top",
            fontsize=7,
            color=BOUND,
            bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        )
    ax.set_ylabel(_axis_label(name), fontsize=8)
    ax.grid(alpha=0.3)
    return any(v == v for v in unsure)


def _legend_and_title(
    fig: Figure,
    pose: PoseRules,
    level: str,
    segments: list[Segment],
    panels: bool,
    faint_used: bool,
) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    kinds = list(dict.fromkeys(s["kind"] for s in segments))
    segment_handles = [
        Patch(color=SEGMENT_COLOURS.get(k, "#fff"), label=k.replace("_", " ")) for k in kinds
    ]
    line_handles = [
        Line2D([], [], color=LINE, lw=1.4, label="measured, in the pose"),
        *(
            [Line2D([], [], color=LINE, lw=1.8, ls=":", alpha=FAINT, label=NOT_JUDGED)]
            if faint_used
            else []
        ),
        Line2D([], [], color=BOUND, ls="--", lw=1, label=f"rule bound ({level})"),
    ]
    handles = [*(line_handles if panels else []), *segment_handles]
    columns = 5 if panels else 3
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=min(len(handles), columns),
        fontsize=8,
        frameon=False,
    )
    title = f"{pose.name}: measurements over time (level: {level})"
    fig.suptitle(title if panels else f"{pose.name}\n(level: {level})", fontsize=10)
    # Room for the legend below and the title above, in inches whatever the figure's height.
    height = fig.get_figheight()
    legend_in = 0.35 * (1 + (len(handles) - 1) // columns)
    title_in = 0.1 if panels else 0.35
    fig.tight_layout(rect=(0, legend_in / height, 1, 1 - title_in / height))
