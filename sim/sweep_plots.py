"""Sweep figures from the tidy sweep table (:func:`sim.sweep.collect_sweep`), in the style of
:mod:`sim.plots` (its helpers, palette, fonts and channel colours are reused, not copied).

- :func:`kpis_vs_swept`: for one swept key, service level, ASA and abandonment per channel
  against the swept value, each with its confidence band; failed points are marked.
- :func:`service_level_heatmap`: for two swept keys, the service level of one channel
  (default ``all``) over the grid of their values.
- :func:`sweep_figures`: the figures that fit the table's swept keys, by file stem.

Every function takes the table and returns a ``matplotlib.figure.Figure``; a table with no
finished point gives a figure that says "no data".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .plots import (LABEL_SIZE, PALETTE, TICK_SIZE, TITLE_SIZE, _channel_colour, _channel_order, _legend,
                    _new_figure, _no_data_figure)
from .sweep import swept_keys

__all__ = ["kpis_vs_swept", "service_level_heatmap", "sweep_figures", "SWEEP_METRICS"]

#: metric -> (axis label, scale to plot units)
SWEEP_METRICS: dict[str, tuple[str, float]] = {
    "service_level": ("Service level (%)", 100.0),
    "asa_s": ("ASA (s)", 1.0),
    "abandon_rate": ("Abandon rate (%)", 100.0),
    "mean_wait_s": ("Mean wait (s)", 1.0),
    "occupancy": ("Occupancy (%)", 100.0),
    "p_wait": ("P(wait) (%)", 100.0),
}
_ALL = "all"
_ALL_COLOUR = PALETTE[7]
_FAILED_COLOUR = "#999999"


def _ok(table: pd.DataFrame) -> pd.DataFrame:
    if table is None or table.empty or "status" not in table.columns:
        return pd.DataFrame(columns=[] if table is None else table.columns)
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
                  metrics: Sequence[str] = ("service_level", "asa_s", "abandon_rate")) -> Figure:
    """Each metric per channel against the swept ``key``, with its CI band (one panel per metric)."""
    title = f"Service level, ASA and abandonment against {key}" if tuple(metrics) == (
        "service_level", "asa_s", "abandon_rate") else f"KPIs against {key}"
    ok = _ok(table)
    if key not in table.columns:
        return _no_data_figure(title)
    ok = ok[ok["metric"].isin(metrics) & ok[key].notna()]
    if ok.empty:
        return _no_data_figure(title)
    all_values = table[key].dropna()
    if pd.api.types.is_numeric_dtype(all_values):
        all_values = all_values.sort_values()
    pos, numeric = _positions(all_values)
    channels = _channel_order(ok["channel"].astype(str).unique())
    if _ALL in set(ok["channel"].astype(str)):
        channels.append(_ALL)
    failed = table[(table["status"].astype(str) == "failed") & table[key].notna()][key].unique().tolist()

    fig, axes = _new_figure(nrows=len(metrics), sharex=True)
    fig.set_size_inches(10.0, 2.9 * len(metrics) + 0.8)
    handles = []
    for ax, metric in zip(axes, metrics):
        label, scale = SWEEP_METRICS.get(metric, (metric, 1.0))
        rows = ok[ok["metric"] == metric]
        for ch in channels:
            part = rows[rows["channel"].astype(str) == ch]
            if part.empty:
                continue
            part = part.assign(_x=part[key].map(pos)).sort_values("_x")
            x = part["_x"].to_numpy(dtype=float)
            colour = _ALL_COLOUR if ch == _ALL else _channel_colour(ch, channels)
            style = "--" if ch == _ALL else "-"
            (line,) = ax.plot(x, part["mean"].to_numpy(dtype=float) * scale, color=colour, linestyle=style,
                              linewidth=2.2, marker="o", markersize=4, label=ch)
            ax.fill_between(x, part["ci_low"].to_numpy(dtype=float) * scale,
                            part["ci_high"].to_numpy(dtype=float) * scale, color=colour, alpha=0.18,
                            linewidth=0)
            if ax is axes[0]:
                handles.append(line)
        for value in failed:
            mark = ax.axvline(pos[value], color=_FAILED_COLOUR, linestyle=":", linewidth=1.5, label="failed point")
        if failed and ax is axes[0]:
            handles.append(mark)
        bounds = rows[["mean", "ci_high"]].to_numpy(dtype=float) * scale
        top = float(np.nanmax(bounds)) if np.isfinite(bounds).any() else 0.0
        top = max(top * 1.1, 1.0)
        ax.set_ylim(0, min(top, 100.0) if scale == 100.0 else top)
        ax.set_ylabel(label, fontsize=LABEL_SIZE)
    axes[-1].set_xlabel(key, fontsize=LABEL_SIZE)
    ticks = sorted(pos.values())
    if not numeric or len(ticks) <= 12:
        axes[-1].set_xticks(ticks, [_label(v) for v in sorted(pos, key=pos.get)])
    if not numeric:
        axes[-1].set_xlim(-0.5, len(ticks) - 0.5)
    axes[0].set_title(title, fontsize=TITLE_SIZE)
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    _legend(axes[0], handles)
    return fig


def service_level_heatmap(table: pd.DataFrame, x_key: str, y_key: str, channel: str = _ALL,
                          metric: str = "service_level") -> Figure:
    """``metric`` (default service level, %) of ``channel`` over the grid of two swept keys."""
    label, scale = SWEEP_METRICS.get(metric, (metric, 1.0))
    title = f"{label.split(' (')[0]} ({channel}) by {x_key} and {y_key}"
    if x_key not in table.columns or y_key not in table.columns:
        return _no_data_figure(title)
    ok = _ok(table)
    rows = ok[(ok["metric"] == metric) & (ok["channel"].astype(str) == channel)]
    if rows.empty:
        return _no_data_figure(title)
    xs = sorted(table[x_key].dropna().unique().tolist(), key=lambda v: (isinstance(v, str), v))
    ys = sorted(table[y_key].dropna().unique().tolist(), key=lambda v: (isinstance(v, str), v))
    grid = rows.groupby([y_key, x_key])["mean"].mean().unstack(x_key).reindex(index=ys, columns=xs)
    values = grid.to_numpy(dtype=float) * scale

    fig, (ax,) = _new_figure()
    ax.grid(False)
    cmap = _colormap()
    vmax = 100.0 if scale == 100.0 else (np.nanmax(values) if np.isfinite(values).any() else 1.0)
    image = ax.imshow(np.ma.masked_invalid(values), origin="lower", aspect="auto", cmap=cmap, vmin=0.0, vmax=vmax)
    for (i, j), v in np.ndenumerate(values):
        text = "n/a" if not np.isfinite(v) else (f"{v:.0f}%" if scale == 100.0 else f"{v:.3g}")
        shade = "#000000" if (not np.isfinite(v) or v > 0.6 * vmax) else "#ffffff"
        ax.text(j, i, text, ha="center", va="center", fontsize=TICK_SIZE, color=shade)
    ax.set_xticks(range(len(xs)), [_label(v) for v in xs])
    ax.set_yticks(range(len(ys)), [_label(v) for v in ys])
    ax.set_xlabel(x_key, fontsize=LABEL_SIZE)
    ax.set_ylabel(y_key, fontsize=LABEL_SIZE)
    ax.set_title(title, fontsize=TITLE_SIZE)
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(label, fontsize=LABEL_SIZE)
    bar.ax.tick_params(labelsize=TICK_SIZE)
    return fig


def _colormap():
    import matplotlib

    # perceptually uniform and colour-blind safe; failed or missing points in light grey
    return matplotlib.colormaps["viridis"].with_extremes(bad="#dddddd")


def sweep_figures(table: pd.DataFrame) -> dict[str, Figure]:
    """The sweep figures that fit ``table``: one swept key -> ``sweep_kpis``; two -> ``sweep_service_level_heatmap``."""
    keys = swept_keys(table)
    if len(keys) == 1:
        return {"sweep_kpis": kpis_vs_swept(table, keys[0])}
    if len(keys) == 2:
        return {"sweep_service_level_heatmap": service_level_heatmap(table, keys[0], keys[1])}
    return {}
