"""One replication, reduced to its KPI rows: the unit of work every executor runs.

:func:`replicate` runs replication ``r`` of a scenario (its random streams are
derived from ``(seed, r, name)``, so the result depends on nothing else) and
turns the :class:`~sim.engine.records.ReplicationResult` into plain rows of
summary, group, interval, contact-type and day KPIs, small enough to send back from a
worker process or a Dask worker.  With a log path the per-contact log streams
to Parquet while the model runs.
"""

from __future__ import annotations

from pathlib import Path

from sim.model.capacity import replication_load
from sim.model.centre import simulate
from sim.model.config import SimConfig
from sim.model.metrics import (group_summary, replication_days, replication_group_intervals, replication_intervals,
                               replication_sites, replication_summary, replication_type_intervals,
                               replication_types)

__all__ = ["replicate"]


def replicate(config: SimConfig, replication: int, log_path: Path | None = None) -> dict:
    """Run one replication and reduce it to its KPI rows (runs in worker processes too).

    With ``log_path`` the per-contact log streams to that Parquet file.
    """
    scenario, run = config.scenario, config.run
    sink = None
    if log_path is not None:
        from sim.experiments.contact_log import ContactLogWriter  # pyarrow only when the log is written

        sink = ContactLogWriter(log_path, replication, tuple(scenario.contact_types), tuple(scenario.channels),
                                tuple(scenario.agent_groups))
    result = simulate(scenario, run, replication, sink=sink, state=config.state)
    absence_paid = scenario.costs.absence_paid if scenario.costs is not None else True
    if sink is not None:
        sink.close()
    return {
        "summary": [{"replication": replication, "channel": ch, "metric": m, "value": v}
                    for (ch, m), v in replication_summary(result, scenario, run).items()],
        "groups": [{"replication": replication, "group": g, "metric": m, "value": v}
                   for (g, m), v in group_summary(result, run, absence_paid).items()],
        "intervals": dict(replication_intervals(result, scenario, run)),
        "types": [{"replication": replication, "contact_type": t, "metric": m, "value": v}
                  for (t, m), v in replication_types(result, run, scenario).items()],
        "type_intervals": replication_type_intervals(result, scenario, run),
        "group_intervals": replication_group_intervals(result, scenario, run),
        "days": [{"replication": replication, "day": d, "channel": ch, "metric": m, "value": v}
                 for (d, ch, m), v in replication_days(result, run, scenario).items()] if run.days > 1 else [],
        "load": replication_load(result, scenario, run),
        "sites": [{"replication": replication, "site": s, "metric": m, "value": v}
                  for (s, m), v in replication_sites(result, scenario, run).items()],
    }
