"""Figures of the workforce tools: staffing requirements against Erlang C, service level of a
staffing in a fresh simulation against its target, and a roster's coverage against the requirement.

The intraday projection (the rest of the day from the centre's state, as things stand and with the
recommended agents or action) is drawn per channel held to a target.

Each function takes tables (as written by the staffing and schedule commands) and returns a matplotlib
Figure in the common style of :mod:`sim.reporting.style`; nothing here imports the model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.reporting.style import FIGSIZE, LABEL_SIZE, LEGEND_SIZE, PALETTE, TITLE_SIZE, new_figure, target_line

__all__ = ["requirements_figure", "verification_figure", "coverage_figure", "intraday_figure"]


def _axes(nrows: int = 1, height: float | None = None):
    return new_figure(nrows, size=(FIGSIZE[0], height or FIGSIZE[1]))


def _ticks(ax, labels: Sequence[str]) -> None:
    step = max(1, len(labels) // 12)
    idx = np.arange(0, len(labels), step)
    ax.set_xticks(idx, [labels[i] for i in idx], rotation=0)


def requirements_figure(table: pd.DataFrame, groups: Sequence[str]) -> Figure:
    """Agents required per interval: stacked by group (the optimiser's answer), against the Erlang C
    requirement and the Erlang seed.  ``table``: :meth:`sim.planning.staffing.StaffingResult.requirements_table`."""
    fig, (ax,) = _axes()
    x = np.arange(len(table))
    bottom = np.zeros(len(table))
    for k, g in enumerate(groups):
        ax.bar(x, table[g], bottom=bottom, width=0.85, color=PALETTE[k % len(PALETTE)], label=f"{g} (simulation)")
        bottom += table[g].to_numpy()
    ax.step(x, table["erlang_c"], where="mid", color="#000000", linewidth=2.2, label="Erlang C requirement")
    ax.step(x, table["erlang_seed_total"], where="mid", color="#555555", linewidth=1.4, linestyle="--",
            label="Erlang A seed")
    _ticks(ax, list(table["interval"]))
    ax.set_xlabel("Interval start (hh:mm)", fontsize=LABEL_SIZE)
    ax.set_ylabel("Agents", fontsize=LABEL_SIZE)
    saved = int(table["erlang_c"].sum() - table["total"].sum())
    versus = f"{abs(saved)} agent-intervals {'fewer' if saved > 0 else 'more'} than Erlang C" if saved else \
        "as many agent-intervals as Erlang C"
    ax.set_title(f"Staffing that meets the targets, by simulation: {versus}", fontsize=TITLE_SIZE)
    ax.legend(fontsize=LEGEND_SIZE, frameon=False, ncols=2)
    return fig


def verification_figure(intervals: pd.DataFrame, targets: dict[str, float], title: str) -> Figure:
    """Service level per interval and channel (mean and t-interval over replications) against each
    channel's target.  ``intervals``: interval, channel, service_level, service_level_low/high."""
    fig, (ax,) = _axes()
    labels = list(dict.fromkeys(intervals["interval"]))
    x = np.arange(len(labels))
    for k, (channel, sub) in enumerate(intervals.groupby("channel", sort=False)):
        colour = PALETTE[k % len(PALETTE)]
        sub = sub.set_index("interval").reindex(labels)
        ax.plot(x, 100 * sub["service_level"], color=colour, linewidth=2, marker="o", markersize=3, label=channel)
        ax.fill_between(x, 100 * sub["service_level_low"], 100 * sub["service_level_high"], color=colour, alpha=0.2)
        if channel in targets:
            target_line(ax, 100 * targets[channel], colour, f"{channel} target {100 * targets[channel]:.0f}%")
    _ticks(ax, labels)
    ax.set_xlabel("Interval start (hh:mm)", fontsize=LABEL_SIZE)
    ax.set_ylabel("Service level (%)", fontsize=LABEL_SIZE)
    ax.set_title(title, fontsize=TITLE_SIZE)
    ax.legend(fontsize=LEGEND_SIZE, frameon=False, ncols=2)
    return fig


def coverage_figure(table: pd.DataFrame, group: str) -> Figure:
    """A group's roster coverage (agents on duty, net of breaks) against its requirement per interval,
    uncovered intervals marked.  ``table``: interval, required, covered (one group)."""
    fig, (ax,) = _axes()
    x = np.arange(len(table))
    ax.bar(x, table["covered"], width=0.85, color=PALETTE[0], alpha=0.7, label="on duty (roster, net of breaks)")
    ax.step(x, table["required"], where="mid", color="#000000", linewidth=2.2, label="required")
    gap = table["covered"] < table["required"]
    if gap.any():
        ax.scatter(x[gap.to_numpy()], table.loc[gap, "required"], color=PALETTE[3], marker="v", s=60, zorder=3,
                   label="not covered")
    _ticks(ax, list(table["interval"]))
    ax.set_xlabel("Interval start (hh:mm)", fontsize=LABEL_SIZE)
    ax.set_ylabel("Agents", fontsize=LABEL_SIZE)
    ax.set_title(f"{group}: roster coverage against the requirement", fontsize=TITLE_SIZE)
    ax.legend(fontsize=LEGEND_SIZE, frameon=False)
    return fig


def intraday_figure(projections: dict[str, pd.DataFrame], targets: dict[str, float], title: str) -> Figure:
    """Projected service level per remaining interval (mean and t-interval over replications) of each
    channel held to a target, one panel per channel: each projection (e.g. "as things stand" and "with
    2 extra agent-intervals") a line with its band, against the channel's target.  ``projections``:
    label -> table with interval, channel, offered, service_level, service_level_low/high."""
    channels = [c for c in targets if any(((t["channel"] == c) & (t["offered"] > 0)).any() for t in projections.values())]
    n = max(1, len(channels))
    fig, axes = _axes(n, height=2.6 + 2.2 * n)
    first = next(iter(projections.values()))
    labels = list(dict.fromkeys(first["interval"]))
    x = np.arange(len(labels))
    for ax, channel in zip(axes, channels):
        for k, (label, table) in enumerate(projections.items()):
            colour = PALETTE[k % len(PALETTE)]
            sub = table[table["channel"] == channel].set_index("interval").reindex(labels)
            ax.plot(x, 100 * sub["service_level"], color=colour, linewidth=2, marker="o", markersize=3, label=label)
            ax.fill_between(x, 100 * sub["service_level_low"], 100 * sub["service_level_high"], color=colour,
                            alpha=0.2)
        target_line(ax, 100 * targets[channel], "#000000", f"target {100 * targets[channel]:.0f}%")
        ax.set_ylabel(f"{channel}: service level (%)", fontsize=LABEL_SIZE)
        ax.set_ylim(0, 102)
        _ticks(ax, labels)
        ax.legend(fontsize=LEGEND_SIZE, frameon=False, loc="lower left")
    axes[-1].set_xlabel("Interval start (hh:mm)", fontsize=LABEL_SIZE)
    axes[0].set_title(title, fontsize=TITLE_SIZE)
    return fig
