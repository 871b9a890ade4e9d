"""Turn the simulator's per-interval result tables into matplotlib Figures in one
consistent, slide-ready style: titles, axis labels with units, the colour-blind-safe Okabe–Ito
palette (each channel keeps its colour across figures), light grids and fonts of at least
11 pt. Figures are built with ``matplotlib.figure.Figure`` directly rather than pyplot, so no
global state leaks and the module is safe under any backend; NaN values (intervals with
nothing offered) become gaps rather than errors, an empty table yields a figure that says
"no data", and ``save_figures`` writes PNGs that are byte-identical when the same figure is
saved twice on the same machine."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

__all__ = ["PALETTE", "service_level_by_interval", "asa_and_queue_by_interval",
           "occupancy_by_interval", "save_figures"]

#: Okabe–Ito colour-blind-safe palette.
PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
)
_KNOWN_CHANNELS: tuple[str, ...] = ("phone", "chat", "email")
_ALL = "all"
FIGSIZE: tuple[float, float] = (10.0, 5.5)
TITLE_SIZE = 15
LABEL_SIZE = 13
TICK_SIZE = 11
LEGEND_SIZE = 11
MAX_XTICKS = 12
DPI = 120
X_LABEL = "Interval start (hh:mm)"


def _settle_layout(fig: Figure, max_draws: int = 8) -> Figure:
    """Iterate the figure's layout engine to a fixed point, then freeze it.

    Constrained layout moves axes a little on each draw until it converges, so without this
    the first and second ``savefig`` of one figure differ; a frozen layout saves identically.
    """
    engine = fig.get_layout_engine()
    if engine is None or type(engine).__name__ == "PlaceHolderLayoutEngine":
        return fig
    previous: np.ndarray | None = None
    for _ in range(max_draws):
        fig.draw_without_rendering()
        bounds = np.array([ax.get_position().bounds for ax in fig.axes], dtype=float)
        if previous is not None and previous.shape == bounds.shape and np.allclose(
                previous, bounds, rtol=0.0, atol=1e-9):
            break
        previous = bounds
    fig.set_layout_engine("none")
    return fig


def _new_figure(nrows: int = 1, sharex: bool = False) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    axes = list(fig.subplots(nrows, 1, sharex=sharex, squeeze=False)[:, 0])
    for ax in axes:
        ax.tick_params(labelsize=TICK_SIZE)
        ax.grid(True, color="#cccccc", linewidth=0.6, alpha=0.6)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, axes


def _no_data_figure(title: str) -> Figure:
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, "no data", ha="center", va="center", fontsize=LABEL_SIZE + 5,
            color="#555555", transform=ax.transAxes)
    fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


def _has_data(intervals: pd.DataFrame | None, columns: Sequence[str]) -> bool:
    return (intervals is not None and not intervals.empty
            and all(c in intervals.columns for c in ("interval_start_s", "channel", *columns)))


def _channel_order(channels: Sequence[str]) -> list[str]:
    present = {str(c) for c in channels if str(c) != _ALL}
    known = [c for c in _KNOWN_CHANNELS if c in present]
    return known + sorted(present - set(known))


def _channel_colour(channel: str, order: Sequence[str]) -> str:
    """Stable colours: phone/chat/email always get the first three; others follow."""
    if channel in _KNOWN_CHANNELS:
        return PALETTE[_KNOWN_CHANNELS.index(channel)]
    extras = [c for c in order if c not in _KNOWN_CHANNELS]
    return PALETTE[(len(_KNOWN_CHANNELS) + extras.index(channel)) % len(PALETTE)]


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


def _set_interval_ticks(ax: Axes, labels: Sequence[str]) -> None:
    n = len(labels)
    step = max(1, math.ceil(n / MAX_XTICKS))
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks, [labels[i] for i in ticks])
    ax.set_xlim(-0.5, max(n - 0.5, 0.5))
    ax.set_xlabel(X_LABEL, fontsize=LABEL_SIZE)


def _format_seconds(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _legend(ax: Axes, handles: Sequence[Artist], x: float = 1.01) -> None:
    ax.legend(handles=list(handles), fontsize=LEGEND_SIZE, loc="upper left",
              bbox_to_anchor=(x, 1.0), frameon=False)


def _plot_channel(ax: Axes, values: pd.Series, channel: str, colour: str) -> Line2D:
    (line,) = ax.plot(np.arange(len(values)), values.to_numpy(dtype=float), color=colour,
                      linewidth=2.2, marker="o", markersize=4, label=channel)
    return line


def service_level_by_interval(
    intervals: pd.DataFrame, targets: Mapping[str, tuple[float, float]]
) -> Figure:
    """Service level (%) per channel by interval, with each channel's target as a dashed line."""
    title = "Service level by interval"
    ok = _has_data(intervals, ["service_level"])
    channels = _channel_order(intervals["channel"].unique()) if ok else []
    if not channels:
        return _no_data_figure(title)
    starts, labels = _interval_axis(intervals)
    wide = _wide(intervals, "service_level", starts)
    fig, (ax,) = _new_figure()
    handles: list[Artist] = []
    for ch in channels:
        colour = _channel_colour(ch, channels)
        handles.append(_plot_channel(ax, wide[ch] * 100.0, ch, colour))
        if ch in targets:
            threshold_s, target = targets[ch]
            handles.append(ax.axhline(
                100.0 * target, color=colour, linestyle="--", linewidth=1.5,
                label=f"{ch} target {100.0 * target:g}% in {_format_seconds(threshold_s)}"))
    ax.set_ylim(0, 100)
    ax.set_ylabel("Service level (%)", fontsize=LABEL_SIZE)
    ax.set_title(title, fontsize=TITLE_SIZE)
    _set_interval_ticks(ax, labels)
    _legend(ax, handles)
    return fig


def asa_and_queue_by_interval(intervals: pd.DataFrame, asa_scale: str = "linear") -> Figure:
    """ASA (s) per channel on top, mean queue length (contacts) below, sharing the interval axis.

    ``asa_scale`` is passed to ``set_yscale`` (e.g. "symlog" when email waits dwarf phone's).
    """
    title = "Average speed of answer and queue length by interval"
    ok = _has_data(intervals, ["asa_s", "mean_queue_length"])
    channels = _channel_order(intervals["channel"].unique()) if ok else []
    if not channels:
        return _no_data_figure(title)
    starts, labels = _interval_axis(intervals)
    asa = _wide(intervals, "asa_s", starts)
    queue = _wide(intervals, "mean_queue_length", starts)
    fig, (ax_asa, ax_q) = _new_figure(nrows=2, sharex=True)
    handles = []
    for ch in channels:
        colour = _channel_colour(ch, channels)
        handles.append(_plot_channel(ax_asa, asa[ch], ch, colour))
        _plot_channel(ax_q, queue[ch], ch, colour)
    ax_asa.set_yscale(asa_scale)
    if asa_scale == "linear":
        ax_asa.set_ylim(bottom=0)
    ax_q.set_ylim(bottom=0)
    ax_asa.set_ylabel("ASA (s)", fontsize=LABEL_SIZE)
    ax_q.set_ylabel("Mean queue length (contacts)", fontsize=LABEL_SIZE)
    ax_asa.set_title(title, fontsize=TITLE_SIZE)
    _set_interval_ticks(ax_q, labels)
    ax_asa.tick_params(labelbottom=False)
    _legend(ax_asa, handles)
    return fig


def occupancy_by_interval(intervals: pd.DataFrame) -> Figure:
    """Whole-centre occupancy (%) as a line over agents staffed as bars on a twin y axis."""
    title = "Occupancy and staffing by interval (whole centre)"
    if not _has_data(intervals, ["occupancy", "agents_staffed"]):
        return _no_data_figure(title)
    rows = intervals[intervals["channel"].astype(str) == _ALL]
    if rows.empty:
        return _no_data_figure(title)
    starts, labels = _interval_axis(rows)
    occupancy = _wide(rows, "occupancy", starts)[_ALL].to_numpy(dtype=float) * 100.0
    staffed = _wide(rows, "agents_staffed", starts)[_ALL].to_numpy(dtype=float)
    x = np.arange(len(starts))
    fig, (ax,) = _new_figure()
    twin = ax.twinx()
    twin.tick_params(labelsize=TICK_SIZE)
    twin.spines["top"].set_visible(False)
    ok = np.isfinite(staffed)
    bars = twin.bar(x[ok], staffed[ok], width=0.8, color=PALETTE[5], alpha=0.45,
                    label="agents staffed")
    (line,) = ax.plot(x, occupancy, color=PALETTE[3], linewidth=2.4, marker="o",
                      markersize=4, label="occupancy")
    ax.set_zorder(twin.get_zorder() + 1)  # draw the line above the bars
    ax.patch.set_visible(False)
    ax.set_ylim(0, 100)
    top = float(np.nanmax(staffed)) if ok.any() else 1.0
    twin.set_ylim(0, max(top * 1.15, 1.0))
    ax.set_ylabel("Occupancy (%)", fontsize=LABEL_SIZE)
    twin.set_ylabel("Agents staffed (agents)", fontsize=LABEL_SIZE)
    ax.set_title(title, fontsize=TITLE_SIZE)
    _set_interval_ticks(ax, labels)
    _legend(ax, [line, bars], x=1.08)
    return fig


def save_figures(figures: Mapping[str, Figure], folder: str | Path) -> list[Path]:
    """Write each figure as ``<name>.png`` (dpi 120, no software metadata); return the paths.

    Each figure's constrained layout is first settled and frozen (see ``_settle_layout``), so
    saving the same figure again, here or with ``savefig``, gives byte-identical files on the
    same machine. Creates ``folder`` if needed; names must be plain file stems.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, fig in figures.items():
        if not name or Path(name).name != name:
            raise ValueError(f"figure name must be a plain file stem, got {name!r}")
        path = out / f"{name}.png"
        _settle_layout(fig)
        fig.savefig(path, dpi=DPI, format="png", metadata={"Software": None})
        paths.append(path)
    return paths
