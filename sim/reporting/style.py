"""The one figure style of every chart the simulator draws (run, sweep, study and report figures).

Slide-ready: a 10 x 5.5 in canvas saved at 120 dpi (1200 px wide, the width of a slide), titles of
15 pt, axis labels of 13 pt with their units, ticks and legends of 11 pt or more; the colour-blind-safe
Okabe-Ito palette, where each channel keeps its colour in every figure (phone blue, chat orange,
email bluish green, then the rest in order) and the whole centre is black and dashed; targets are
dashed horizontal lines, reference marks (a baseline value, a failed sweep point) dotted grey
vertical lines; light grids, no top or right spines, legends outside the plot on the right.

Figures are built on ``matplotlib.figure.Figure`` directly, never pyplot, so no global state leaks
and any backend works. The figure modules (:mod:`sim.reporting.run_figures`, :mod:`sim.reporting.sweep_figures`) and the
what-if studies build on the helpers here rather than each setting its own fonts and colours; it
is one small module of its own so that none of them imports another's private helpers.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.experiments.kpis import wait_unit

__all__ = ["PALETTE", "BLUE", "ORANGE", "GREEN", "VERMILLION", "PURPLE", "SKY", "YELLOW", "BLACK", "GREY",
           "FIGSIZE", "DPI", "TITLE_SIZE", "LABEL_SIZE", "TICK_SIZE", "LEGEND_SIZE", "MIN_FONT_SIZE", "ALL",
           "ALL_LABEL", "LIVE", "LIVE_LABEL", "DEFERRABLE_THRESHOLD_S", "deferrable_channels", "new_figure", "no_data_figure", "channel_order", "channel_colour", "channel_label",
           "plot_line", "target_line", "share_target_lines", "reference_line", "legend", "format_seconds", "settle_layout",
           "save_figures", "png_bytes"]

#: Okabe-Ito colour-blind-safe palette.
PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
)
BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, BLACK = PALETTE
GREY = "#999999"
FIGSIZE: tuple[float, float] = (10.0, 5.5)
DPI = 120
TITLE_SIZE = 15
LABEL_SIZE = 13
TICK_SIZE = 11
LEGEND_SIZE = 11
#: no text in a figure is smaller than this (pt): readable on a projected slide.
MIN_FONT_SIZE = 11
ALL = "all"
ALL_LABEL = "whole centre"
#: the centre-wide row of the waits in a centre with live and deferrable channels (sim.model.metrics.LIVE)
LIVE = "live"
LIVE_LABEL = "live channels"
_KNOWN_CHANNELS: tuple[str, ...] = ("phone", "chat", "email")


def _style_axes(ax: Axes) -> None:
    ax.tick_params(labelsize=TICK_SIZE)
    ax.grid(True, color="#cccccc", linewidth=0.6, alpha=0.6)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)


def new_figure(nrows: int = 1, ncols: int = 1, *, sharex: bool = False, sharey: bool = False,
               size: tuple[float, float] | None = None) -> tuple[Figure, list[Axes]]:
    """A styled figure (constrained layout) and its axes, row by row."""
    fig = Figure(figsize=size or FIGSIZE, layout="constrained")
    axes = list(fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=False).ravel())
    for ax in axes:
        _style_axes(ax)
    return fig, axes


def no_data_figure(title: str, message: str = "no data") -> Figure:
    """A figure that says there is nothing to draw (an empty table, a failed run)."""
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=LABEL_SIZE + 5, color="#555555",
            transform=ax.transAxes, wrap=True)
    fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


def channel_order(channels: Sequence[str], *, include_all: bool = False) -> list[str]:
    """phone, chat, email first, the others alphabetically; the centre-wide rows (``live``, then
    ``all``) last if asked for and present."""
    names = {str(c) for c in channels}
    present = names - {ALL, LIVE}
    known = [c for c in _KNOWN_CHANNELS if c in present]
    order = known + sorted(present - set(known))
    return order + [c for c in (LIVE, ALL) if c in names] if include_all else order


#: a channel whose service-level threshold is at least this (s) is deferrable when a figure is not
#: told which are (as :data:`sim.engine.config.DEFERRABLE_THRESHOLD_S`)
DEFERRABLE_THRESHOLD_S = 3600.0


def deferrable_channels(targets: Mapping[str, tuple[float, float]] | None,
                        deferrable: Collection[str] | None = None) -> dict[str, str]:
    """The deferrable channels and the unit of their waits (``{channel: "min" or "h"}``,
    :func:`sim.experiments.kpis.wait_units`): ``deferrable`` when given (a plain collection: hours, unless
    its channel's threshold in ``targets`` is under an hour), else those of ``targets`` (channel ->
    (threshold s, target)) whose threshold is an hour or more."""
    targets = targets or {}
    if deferrable is not None:
        if hasattr(deferrable, "get"):
            return dict(deferrable)
        return {ch: wait_unit(targets[ch][0]) if ch in targets else "h" for ch in deferrable}
    return {ch: wait_unit(threshold) for ch, (threshold, _) in targets.items() if threshold >= DEFERRABLE_THRESHOLD_S}


def channel_colour(channel: str, order: Sequence[str] = ()) -> str:
    """Stable colours: phone/chat/email always get the first three; others follow in ``order``."""
    if channel == ALL:
        return BLACK
    if channel == LIVE:
        return "#555555"
    if channel in _KNOWN_CHANNELS:
        return PALETTE[_KNOWN_CHANNELS.index(channel)]
    extras = [c for c in order if c not in _KNOWN_CHANNELS and c not in (ALL, LIVE)]
    index = extras.index(channel) if channel in extras else len(extras)
    return PALETTE[(len(_KNOWN_CHANNELS) + index) % (len(PALETTE) - 1)]  # black is the whole centre's


def channel_label(channel: str) -> str:
    return ALL_LABEL if channel == ALL else LIVE_LABEL if channel == LIVE else str(channel)


def plot_line(ax: Axes, x, y, channel: str, order: Sequence[str] = (), *, label: str | None = None,
              baseline: bool = False) -> Line2D:
    """One channel's line in its colour (the whole centre dashed); ``baseline`` draws it thin and dotted."""
    colour = channel_colour(channel, order)
    if baseline:
        style = dict(linestyle=":", linewidth=1.8, marker=None)
    else:
        style = dict(linestyle="--" if channel in (ALL, LIVE) else "-", linewidth=2.2, marker="o", markersize=4)
    (line,) = ax.plot(np.asarray(x, dtype=float), np.asarray(y, dtype=float), color=colour,
                      label=label or channel_label(channel), **style)
    return line


def target_line(ax: Axes, y: float, colour: str, label: str) -> Line2D:
    """A target: a dashed horizontal line at ``y`` (plotted units)."""
    return ax.axhline(y, color=colour, linestyle="--", linewidth=1.5, label=label)


def share_target_lines(ax: Axes, targets: Mapping[str, float], order: Sequence[str] = (),
                       describe: Mapping[str, str] | None = None) -> list[Line2D]:
    """One dashed line per target value (``targets``: ``{channel: target in plotted units}``): in the
    channel's colour when one channel has it, dark grey naming every channel when several share it
    (phone's and chat's 80% would otherwise hide one line under the other). ``describe``: words after
    a channel's name in the label (e.g. "in 20 s"); a long label is wrapped, so the legend leaves the
    plot its width."""
    values: dict[float, list[str]] = {}
    for ch, value in targets.items():
        values.setdefault(round(float(value), 9), []).append(ch)
    handles = []
    for value, names in values.items():
        lines = [f"target {value:g}%:"]
        for i, ch in enumerate(names):  # a narrow legend: a new line rather than past 40 characters
            part = (f"{ch} {describe[ch]}" if describe and ch in describe else ch) + ("," if i < len(names) - 1 else "")
            if len(lines[-1]) + 1 + len(part) > 40 and i > 0:
                lines.append(" ")
            lines[-1] += " " + part
        colour = channel_colour(names[0], order) if len(names) == 1 else "#555555"
        handles.append(target_line(ax, value, colour, "\n".join(lines)))
    return handles


def reference_line(ax: Axes, x: float, label: str, colour: str = GREY) -> Line2D:
    """A reference mark (a baseline value, a failed point): a dotted vertical line at ``x``."""
    return ax.axvline(x, color=colour, linestyle=":", linewidth=1.5, label=label)


def legend(ax: Axes, handles: Sequence[Artist], x: float = 1.01) -> None:
    """The legend outside the plot, top right."""
    ax.legend(handles=list(handles), fontsize=LEGEND_SIZE, loc="upper left", bbox_to_anchor=(x, 1.0), frameon=False)


def format_seconds(seconds: float) -> str:
    """20 -> '20 s', 120 -> '2 min', 14400 -> '4 h'."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def settle_layout(fig: Figure, max_draws: int = 8) -> Figure:
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


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes (layout settled, dpi :data:`DPI`, no software metadata)."""
    settle_layout(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=DPI, format="png", metadata={"Software": None})
    return buffer.getvalue()


def save_figures(figures: Mapping[str, Figure], folder: str | Path) -> list[Path]:
    """Write each figure as ``<name>.png`` (:func:`png_bytes`); return the paths.

    Saving the same figure again, here or with ``savefig``, gives byte-identical files on the
    same machine. Creates ``folder`` if needed; names must be plain file stems.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, fig in figures.items():
        if not name or Path(name).name != name:
            raise ValueError(f"figure name must be a plain file stem, got {name!r}")
        path = out / f"{name}.png"
        path.write_bytes(png_bytes(fig))
        paths.append(path)
    return paths
