"""Sweep figures from the tidy sweep table (:func:`sim.sweep.collect_sweep`; a what-if study's
``kpis.csv`` has the same shape), in the common style of :mod:`sim.reporting.style`.

- :func:`kpis_vs_swept`: for one swept key, service level, ASA and abandonment per channel
  against the swept value, each with its confidence band, the channels' service-level targets
  dashed; failed points are marked.
- :func:`service_level_heatmap`: for two swept keys, the service level of one channel
  (default ``all``) over the grid of their values.
- :func:`cost_vs_service`: each point's cost against its service level, with both intervals,
  the cost-service Pareto front (:func:`pareto_front`) joined and labelled.
- :func:`sweep_figures`: the figures that fit the table's swept keys, by file stem.

Every function takes tables and returns a ``matplotlib.figure.Figure``; a table with no
finished point gives a figure that says "no data". Nothing here imports the model.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.experiments.kpis import WAIT_UNITS, kpi, unit_of
from sim.reporting.labels import key_label, wrap
from sim.reporting.style import (ALL, BLACK, BLUE, GREY, LABEL_SIZE, LIVE, TICK_SIZE, TITLE_SIZE, VERMILLION,
                                 channel_label, channel_order, legend, new_figure, no_data_figure,
                                 plot_line, reference_line, share_target_lines, target_line)

__all__ = ["kpis_vs_swept", "service_level_heatmap", "centre_target", "cost_vs_service", "pareto_front", "sweep_figures",
           "SWEEP_METRICS", "swept_columns"]

#: metric -> (axis label, scale to plot units)
SWEEP_METRICS: dict[str, tuple[str, float]] = {
    m: (kpi(m).label, kpi(m).scale)
    for m in ("service_level", "asa_s", "abandon_rate", "mean_wait_s", "occupancy", "p_wait")
}
SWEEP_METRICS["asa_s"] = ("ASA (s)", 1.0)
SWEEP_METRICS["abandon_rate"] = ("Abandoned (% of offered)", 100.0)
#: waits, drawn in minutes or hours on a panel of their own for deferrable channels
_WAITS = ("asa_s", "mean_wait_s")
_SUMMARY = ("channel", "metric", "mean", "ci_low", "ci_high", "n_reps", "status", "error")


def swept_columns(table: pd.DataFrame) -> list[str]:
    """The swept-key columns of a sweep table (everything before the summary columns)."""
    return [c for c in table.columns if c not in _SUMMARY]


def _ok(table: pd.DataFrame) -> pd.DataFrame:
    if table is None or table.empty:
        return pd.DataFrame(columns=[] if table is None else table.columns)
    if "status" not in table.columns:  # a study's kpis.csv: every row is a finished point
        return table
    return table[table["status"].astype(str) == "ok"]


def _positions(values: pd.Series) -> tuple[dict, bool]:
    """Swept value -> x position: the value itself if all are numeric, else its rank."""
    unique = list(dict.fromkeys(values.dropna().tolist()))
    numeric = pd.to_numeric(pd.Series(unique, dtype=object), errors="coerce")
    if len(unique) and numeric.notna().all():
        return {v: float(n) for v, n in zip(unique, numeric)}, True
    return {v: float(i) for i, v in enumerate(unique)}, False


def _label(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float, np.integer, np.floating)) else str(value)


def kpis_vs_swept(table: pd.DataFrame, key: str,
                  metrics: Sequence[str] = ("service_level", "asa_s", "abandon_rate"),
                  targets: Mapping[str, float] | None = None, xlabel: str | None = None,
                  deferrable: Collection[str] = ()) -> Figure:
    """Each metric per channel against the swept ``key``, with its CI band (one panel per metric).

    ``targets``: ``{channel: service-level target share}``, dashed on the service-level panel.
    The centre-wide rows (``live``, ``all``) are drawn, dashed, only when there are several channels.
    Waits of the ``deferrable`` channels get a panel of their own, in hours (email) or minutes (a
    ``{channel: unit}`` mapping saying so, e.g. social; :func:`~sim.experiments.kpis.unit_of`): they are never
    drawn on the seconds axis of the live channels.
    """
    title = wrap(f"Service level, ASA and abandonment against {key_label(key)}" if tuple(metrics) == (
        "service_level", "asa_s", "abandon_rate") else f"KPIs against {key_label(key)}")
    if table is None or key not in table.columns:
        return no_data_figure(title)
    ok = _ok(table)
    ok = ok[ok["metric"].isin(metrics) & ok[key].notna()]
    if ok.empty:
        return no_data_figure(title)
    all_values = table[key].dropna()
    if pd.api.types.is_numeric_dtype(all_values):
        all_values = all_values.sort_values()
    pos, numeric = _positions(all_values)
    channels = channel_order(ok["channel"].astype(str).unique())
    if len(channels) != 1 or not channels:
        channels = channel_order(ok["channel"].astype(str).unique(), include_all=True)
    units = {ch: unit_of(deferrable, ch) for ch in channels}
    panels = []  # (metric, channels drawn, unit of the waits: "s", "min" or "h")
    for metric in metrics:
        if metric in _WAITS and any(ch in deferrable for ch in channels):
            for unit in ("s", "min", "h"):
                drawn = [ch for ch in channels if units[ch] == unit]
                if drawn:
                    panels.append((metric, drawn, unit))
        else:
            panels.append((metric, channels, "s"))
    failed = []
    if "status" in table.columns:
        failed = table[(table["status"].astype(str) == "failed") & table[key].notna()][key].unique().tolist()

    fig, axes = new_figure(nrows=len(panels), sharex=True, size=(10.0, 2.9 * len(panels) + 0.8))
    handles = []
    for ax, (metric, drawn, unit) in zip(axes, panels):
        label, scale = SWEEP_METRICS.get(metric, (kpi(metric).label, kpi(metric).scale))
        if unit != "s":
            name = "First response" if metric == "asa_s" else kpi(metric).name
            label, scale = f"{name},\n{', '.join(drawn)} ({unit})", 1 / WAIT_UNITS[unit]
        elif metric in _WAITS and deferrable:
            label = label.replace(" (s)", ",\nlive channels (s)")
        rows = ok[(ok["metric"] == metric) & ok["channel"].astype(str).isin(drawn)]
        for ch in drawn:
            part = rows[rows["channel"].astype(str) == ch]
            if part.empty:
                continue
            part = part.assign(_x=part[key].map(pos)).sort_values("_x")
            x = part["_x"].to_numpy(dtype=float)
            line = plot_line(ax, x, part["mean"].to_numpy(dtype=float) * scale, ch, channels)
            ax.fill_between(x, part["ci_low"].to_numpy(dtype=float) * scale,
                            part["ci_high"].to_numpy(dtype=float) * scale, color=line.get_color(), alpha=0.18,
                            linewidth=0)
            if line.get_label() not in {h.get_label() for h in handles}:
                handles.append(line)
        if metric == "service_level" and targets:
            marks = share_target_lines(ax, {ch: 100.0 * targets[ch] for ch in channels if ch in targets}, channels)
            if ax is axes[0]:
                handles.extend(marks)
        for value in failed:
            mark = reference_line(ax, pos[value], "failed point")
        if failed and ax is axes[0]:
            handles.append(mark)
        bounds = rows[["mean", "ci_high"]].to_numpy(dtype=float) * scale
        top = float(np.nanmax(bounds)) if np.isfinite(bounds).any() else 0.0
        top = max(top * 1.1, 1.0)
        ax.set_ylim(0, 100.0 if metric == "service_level" else (min(top, 100.0) if scale == 100.0 else top))
        ax.set_ylabel(label, fontsize=LABEL_SIZE)
    axes[-1].set_xlabel(xlabel or key_label(key), fontsize=LABEL_SIZE)
    ticks = sorted(pos.values())
    if not numeric or len(ticks) <= 12:
        axes[-1].set_xticks(ticks, [_label(v) for v in sorted(pos, key=pos.get)])
    if not numeric:
        axes[-1].set_xlim(-0.5, len(ticks) - 0.5)
    axes[0].set_title(title, fontsize=TITLE_SIZE)
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    legend(axes[0], handles)
    return fig


def service_level_heatmap(table: pd.DataFrame, x_key: str, y_key: str, channel: str | None = None,
                          metric: str = "service_level", target: float | None = None) -> Figure:
    """``metric`` (default service level, %) of ``channel`` over the grid of two swept keys; by
    default the centre's: its live channels' when it also has deferrable ones, else the whole centre's.

    With a ``target`` (a share, e.g. 0.8) the colours diverge at it: cells below the target in
    shades of vermillion, above it in shades of blue, the target itself white, so 79% and 81%
    look different and 85% and 97% do too; the colour bar marks the target. Without one, a
    sequential scale over the values drawn (not 0-100, which would make 80-97% one colour)."""
    label, scale = SWEEP_METRICS.get(metric, (kpi(metric).label, kpi(metric).scale))
    if channel is None:
        channel = LIVE if table is not None and "channel" in table.columns and \
            (table["channel"].astype(str) == LIVE).any() else ALL
    title = wrap(f"{label.split(' (')[0]} ({channel_label(channel)}) by {key_label(x_key)} and {key_label(y_key)}")
    if table is None or x_key not in table.columns or y_key not in table.columns:
        return no_data_figure(title)
    ok = _ok(table)
    rows = ok[(ok["metric"] == metric) & (ok["channel"].astype(str) == channel)]
    if rows.empty:
        return no_data_figure(title)
    xs = sorted(table[x_key].dropna().unique().tolist(), key=lambda v: (isinstance(v, str), v))
    ys = sorted(table[y_key].dropna().unique().tolist(), key=lambda v: (isinstance(v, str), v))
    grid = rows.groupby([y_key, x_key])["mean"].mean().unstack(x_key).reindex(index=ys, columns=xs)
    values = grid.to_numpy(dtype=float) * scale

    fig, (ax,) = new_figure()
    ax.grid(False)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if target is not None:
        from matplotlib.colors import TwoSlopeNorm

        centre = target * scale
        spread = max(centre - low, high - centre, 1e-9)  # symmetric: equal distances read as equal colours
        norm = TwoSlopeNorm(vcenter=centre, vmin=centre - spread, vmax=centre + spread)
        cmap = _diverging()
    else:
        from matplotlib.colors import Normalize

        norm = Normalize(vmin=low, vmax=high if high > low else low + 1e-9)
        cmap = _colormap()
    image = ax.imshow(np.ma.masked_invalid(values), origin="lower", aspect="auto", cmap=cmap, norm=norm)
    for (i, j), v in np.ndenumerate(values):
        text = "n/a" if not np.isfinite(v) else (f"{v:.1f}%" if scale == 100.0 else f"{v:.3g}")
        strong = np.isfinite(v) and (abs(norm(v) - 0.5) > 0.35 if target is not None else norm(v) < 0.4)
        ax.text(j, i, text, ha="center", va="center", fontsize=TICK_SIZE, color="#ffffff" if strong else "#000000")
    ax.set_xticks(range(len(xs)), [_label(v) for v in xs])
    ax.set_yticks(range(len(ys)), [_label(v) for v in ys])
    ax.set_xlabel(key_label(x_key), fontsize=LABEL_SIZE)
    ax.set_ylabel(wrap(key_label(y_key), 40), fontsize=LABEL_SIZE)
    ax.set_title(title, fontsize=TITLE_SIZE)
    bar = fig.colorbar(image, ax=ax)
    bar.ax.tick_params(labelsize=TICK_SIZE)
    if target is not None:
        bar.ax.axhline(target * scale, color="#000000", linewidth=2.0)
        label = f"{label}; target {target * scale:g}{'%' if scale == 100.0 else ''} (black line, white)"
    bar.set_label(label, fontsize=LABEL_SIZE)
    return fig


def centre_target(targets: Mapping[str, float] | None, deferrable: Collection[str] = ()) -> float | None:
    """The service-level target of the centre's row (``live``, else ``all``): the target its live
    channels share, ``None`` when they have different ones (no single line to centre on)."""
    shares = {round(t, 9) for ch, t in (targets or {}).items() if ch not in deferrable}
    return shares.pop() if len(shares) == 1 else None


def _diverging():
    import matplotlib

    # colour-blind safe diverging map (red-blue); the target white; failed points light grey
    return matplotlib.colormaps["RdBu"].with_extremes(bad="#dddddd")


def _colormap():
    import matplotlib

    # perceptually uniform and colour-blind safe; failed or missing points in light grey
    return matplotlib.colormaps["viridis"].with_extremes(bad="#dddddd")


def pareto_front(cost: Sequence[float], service: Sequence[float]) -> np.ndarray:
    """Which points are on the cost-service Pareto front: no other point costs at most as much
    and serves at least as well, and is strictly better in one of the two. NaNs are never on it."""
    c = np.asarray(cost, dtype=float)
    s = np.asarray(service, dtype=float)
    ok = np.isfinite(c) & np.isfinite(s)
    front = np.zeros(c.size, dtype=bool)
    for i in np.flatnonzero(ok):
        others = ok & (c <= c[i]) & (s >= s[i]) & ((c < c[i]) | (s > s[i]))
        front[i] = not others.any()
    return front


def cost_vs_service(points: pd.DataFrame, cost_label: str, service_label: str = "Service level (%)",
                    target: float | None = None, title: str = "Cost against service") -> Figure:
    """Each point's cost (x) against its service level (y, %), both with their intervals.

    ``points``: one row per point, columns ``label`` (what the point is, e.g. ``agents=14``),
    ``cost``, ``cost_low``, ``cost_high``, ``service``, ``service_low``, ``service_high`` (shares),
    optional ``meets_target`` (filled markers meet every channel's target, hollow ones do not).
    The Pareto front (:func:`pareto_front`) is joined by a line; every point is labelled.
    ``target``: a service-level target share, drawn dashed.
    """
    needed = {"label", "cost", "service"}
    if points is None or points.empty or not needed <= set(points.columns):
        return no_data_figure(title)
    p = points.copy()
    for col in ("cost_low", "cost_high", "service_low", "service_high"):
        if col not in p.columns:
            p[col] = np.nan
    p = p[np.isfinite(p["cost"].astype(float)) & np.isfinite(p["service"].astype(float))]
    if p.empty:
        return no_data_figure(title)
    front = pareto_front(p["cost"], p["service"])
    fig, (ax,) = new_figure()
    handles = []
    x = p["cost"].to_numpy(dtype=float)
    y = p["service"].to_numpy(dtype=float) * 100.0
    meets = p["meets_target"].to_numpy() if "meets_target" in p.columns else np.full(len(p), None)
    xerr = _err(x, p["cost_low"].to_numpy(dtype=float), p["cost_high"].to_numpy(dtype=float))
    yerr = _err(y, p["service_low"].to_numpy(dtype=float) * 100.0, p["service_high"].to_numpy(dtype=float) * 100.0)
    ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="none", color=GREY, ecolor=GREY, elinewidth=1.2, capsize=3, zorder=1)
    order = np.argsort(x[front])
    (front_line,) = ax.plot(x[front][order], y[front][order], color=VERMILLION, linewidth=2.4, zorder=2,
                            label="Pareto front (cheapest for its service)")
    handles.append(front_line)
    for i in range(len(p)):
        filled = True if meets[i] is None or pd.isna(meets[i]) else bool(meets[i])
        ax.plot([x[i]], [y[i]], marker="o", markersize=10, color=BLUE, markerfacecolor=BLUE if filled else "white",
                markeredgewidth=2, zorder=3)
        ax.annotate(str(p["label"].iloc[i]), (x[i], y[i]), textcoords="offset points", xytext=(6, -14),
                    fontsize=TICK_SIZE, color=BLACK)
    if "meets_target" in p.columns and p["meets_target"].notna().any():
        handles.append(Line2D([], [], marker="o", markersize=10, color=BLUE, linestyle="none", markeredgewidth=2,
                              label="meets every channel's target"))
        handles.append(Line2D([], [], marker="o", markersize=10, color=BLUE, markerfacecolor="white",
                              linestyle="none", markeredgewidth=2, label="misses a target"))
    if target is not None and math.isfinite(target):
        handles.append(target_line(ax, 100.0 * target, BLACK, f"target {100.0 * target:g}%"))
    ax.set_ylim(max(0.0, min(float(np.nanmin(y)) - 10.0, 100.0 * (target or 1.0) - 10.0)), 100.0)
    ax.margins(x=0.12)  # room for the labels of the points at either end
    ax.set_xlabel(cost_label, fontsize=LABEL_SIZE)
    ax.set_ylabel(service_label, fontsize=LABEL_SIZE)
    ax.set_title(title, fontsize=TITLE_SIZE)
    legend(ax, handles)
    return fig


def _err(value: np.ndarray, low: np.ndarray, high: np.ndarray):
    if not (np.isfinite(low) & np.isfinite(high)).any():
        return None
    return np.vstack([np.nan_to_num(value - low), np.nan_to_num(high - value)]).clip(min=0.0)


def sweep_figures(table: pd.DataFrame, targets: Mapping[str, float] | None = None,
                  deferrable: Collection[str] = ()) -> dict[str, Figure]:
    """The sweep figures that fit ``table``: one swept key -> ``sweep_kpis``; two -> ``sweep_service_level_heatmap``."""
    keys = swept_columns(table)
    if len(keys) == 1:
        return {"sweep_kpis": kpis_vs_swept(table, keys[0], targets=targets, deferrable=deferrable)}
    if len(keys) == 2:
        return {"sweep_service_level_heatmap": service_level_heatmap(table, keys[0], keys[1],
                                                                     target=centre_target(targets, deferrable))}
    return {}
