"""The figure of an option study: every option side by side on the KPIs a decision turns on.

One small panel per KPI and channel, never one axis for channels measured in different units: the
service level of each channel against its own target, the average speed of answer of each live
channel in seconds, the first response of each deferrable channel in hours (email) or minutes
(social), the
abandonment of each live channel, with an outbound campaign its right-party contacts and nuisance
rate, the centre's occupancy and the cost. In each panel the options
are rows (the baseline on top), each a dot with its confidence interval; the baseline's value is a
dotted grey line through the panel and a target a dashed vermillion one, so "better than today"
and "meets the target" read without a legend.

Takes the study's ``kpis.csv`` table (``option, channel, metric, mean, ci_low, ci_high``); imports
nothing from the model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.experiments.kpis import wait_unit
from sim.reporting.style import (ALL, BLACK, GREY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, VERMILLION, channel_colour,
                                 format_seconds, new_figure, no_data_figure)

__all__ = ["Panel", "option_panels", "options_figure"]


class Panel(NamedTuple):
    """One panel: a channel's KPI, its title, the factor from the table's units to the shown ones
    (``scale``) and that ``unit``; ``target`` in shown units, if any."""

    channel: str
    metric: str
    title: str
    scale: float
    unit: str
    target: float | None = None


def option_panels(channels: Mapping[str, tuple[float, float, bool]], metrics: set[tuple[str, str]],
                  cost_metric: str, cost_unit: str) -> list[Panel]:
    """The panels for ``channels`` (name -> (threshold s, target share, deferrable)) that the
    table has (``metrics``: its (channel, metric) pairs)."""
    panels = []
    for ch, (threshold, target, _) in channels.items():
        panels.append(Panel(ch, "service_level", f"{ch}: service level\n(% in {format_seconds(threshold)})", 100.0, "%",
                            100.0 * target))
    for ch, (threshold, _, deferrable) in channels.items():
        if deferrable and wait_unit(threshold) == "min":  # a target under an hour (social): minutes
            panels.append(Panel(ch, "asa_s", f"{ch}: first response\n(minutes, answered)", 1 / 60.0, "min"))
        elif deferrable:
            panels.append(Panel(ch, "asa_s", f"{ch}: first response\n(hours, answered)", 1 / 3600.0, "h"))
        else:
            panels.append(Panel(ch, "asa_s", f"{ch}: speed of answer\n(seconds, answered)", 1.0, "s"))
    for ch, (_, _, deferrable) in channels.items():
        if not deferrable:
            panels.append(Panel(ch, "abandon_rate", f"{ch}: abandonment\n(% of offered)", 100.0, "%"))
    # an outbound campaign (sim.journeys.outbound): what the options cost it
    panels.append(Panel(ALL, "right_party_contacts", "Outbound: right-party contacts\n(calls, the day)", 1.0, "calls"))
    panels.append(Panel(ALL, "nuisance_rate", "Outbound: nuisance calls\n(% of answered dials)", 100.0, "%"))
    panels.append(Panel(ALL, "occupancy", "Occupancy\n(% of logged-in time busy)", 100.0, "%"))
    cost_name = "Total cost" if cost_metric == "total_cost" else "Staffed agent-hours"
    panels.append(Panel(ALL, cost_metric, f"{cost_name}\n({cost_unit}, the day)", 1.0, cost_unit))
    return [p for p in panels if (p.channel, p.metric) in metrics]


def options_figure(kpis: pd.DataFrame, options: Sequence[str], channels: Mapping[str, tuple[float, float, bool]],
                   cost_metric: str, cost_unit: str, title: str, confidence: float = 0.95,
                   meets: Mapping[str, bool] | None = None) -> Figure:
    """Every option (rows, ``options[0]`` the baseline) on each KPI panel, with its interval.

    ``meets``: option -> whether it meets every target; those that do are drawn as filled dots,
    the others hollow, so the figure says which options are candidates."""
    if kpis is None or kpis.empty or not options:
        return no_data_figure(title)
    cells = {(str(r.option), str(r.channel), str(r.metric)): r for r in kpis.itertuples()}
    metrics = {(c, m) for (_, c, m) in cells}
    panels = option_panels(channels, metrics, cost_metric, cost_unit)
    if not panels:
        return no_data_figure(title)
    ncols = 4 if len(panels) > 6 else 3
    nrows = math.ceil(len(panels) / ncols)
    height = 1.4 + nrows * (0.42 * len(options) + 1.25)
    fig, axes = new_figure(nrows, ncols, sharey=True, size=(13.0, height))
    y = {name: len(options) - 1 - i for i, name in enumerate(options)}
    for ax, (channel, metric, heading, scale, unit, target) in zip(axes, panels):
        colour = channel_colour(channel) if channel != ALL else BLACK
        base = cells.get((options[0], channel, metric))
        if base is not None and math.isfinite(base.mean):
            ax.axvline(base.mean * scale, color=GREY, linestyle=":", linewidth=1.6)
        if target is not None:
            ax.axvline(target, color=VERMILLION, linestyle="--", linewidth=1.5)
        for name in options:
            r = cells.get((name, channel, metric))
            if r is None or not math.isfinite(r.mean):
                continue
            mean = r.mean * scale
            low, high = r.ci_low * scale, r.ci_high * scale
            err = [[mean - low], [high - mean]] if math.isfinite(low) and math.isfinite(high) else None
            filled = meets is None or bool(meets.get(name, False))
            ax.errorbar([mean], [y[name]], xerr=err, color=colour, marker="o", markersize=8,
                        fillstyle="full" if filled else "none", linewidth=2.0, capsize=4)
        ax.set_title(heading, fontsize=TICK_SIZE + 1)
        ax.grid(False, axis="y")
        _pad(ax, target)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))  # narrow: few ticks, none overlapping
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.10g}"))  # 16,000, not 16000
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    axes[0].set_yticks(list(y.values()), list(y.keys()))
    axes[0].set_ylim(-0.6, len(options) - 0.4)
    for i, ax in enumerate(axes[:len(panels)]):
        ax.tick_params(labelleft=(i % ncols == 0), labelsize=TICK_SIZE)
    fig.suptitle(title, fontsize=TITLE_SIZE)
    key = (f"dot: mean, bar: {confidence:.0%} CI; dotted grey: the baseline; dashed red: the target"
           + ("; hollow: misses a target" if meets is not None else ""))
    fig.supxlabel(key, fontsize=TICK_SIZE, color="#444444")
    return fig


def _pad(ax, target: float | None) -> None:
    """Room around the dots (and the target line) so no interval touches the frame."""
    lo, hi = ax.get_xlim()
    if target is not None:
        lo, hi = min(lo, target), max(hi, target)
    span = (hi - lo) or max(abs(hi), 1.0)
    ax.set_xlim(lo - 0.08 * span, hi + 0.08 * span)
    ax.xaxis.label.set_size(LABEL_SIZE)
