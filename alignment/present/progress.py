"""The Progress page's plots (matplotlib): the fold per side over days, the hold per side
against the 30-90 s target band, the faults per week. Rows in (alignment.journal.trend's
per_day and faults_per_week), a figure out."""

from __future__ import annotations

from typing import Any

from alignment.settings import HOLD_TARGET_S

SIDE_COLOURS = {"left": "#1f5fa8", "right": "#d9822b"}


def progress_figure(days: list[dict[str, Any]], weeks: dict[str, dict[str, float]], unit: str):  # noqa: ANN201 - a matplotlib Figure
    """Three panels, stacked (they read on a phone as well as on a wide screen)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # A narrow figure with large type: on a phone it is shrunk to the screen's width.
    with plt.rc_context({"font.size": 12, "legend.fontsize": 10}):
        return _draw(plt, days, weeks, unit)


def _draw(plt, days, weeks, unit):  # noqa: ANN001, ANN202 - matplotlib objects
    fig, (fold, hold, faults) = plt.subplots(3, 1, figsize=(6.4, 10), constrained_layout=True)
    labels = [d["day"][5:] for d in days]  # MM-DD
    x = range(len(days))
    for side, colour in SIDE_COLOURS.items():
        values = [d[f"fold_{side}"] for d in days]
        fold.plot(x, [float("nan") if v is None else v for v in values], "o-", color=colour,
                  label=f"{side} leg out")  # fmt: skip
    fold.set_title("Fold per side (typical of the day)")
    fold.set_ylabel("degrees" if unit == "deg" else unit)
    if days and days[-1].get("deeper", "smaller") == "smaller":
        fold.invert_yaxis()  # deeper is higher, whichever way the angle goes
        fold.set_ylabel(f"{fold.get_ylabel()} (deeper: up)")
    fold.legend(loc="best")
    low, high = HOLD_TARGET_S
    hold.axhspan(low, high, color="#cfe8cf", label=f"target {low:.0f}-{high:.0f} s")
    width = 0.4
    for i, (side, colour) in enumerate(SIDE_COLOURS.items()):
        hold.bar([j + (i - 0.5) * width for j in x], [d[f"hold_{side}"] for d in days], width,
                 color=colour, label=side)  # fmt: skip
    hold.set_title("Hold per side, seconds a day")
    hold.set_ylabel("seconds")
    top = max([high, *(d[f"hold_{s}"] for d in days for s in SIDE_COLOURS)])
    hold.set_ylim(0, top * 1.25)  # room above the band for the legend
    hold.legend(loc="upper left", ncols=3)
    for panel in (fold, hold):
        panel.set_xticks(list(x), labels, rotation=45)
        panel.grid(axis="y", alpha=0.3)
    week_names = list(weeks)
    cues = sorted({c for w in weeks.values() for c in w})
    bottom = [0.0] * len(week_names)
    for cue in cues:
        values = [weeks[w].get(cue, 0.0) for w in week_names]
        faults.bar(week_names, values, bottom=bottom, label=cue)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    faults.set_title("Faults shown per week, seconds")
    if cues:
        faults.legend(loc="best")
    else:
        faults.text(0.5, 0.5, "No faults shown", ha="center", transform=faults.transAxes)
    return fig
