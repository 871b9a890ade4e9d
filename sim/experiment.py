"""Replications -> tidy tables on disk.

:func:`run_experiment` runs ``run.replications`` independent replications of
a scenario (replication ``r`` uses streams derived from ``(seed, r, name)``),
turns each into KPIs as soon as it ends (so memory holds one replication's
records at a time), and aggregates them into tables:

- ``summary``: ``channel, metric, mean, ci_low, ci_high, n_reps`` (t-intervals);
- ``intervals``: one row per interval x channel, KPIs averaged over replications;
- ``groups``: occupancy and staffing per agent group, with CIs;
- ``replications``: the per-replication KPI values behind ``summary``.

:func:`write_outputs` writes them as CSV, the per-contact log as Parquet (when
``run.save_contacts``; streamed one replication at a time), and the figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .config import SimConfig
from .metrics import SUMMARY_METRICS, group_summary, replication_intervals, replication_summary
from .model import simulate
from .records import OUTCOMES, ReplicationResult
from .stats import t_interval

__all__ = ["ExperimentResult", "run_experiment", "write_outputs", "contacts_frame"]


@dataclass
class ExperimentResult:
    """The tables of one scenario's replications."""

    config: SimConfig
    summary: pd.DataFrame
    intervals: pd.DataFrame
    groups: pd.DataFrame
    replications: pd.DataFrame


def contacts_frame(result: ReplicationResult) -> pd.DataFrame:
    """The per-contact log of one replication as a table with readable names."""
    c = result.contacts
    types = np.asarray(result.type_names, dtype=object)
    channels = np.asarray(result.channel_names, dtype=object)
    groups = np.asarray(result.group_names + ("",), dtype=object)
    return pd.DataFrame({
        "replication": np.full(len(c), result.replication, dtype=np.int32),
        "contact_id": c.contact_id,
        "contact_type": types[c.contact_type.astype(np.intp)],
        "channel": channels[c.channel.astype(np.intp)],
        "arrival_time_s": c.arrival_time_s,
        "wait_s": c.wait_s,
        "answered": c.answered,
        "outcome": np.asarray(OUTCOMES, dtype=object)[c.outcome.astype(np.intp)],
        "handle_time_s": c.handle_time_s,
        "agent_group": groups[c.agent_group.astype(np.intp)],
        "escalated": c.escalated,
        "transfer_wait_s": c.transfer_wait_s,
        "transfer_handle_time_s": c.transfer_handle_time_s,
        "end_time_s": c.end_time_s,
        "end_to_end_s": c.end_time_s - c.arrival_time_s,
    })


def run_experiment(config: SimConfig, *, on_replication: Callable[[ReplicationResult], None] | None = None
                   ) -> ExperimentResult:
    """Run all replications of ``config`` and aggregate their KPIs.

    ``on_replication`` sees each replication's raw result before it is dropped
    (used to stream the per-contact log to disk).
    """
    scenario, run = config.scenario, config.run
    per_rep: list[dict] = []
    group_rows: list[dict] = []
    interval_rows: list[dict] = []
    for rep in range(run.replications):
        result = simulate(scenario, run, rep)
        if on_replication is not None:
            on_replication(result)
        summary = replication_summary(result, scenario, run)
        per_rep.extend({"replication": rep, "channel": ch, "metric": m, "value": v} for (ch, m), v in summary.items())
        group_rows.extend({"replication": rep, "group": g, "metric": m, "value": v}
                          for (g, m), v in group_summary(result, run).items())
        interval_rows.extend(dict(row, replication=rep) for row in replication_intervals(result, scenario, run))
    replications = pd.DataFrame(per_rep)
    return ExperimentResult(
        config=config,
        summary=_aggregate(replications, "channel", run.confidence),
        intervals=_average_intervals(interval_rows),
        groups=_aggregate(pd.DataFrame(group_rows), "group", run.confidence),
        replications=replications,
    )


def _aggregate(values: pd.DataFrame, key: str, confidence: float) -> pd.DataFrame:
    rows = []
    order = {m: i for i, m in enumerate(SUMMARY_METRICS)}
    for (who, metric), part in values.groupby([key, "metric"], sort=False):
        est = t_interval(part["value"].to_numpy(), confidence)
        rows.append({key: who, "metric": metric, "mean": est.mean, "ci_low": est.low, "ci_high": est.high,
                     "n_reps": est.n})
    table = pd.DataFrame(rows, columns=[key, "metric", "mean", "ci_low", "ci_high", "n_reps"])
    if key == "channel":
        table = table[~(table["metric"].isin(("occupancy", "agents_staffed")) & (table["channel"] != "all"))]
        table = table.assign(_o=table["metric"].map(order)).sort_values([key, "_o"], kind="stable").drop(columns="_o")
        channels = list(dict.fromkeys(values[key]))
        table[key] = pd.Categorical(table[key], categories=channels, ordered=True)
        table = table.sort_values(key, kind="stable")
        table[key] = table[key].astype(str)
    return table.reset_index(drop=True)


def _average_intervals(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    keys = ["interval_start_s", "interval", "channel"]
    metrics = [c for c in frame.columns if c not in keys + ["replication"]]
    averaged = frame.groupby(keys, sort=False)[metrics].mean()
    return averaged.reset_index()


def write_outputs(result: ExperimentResult, folder: Path, *, figures: bool = True) -> list[Path]:
    """Write the tables (and figures) of ``result`` into ``folder``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in (("summary", result.summary), ("intervals", result.intervals), ("groups", result.groups),
                        ("replications", result.replications)):
        path = folder / f"{name}.csv"
        table.to_csv(path, index=False, float_format="%.10g")
        written.append(path)
    if figures:
        from . import plots

        targets = {name: (ch.service_level_threshold_s, ch.service_level_target)
                   for name, ch in result.config.scenario.channels.items()}
        figs = {
            "service_level_by_interval": plots.service_level_by_interval(result.intervals, targets),
            "asa_and_queue_by_interval": plots.asa_and_queue_by_interval(result.intervals),
            "occupancy_by_interval": plots.occupancy_by_interval(result.intervals),
        }
        written.extend(plots.save_figures(figs, folder / "figures"))
    return written


class ContactLogWriter:
    """Streams each replication's per-contact log into one Parquet file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = None

    def __call__(self, result: ReplicationResult) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(contacts_frame(result), preserve_index=False)
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def format_summary(summary: pd.DataFrame, confidence: float) -> str:
    """The per-channel KPI table printed at the end of a run: mean ± CI half-width."""
    shown = ("offered", "answered", "abandoned", "blocked", "service_level", "asa_s", "mean_wait_s",
             "abandon_rate", "p_wait", "aht_s", "escalation_rate", "end_to_end_time_s", "occupancy")
    channels = list(dict.fromkeys(summary["channel"]))
    cells = {(r.channel, r.metric): r for r in summary.itertuples()}
    width = 18
    lines = [f"{'KPI (mean ± ' + format(confidence * 100, 'g') + '% CI)':<24}" + "".join(f"{c:>{width}}" for c in channels)]
    for metric in shown:
        row = f"{metric:<24}"
        for ch in channels:
            r = cells.get((ch, metric))
            row += f"{_cell(metric, r):>{width}}"
        lines.append(row)
    return "\n".join(lines)


def _cell(metric: str, r) -> str:
    if r is None or not math.isfinite(r.mean):
        return "-"
    half = (r.ci_high - r.ci_low) / 2 if math.isfinite(r.ci_high) else math.nan
    pct = metric in ("service_level", "abandon_rate", "p_wait", "escalation_rate", "occupancy", "block_rate")
    if pct:
        text = f"{100 * r.mean:.1f}%"
        return text + (f" ±{100 * half:.1f}" if math.isfinite(half) else "")
    digits = 0 if metric in ("offered", "answered", "abandoned", "blocked") else 1
    text = f"{r.mean:.{digits}f}"
    return text + (f" ±{half:.{digits}f}" if math.isfinite(half) else "")
