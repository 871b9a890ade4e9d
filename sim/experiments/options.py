"""Option studies: a baseline and named options of one centre, side by side, ranked by cost.

A manager's question ("three more agents, or a better chatbot?") is a handful of *options*, each a
change of the same centre. Run with the same seed, replication ``r`` of every option sees the same
customers (common random numbers, :mod:`sim.experiments.comparison`), so each option's difference
from the baseline is a *paired* difference: sharp with a few replications. This module turns the
options' results into the tables a decision is made from:

- :func:`options_table` (``options.csv``): one row per option x channel x KPI: the baseline's and the
  option's means, the paired difference with its confidence interval, and a verdict that respects
  the KPI's practical threshold (:func:`sim.experiments.kpis.verdict`);
- :func:`ranking` (``ranking.csv``): one row per option, the baseline included: its cost, each
  channel's service level against its target, and its rank. Options that meet every channel's
  service-level target come first, cheapest first; then the others, fewest targets missed first.

**Cost** is the scenario's ``total_cost`` (``scenario.costs``: labour, overtime, vendor, bot,
telephony) when it has one; otherwise staffed agent-hours (``agents_staffed`` x the opening hours
measured), the cost basis before prices. **Meeting a target** means the channel's service level over
the measured day, mean across replications, is at least its target; the report also counts the
intervals that miss it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.comparison import compare_replications
from sim.experiments.kpis import verdict
from sim.experiments.replications import ExperimentResult
from sim.experiments.stats import t_interval

__all__ = ["BASELINE", "OPTIONS_COLUMNS", "RANKING_COLUMNS", "CostBasis", "cost_basis", "with_agent_hours",
           "options_table", "ranking"]

#: the name of the baseline option in every table
BASELINE = "baseline"

OPTIONS_COLUMNS = ["option", "channel", "metric", "baseline_mean", "option_mean", "difference", "ci_low", "ci_high",
                   "n_reps", "verdict"]

RANKING_COLUMNS = ["rank", "option", "meets_targets", "missed", "cost_metric", "cost_mean", "cost_ci_low",
                   "cost_ci_high", "cost_difference", "cost_difference_ci_low", "cost_difference_ci_high"]


@dataclass(frozen=True)
class CostBasis:
    """What an option's cost is: ``metric`` (``total_cost`` or ``agent_hours``) and its unit as a
    reader writes it (a currency, "money units", or "agent-h")."""

    metric: str
    unit: str

    @property
    def label(self) -> str:
        return ("Total cost" if self.metric == "total_cost" else "Staffed agent-hours") + f" ({self.unit})"


def cost_basis(result: ExperimentResult) -> CostBasis:
    """The scenario's total cost in its currency when it has ``scenario.costs``, else agent-hours."""
    costs = result.config.scenario.costs
    if costs is not None:
        return CostBasis("total_cost", costs.currency or "money units")
    return CostBasis("agent_hours", "agent-h")


def with_agent_hours(result: ExperimentResult) -> pd.DataFrame:
    """``result.replications`` plus, per replication, the whole centre's staffed ``agent_hours``
    (``agents_staffed`` x the opening hours of the measurement window)."""
    run = result.config.run
    hours = run.open_seconds(run.warmup_s, run.horizon_s) / 3600.0
    reps = result.replications
    staffed = reps[(reps["channel"] == "all") & (reps["metric"] == "agents_staffed")]
    extra = staffed.assign(metric="agent_hours", value=staffed["value"].astype(float) * hours)
    return pd.concat([reps, extra], ignore_index=True)


def options_table(baseline: ExperimentResult, options: Mapping[str, ExperimentResult]) -> pd.DataFrame:
    """Every KPI of every option against the baseline (:data:`OPTIONS_COLUMNS`), paired by replication."""
    confidence = baseline.config.run.confidence
    base = with_agent_hours(baseline)
    parts = []
    for name, result in options.items():
        table = compare_replications(base, with_agent_hours(result), confidence)
        table = table.rename(columns={"alternative_mean": "option_mean", "diff_mean": "difference",
                                      "diff_ci_low": "ci_low", "diff_ci_high": "ci_high"})
        table.insert(0, "option", name)
        table["verdict"] = [verdict(m, lo, hi, d) for m, lo, hi, d
                            in zip(table["metric"], table["ci_low"], table["ci_high"], table["difference"])]
        parts.append(table[OPTIONS_COLUMNS])
    if not parts:
        return pd.DataFrame(columns=OPTIONS_COLUMNS)
    return pd.concat(parts, ignore_index=True)


def _targets(result: ExperimentResult) -> dict[str, float]:
    """Channel -> service-level target, for the channels that were offered contacts."""
    offered = result.summary[(result.summary["metric"] == "offered")].set_index("channel")["mean"]
    return {name: ch.service_level_target for name, ch in result.config.scenario.channels.items()
            if float(offered.get(name, 0.0)) > 0.0}


def ranking(baseline: ExperimentResult, options: Mapping[str, ExperimentResult]) -> pd.DataFrame:
    """One row per option (the baseline first in the input, :data:`BASELINE`), ranked:
    those meeting every channel's service-level target by cost, then the others by how many
    targets they miss and then by cost.

    Columns (:data:`RANKING_COLUMNS`, then ``<channel>_service_level`` per channel): ``missed``
    names the channels below target ("" when none); ``cost_*`` is the option's cost (mean and
    interval over replications) and ``cost_difference*`` its paired difference from the baseline.
    """
    basis = cost_basis(baseline)
    confidence = baseline.config.run.confidence
    everyone = {BASELINE: baseline, **options}
    base_cost = _per_replication(with_agent_hours(baseline), basis.metric)
    rows = []
    for name, result in everyone.items():
        summary = result.summary.set_index(["channel", "metric"])["mean"]
        targets = _targets(result)
        sl = {ch: float(summary.get((ch, "service_level"), math.nan)) for ch in result.config.scenario.channels}
        missed = [ch for ch, target in targets.items() if not (sl[ch] >= target - 1e-12)]
        cost = _per_replication(with_agent_hours(result), basis.metric)
        estimate = t_interval(cost.to_numpy(), confidence)
        pairs = pd.concat({"b": base_cost, "a": cost}, axis=1, join="inner")
        diff = t_interval((pairs["a"] - pairs["b"]).to_numpy(), confidence)
        row = {"option": name, "meets_targets": not missed, "missed": ", ".join(missed),
               "cost_metric": basis.metric, "cost_mean": estimate.mean, "cost_ci_low": estimate.low,
               "cost_ci_high": estimate.high, "cost_difference": diff.mean,
               "cost_difference_ci_low": diff.low, "cost_difference_ci_high": diff.high}
        row.update({f"{ch}_service_level": v for ch, v in sl.items()})
        rows.append(row)
    table = pd.DataFrame(rows)
    order = sorted(range(len(rows)), key=lambda i: (0 if rows[i]["meets_targets"] else 1,
                                                    len(rows[i]["missed"].split(", ")) if rows[i]["missed"] else 0,
                                                    _finite(rows[i]["cost_mean"])))
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table[RANKING_COLUMNS + [c for c in table.columns if c not in RANKING_COLUMNS]]


def _per_replication(replications: pd.DataFrame, metric: str) -> pd.Series:
    rows = replications[(replications["channel"] == "all") & (replications["metric"] == metric)]
    return rows.set_index("replication")["value"].astype(float).sort_index()


def _finite(value: float) -> float:
    return value if math.isfinite(value) else math.inf
