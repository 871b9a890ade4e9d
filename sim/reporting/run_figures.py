"""A run's tables -> matplotlib Figures, in the common style of :mod:`sim.reporting.style`.

Interval charts (the ``intervals`` table of one run, :mod:`sim.experiments.replications`):

- :func:`service_level_by_interval`: service level per channel against each channel's target;
- :func:`asa_and_queue_by_interval`: speed of answer of the live channels (s) and first response of
  the deferrable ones (h), each on its own axis, and the backlog (mean contacts waiting);
- :func:`abandonment_by_interval`: abandonment per channel;
- :func:`occupancy_by_interval`: the whole centre's occupancy over the agents staffed;
- :func:`occupancy_by_group`: each agent group's occupancy and agents staffed (``group_intervals``);
- :func:`interval_figures`: all of them, by file stem (what ``python -m sim`` writes into ``figures/``).

The service-level and abandonment charts take an optional ``baseline`` intervals table, drawn as
thin dotted lines in the same colours. :func:`paired_differences` draws a comparison
(:func:`sim.compare.compare`): each KPI's paired difference per channel with its interval,
marked by its verdict.

Every function takes tables and returns a ``matplotlib.figure.Figure``; NaN values (intervals
with nothing offered) become gaps, and an empty table gives a figure that says "no data".
Nothing here imports the model.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.experiments.kpis import (WAIT_UNITS, VERDICT_BETTER, VERDICT_NEGLIGIBLE, VERDICT_NONE, VERDICT_WORSE, kpi,
                                  unit_of, verdict)
from sim.reporting.style import (ALL, GREEN, GREY, LABEL_SIZE, PALETTE, SKY, TICK_SIZE, TITLE_SIZE, VERMILLION,
                                 channel_colour, channel_label, channel_order, deferrable_channels, format_seconds,
                                 legend, new_figure, no_data_figure, plot_line, save_figures, share_target_lines)

__all__ = ["PALETTE", "service_level_by_interval", "asa_and_queue_by_interval", "abandonment_by_interval",
           "occupancy_by_interval", "occupancy_by_group", "interval_figures", "paired_differences", "save_figures"]

MAX_XTICKS = 12
X_LABEL = "Interval start (hh:mm)"


def _has_data(intervals: pd.DataFrame | None, columns: Sequence[str]) -> bool:
    return (intervals is not None and not intervals.empty
            and all(c in intervals.columns for c in ("interval_start_s", "channel", *columns)))


def _interval_axis(intervals: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Sorted interval starts (s) and their labels ("hh:mm" if no label column)."""
    starts = np.sort(pd.to_numeric(intervals["interval_start_s"]).dropna().unique())
    lookup: dict[float, str] = {}
    if "interval" in intervals.columns:
        first = intervals.drop_duplicates("interval_start_s").set_index("interval_start_s")
        lookup = first["interval"].astype(str).to_dict()
    labels = [lookup.get(s) or f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}" for s in starts]
    return starts, labels


def _wide(intervals: pd.DataFrame, column: str, starts: np.ndarray) -> pd.DataFrame:
    """Interval x channel table of ``column`` (mean if rows repeat), NaN where absent."""
    values = pd.to_numeric(intervals[column], errors="coerce")
    frame = intervals.assign(**{column: values, "channel": intervals["channel"].astype(str)})
    wide = frame.groupby(["interval_start_s", "channel"])[column].mean().unstack("channel")
    return wide.reindex(starts)


def _day_label(label: str) -> str:
    """``'08:00+1d'`` (a multi-day run's interval) -> ``'08:00\nday 2'``; one-day labels unchanged."""
    clock, plus, days = label.partition("+")
    return f"{clock}\nday {int(days.rstrip('d')) + 1}" if plus and days.rstrip("d").isdigit() else label


def _set_interval_ticks(ax: Axes, labels: Sequence[str]) -> None:
    n = len(labels)
    step = max(1, math.ceil(n / MAX_XTICKS))
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks, [_day_label(labels[i]) for i in ticks])
    ax.set_xlim(-0.5, max(n - 0.5, 0.5))
    ax.set_xlabel(X_LABEL, fontsize=LABEL_SIZE)


def _by_channel(intervals: pd.DataFrame, column: str, title: str, ylabel: str, scale: float,
                baseline: pd.DataFrame | None, targets: Mapping[str, tuple[float, float]] | None = None,
                top: float | None = None) -> Figure:
    """One line per channel of ``column`` (x ``scale``) by interval, optional baseline and target lines."""
    channels = channel_order(intervals["channel"].astype(str).unique()) if _has_data(intervals, [column]) else []
    if not channels:
        return no_data_figure(title)
    starts, labels = _interval_axis(intervals)
    wide = _wide(intervals, column, starts)
    base = _wide(baseline, column, starts) if _has_data(baseline, [column]) else None
    x = np.arange(len(starts))
    fig, (ax,) = new_figure()
    handles: list[Artist] = []
    drawn: dict[str, np.ndarray] = {}
    for ch in channels:
        values = np.asarray(wide[ch] * scale, dtype=float)
        twin = next((other for other, seen in drawn.items() if np.allclose(values, seen, equal_nan=True)), None)
        if twin is None:
            handles.append(plot_line(ax, x, values, ch, channels))
        else:  # the same line as an earlier channel (email and social both at 100%): dashed over it, named
            (line,) = ax.plot(x, values, color=channel_colour(ch, channels), linestyle=(0, (3, 3)), linewidth=2.2,
                              label=f"{channel_label(ch)} (same as {channel_label(twin)})")
            handles.append(line)
        drawn[ch] = values
        if base is not None and ch in base.columns:
            plot_line(ax, x, base[ch] * scale, ch, channels, label=f"{ch} baseline", baseline=True)
    handles += _target_lines(ax, {ch: targets[ch] for ch in channels if targets and ch in targets}, channels)
    if base is not None:
        handles.append(Line2D([], [], color=GREY, linestyle=":", linewidth=1.8, label="baseline (dotted)"))
    if top is not None:
        ax.set_ylim(0, top * 1.02)  # a line at the top (100%) drawn whole, not half clipped
    else:
        ax.set_ylim(bottom=0)
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    ax.set_title(title, fontsize=TITLE_SIZE)
    _set_interval_ticks(ax, labels)
    legend(ax, handles)
    return fig


def _target_lines(ax: Axes, targets: Mapping[str, tuple[float, float]], channels: Sequence[str]) -> list[Artist]:
    """One dashed line per target share: in the channel's colour when one channel has it, dark grey
    naming every channel when several share it (80% for phone in 20 s and chat in 60 s would
    otherwise hide one line under the other)."""
    return share_target_lines(ax, {ch: 100.0 * target for ch, (_, target) in targets.items()}, channels,
                              {ch: f"in {format_seconds(threshold)}" for ch, (threshold, _) in targets.items()})


def service_level_by_interval(intervals: pd.DataFrame, targets: Mapping[str, tuple[float, float]],
                              baseline: pd.DataFrame | None = None) -> Figure:
    """Service level (%) per channel by interval, each channel's target ``(threshold s, target share)``
    as a dashed line in its colour; a ``baseline`` run's intervals as dotted lines."""
    return _by_channel(intervals, "service_level", "Service level by interval", "Service level (%)", 100.0,
                       baseline, targets, top=100.0)


def abandonment_by_interval(intervals: pd.DataFrame, baseline: pd.DataFrame | None = None) -> Figure:
    """Abandonment (% of offered contacts) per channel by interval; a ``baseline`` dotted."""
    title = "Abandonment by interval"
    fig = _by_channel(intervals, "abandon_rate", title, "Abandoned (% of offered)", 100.0, baseline)
    if fig.axes and fig.axes[0].get_ylim()[1] < 5.0 and fig.axes[0].get_title() == title:
        fig.axes[0].set_ylim(0, 5.0)  # a calm day should look calm, not magnified noise
    return fig


def asa_and_queue_by_interval(intervals: pd.DataFrame, asa_scale: str = "linear",
                              deferrable: Collection[str] = ()) -> Figure:
    """Waits per channel by interval, each kind on its own axis: the average speed of answer of the
    live channels in seconds on top, the first response of the ``deferrable`` channels below it, in
    minutes (a channel with a target under an hour, social) and in hours (email) on panels of their
    own, then the backlog (mean contacts waiting), all sharing the interval axis.

    ``asa_scale`` is passed to ``set_yscale`` of the seconds panel.
    """
    title = "Speed of answer and backlog by interval"
    ok = _has_data(intervals, ["asa_s", "mean_queue_length"])
    channels = channel_order(intervals["channel"].astype(str).unique()) if ok else []
    if not channels:
        return no_data_figure(title)
    units = {ch: unit_of(deferrable, ch) for ch in channels}
    later = [ch for ch in channels if units[ch] != "s"]
    starts, labels = _interval_axis(intervals)
    asa = _wide(intervals, "asa_s", starts)
    queue = _wide(intervals, "mean_queue_length", starts)
    x = np.arange(len(starts))
    panels = [(unit, group) for unit in ("s", "min", "h") if (group := [ch for ch in channels if units[ch] == unit])]
    fig, axes = new_figure(nrows=len(panels) + 1, sharex=True, size=(10.0, 2.6 * (len(panels) + 1) + 0.9))
    handles = []
    for ax, (unit, group) in zip(axes, panels):
        for ch in group:
            handles.append(plot_line(ax, x, asa[ch] / WAIT_UNITS[unit], ch, channels))
        if unit == "s":
            ax.set_yscale(asa_scale)
            ax.set_ylabel("Speed of answer,\nlive channels (s)" if later else "Speed of answer (s)",
                          fontsize=LABEL_SIZE)
        else:
            ax.set_ylabel("First response,\n" + ", ".join(group) + (" (min)" if unit == "min" else " (h)"),
                          fontsize=LABEL_SIZE)
        if unit != "s" or asa_scale == "linear":
            ax.set_ylim(bottom=0)
    ax_q = axes[-1]
    for ch in channels:
        plot_line(ax_q, x, queue[ch], ch, channels)
    ax_q.set_ylim(bottom=0)
    ax_q.set_ylabel("Backlog, mean\nwaiting (contacts)", fontsize=LABEL_SIZE)
    axes[0].set_title(title, fontsize=TITLE_SIZE)
    _set_interval_ticks(ax_q, labels)
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    legend(axes[0], handles)
    return fig


def occupancy_by_interval(intervals: pd.DataFrame) -> Figure:
    """Whole-centre occupancy (%) as a line over agents staffed as bars on a twin y axis."""
    title = "Occupancy and staffing by interval (whole centre)"
    if not _has_data(intervals, ["occupancy", "agents_staffed"]):
        return no_data_figure(title)
    rows = intervals[intervals["channel"].astype(str) == ALL]
    if rows.empty:
        return no_data_figure(title)
    starts, labels = _interval_axis(rows)
    occupancy = _wide(rows, "occupancy", starts)[ALL].to_numpy(dtype=float) * 100.0
    staffed = _wide(rows, "agents_staffed", starts)[ALL].to_numpy(dtype=float)
    x = np.arange(len(starts))
    fig, (ax,) = new_figure()
    twin = ax.twinx()
    twin.tick_params(labelsize=TICK_SIZE)
    twin.spines["top"].set_visible(False)
    ok = np.isfinite(staffed)
    bars = twin.bar(x[ok], staffed[ok], width=0.8, color=SKY, alpha=0.45, label="agents staffed")
    (line,) = ax.plot(x, occupancy, color=VERMILLION, linewidth=2.4, marker="o", markersize=4, label="occupancy")
    ax.set_zorder(twin.get_zorder() + 1)  # draw the line above the bars
    ax.patch.set_visible(False)
    ax.set_ylim(0, 100)
    top = float(np.nanmax(staffed)) if ok.any() else 1.0
    twin.set_ylim(0, max(top * 1.15, 1.0))
    ax.set_ylabel("Occupancy (%)", fontsize=LABEL_SIZE)
    twin.set_ylabel("Agents staffed (agents)", fontsize=LABEL_SIZE)
    ax.set_title(title, fontsize=TITLE_SIZE)
    _set_interval_ticks(ax, labels)
    legend(ax, [line, bars], x=1.08)
    return fig


def occupancy_by_group(group_intervals: pd.DataFrame) -> Figure:
    """Each agent group's occupancy (%, top) and agents staffed (bottom) per interval, one line per group."""
    title = "Occupancy and staffing by agent group"
    if (group_intervals is None or group_intervals.empty
            or not {"interval_start_s", "group", "occupancy", "agents_staffed"} <= set(group_intervals.columns)):
        return no_data_figure(title)
    frame = group_intervals.rename(columns={"group": "channel"})
    starts, labels = _interval_axis(frame)
    groups = list(dict.fromkeys(frame["channel"].astype(str)))
    occupancy = _wide(frame, "occupancy", starts)
    staffed = _wide(frame, "agents_staffed", starts)
    x = np.arange(len(starts))
    fig, (top, bottom) = new_figure(2, 1, sharex=True, size=(10.0, 7.0))
    handles = []
    for k, group in enumerate(groups):
        colour = PALETTE[k % len(PALETTE)]
        (line,) = top.plot(x, occupancy[group].to_numpy(dtype=float) * 100.0, color=colour, linewidth=2.2,
                           marker="o", markersize=3, label=group.replace("_", " "))
        bottom.step(x, staffed[group].to_numpy(dtype=float), where="mid", color=colour, linewidth=2.2)
        handles.append(line)
    top.set_ylim(0, 100)
    top.set_ylabel("Occupancy (%)", fontsize=LABEL_SIZE)
    bottom.set_ylabel("Agents staffed (agents)", fontsize=LABEL_SIZE)
    bottom.set_ylim(0, None)
    top.set_title(title, fontsize=TITLE_SIZE)
    _set_interval_ticks(bottom, labels)
    legend(top, handles)
    return fig


def interval_figures(intervals: pd.DataFrame, targets: Mapping[str, tuple[float, float]],
                     baseline: pd.DataFrame | None = None, deferrable: Collection[str] | None = None,
                     group_intervals: pd.DataFrame | None = None) -> dict[str, Figure]:
    """The interval charts of one run by file stem; ``baseline``: another run's intervals to overlay;
    ``deferrable``: the deferrable channels (a plain collection or ``{channel: "min" or "h"}``; default: a
    threshold of an hour or more), whose waits are in minutes or hours;
    ``group_intervals``: per agent group and interval (adds :func:`occupancy_by_group`)."""
    figures = {
        "service_level_by_interval": service_level_by_interval(intervals, targets, baseline),
        "asa_and_queue_by_interval": asa_and_queue_by_interval(intervals,
                                                               deferrable=deferrable_channels(targets, deferrable)),
        "abandonment_by_interval": abandonment_by_interval(intervals, baseline),
        "occupancy_by_interval": occupancy_by_interval(intervals),
    }
    if group_intervals is not None and not group_intervals.empty:
        figures["occupancy_by_group"] = occupancy_by_group(group_intervals)
    return figures


_VERDICT_STYLE = {  # colour and marker: the verdict reads without colour too
    VERDICT_BETTER: (GREEN, "o", "full"),
    VERDICT_WORSE: (VERMILLION, "X", "full"),
    VERDICT_NONE: (GREY, "o", "none"),
    VERDICT_NEGLIGIBLE: (GREY, "D", "none"),
}


def paired_differences(comparison: pd.DataFrame,
                       metrics: Sequence[str] = ("service_level", "asa_s", "abandon_rate", "occupancy"),
                       confidence: float = 0.95, deferrable: Collection[str] = ()) -> Figure:
    """Each KPI's paired difference (alternative - baseline) per channel with its interval, one panel
    per KPI; a vertical line at 0; markers by verdict (better: green dot, worse: vermillion cross,
    no detectable difference: hollow grey; KPIs without a better direction in grey).

    ``comparison``: :data:`sim.compare.COMPARE_COLUMNS` rows (channel, metric, diff_mean,
    diff_ci_low, diff_ci_high, ...). The waits of the ``deferrable`` channels get a panel of
    their own in hours (email) or minutes (a target under an hour, social;
    :func:`~sim.experiments.kpis.unit_of`): on the seconds axis of the calls they would hide a 2 s gain.
    """
    title = f"Change against the baseline (paired difference, {confidence:.0%} CI)"
    needed = {"channel", "metric", "diff_mean", "diff_ci_low", "diff_ci_high"}
    if comparison is None or comparison.empty or not needed <= set(comparison.columns):
        return no_data_figure(title)
    rows = comparison[comparison["metric"].isin(metrics)]
    metrics = [m for m in metrics if m in set(rows["metric"])]
    if not metrics:
        return no_data_figure(title)
    channels = channel_order(rows["channel"].astype(str).unique(), include_all=True)
    panels = []  # (metric, its rows, scale, x label)
    for metric in metrics:
        info = kpi(metric)
        part = rows[rows["metric"] == metric]
        label = f"Δ {info.name} ({info.diff_unit})" if info.diff_unit else f"Δ {info.name}"
        units = part["channel"].astype(str).map(lambda ch: unit_of(deferrable, ch))
        if metric in ("asa_s", "mean_wait_s") and (units != "s").any():
            short = "ASA" if metric == "asa_s" else "Mean wait"
            panels.append((metric, part[units == "s"], info.scale, f"Δ {short}, live channels (s)"))
            for unit in ("min", "h"):
                later = units == unit
                if later.any():
                    names = ", ".join(sorted(set(part[later]["channel"].astype(str))))
                    panels.append((metric, part[later], 1 / WAIT_UNITS[unit],
                                   f"Δ {'First response' if metric == 'asa_s' else short}, {names} ({unit})"))
        else:
            panels.append((metric, part, info.scale, label))
    ncols = 2 if len(panels) > 1 else 1
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = new_figure(nrows, ncols, sharey=True, size=(10.0, 1.0 + nrows * (0.55 * len(channels) + 1.2)))
    y = {ch: i for i, ch in enumerate(reversed(channels))}
    seen: dict[str, Artist] = {}
    for ax, (metric, part, scale, xlabel) in zip(axes, panels):
        ax.axvline(0.0, color="#555555", linewidth=1.2)
        for r in part.itertuples():
            word = verdict(metric, r.diff_ci_low, r.diff_ci_high, r.diff_mean)
            colour, marker, fill = _VERDICT_STYLE.get(word, (GREY, "s", "full"))
            mean, low, high = (float(v) * scale for v in (r.diff_mean, r.diff_ci_low, r.diff_ci_high))
            if not math.isfinite(mean):
                continue
            err = [[mean - low], [high - mean]] if math.isfinite(low) and math.isfinite(high) else None
            handle = ax.errorbar([mean], [y[str(r.channel)]], xerr=err, color=colour, marker=marker, fillstyle=fill,
                                 markersize=9, linewidth=2.2, capsize=5, label=word)
            seen.setdefault(word, handle)
        ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
        lo, hi = ax.get_xlim()
        span = max(abs(lo), abs(hi), 1e-9)
        ax.set_xlim(-span * 1.1, span * 1.1)  # zero in the middle: the eye reads left/right as down/up
        ax.grid(False, axis="y")
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    axes[0].set_yticks(list(y.values()), [channel_label(ch) for ch in y])
    axes[0].set_ylim(-0.6, len(channels) - 0.4)
    for ax in axes[:len(panels)]:
        ax.tick_params(labelleft=True)
    fig.suptitle(title, fontsize=TITLE_SIZE)
    order = [VERDICT_BETTER, VERDICT_WORSE, VERDICT_NEGLIGIBLE, VERDICT_NONE]
    handles = [seen[k] for k in sorted(seen, key=lambda k: order.index(k) if k in order else len(order))]
    if handles:
        fig.legend(handles=handles, fontsize=TICK_SIZE, loc="outside lower center", ncols=len(handles), frameon=False)
    return fig
