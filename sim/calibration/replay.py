"""Replay and compare: how well does the calibrated scenario reproduce the centre's own days?

Two simulations are compared with what the log observed, hour by hour (service level, ASA,
abandonment rate; :data:`KPIS`), with the same definitions on both sides (:func:`hourly_kpis`):

- **calibrated**: the calibrated scenario as it is (sampled Poisson arrivals, fitted handle times
  and patience, the typical day's staffing), ``replications`` days;
- **replay**: each logged day replayed through the model: its own contacts at their own offer times
  (:func:`replay_trace`), with their observed handle times (answered contacts) and observed patience
  (abandoners: their wait), and that day's staffing from agent activity. What the log cannot say is
  drawn from the calibrated distributions: the handle time of a contact that abandoned (needed if the
  model answers it), and the patience of an answered contact, which is censored at its wait: its wait
  plus an exponential residual (memoryless, as the calibrated patience). Each replication draws these
  afresh (stream ``replay:<date>``).

Observed values are means over the log's days with t-intervals across days; simulated values means
over replications with t-intervals across replications (a replay replication covers every day).
The error summary gives, per model and KPI, the mean absolute error, the bias and the RMSE over the
hours, and the hours where the difference is significant (Welch interval of model minus observed,
across days and replications, excludes 0).

A replay of a log that the simulator wrote itself, with the same staffing and FCFS routing,
reproduces the log's waits exactly (tested): observed patience of abandoners and censored patience
of answered contacts leave every contact's fate unchanged.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from sim.engine.distributions import Distribution, draw
from sim.engine.records import ABANDONED
from sim.engine.streams import stream
from sim.experiments.stats import t_interval, welch_half_width
from sim.model.centre import simulate
from sim.model.config import SimConfig, load_config

from .estimate import BREAK_S, available_agents
from .scenario import Calibration, whole_agents

__all__ = ["KPIS", "HOUR_S", "Comparison", "hourly_kpis", "observed_kpis", "replay_trace", "day_staffing",
           "compare_to_log"]

KPIS = ("service_level", "asa_s", "abandon_rate")
HOUR_S = 3600.0
MODELS = ("calibrated", "replay")


def hourly_kpis(clock_s: np.ndarray, answered: np.ndarray, abandoned: np.ndarray, wait_s: np.ndarray,
                threshold_s: float, hours: Sequence[int]) -> pd.DataFrame:
    """Offered contacts by hour of their offer time (``clock_s``, seconds after midnight): ``offered``,
    ``answered``, ``abandoned``, ``service_level`` (answered within ``threshold_s`` / offered),
    ``asa_s`` (mean wait of answered), ``abandon_rate`` (abandoned / offered); NaN where undefined.
    One row per hour of ``hours`` plus a last row ``hour = -1`` for the whole day."""
    clock_s = np.asarray(clock_s, dtype=float)
    answered = np.asarray(answered, dtype=bool)
    abandoned = np.asarray(abandoned, dtype=bool)
    wait_s = np.asarray(wait_s, dtype=float)
    hour = np.floor(clock_s / HOUR_S).astype(int)
    rows = []
    for h in list(hours) + [-1]:
        m = np.ones(len(hour), dtype=bool) if h == -1 else hour == h
        n, a, b = int(m.sum()), int((m & answered).sum()), int((m & abandoned).sum())
        within = int((m & answered & (wait_s <= threshold_s)).sum())
        rows.append({"hour": h, "offered": n, "answered": a, "abandoned": b,
                     "service_level": within / n if n else math.nan,
                     "asa_s": float(wait_s[m & answered].mean()) if a else math.nan,
                     "abandon_rate": b / n if n else math.nan})
    return pd.DataFrame(rows)


def _hours(calibration: Calibration) -> list[int]:
    return list(range(int(calibration.open_s // HOUR_S), int(math.ceil(calibration.close_s / HOUR_S))))


def _inside(log: pd.DataFrame, calibration: Calibration) -> pd.DataFrame:
    entry = log["queue_entry_s"]
    return log[entry.notna() & (entry >= calibration.open_s) & (entry < calibration.close_s)]


def observed_kpis(log: pd.DataFrame, calibration: Calibration) -> dict[str, pd.DataFrame]:
    """:func:`hourly_kpis` of each logged day (offered inside the opening hours), by ISO date."""
    log = _inside(log, calibration)
    out = {}
    for date, day in log.groupby(log["date"].dt.strftime("%Y-%m-%d")):
        out[str(date)] = hourly_kpis(day["queue_entry_s"].to_numpy(), (day["outcome"] == "answered").to_numpy(),
                                     (day["outcome"] == "abandoned").to_numpy(), day["wait_s"].to_numpy(),
                                     calibration.service_level_threshold_s, _hours(calibration))
    return out


def _distribution(raw: dict) -> Distribution:
    return Distribution(raw["dist"], raw.get("mean_s"), raw.get("cv"))


def replay_trace(day: pd.DataFrame, calibration: Calibration, rng: np.random.Generator) -> pd.DataFrame:
    """The trace (``sim`` trace columns) replaying one day's offered contacts; see the module docstring."""
    day = _inside(day, calibration).sort_values("queue_entry_s", kind="stable")
    n = len(day)
    types = day["contact_type"].astype(str).to_numpy()
    answered = (day["outcome"] == "answered").to_numpy()
    abandoned = (day["outcome"] == "abandoned").to_numpy()
    wait = day["wait_s"].to_numpy(dtype=float)
    handle = day["handle_time_s"].to_numpy(dtype=float).copy()
    patience = np.full(n, math.inf)
    scenario = calibration.scenario()["contact_types"]
    # one block of draws per contact type, in a fixed order, so the trace depends on the seed only
    for t in sorted(set(types)):
        rows = types == t
        spec = scenario[t]
        sampled_handle = draw(_distribution(spec["handle_time"]), rng, int(rows.sum()))
        residual = draw(_distribution(spec["patience"]), rng, int(rows.sum()))
        need = rows & ~(answered & np.isfinite(handle))
        handle[need] = sampled_handle[need[rows]]
        patience[rows & abandoned] = wait[rows & abandoned]
        censored = rows & ~abandoned
        patience[censored] = wait[censored] + residual[censored[rows]]
    return pd.DataFrame({"arrival_time_s": day["queue_entry_s"].to_numpy() - calibration.open_s,
                         "contact_type": types, "handle_time_s": handle, "patience_s": patience})


def day_available(day: pd.DataFrame, calibration: Calibration, break_s: float = BREAK_S) -> dict[str, list[float]]:
    """Per agent group of the calibration: its mean agents available to answer in each interval of the
    opening hours on one day (:func:`~.estimate.available_agents`, fractional)."""
    starts = calibration.open_s + calibration.interval_s * np.arange(calibration.n_intervals)
    out = {}
    for g in calibration.group_names:
        avail = available_agents(day, interval_minutes=calibration.interval_s / 60.0, break_s=break_s,
                                 break_rule=calibration.break_rule, agents=calibration.group_agents.get(g),
                                 types=calibration.groups.get(g))
        out[g] = [float(v) for v in avail.groupby("interval_start_s")["available"].mean()
                  .reindex(starts, fill_value=0.0)]
    return out


def _expected(day: pd.DataFrame, calibration: Calibration) -> np.ndarray:
    entry = _inside(day, calibration)["queue_entry_s"].to_numpy()
    offered = np.bincount(((entry - calibration.open_s) // calibration.interval_s).astype(int),
                          minlength=calibration.n_intervals)[:calibration.n_intervals]
    return offered > 0


def day_staffing(day: pd.DataFrame, calibration: Calibration, break_s: float = BREAK_S) -> list[int]:
    """Agents per interval of the opening hours on one day, all groups together: the agents available to
    answer (:func:`~.estimate.available_agents`), whole (at least 1 while contacts are offered)."""
    available = np.sum([v for v in day_available(day, calibration, break_s).values()], axis=0)
    return [int(a) for a in whole_agents(available, _expected(day, calibration))]


def _simulated_kpis(config: SimConfig, replication: int, calibration: Calibration) -> pd.DataFrame:
    c = simulate(config.scenario, config.run, replication, keep_contacts=True).contacts
    clock = c.arrival_time_s + calibration.open_s
    return hourly_kpis(clock, c.answered, (c.outcome == ABANDONED) & ~c.answered, c.wait_s,
                       calibration.service_level_threshold_s, _hours(calibration))


def _stack(tables: Sequence[pd.DataFrame]) -> dict[str, np.ndarray]:
    """KPI -> array (n_tables, n_hours + 1)."""
    return {k: np.stack([t[k].to_numpy(dtype=float) for t in tables]) for k in ("offered",) + KPIS}


@dataclass
class Comparison:
    """``table``: one row per hour (``hour`` -1 = the whole day) and KPI with ``observed``,
    ``calibrated`` and ``replay`` means and their interval bounds (``*_low``/``*_high``), and for each
    model the difference from the observed value and whether it is significant.  ``errors``: one row
    per model and KPI (hours compared, MAE, bias, RMSE, significant hours, whole-day values).
    ``traces``: the first replication's replay trace of each day (ISO date -> trace table)."""

    table: pd.DataFrame
    errors: pd.DataFrame
    traces: dict[str, pd.DataFrame]
    staffing: dict[str, list[float]]  # ISO date -> mean agents available per interval, all groups
    replications: int
    confidence: float


def compare_to_log(log: pd.DataFrame, calibration: Calibration, *, replications: int = 20, seed: int = 12345,
                   confidence: float = 0.95, break_s: float | None = None) -> Comparison:
    """Simulate the calibrated scenario and the replay of every logged day, and compare with the log.
    ``break_s``: for the days' staffing; default the calibration's."""
    break_s = calibration.break_s if break_s is None else break_s
    hours = _hours(calibration)
    observed = observed_kpis(log, calibration)
    base = calibration.scenario()
    run = {"replications": replications, "seed": seed, "drain": True, "figures": False}
    calibrated_config = load_config({"scenario": base, "run": run})
    calibrated = [_simulated_kpis(calibrated_config, r, calibration) for r in range(replications)]

    by_date = {d: g for d, g in log.groupby(log["date"].dt.strftime("%Y-%m-%d"))}
    available = {d: day_available(by_date[d], calibration, break_s) for d in observed}
    groups = {d: calibration.agent_groups(available[d], _expected(by_date[d], calibration)) for d in observed}
    staffing = {d: [round(float(v), 3) for v in np.sum(list(available[d].values()), axis=0)] for d in observed}
    traces: dict[str, pd.DataFrame] = {}
    replay_days: list[list[pd.DataFrame]] = []
    with tempfile.TemporaryDirectory(prefix="replay-") as tmp:
        for r in range(replications):
            per_day = []
            for d in observed:
                trace = replay_trace(by_date[d], calibration, stream(seed, r, f"replay:{d}"))
                if r == 0:
                    traces[d] = trace
                path = Path(tmp) / f"{d}-{r}.csv"
                trace.to_csv(path, index=False, float_format="%.6f")
                scenario = dict(base, trace=str(path))
                scenario["agent_groups"] = groups[d]
                config = load_config({"scenario": scenario, "run": run})
                per_day.append(_simulated_kpis(config, r, calibration))
                path.unlink()
            replay_days.append(per_day)
    # a replay replication = every day replayed once: its hourly KPI is the mean over the days
    replay = [_mean_over(days) for days in replay_days]
    obs = _stack(list(observed.values()))
    sims = {"calibrated": _stack(calibrated), "replay": _stack(replay)}
    rows = []
    for i, h in enumerate(hours + [-1]):
        for k in KPIS:
            row = {"hour": h, "kpi": k}
            est = t_interval(obs[k][:, i], confidence)
            row.update(observed=est.mean, observed_low=est.low, observed_high=est.high)
            for name, values in sims.items():
                e = t_interval(values[k][:, i], confidence)
                half, _ = welch_half_width(obs[k][:, i], values[k][:, i], confidence)
                diff = e.mean - est.mean
                row.update({name: e.mean, f"{name}_low": e.low, f"{name}_high": e.high, f"{name}_diff": diff,
                            f"{name}_significant": bool(math.isfinite(half) and abs(diff) > half)})
            rows.append(row)
    table = pd.DataFrame(rows)
    return Comparison(table=table, errors=_errors(table), traces=traces, staffing=staffing,
                      replications=replications, confidence=confidence)


def _mean_over(days: Sequence[pd.DataFrame]) -> pd.DataFrame:
    out = days[0][["hour"]].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an hour with no contact on any day stays NaN
        for k, v in _stack(days).items():
            out[k] = np.nanmean(v, axis=0)
    return out


def _errors(table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for model in MODELS:
        for k in KPIS:
            sub = table[(table["kpi"] == k) & (table["hour"] >= 0)]
            ok = sub[np.isfinite(sub["observed"]) & np.isfinite(sub[model])]
            d = (ok[model] - ok["observed"]).to_numpy()
            day = table[(table["kpi"] == k) & (table["hour"] == -1)].iloc[0]
            rows.append({"model": model, "kpi": k, "hours": len(ok),
                         "mae": float(np.abs(d).mean()) if len(d) else math.nan,
                         "bias": float(d.mean()) if len(d) else math.nan,
                         "rmse": float(np.sqrt((d ** 2).mean())) if len(d) else math.nan,
                         "significant_hours": int(ok[f"{model}_significant"].sum()),
                         "day_observed": day["observed"], "day_model": day[model],
                         "day_significant": bool(day[f"{model}_significant"])})
    return pd.DataFrame(rows)

