"""Figures of a calibration: fitted against empirical, and simulated against observed.

Each function takes the calibration's tables and returns a matplotlib Figure, in the common style of
:mod:`sim.reporting.style` (Okabe–Ito palette, titles, axis labels with units); :func:`sim.reporting.style.save_figures`
writes them.  Times of day on the x axes are clock times.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

from sim.reporting.style import FIGSIZE, LABEL_SIZE, LEGEND_SIZE, PALETTE, TICK_SIZE, TITLE_SIZE, new_figure

from .estimate import HandleTimeFit, PatienceEstimate
from .replay import HOUR_S, KPIS, Comparison
from .scenario import Calibration

__all__ = ["arrivals_figure", "handle_times_figure", "patience_figure", "staffing_figure", "comparison_figure"]

OBSERVED = "#000000"
MODEL_COLOURS = {"calibrated": PALETTE[0], "replay": PALETTE[1]}
KPI_LABELS = {"service_level": "Service level (share answered within T)", "asa_s": "ASA (s)",
              "abandon_rate": "Abandonment rate (share of offered)"}


def _figure(nrows: int = 1, ncols: int = 1, height: float | None = None) -> tuple[Figure, np.ndarray]:
    fig, axes = new_figure(nrows, ncols, size=(FIGSIZE[0], height or FIGSIZE[1]))
    grid = np.empty((nrows, ncols), dtype=object)
    grid.flat[:] = axes
    return fig, grid


def _clock_ticks(ax: Axes, lo_s: float, hi_s: float) -> None:
    ticks = np.arange(math.floor(lo_s / HOUR_S), math.ceil(hi_s / HOUR_S) + 1, 2) * HOUR_S
    ax.set_xticks(ticks, [f"{int(t // HOUR_S):02d}:00" for t in ticks])
    ax.set_xlim(lo_s, hi_s)


def arrivals_figure(calibration: Calibration, daily_counts: pd.DataFrame) -> Figure:
    """Contacts offered per interval (all types): each day's count (dots) against the calibrated
    expected count (the scenario's rates) with its t-interval across days.

    ``daily_counts``: columns date, interval_start_s, count (every interval of every day)."""
    c = calibration
    fig, axes = _figure()
    ax = axes[0, 0]
    starts = daily_counts["interval_start_s"].to_numpy(dtype=float)
    inside = (starts >= c.open_s) & (starts < c.close_s)
    mid = c.interval_s / 2
    ax.scatter(starts[inside] + mid, daily_counts["count"].to_numpy()[inside], s=14, color="#999999",
               label=f"observed, each of {len(c.dates)} days", zorder=2)
    total = sum(c.rates[t].table.set_index("interval_start_s")[["mean_count", "ci_low", "ci_high"]]
                for t in c.types)
    total = total.loc[(total.index >= c.open_s) & (total.index < c.close_s)]
    x = total.index.to_numpy(dtype=float) + mid
    per_interval = c.interval_s / HOUR_S
    ax.plot(x, total["mean_count"], color=PALETTE[0], linewidth=2.2, drawstyle="steps-mid",
            label="calibrated: expected count (mean of days)")
    if len(c.dates) > 1:
        # the interval of the total: per-type CIs do not add; use the t-interval of the daily totals
        wide = daily_counts[inside].pivot_table(index="interval_start_s", columns="date", values="count")
        k = wide.shape[1]
        half = stats.t.ppf(0.975, k - 1) * wide.std(axis=1, ddof=1) / math.sqrt(k)
        ax.fill_between(wide.index + mid, wide.mean(axis=1) - half, wide.mean(axis=1) + half, step="mid",
                        color=PALETTE[0], alpha=0.2, label="95% CI of the mean (t, across days)")
    _clock_ticks(ax, c.open_s, c.close_s)
    ax.set_xlabel("Time of day (hh:mm)", fontsize=LABEL_SIZE)
    ax.set_ylabel(f"Contacts offered per {c.interval_s / 60:g} min", fontsize=LABEL_SIZE)
    ax.set_title(f"Arrivals: observed days vs calibrated rates ({per_interval * 60:g}-min intervals)",
                 fontsize=TITLE_SIZE)
    ax.legend(fontsize=LEGEND_SIZE, frameon=False)
    return fig


def _cdf_panel(ax: Axes, name: str, fit: HandleTimeFit, sample: np.ndarray) -> None:
    x = np.sort(sample[np.isfinite(sample) & (sample > 0)])
    ax.step(x, np.arange(1, len(x) + 1) / len(x), where="post", color=OBSERVED, linewidth=1.6, label="empirical")
    grid = np.geomspace(max(x.min(), 1.0), x.max(), 200)
    for i, row in enumerate(fit.fits.itertuples()):
        dist = {"exponential": stats.expon, "lognormal": stats.lognorm, "gamma": stats.gamma}[row.family]
        best = i == 0
        ax.plot(grid, dist.cdf(grid, *row.params), color=PALETTE[1 + i], linewidth=2.4 if best else 1.2,
                linestyle="-" if best else "--",
                label=f"{row.family}{' (AIC best)' if best else ''}, KS {row.ks_stat:.3f}")
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_title(f"{name}: n = {fit.n}, mean {fit.mean_s:.0f} s", fontsize=LABEL_SIZE)
    ax.legend(fontsize=LEGEND_SIZE - 2, frameon=False, loc="lower right")


def handle_times_figure(calibration: Calibration, log: pd.DataFrame) -> Figure:
    """Empirical CDF of handle times per contact type with its own fit (busiest first) against the
    fitted families; the family chosen by AIC drawn bold."""
    own = [t for t in calibration.types if calibration.handle_source[t] == t][:6]
    answered = log[(log["outcome"] == "answered") & log["handle_time_s"].notna()]

    def draw(ax: Axes, name: str) -> None:
        sample = answered["handle_time_s"] if name == "all" else \
            answered.loc[answered["contact_type"] == name, "handle_time_s"]
        _cdf_panel(ax, name, calibration.handle_times[name], sample.to_numpy(dtype=float))

    return _panels(own or ["all"], draw, "Handle time (s, log scale)", "Share at most",
                   "Handle times: empirical vs fitted distributions (maximum likelihood)")


def _panels(names: list[str], draw, xlabel: str, ylabel: str, title: str) -> Figure:
    """A grid of up to three panels a row, one per name: ``draw(ax, name)``, then the shared labels."""
    ncols = min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = _figure(nrows, ncols, height=3.6 * nrows + 0.8)
    for ax, name in zip(axes.flat, names):
        draw(ax, name)
        ax.set_xlabel(xlabel, fontsize=TICK_SIZE)
        ax.set_ylabel(ylabel, fontsize=TICK_SIZE)
    for ax in list(axes.flat)[len(names):]:
        ax.set_axis_off()
    fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


def _survival_panel(ax: Axes, name: str, est: PatienceEstimate) -> None:
    km = est.km
    if len(km):
        t = np.concatenate([[0.0], km["time"].to_numpy()])
        ax.step(t, np.concatenate([[1.0], km["survival"].to_numpy()]), where="post", color=OBSERVED,
                linewidth=1.6, label="Kaplan-Meier")
        ax.fill_between(t, np.concatenate([[1.0], km["ci_low"].to_numpy()]),
                        np.concatenate([[1.0], km["ci_high"].to_numpy()]), step="post", color="#999999",
                        alpha=0.3, label="95% CI (Greenwood)")
        grid = np.linspace(0, t.max(), 200)
    else:
        grid = np.linspace(0, 600, 200)
    if math.isfinite(est.mean_s):
        ax.plot(grid, np.exp(-grid / est.mean_s), color=PALETTE[2], linewidth=2.2,
                label=f"exponential, mean {est.mean_s:.0f} s")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"{name}: {est.abandonments} abandoned of {est.n}", fontsize=LABEL_SIZE)
    ax.legend(fontsize=LEGEND_SIZE - 2, frameon=False, loc="lower left")


def patience_figure(calibration: Calibration) -> Figure:
    """Survival of patience (share still waiting after t, had they not been answered): Kaplan-Meier
    from censored waits against the fitted exponential, for all types pooled and each type with its
    own estimate."""
    names = ["all"] + [t for t in calibration.types if calibration.patience_source[t] == t][:5]
    return _panels(names, lambda ax, name: _survival_panel(ax, name, calibration.patience[name]),
                   "Time waiting (s)", "Share not yet abandoned",
                   "Patience: Kaplan-Meier (answered waits censored) vs exponential fit")


def staffing_figure(calibration: Calibration, seen: pd.DataFrame) -> Figure:
    """Agents per interval: seen serving (distinct agents), available to answer, in service (means over
    the days), and the whole agents the scenario uses.  ``seen``: interval_start_s, mean_agents."""
    c = calibration
    fig, axes = _figure()
    ax = axes[0, 0]
    s = c.staffing
    mid = c.interval_s / 2
    seen = seen[(seen["interval_start_s"] >= c.open_s) & (seen["interval_start_s"] < c.close_s)]
    ax.plot(seen["interval_start_s"] + mid, seen["mean_agents"], color="#999999", linewidth=1.6,
            drawstyle="steps-mid", label="seen serving (distinct agents)")
    ax.plot(s["interval_start_s"] + mid, s["available"], color=PALETTE[0], linewidth=1.6, drawstyle="steps-mid",
            label="available to answer (mean)")
    ax.plot(s["interval_start_s"] + mid, s["busy"], color=PALETTE[3], linewidth=1.4, linestyle="--",
            drawstyle="steps-mid", label="in service (mean)")
    ax.plot(s["interval_start_s"] + mid, s["agents"], color=PALETTE[0], linewidth=2.6, drawstyle="steps-mid",
            alpha=0.5, label="scenario staffing (whole agents)")
    _clock_ticks(ax, c.open_s, c.close_s)
    ax.set_xlabel("Time of day (hh:mm)", fontsize=LABEL_SIZE)
    ax.set_ylabel("Agents", fontsize=LABEL_SIZE)
    ax.set_title("Staffing estimated from agent activity (mean over the days)", fontsize=TITLE_SIZE)
    ax.legend(fontsize=LEGEND_SIZE, frameon=False)
    return fig


def comparison_figure(comparison: Comparison, calibration: Calibration) -> Figure:
    """Per hour: observed (mean over days, t-interval) against the calibrated scenario and the replay
    (mean over replications, t-interval), one panel per KPI; the service-level target as a line."""
    fig, axes = _figure(len(KPIS), 1, height=9.5)
    table = comparison.table[comparison.table["hour"] >= 0]
    for ax, kpi in zip(axes[:, 0], KPIS):
        sub = table[table["kpi"] == kpi]
        x = sub["hour"].to_numpy() + 0.5
        for model, colour in MODEL_COLOURS.items():
            ax.plot(x, sub[model], color=colour, linewidth=2.0, marker="o", markersize=3, label=f"simulated: {model}")
            ax.fill_between(x, sub[f"{model}_low"], sub[f"{model}_high"], color=colour, alpha=0.2)
        err = np.vstack([sub["observed"] - sub["observed_low"], sub["observed_high"] - sub["observed"]])
        ax.errorbar(x, sub["observed"], yerr=np.where(np.isfinite(err), err, 0), fmt="s", color=OBSERVED,
                    markersize=4, capsize=2, linewidth=1, label="observed (mean of days, 95% CI)")
        if kpi == "service_level":
            ax.axhline(calibration.service_level_target, color="#555555", linestyle=":", linewidth=1.5,
                       label=f"target {calibration.service_level_target:.0%} in "
                             f"{calibration.service_level_threshold_s:g} s")
        ax.set_ylabel(KPI_LABELS[kpi], fontsize=TICK_SIZE)
        hours = sub["hour"].to_numpy()
        ticks = np.arange(hours.min(), hours.max() + 2, 2) if len(hours) else []
        ax.set_xticks(ticks, [f"{int(h):02d}:00" for h in ticks])
    axes[0, 0].legend(fontsize=LEGEND_SIZE - 1, frameon=False, ncols=2)
    axes[-1, 0].set_xlabel("Hour of day (offer time, hh:mm)", fontsize=LABEL_SIZE)
    fig.suptitle(f"Simulated vs observed per hour ({comparison.replications} replications)", fontsize=TITLE_SIZE)
    return fig
