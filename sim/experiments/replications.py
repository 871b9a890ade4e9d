"""Replications -> tidy tables on disk.

:func:`run_experiment` runs ``run.replications`` independent replications of
a scenario (replication ``r`` uses streams derived from ``(seed, r, name)``),
in ``run.workers`` processes, turns each into KPI rows as soon as it ends, and
aggregates them into tables:

- ``summary``: ``channel, metric, mean, ci_low, ci_high, n_reps`` (t-intervals);
- ``intervals``: one row per interval x channel, KPIs averaged over replications;
- ``groups``: occupancy and staffing per agent group, with CIs;
- ``replications``: the per-replication KPI values behind ``summary``;
- ``days`` (multi-day runs, ``run.days`` > 1): ``day, channel, metric, mean, ci_low, ci_high, n_reps``
  over each day's opening hours (:func:`sim.model.metrics.replication_days`), else ``None``;
- ``types``: ``contact_type, channel, metric, mean, ci_low, ci_high, n_reps`` over the window;
- ``type_intervals``: one row per interval x contact type; ``group_intervals``: one row per
  interval x agent group (occupancy, agents staffed), averaged over replications;
- ``sites`` (a scenario with ``scenario.sites``): ``site, metric, mean, ci_low, ci_high, n_reps``
  (:func:`sim.model.metrics.replication_sites`), else ``None``.

:func:`write_tables` writes them as CSV (:func:`sim.reporting.outputs.write_outputs` adds the
figures); the per-contact log (``run.save_contacts``) is streamed to Parquet while the model runs
(:mod:`sim.experiments.contact_log`).  Every table is written atomically
(:func:`~sim.experiments.files.atomic_write`: a temporary file in the same folder, then ``os.replace``),
and ``summary.csv`` last, so a folder with a ``summary.csv`` has all its tables.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from sim.experiments.executors import map_replications
from sim.experiments.files import atomic_write
from sim.experiments.kpis import WAIT_UNITS, kpi, unit_of
from sim.experiments.stats import share_interval, t_interval, wilson_interval
from sim.model.capacity import load_warnings
from sim.model.config import SimConfig
from sim.model.metrics import (DAY_METRICS, INTERVAL_METRICS, SUMMARY_ORDER, TYPE_METRICS, group_interval_metrics,
                               interval_metrics, type_interval_metrics, with_after_call_work, with_balking, with_lines)
from sim.workforce.costs import COST_METRICS

__all__ = ["ExperimentResult", "run_experiment", "assemble", "write_tables", "format_summary", "format_days",
           "sl_risk_rows", "cut_interval", "KPI_RANGES", "WARNINGS"]


@dataclass
class ExperimentResult:
    """The tables of one scenario's replications."""

    config: SimConfig
    summary: pd.DataFrame
    intervals: pd.DataFrame
    groups: pd.DataFrame
    replications: pd.DataFrame
    days: pd.DataFrame | None = None  # per-day KPIs of a multi-day run
    types: pd.DataFrame | None = None  # per contact type over the window, with CIs
    type_intervals: pd.DataFrame | None = None  # per interval x contact type
    group_intervals: pd.DataFrame | None = None  # per interval x agent group
    warnings: tuple[str, ...] = ()  # the plan cannot carry its load (sim.model.capacity): say so with the KPIs
    sites: pd.DataFrame | None = None  # per site, with CIs (scenario.sites; sim.journeys.sites)



def run_experiment(config: SimConfig, *, contact_log: Path | None = None,
                   progress: Callable[[int, int], None] | None = None) -> ExperimentResult:
    """Run all replications of ``config`` and aggregate their KPIs.

    Replications run in ``run.workers`` processes, or on Dask (``run.executor``,
    :mod:`sim.experiments.executors`); each is independent (its own
    streams), so the results do not depend on how many.  ``contact_log``: a
    Parquet file for the per-contact log.  ``progress(done, total)`` is called
    as replications finish.
    """
    run = config.run
    n = run.replications
    parts = [contact_log.with_name(f"{contact_log.name}.rep{r:05d}") for r in range(n)] if contact_log else [None] * n

    outputs = map_replications(config, range(n), parts, progress)
    if contact_log is not None:
        from sim.experiments.contact_log import merge_parts

        merge_parts(parts, contact_log)
    return assemble(config, outputs)


def assemble(config: SimConfig, outputs: list[dict]) -> ExperimentResult:
    """An :class:`ExperimentResult` from :func:`replicate` outputs, in replication order."""
    run = replace(config.run, replications=len(outputs))
    replications = pd.DataFrame([row for out in outputs for row in out["summary"]])
    channels = config.scenario.channels
    day_rows = pd.DataFrame([row for out in outputs for row in out.get("days", ())]) if run.days > 1 else None
    # the risk of missing the target on a day means something only when days differ beyond Poisson noise
    risk = config.scenario.busyness_cv > 0 and config.scenario.trace is None
    return ExperimentResult(
        config=replace(config, run=run),
        summary=_aggregate(replications, "channel", run.confidence,
                           sl_risk_rows(replications, channels, run.confidence, day_rows) if risk else []),
        intervals=_average_intervals([out["intervals"] for out in outputs],
                                     metrics=interval_metrics(config.scenario)),
        groups=_aggregate(pd.DataFrame([row for out in outputs for row in out["groups"]]), "group", run.confidence),
        replications=replications,
        days=_aggregate_days(day_rows, channels, run.confidence, risk) if run.days > 1 else None,
        types=_type_table(pd.DataFrame([row for out in outputs for row in out.get("types", ())]), config,
                          run.confidence),
        type_intervals=_average_intervals([out["type_intervals"] for out in outputs if "type_intervals" in out],
                                          ("interval_start_s", "interval", "contact_type", "channel"),
                                          type_interval_metrics(config.scenario)),
        group_intervals=_average_intervals([out["group_intervals"] for out in outputs if "group_intervals" in out],
                                           ("interval_start_s", "interval", "group"),
                                           group_interval_metrics(config.scenario)),
        warnings=tuple(load_warnings(config.scenario, [out["load"] for out in outputs if "load" in out],
                                     tuple(config.scenario.contact_types), tuple(config.scenario.agent_groups))),
        sites=_aggregate(pd.DataFrame([row for out in outputs for row in out.get("sites", ())]), "site",
                         run.confidence) if config.scenario.sites else None,
    )


def _type_table(values: pd.DataFrame, config: SimConfig, confidence: float) -> pd.DataFrame:
    """Intervals per (contact type, metric), in the scenario's type order, with each type's channel."""
    columns = ["contact_type", "channel", "metric", "mean", "ci_low", "ci_high", "n_reps"]
    if values.empty:
        return pd.DataFrame(columns=columns)
    order = {m: i for i, m in enumerate(with_lines(with_after_call_work(with_balking(TYPE_METRICS, config.scenario),
                                                                        config.scenario), config.scenario))}
    rows = []
    for (name, metric), part in values.groupby(["contact_type", "metric"], sort=False):
        est = _interval(metric, part["value"].to_numpy(), confidence)
        rows.append({"contact_type": name, "channel": config.scenario.contact_types[name].channel, "metric": metric,
                     "mean": est.mean, "ci_low": est.low, "ci_high": est.high, "n_reps": est.n})
    table = pd.DataFrame(rows, columns=columns)
    types = {t: i for i, t in enumerate(config.scenario.contact_types)}
    table = table.assign(_t=table["contact_type"].map(types), _m=table["metric"].map(order))
    return table.sort_values(["_t", "_m"], kind="stable").drop(columns=["_t", "_m"]).reset_index(drop=True)


def _aggregate_days(values: pd.DataFrame, channels, confidence: float, risk: bool = True) -> pd.DataFrame:
    """Intervals per (day, channel, metric) of the per-replication day KPIs, and with ``risk`` each
    day's ``sl_risk`` (the share of replications missing the target that day, with a Wilson interval)."""
    columns = ["day", "channel", "metric", "mean", "ci_low", "ci_high", "n_reps"]
    if values is None or values.empty:
        return pd.DataFrame(columns=columns)
    metrics = list(DAY_METRICS)
    metrics.insert(metrics.index("service_level") + 1, "sl_risk")
    order = {m: i for i, m in enumerate(metrics)}
    out = []
    for (day, channel, metric), part in values.groupby(["day", "channel", "metric"], sort=False):
        est = _interval(metric, part["value"].to_numpy(), confidence)
        out.append({"day": day, "channel": channel, "metric": metric, "mean": est.mean, "ci_low": est.low,
                    "ci_high": est.high, "n_reps": est.n})
    for day, part in values.groupby("day", sort=False) if risk else ():
        sl = part[part["metric"] == "service_level"].pivot(index="replication", columns="channel", values="value")
        out.extend({"day": day, **row} for row in _risk_rows(sl, channels, confidence))
    table = pd.DataFrame(out, columns=columns)
    table = table[~(table["metric"].isin(("occupancy", "agents_staffed")) & (table["channel"] != "all"))]
    channels = {c: i for i, c in enumerate(dict.fromkeys(values["channel"]))}
    table = table.assign(_c=table["channel"].map(channels), _m=table["metric"].map(order))
    return table.sort_values(["day", "_c", "_m"], kind="stable").drop(columns=["_c", "_m"]).reset_index(drop=True)


def sl_risk_rows(replications: pd.DataFrame, channels, confidence: float,
                 days: pd.DataFrame | None = None) -> list[dict]:
    """Summary rows of ``sl_risk``: the share of simulated days missing the service-level target.

    A one-day run's replication is one simulated day.  In a multi-day run (``days``: the per-day
    KPI rows of every replication, :func:`sim.model.metrics.replication_days`) each day of each
    replication counts, judged on that day's opening hours; ``n_reps`` is then the number of days.
    Per channel: days whose ``service_level`` is below the channel's ``service_level_target``,
    out of those where it is defined.  ``all``: days where any channel misses its target, out of
    those where at least one channel's service level is defined.  Wilson score intervals at
    ``confidence`` (:func:`sim.experiments.stats.wilson_interval`); the days of one replication
    share its carried-over backlog, so with several days the interval is a little optimistic.
    """
    if days is not None and not days.empty:
        sl = days[days["metric"] == "service_level"].pivot_table(index=["replication", "day"], columns="channel",
                                                                  values="value", aggfunc="first")
    elif replications.empty:
        return []
    else:
        sl = replications[replications["metric"] == "service_level"].pivot(index="replication", columns="channel",
                                                                              values="value")
    return _risk_rows(sl, channels, confidence)


def _risk_rows(sl: pd.DataFrame, channels, confidence: float) -> list[dict]:
    """``sl_risk`` rows from a table of service levels (one row per simulated day, a column per channel)."""
    rows, defined_any, missed_any = [], None, None
    for name, spec in channels.items():
        if name not in sl.columns:
            continue
        values = sl[name].to_numpy(dtype=float)
        defined = np.isfinite(values)
        missed = defined & (values < spec.service_level_target)
        defined_any = defined if defined_any is None else defined_any | defined
        missed_any = missed if missed_any is None else missed_any | missed
        rows.append(_risk_row(name, int(missed.sum()), int(defined.sum()), confidence))
    if defined_any is not None:
        rows.append(_risk_row("all", int(missed_any.sum()), int(defined_any.sum()), confidence))
    return rows


def _risk_row(channel: str, misses: int, n: int, confidence: float) -> dict:
    est = wilson_interval(misses, n, confidence)
    return {"channel": channel, "metric": "sl_risk", "mean": est.mean, "ci_low": est.low, "ci_high": est.high,
            "n_reps": est.n}


#: The range of KPIs that are not counts, times, costs or shares (those are >= 0).
KPI_RANGES = {"nps_modelled": (-100.0, 100.0), "csat_modelled": (1.0, 5.0)}


def _interval(metric: str, values: np.ndarray, confidence: float):
    """A share's interval inside [0, 1] (:func:`~sim.experiments.stats.share_interval`); any other KPI's
    t-interval cut at the KPI's range (:data:`KPI_RANGES`, else >= 0: a count, a time or a cost
    cannot be negative), so no interval reaches values the KPI cannot take; the cut interval
    covers the mean at least as often as the t-interval does."""
    if kpi(metric).unit == "%":
        return share_interval(values, confidence)
    est = t_interval(values, confidence)
    lower, upper = KPI_RANGES.get(metric, (0.0, math.inf))
    if not math.isfinite(est.low):
        return est
    return replace(est, low=min(max(est.low, lower), est.mean), high=max(min(est.high, upper), est.mean))


def _aggregate(values: pd.DataFrame, key: str, confidence: float, extra: list[dict] = ()) -> pd.DataFrame:
    """t-intervals per (``key``, metric) of ``values``; ``extra`` rows (already estimated) are added."""
    rows = []
    order = {m: i for i, m in enumerate(SUMMARY_ORDER)}
    for (who, metric), part in values.groupby([key, "metric"], sort=False):
        est = _interval(metric, part["value"].to_numpy(), confidence)
        rows.append({key: who, "metric": metric, "mean": est.mean, "ci_low": est.low, "ci_high": est.high,
                     "n_reps": est.n})
    rows.extend(extra)
    table = pd.DataFrame(rows, columns=[key, "metric", "mean", "ci_low", "ci_high", "n_reps"])
    if key == "channel":
        table = table[~(table["metric"].isin(("occupancy", "agents_staffed")) & (table["channel"] != "all"))]
        table = table.assign(_o=table["metric"].map(order)).sort_values([key, "_o"], kind="stable").drop(columns="_o")
        channels = list(dict.fromkeys(values[key]))
        table[key] = pd.Categorical(table[key], categories=channels, ordered=True)
        table = table.sort_values(key, kind="stable")
        table[key] = table[key].astype(str)
    return table.reset_index(drop=True)


def _average_intervals(per_replication: list[dict[str, np.ndarray]],
                       keys: Sequence[str] = ("interval_start_s", "interval", "channel"),
                       metrics: Sequence[str] = INTERVAL_METRICS) -> pd.DataFrame:
    """Interval x channel (or contact type, or group: ``keys``) rows, each metric averaged over the
    replications where it is defined."""
    if not per_replication or not len(per_replication[0][keys[-1]]):
        return pd.DataFrame(columns=[*keys, *metrics])
    first = per_replication[0]
    table = pd.DataFrame({k: first[k] for k in keys})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)  # all-NaN cells stay NaN
        for metric in metrics:
            table[metric] = np.nanmean(np.stack([rep[metric] for rep in per_replication]), axis=0)
    return table




#: the run's warnings (:attr:`ExperimentResult.warnings`), one per line; written only when there are some
WARNINGS = "warnings.txt"


def write_tables(result: ExperimentResult, folder: Path, *,
                 before_summary: Callable[[], list[Path]] | None = None) -> list[Path]:
    """Write the tables of ``result`` into ``folder`` as CSV (and its warnings, :data:`WARNINGS`);
    returns the files written, ``summary.csv`` first.

    Each table is written atomically (:func:`~sim.experiments.files.atomic_write`) and ``summary.csv``
    last, after ``before_summary()`` (e.g. the figures), so a folder with a ``summary.csv`` has everything.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in (("intervals", result.intervals), ("groups", result.groups),
                        ("replications", result.replications), ("days", result.days), ("types", result.types),
                        ("type_intervals", result.type_intervals), ("group_intervals", result.group_intervals),
                        ("sites", result.sites)):
        if table is not None:
            written.append(_write_csv(table, folder / f"{name}.csv"))
    notes = folder / WARNINGS
    if result.warnings:
        written.append(atomic_write(notes, lambda tmp: tmp.write_text("".join(f"{w}\n" for w in result.warnings),
                                                                      encoding="utf-8")))
    else:
        notes.unlink(missing_ok=True)  # a folder run again: no stale warnings
    if before_summary is not None:
        written.extend(before_summary())
    written.insert(0, _write_csv(result.summary, folder / "summary.csv"))
    return written


def _write_csv(table: pd.DataFrame, path: Path) -> Path:
    return atomic_write(path, lambda tmp: table.to_csv(tmp, index=False, float_format="%.10g"))


def format_summary(summary: pd.DataFrame, confidence: float, deferrable: Sequence[str] = (),
                   warnings: Sequence[str] = ()) -> str:
    """The per-channel KPI table printed at the end of a run: mean ± CI half-width; the waits of the
    ``deferrable`` channels in hours (email; in minutes for a channel whose ``deferrable`` mapping of
    :func:`~sim.experiments.kpis.wait_units` says so, e.g. social), the others' in seconds; then the run's ``warnings``
    (:attr:`ExperimentResult.warnings`), one ``warning:`` line each."""
    shown = ("offered", "answered", "abandoned", "blocked", "balked", "balk_rate", "line_blocked", "line_block_rate",
             "lines_busy", "service_level", "sl_risk",
             "asa_s", "mean_wait_s", "abandon_rate", "p_wait", "aht_s", "talk_time_s", "wrap_up_s", "escalation_rate",
             "end_to_end_time_s", "deflected",
             "containment_rate", "retrials", "unique_customers", "repeat_rate", "fcr", "callbacks_accepted",
             "callback_wait_s", "callback_success", "overflowed", "overflow_answered", "vip_service_level",
             "csat_modelled", "nps_modelled", "occupancy", "dials", "right_party_contacts", "nuisance_rate",
             "list_completed_share", "outbound_utilisation")
    shown += tuple(m for m in COST_METRICS if m in set(summary["metric"]))  # with scenario.costs
    channels = list(dict.fromkeys(summary["channel"]))
    cells = {(r.channel, r.metric): r for r in summary.itertuples()}
    width = 20
    lines = [f"{'KPI (mean ± ' + format(confidence * 100, 'g') + '% CI)':<24}" + "".join(_column(c, width) for c in channels)]
    for metric in shown:
        if not any((ch, metric) in cells for ch in channels):
            continue  # e.g. sl_risk without forecast uncertainty
        row = f"{metric:<24}"
        for ch in channels:
            r = cells.get((ch, metric))
            row += _column(_cell(metric, r, unit_of(deferrable, ch)), width)
        lines.append(row)
    if any(metric.endswith("_modelled") for _, metric in cells):
        lines.append("*_modelled: customer-experience proxies from a model (scenario.cx), not measurements")
    lines += [f"warning: {text}" for text in warnings]
    return "\n".join(lines)


def format_days(days: pd.DataFrame, confidence: float) -> str:
    """Per-day lines of a multi-day run: service level and backlog at closing per channel (mean ± CI)."""
    channels = [c for c in dict.fromkeys(days["channel"]) if c != "all"]
    cells = {(r.day, r.channel, r.metric): r for r in days.itertuples()}
    width = 26
    lines = [f"{'day: SL / backlog at close':<28}" + "".join(_column(c, width) for c in channels)]
    for day in sorted(set(days["day"])):
        row = f"{'day ' + str(day):<28}"
        for ch in channels:
            sl, backlog = cells.get((day, ch, "service_level")), cells.get((day, ch, "backlog"))
            row += _column(_cell('service_level', sl) + ' / ' + _cell('backlog', backlog), width)
        lines.append(row)
    return "\n".join(lines)


def _column(text: str, width: int) -> str:
    """``text`` right-aligned in a column of ``width``, always after at least one space (a wide cell
    never runs into the one before it)."""
    return " " + f"{text:>{width - 1}}"


def _cell(metric: str, r, unit: str = "s") -> str:
    if r is None or not math.isfinite(r.mean):
        return "-"
    if unit in ("h", "min") and metric in ("asa_s", "mean_wait_s", "end_to_end_time_s", "transfer_asa_s"):
        size, digits = WAIT_UNITS[unit], (2 if unit == "h" else 1)
        half = (r.ci_high - r.ci_low) / 2 if math.isfinite(r.ci_high) else math.nan
        if math.isfinite(half) and cut_interval(r.mean, r.ci_low, r.ci_high):
            return f"{r.mean / size:.{digits}f} {unit} [{r.ci_low / size:.{digits}f}-{r.ci_high / size:.{digits}f}]"
        return f"{r.mean / size:.{digits}f} {unit}" + (f" ±{half / size:.{digits}f}" if math.isfinite(half) else "")
    if metric == "sl_risk":  # a share with an asymmetric (Wilson) interval: show its bounds
        bounds = f" [{100 * r.ci_low:.0f}-{100 * r.ci_high:.0f}]" if math.isfinite(r.ci_high) else ""
        return f"{100 * r.mean:.0f}%{bounds}"
    half = (r.ci_high - r.ci_low) / 2 if math.isfinite(r.ci_high) else math.nan
    pct = metric in ("service_level", "vip_service_level", "abandon_rate", "p_wait", "escalation_rate", "occupancy", "block_rate",
                     "balk_rate", "line_block_rate",
                     "containment_rate", "retrial_rate", "repeat_rate", "fcr", "callback_success", "nuisance_rate",
                     "list_completed_share", "outbound_utilisation")
    if pct:  # a share's interval (logit) is not symmetric: its bounds
        text = f"{100 * r.mean:.1f}%"
        return text + (f" [{100 * r.ci_low:.1f}-{100 * r.ci_high:.1f}]" if math.isfinite(half) and half > 0 else "")
    if metric == "csat_modelled":
        return f"{r.mean:.2f}" + (f" ±{half:.2f}" if math.isfinite(half) else "")
    digits = 0 if metric in ("offered", "answered", "abandoned", "blocked", "balked", "line_blocked", "labour_cost",
                             "vendor_cost",
                             "bot_cost", "telephony_cost", "total_cost", "deflected", "retrials", "unique_customers",
                             "repeat_contacts", "callbacks_offered", "callbacks_accepted", "overflowed",
                             "overflow_answered", "dials", "right_party_contacts") else 2 if metric == "cost_per_contact" else 1
    text = f"{r.mean:.{digits}f}"
    if math.isfinite(half) and cut_interval(r.mean, r.ci_low, r.ci_high):  # cut at 0: its bounds
        return f"{text} [{r.ci_low:.{digits}f}-{r.ci_high:.{digits}f}]"
    return text + (f" ±{half:.{digits}f}" if math.isfinite(half) else "")


def cut_interval(mean: float, low: float, high: float) -> bool:
    """Whether an interval is not symmetric about its mean (cut at the KPI's range): show its bounds."""
    return abs((mean - low) - (high - mean)) > 1e-9 * max(1.0, abs(mean), high - low)
