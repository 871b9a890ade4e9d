"""Write a calibration to a folder: the scenario YAML, the estimate tables (CSV), the figures (PNG) and
``calibration.md``, a report that puts them together (fits, goodness of fit, replay and error summary).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine.checks import hhmm
from sim.experiments.files import atomic_write
from sim.reporting.style import save_figures

from . import figures
from .estimate import staffing_from_activity
from .logs import ImportReport
from .replay import KPIS, Comparison
from .scenario import Calibration, write_scenario

__all__ = ["daily_counts", "write_calibration"]


def daily_counts(log: pd.DataFrame, interval_s: float) -> pd.DataFrame:
    """Contacts offered per date and interval of the day (every interval of every date, zeros included)."""
    n = int(math.ceil(86400.0 / interval_s))
    offered = log[log["queue_entry_s"].notna()]
    dates = sorted(log["date"].dt.strftime("%Y-%m-%d").unique())
    k = np.clip((offered["queue_entry_s"].to_numpy() // interval_s).astype(int), 0, n - 1)
    counts = pd.crosstab(offered["date"].dt.strftime("%Y-%m-%d"), k).reindex(index=dates, columns=range(n),
                                                                             fill_value=0)
    out = counts.stack().rename("count").reset_index()
    out.columns = ["date", "interval", "count"]
    out["interval_start_s"] = out.pop("interval") * interval_s
    return out


def _fmt(x: float, pct: bool = False) -> str:
    if not math.isfinite(x):
        return "–"
    return f"{100 * x:.1f}%" if pct else f"{x:.1f}"


def _md_table(table: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    body = ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _comparison_rows(comparison: Comparison) -> pd.DataFrame:
    t = comparison.table
    rows = []
    for h in sorted(t["hour"].unique(), key=lambda h: (h < 0, h)):
        cells = {"hour": "whole day" if h < 0 else f"{h:02d}:00"}
        for k in KPIS:
            r = t[(t["hour"] == h) & (t["kpi"] == k)].iloc[0]
            pct = k != "asa_s"
            for name in ("observed", "calibrated", "replay"):
                star = "*" if name != "observed" and r[f"{name}_significant"] else ""
                cells[f"{k} {name}"] = _fmt(r[name], pct) + star
        rows.append(cells)
    return pd.DataFrame(rows)


def write_calibration(folder: str | Path, log: pd.DataFrame, import_report: ImportReport, calibration: Calibration,
                      comparison: Comparison | None, *, scenario_path: str | Path | None = None,
                      command: str = "") -> list[Path]:
    """Write everything into ``folder`` (and the scenario also to ``scenario_path``); return the files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    c = calibration
    written = [write_scenario(c, folder / f"{c.name}.yaml", command)]
    if scenario_path is not None:
        written.append(write_scenario(c, scenario_path, command))

    def csv(name: str, table: pd.DataFrame) -> None:
        written.append(atomic_write(folder / f"{name}.csv", lambda p: table.to_csv(p, index=False)))

    rates = pd.concat([c.rates[t].table.assign(contact_type=t) for t in c.types], ignore_index=True)
    csv("arrival_rates", rates)
    fits = pd.concat([c.handle_times[n].fits.assign(contact_type=n) for n in sorted(c.handle_times)],
                     ignore_index=True)
    fits["params"] = fits["params"].map(lambda p: " ".join(f"{v:.6g}" for v in p))
    csv("handle_time_fits", fits)
    csv("patience", pd.DataFrame([{"contact_type": n, "waited": e.n, "abandonments": e.abandonments,
                                   "exposure_s": e.exposure_s, "mean_s": e.mean_s, "ci_low": e.mean_ci[0],
                                   "ci_high": e.mean_ci[1], "km_median_s": e.km_median_s}
                                  for n, e in sorted(c.patience.items())]))
    csv("staffing", c.staffing)
    csv("summary", c.summary())
    figs = {"arrivals": figures.arrivals_figure(c, daily_counts(log, c.interval_s)),
            "handle_times": figures.handle_times_figure(c, log),
            "patience": figures.patience_figure(c)}
    seen = staffing_from_activity(log, interval_minutes=c.interval_s / 60)
    seen = seen.assign(w=seen["mean_agents"] * seen["n_days"]).groupby("interval_start_s")
    seen = (seen["w"].sum() / seen["n_days"].sum()).rename("mean_agents").reset_index()
    figs["staffing"] = figures.staffing_figure(c, seen)
    if comparison is not None:
        csv("comparison", comparison.table)
        csv("errors", comparison.errors)
        figs["comparison"] = figures.comparison_figure(comparison, c)
        for date, trace in comparison.traces.items():
            written.append(atomic_write(folder / "replay" / f"{date}.csv",
                                        lambda p, t=trace: t.to_csv(p, index=False, float_format="%.6f")))
    written += save_figures(figs, folder)
    for f in figs.values():
        f.clf()
    text = _markdown(import_report, c, comparison, command)
    written.append(atomic_write(folder / "calibration.md", lambda p: p.write_text(text, encoding="utf-8")))
    return written


def _markdown(import_report: ImportReport, c: Calibration, comparison: Comparison | None, command: str) -> str:
    v = c.variability
    lines = [f"# Calibration: {c.name}", ""]
    if command:
        lines += [f"Made with `{command}`.", ""]
    lines += [
        "## Source", "",
        f"- {import_report}",
        f"- Days: {len(c.dates)} ({c.dates[0]} to {c.dates[-1]}); opening hours {hhmm(c.open_s)}-{hhmm(c.close_s)} "
        f"in {c.interval_s / 60:g}-min intervals (the longest run of intervals with at least 5% of the busiest "
        f"interval's volume); {c.outside_hours} contacts offered outside them are left out.",
        "",
        "## Scenario", "",
        f"`{c.name}.yaml` (run it with `python -m sim scenario={c.name}` once it is in `configs/scenario/`): "
        f"one `phone` channel (service level: {c.service_level_target:.0%} answered within "
        f"{c.service_level_threshold_s:g} s), one contact type per type of the log, one agent group "
        "with every skill, first come first served.",
        "",
        _md_table(c.summary()),
        "",
        "Handle times: exponential, lognormal and gamma fitted by maximum likelihood; the smallest AIC is "
        "chosen; the mean is the sample mean (it keeps the offered load) and the CV that of the fit. KS is the "
        "Kolmogorov-Smirnov distance of the chosen fit (its p-value would be optimistic: the parameters are "
        "estimated from the same data; all fits are in `handle_time_fits.csv`). Patience: exponential maximum "
        "likelihood from censored waits (abandoners' waits observed, answered customers' waits censored), "
        "with a chi-square interval; `all` marks a type with too few observations that takes the pooled "
        "estimate.",
        "",
        f"Day-to-day variability: `busyness_cv` = {v.busyness_cv:.3f} (95% interval "
        f"{v.busyness_ci[0]:.3f}-{v.busyness_ci[1]:.3f}; {c.busyness_basis}; daily volumes' "
        f"dispersion {v.dispersion:.2f}, 1 for Poisson, over {v.n_days} days).",
        "",
        *[f"Note: {n}." for n in c.notes],
        "",
        "![Arrivals](arrivals.png)", "", "![Handle times](handle_times.png)", "", "![Patience](patience.png)", "",
        "Staffing: the agents available to answer in each interval (in service, or idle between services "
        f"while nobody waits; a gap of {c.break_s:g} s or more is a break), averaged over the days and rounded. Agents "
        "seen serving are more: an agent idle while customers wait was doing something else.",
        "",
        "![Staffing](staffing.png)", "",
    ]
    if comparison is not None:
        errors = comparison.errors.copy()
        for col in ("mae", "bias", "rmse", "day_observed", "day_model"):
            errors[col] = [_fmt(x, k != "asa_s") for x, k in zip(errors[col], errors["kpi"])]
        lines += [
            "## Simulated vs observed", "",
            f"**calibrated**: the scenario above, {comparison.replications} simulated days. **replay**: each "
            "logged day replayed (its contacts at their offer times, observed handle times of answered "
            "contacts, observed patience of abandoners, censored patience of answered contacts completed with "
            "an exponential residual, that day's available agents), "
            f"{comparison.replications} replications. Observed: mean over the logged days. `*`: the difference "
            f"from the observed value is significant at {comparison.confidence:.0%} (Welch interval across "
            "days and replications excludes 0).",
            "",
            "Error summary over the hours (MAE: mean absolute error; bias: mean of simulated - observed):",
            "",
            _md_table(errors),
            "",
            "![Simulated vs observed](comparison.png)",
            "",
            _md_table(_comparison_rows(comparison)),
            "",
            "Replay traces of each day (first replication) are in `replay/`; the numbers in `comparison.csv` "
            "and `errors.csv`.",
            "",
        ]
    lines += [
        "## Limits", "",
        "- One agent group with every skill: the log does not say which agents could take which types.",
        "- No priorities between customers: the log's customer priority is not used.",
        "- Staffing comes from activity: agents logged in but never serving are invisible, and after-call work "
        "is not separated from unavailability.",
        "",
    ]
    return "\n".join(lines)

