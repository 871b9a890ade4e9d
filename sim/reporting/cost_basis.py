"""The cost basis of the report and the staffing study, from what a run already reports.

A scenario with ``scenario.costs`` has its own cost model (:mod:`sim.workforce.costs`: wages per group,
overtime premium, telephony), reported as ``labour_cost``, ``total_cost`` and ``cost_per_contact``;
the report shows and compares those when present.  This module is the basis for any run, costs or
not, from how many agents were logged in:
``agents_staffed`` (whole centre, time average over the measurement window). So:

- **staffed agent-hours** = ``agents_staffed`` x the window's length in hours (per replication,
  so it has a confidence interval and a paired difference like any KPI); it includes the overtime
  of agents finishing a contact after their shift ends, inside the window;
- **staff cost** = staffed agent-hours x a wage per agent-hour that the analyst gives
  (``--wage-per-hour``): one rate for every group, no shrinkage, overhead or overtime premium.

Without a wage the report compares agent-hours, which is the cost basis before prices.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["window_hours", "agent_hours_by_replication", "with_cost"]


def window_hours(run) -> float:
    """Opening hours in the measurement window of a resolved :class:`sim.model.config.RunSpec` (hours; the
    nights of a multi-day run are left out, as in ``agents_staffed``)."""
    return run.open_seconds(run.warmup_s, run.horizon_s) / 3600.0


def agent_hours_by_replication(replications: pd.DataFrame, window_h: float) -> pd.Series:
    """Staffed agent-hours per replication (indexed by replication) from a ``replications`` table."""
    rows = replications[(replications["channel"] == "all") & (replications["metric"] == "agents_staffed")]
    return rows.set_index("replication")["value"].astype(float).sort_index() * window_h


def with_cost(replications: pd.DataFrame, window_h: float, wage_per_hour: float | None = None) -> pd.DataFrame:
    """``replications`` plus rows of ``agent_hours`` (and ``cost`` with a wage) for the whole centre."""
    hours = agent_hours_by_replication(replications, window_h)
    parts = [replications, pd.DataFrame({"replication": hours.index.astype(int), "channel": "all",
                                         "metric": "agent_hours", "value": hours.to_numpy()})]
    if wage_per_hour is not None:
        parts.append(pd.DataFrame({"replication": hours.index.astype(int), "channel": "all", "metric": "cost",
                                   "value": hours.to_numpy() * wage_per_hour}))
    return pd.concat(parts, ignore_index=True)
