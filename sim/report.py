"""``python -m sim.report``: a strategy report of runs, sweeps and studies, as HTML and Markdown.

::

    python -m sim.report results/more_generalists --baseline results/base --wage-per-hour 25
    python -m sim.report results/sweeps/agents
    python -m sim.report results/studies/staffing_sweep results/studies/channel_shift

Each folder given becomes one page of the report; what a page says depends on what the folder is:

- a **run** (``python -m sim``: ``summary.csv``, ``intervals.csv``, ``replications.csv``,
  ``config.yaml``): a summary paragraph computed from the numbers, the scenario in readable tables
  (channels and targets, contact types, staffing, policies), the KPIs per channel with their
  intervals, and the interval charts (service level against target, ASA and backlog, abandonment,
  occupancy and staffing). With ``--baseline`` (another run, same seed): what differs, the paired
  difference of each KPI with its interval and a verdict ("significantly better / worse / no
  detectable difference", :func:`sim.kpis.verdict`), a chart of them, and the baseline dotted in
  the interval charts;
- a **sweep** (a Hydra multirun folder: ``sweep.csv`` or job folders): the points in a table (with
  how many intervals each meets its targets in), failed points and their errors, the KPIs
  against the swept value (or a heatmap for two keys), and the cost-service trade-off with its
  Pareto front;
- a **study** (``experiments/*.py``: ``kpis.csv``, ``study.json``, ``paired_vs_baseline.csv``): the
  same as a sweep, plus each point's paired differences against the study's baseline point.

A folder whose run failed, did not finish or measured nothing gives a page that says so. Cost is
staffed agent-hours, times ``--wage-per-hour`` when given (:mod:`sim.cost`); the report says
which. Written into ``--out`` (default ``<folder>/report``): ``report.html`` (self-contained:
figures embedded, no network needed), ``report.md`` and ``figures/*.png``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import plots, sweep_plots
from .compare import compare_replications, with_verdicts
from .cost import window_hours, with_cost
from .kpis import VERDICT_BETTER, VERDICT_NONE, VERDICT_WORSE, kpi
from .report_doc import Heading, Image, Page, Paragraph, Table, write_report
from .report_text import (config_changes, count_text, diff_cell, hours_text, kpi_cell, run_table, scenario_tables,
                          target_text, words)
from .stats import t_interval
from .style import ALL, channel_label, channel_order

__all__ = ["RunData", "load_run", "folder_kind", "run_page", "grid_page", "build_report", "main"]

KPI_ROWS = ("offered", "service_level", "sl_risk", "asa_s", "mean_wait_s", "abandon_rate", "p_wait", "aht_s",
            "escalation_rate", "transfer_asa_s", "end_to_end_time_s", "mean_queue_length", "occupancy",
            "agents_staffed", "agent_hours", "cost")
COMPARE_ROWS = ("service_level", "asa_s", "abandon_rate", "mean_wait_s", "occupancy", "agent_hours", "cost")
HEADLINE = ("service_level", "asa_s", "abandon_rate")


# ------------------------------------------------------------------- reading


@dataclass
class RunData:
    """One run folder as the report sees it. ``status``: ``ok``, ``empty`` (ran, measured no
    contact), ``failed`` (``error.txt``) or ``missing`` (no results); ``problem``: why not ok."""

    folder: Path
    name: str
    status: str
    problem: str = ""
    raw: dict | None = None
    config: Any = None
    config_error: str = ""
    summary: pd.DataFrame | None = None
    intervals: pd.DataFrame | None = None
    replications: pd.DataFrame | None = None
    window_h: float = math.nan
    warmup_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def targets(self) -> dict[str, tuple[float, float]]:
        if self.config is None:
            return {}
        return {n: (c.service_level_threshold_s, c.service_level_target) for n, c in self.config.scenario.channels.items()}

    @property
    def confidence(self) -> float:
        return self.config.run.confidence if self.config is not None else 0.95


def _read_csv(path: Path) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path) if path.is_file() else None
    except Exception:
        return None


def _first_line(path: Path) -> str:
    lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return lines[0] if lines else "failed"


def read_config(folder: Path) -> tuple[dict | None, Any, str, float]:
    """``(raw config.yaml, SimConfig or None, why not, warm-up s)`` of a run folder."""
    import yaml

    path = folder / "config.yaml"
    if not path.is_file():
        return None, None, "no config.yaml in the folder", 0.0
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except Exception as exc:
        return None, None, f"config.yaml unreadable: {exc}", 0.0
    try:
        from .config import load_config

        config = load_config(raw)
    except Exception as exc:
        return raw, None, f"config.yaml not valid here: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", 0.0
    warmup_s = config.run.warmup_s
    if config.run.warmup_auto and (folder / "warmup.json").is_file():
        try:
            warmup_s = float(json.loads((folder / "warmup.json").read_text(encoding="utf-8"))["warmup_s"])
        except Exception:
            pass
    from dataclasses import replace

    return raw, replace(config, run=replace(config.run, warmup_s=warmup_s)), "", warmup_s


def load_run(folder: str | Path) -> RunData:
    """Everything the report uses from a ``python -m sim`` folder; never raises for a bad folder."""
    folder = Path(folder)
    raw, config, error, warmup_s = read_config(folder)
    name = (config.scenario.name if config is not None
            else str(((raw or {}).get("scenario") or {}).get("name") or folder.name))
    run = RunData(folder, name, "ok", raw=raw, config=config, config_error=error, warmup_s=warmup_s)
    if config is not None:
        run.window_h = window_hours(config.run)
    summary = _read_csv(folder / "summary.csv")
    if summary is None or summary.empty:
        if (folder / "error.txt").is_file():
            run.status, run.problem = "failed", f"the run failed: {_first_line(folder / 'error.txt')}"
        elif (folder / "summary.csv").is_file():
            run.status, run.problem = "missing", "summary.csv is empty or unreadable"
        else:
            run.status, run.problem = "missing", ("no results in this folder (no summary.csv): the run failed before "
                                                  "writing them, was interrupted, or is still running")
        return run
    run.summary = summary
    run.intervals = _read_csv(folder / "intervals.csv")
    run.replications = _read_csv(folder / "replications.csv")
    offered = summary[(summary["channel"] == ALL) & (summary["metric"] == "offered")]["mean"]
    if offered.empty or not (offered.fillna(0.0) > 0).any():
        run.status, run.problem = "empty", "no contact was offered in the measurement window, so there is nothing to measure"
    return run


def folder_kind(folder: Path) -> str:
    """``sweep``, ``study`` or ``run``."""
    if (folder / "sweep.csv").is_file() or (folder / "multirun.yaml").is_file():
        return "sweep"
    if (folder / "kpis.csv").is_file():
        return "study"
    if any((p / ".hydra" / "overrides.yaml").is_file() for p in folder.iterdir() if p.is_dir()):
        return "sweep"
    return "run"


# ---------------------------------------------------------------- run pages


def _summary_rows(run: RunData, wage: float | None) -> pd.DataFrame:
    """``summary`` plus ``agent_hours`` (and ``cost``) for the whole centre, with t-intervals."""
    summary = run.summary
    if run.replications is None or not math.isfinite(run.window_h):
        return summary
    reps = with_cost(run.replications, run.window_h, wage)
    extra = []
    for metric in ("agent_hours", "cost"):
        values = reps[(reps["metric"] == metric)]["value"].to_numpy(dtype=float)
        if values.size:
            est = t_interval(values, run.confidence)
            extra.append({"channel": ALL, "metric": metric, "mean": est.mean, "ci_low": est.low, "ci_high": est.high,
                          "n_reps": est.n})
    return pd.concat([summary, pd.DataFrame(extra)], ignore_index=True) if extra else summary


def _metric_name(metric: str, wage: float | None) -> str:
    if metric == "cost":
        return f"Staff cost (agent-hours x {wage:g} per hour)"
    return kpi(metric).label


def kpi_table(summary: pd.DataFrame, wage: float | None, confidence: float) -> Table:
    """KPIs (rows) per channel (columns) as ``mean ± half-width``."""
    channels = channel_order(summary["channel"].astype(str).unique(), include_all=True)
    cells = {(str(r.channel), str(r.metric)): r for r in summary.itertuples()}
    rows = []
    for metric in KPI_ROWS:
        line = [kpi_cell(metric, cells[(ch, metric)].mean, cells[(ch, metric)].ci_low, cells[(ch, metric)].ci_high)
                if (ch, metric) in cells else "–" for ch in channels]
        if any(c != "–" for c in line):
            rows.append([_metric_name(metric, wage), *line])
    return Table(["KPI", *[channel_label(c) for c in channels]], rows,
                 f"KPIs per channel: mean ± half-width of the {100 * confidence:g}% confidence interval")


def intervals_meeting(intervals: pd.DataFrame | None, targets: dict[str, tuple[float, float]]) -> dict[str, tuple[int, int]]:
    """``{channel: (intervals meeting its target, intervals with contacts)}`` (mean service level per interval)."""
    out: dict[str, tuple[int, int]] = {}
    if intervals is None or intervals.empty or "service_level" not in intervals.columns:
        return out
    for ch, (_, target) in targets.items():
        sl = pd.to_numeric(intervals[intervals["channel"].astype(str) == ch]["service_level"], errors="coerce")
        sl = sl[np.isfinite(sl.to_numpy(dtype=float))]
        if len(sl):
            out[ch] = (int((sl >= target - 1e-12).sum()), int(len(sl)))
    return out


def _comparison(run: RunData, base: RunData, wage: float | None) -> pd.DataFrame | None:
    if run.replications is None or base.replications is None:
        return None
    a = with_cost(run.replications, run.window_h, wage) if math.isfinite(run.window_h) else run.replications
    b = with_cost(base.replications, base.window_h, wage) if math.isfinite(base.window_h) else base.replications
    return with_verdicts(compare_replications(b, a, base.confidence))


def verdict_table(comparison: pd.DataFrame, wage: float | None, confidence: float) -> Table:
    rows = []
    channels = channel_order(comparison["channel"].astype(str).unique(), include_all=True)
    cells = {(str(r.channel), str(r.metric)): r for r in comparison.itertuples()}
    for metric in COMPARE_ROWS:
        for ch in channels:
            r = cells.get((ch, metric))
            if r is None or not math.isfinite(r.baseline_mean):
                continue
            info = kpi(metric)
            rows.append([_metric_name(metric, wage), channel_label(ch), info.show(r.baseline_mean),
                         info.show(r.alternative_mean), diff_cell(metric, r.diff_mean, r.diff_ci_low, r.diff_ci_high),
                         r.verdict])
    return Table(["KPI", "Channel", "Baseline", "This option", f"Difference [{100 * confidence:g}% CI]", "Verdict"],
                 rows, "Paired differences (this option - baseline, same customers in each replication)")


def _relative(diff: float, base: float) -> str:
    if not (math.isfinite(diff) and math.isfinite(base)) or base == 0:
        return "–"
    return f"{100.0 * diff / base:+.1f}%"


def run_summary(run: RunData, base: RunData | None, comparison: pd.DataFrame | None, wage: float | None) -> str:
    """The summary paragraph of a run page, from the numbers."""
    if not run.ok:
        return f"{run.name}: {run.problem}."
    cells = {(str(r.channel), str(r.metric)): r for r in _summary_rows(run, wage).itertuples()}
    met = intervals_meeting(run.intervals, run.targets)
    base_met = intervals_meeting(base.intervals, base.targets) if base is not None and base.ok else {}
    parts = []
    for ch, (threshold, target) in run.targets.items():
        if ch not in met:
            continue
        k, n = met[ch]
        sl = cells.get((ch, "service_level"))
        text = f"{ch} meets {target_text(threshold, target)} in {k} of {n} intervals"
        if ch in base_met:
            text += f" (baseline {base_met[ch][0]} of {base_met[ch][1]})"
        elif sl is not None:
            text += f" ({kpi('service_level').show(sl.mean)} over the day)"
        parts.append(text)
    head = f"{run.name} against {base.name}" if comparison is not None else run.name
    if run.config is not None:
        head += f" ({run.config.run.replications} replications of a {hours_text(run.window_h)} day)"
    sentence = f"{head}: " + (words(parts) if parts else "no channel has a service-level target")
    hours = cells.get((ALL, "agent_hours"))
    if comparison is not None:
        c = {(str(r.channel), str(r.metric)): r for r in comparison.itertuples()}
        h = c.get((ALL, "agent_hours"))
        if h is not None and math.isfinite(h.diff_mean):
            sentence += f", at {_relative(h.diff_mean, h.baseline_mean)} staffed agent-hours ({h.diff_mean:+,.0f} agent-h"
            cost = c.get((ALL, "cost"))
            sentence += (f", {cost.diff_mean:+,.0f} at {wage:g} per agent-hour)" if cost is not None else ")")
        sentence += "."
        groups: dict[str, list[str]] = {VERDICT_BETTER: [], VERDICT_WORSE: [], VERDICT_NONE: []}
        for (ch, metric), r in c.items():
            if metric in HEADLINE and ch != ALL and r.verdict in groups:
                groups[r.verdict].append(f"{ch} {kpi(metric).name.lower()}"
                                         + (f" ({kpi(metric).show_diff(r.diff_mean)})" if r.verdict != VERDICT_NONE else ""))
        sentence += (f" Significantly better: {words(groups[VERDICT_BETTER])}. Significantly worse: "
                     f"{words(groups[VERDICT_WORSE])}. No detectable difference: {words(groups[VERDICT_NONE])}.")
    else:
        if hours is not None and math.isfinite(hours.mean):
            sentence += f", with {hours.mean:,.0f} staffed agent-hours"
            cost = cells.get((ALL, "cost"))
            if cost is not None:
                sentence += f" ({cost.mean:,.0f} at {wage:g} per agent-hour)"
        sentence += "."
        ab, occ = cells.get((ALL, "abandon_rate")), cells.get((ALL, "occupancy"))
        if ab is not None and occ is not None:
            sentence += (f" Whole centre: {kpi('abandon_rate').show(ab.mean)} of offered contacts abandoned, "
                         f"agents {kpi('occupancy').show(occ.mean)} occupied.")
    return sentence


def run_page(run: RunData, base: RunData | None = None, wage: float | None = None, prefix: str = "") -> Page:
    """The page of one run folder (against ``base`` if given)."""
    title = f"{run.name} against {base.name}" if base is not None else run.name
    page = Page(title)
    comparison = None
    if base is not None and run.ok and base.ok:
        comparison = _comparison(run, base, wage)
        if run.config is not None and base.config is not None and run.config.run.seed != base.config.run.seed:
            page.add(Paragraph(f"The two runs have different seeds ({base.config.run.seed} and {run.config.run.seed}): "
                               "they do not share customers, so the differences are not paired and their intervals "
                               "are wider than they need be. Run both with the same run.seed.", "warning"))
    page.add(Heading("Summary"), Paragraph(run_summary(run, base, comparison, wage), "summary"))
    if not run.ok:
        page.add(Paragraph(f"This report has no KPIs or charts: there are no results to show in {run.folder}.",
                           "warning"))
    if base is not None and not base.ok:
        page.add(Paragraph(f"No comparison: the baseline {base.folder}: {base.problem}.", "warning"))
    page.add(Heading("Scenario"))
    if run.config is not None:
        page.add(*scenario_tables(run.config), run_table(run.config, run.window_h, run.warmup_s))
    else:
        page.add(Paragraph(f"The scenario cannot be described: {run.config_error}.", "note"))
    if base is not None:
        changes = config_changes(base.raw, run.raw)
        if changes is not None and changes.rows:
            page.add(changes)
    if run.ok:
        summary = _summary_rows(run, wage)
        page.add(Heading("KPIs per channel"), kpi_table(summary, wage, run.confidence))
        page.add(Paragraph(_cost_note(wage), "note"))
    if comparison is not None and not comparison.empty:
        page.add(Heading("Against the baseline"), verdict_table(comparison, wage, base.confidence),
                 Paragraph(f"A difference is significant when its {100 * base.confidence:g}% interval excludes 0; "
                           "\"better\" and \"worse\" follow the KPI's direction (service level up; waits, abandonment "
                           "and agent-hours down); occupancy has none, so it is \"higher\" or \"lower\".", "note"),
                 Image(f"{prefix}paired_differences", plots.paired_differences(comparison, confidence=base.confidence),
                       "Paired differences against the baseline per channel, with intervals"))
    if run.ok:
        baseline_intervals = base.intervals if comparison is not None else None
        page.add(Heading("By interval"))
        captions = {
            "service_level_by_interval": "Service level per interval against each channel's target (dashed)",
            "asa_and_queue_by_interval": "Average speed of answer and backlog (mean contacts waiting) per interval",
            "abandonment_by_interval": "Abandonment per interval",
            "occupancy_by_interval": "Occupancy of the whole centre and agents staffed per interval",
        }
        for name, fig in plots.interval_figures(run.intervals, run.targets, baseline_intervals).items():
            page.add(Image(f"{prefix}{name}", fig, captions[name] + (" (baseline dotted)" if baseline_intervals is not None
                                                                      and name in ("service_level_by_interval",
                                                                                   "abandonment_by_interval") else "")))
    return page


def _cost_note(wage: float | None) -> str:
    text = ("Cost basis: staffed agent-hours = agents logged in (time average, whole centre) x the measurement "
            "window's length; it is not a simulator output but computed from one.")
    if wage is None:
        return text + " No wage was given (--wage-per-hour), so costs are in agent-hours."
    return text + f" Staff cost = agent-hours x {wage:g} per agent-hour (one rate for every group; no overhead, " \
                  "shrinkage or overtime premium)."


# --------------------------------------------------------- sweep and study pages


@dataclass
class Grid:
    """A sweep or study as the report sees it: the tidy ``table`` (swept ``keys`` + summary
    columns [+ status, error]) and what is known per point."""

    name: str
    kind: str  # "sweep" | "study"
    folder: Path
    table: pd.DataFrame
    keys: list[str]
    targets: dict[str, tuple[float, float]]
    windows: dict[tuple, float]  # point -> measurement window (h)
    intervals: dict[tuple, pd.DataFrame]  # point -> its intervals table (sweeps)
    paired: pd.DataFrame | None = None
    baseline: Any = None
    xlabel: str | None = None
    cost_basis: str | None = None  # a study's own cost metric: its basis, and its wage
    wage: float | None = None
    settings: list[list[str]] | None = None
    problem: str = ""


def _norm(value) -> Any:
    """A swept value as a comparable key: numbers as rounded floats, the rest as text, missing as None."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    try:
        return round(float(value), 9)
    except (TypeError, ValueError):
        return str(value)


def _point(row, keys) -> tuple:
    return tuple(_norm(row[k]) for k in keys)


def _short_key(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def _point_label(point: tuple, keys: list[str], short: bool = False) -> str:
    """``agents=14`` (``short``: ``14``); several keys joined by commas."""
    values = [f"{v:g}" if isinstance(v, float) else str(v) for v in point]
    return ", ".join(v if short else f"{_short_key(k)}={v}" for k, v in zip(keys, values))


def load_sweep(folder: Path) -> Grid:
    """A Hydra multirun folder: ``sweep.csv`` (or the job folders) and each point's config and intervals."""
    from .sweep import collect_sweep, point_folders

    problem = ""
    table = _read_csv(folder / "sweep.csv")
    if table is None:
        try:
            table = collect_sweep(folder)
        except Exception as exc:
            table, problem = pd.DataFrame(), f"the sweep table cannot be read: {exc}"
    keys = sweep_plots.swept_columns(table)
    targets: dict[str, tuple[float, float]] = {}
    windows, intervals, first = {}, {}, None
    for values, job in point_folders(folder, keys):
        point = tuple(_norm(values[k]) for k in keys)
        _, config, _, _ = read_config(job)
        if config is not None:
            windows[point] = window_hours(config.run)
            first = first or config
            if not targets:
                targets = {n: (c.service_level_threshold_s, c.service_level_target)
                           for n, c in config.scenario.channels.items()}
        frame = _read_csv(job / "intervals.csv")
        if frame is not None:
            intervals[point] = frame
    settings = _sweep_settings(folder, keys, first)
    return Grid(f"Sweep over {words(keys)}" if keys else f"Sweep {folder.name}", "sweep", folder, table, keys, targets,
                windows, intervals, settings=settings, problem=problem)


def _sweep_settings(folder: Path, keys: list[str], config) -> list[list[str]] | None:
    """The sweep's overrides (``multirun.yaml``) and, from a point's config, how each point ran."""
    import yaml

    rows = []
    try:
        data = yaml.safe_load((folder / "multirun.yaml").read_text(encoding="utf-8"))
        rows = [[item.partition("=")[0], item.partition("=")[2]] for item in map(str, data["hydra"]["overrides"]["task"])]
    except Exception:
        pass
    if config is not None:
        run = config.run
        rows += [["Replications per point", str(run.replications)], ["Seed", str(run.seed)],
                 ["Measurement window", f"{hours_text(window_hours(run))} after {hours_text(run.warmup_s / 3600)} warm-up"]]
    return rows or None


def load_study(folder: Path) -> Grid:
    """A what-if study folder (``experiments/*.py``): ``kpis.csv``, ``study.json``, ``paired_vs_baseline.csv``."""
    table = _read_csv(folder / "kpis.csv")
    info: dict[str, Any] = {}
    if (folder / "study.json").is_file():
        try:
            info = json.loads((folder / "study.json").read_text(encoding="utf-8"))
        except Exception:
            info = {}
    problem = ""
    if table is None or table.empty:
        table, problem = pd.DataFrame(), "kpis.csv is empty or unreadable"
    key = info.get("key") or (table.columns[0] if len(table.columns) else "value")
    targets = {ch: (float(t["threshold_s"]), float(t["target"])) for ch, t in (info.get("targets") or {}).items()}
    points = {_point(r, [key]) for _, r in table.iterrows()} if key in table.columns else set()
    windows = {p: float(info["window_hours"]) for p in points} if "window_hours" in info else {}
    paired = _read_csv(folder / "paired_vs_baseline.csv")
    if paired is not None and not paired.empty:
        paired = with_verdicts(paired)
    return Grid(f"Study: {info.get('study', folder.name)}", "study", folder, table, [key] if key in table.columns else [],
                targets, windows, {}, paired=paired, baseline=info.get("baseline"), xlabel=info.get("x_label"),
                cost_basis=info.get("cost_basis"), wage=info.get("wage_per_hour"), problem=problem,
                settings=_study_settings(info, key))


def _study_settings(info: dict[str, Any], key: str) -> list[list[str]] | None:
    if not info:
        return None
    rows = [["What changes", f"{info.get('x_label') or key} ({key})"], ["Baseline point", f"{key}={info.get('baseline')}"],
            ["Scenario", str(info.get("scenario", "?"))]]
    if "window_hours" in info:
        rows.append(["Measurement window", hours_text(float(info["window_hours"]))])
    rows += [[label, str(info[k])] for k, label in (("replications", "Replications per point"), ("seed", "Seed (every point)"))
             if k in info]
    return rows


def _points(grid: Grid, wage: float | None, service_channel: str) -> pd.DataFrame:
    """One row per point: its label, status, error, service, cost and whether it meets every target."""
    t = grid.table
    rows = []
    if t.empty or not grid.keys:
        return pd.DataFrame(rows)
    own_cost = _uses_own_cost(grid, wage)
    t = t.assign(_point=pd.Series([_point(r, grid.keys) for _, r in t.iterrows()], index=t.index, dtype=object))
    for point, part in t.groupby("_point", sort=False):
        st = str(part["status"].iloc[0]) if "status" in part.columns else "ok"
        cells = {(str(r.channel), str(r.metric)): r for r in part.itertuples()} if st == "ok" else {}
        error = part["error"].iloc[0] if "error" in part.columns and st != "ok" else ""
        row: dict[str, Any] = {"point": point, "label": _point_label(point, grid.keys), "status": st,
                               "error": "" if pd.isna(error) else str(error),
                               "kpis": {k: (c.mean, c.ci_low, c.ci_high) for k, c in cells.items()}}
        sl = cells.get((service_channel, "service_level"))
        row["service"], row["service_low"], row["service_high"] = (sl.mean, sl.ci_low, sl.ci_high) if sl else (math.nan,) * 3
        cost = _point_cost(cells, grid.windows.get(point), wage, own_cost)
        row["cost"], row["cost_low"], row["cost_high"] = cost
        per_channel = [cells.get((ch, "service_level")) for ch in grid.targets]
        row["meets_target"] = (all(c is not None and c.mean >= grid.targets[ch][1] - 1e-12
                                   for c, ch in zip(per_channel, grid.targets)) if grid.targets and st == "ok" else None)
        row["met"] = intervals_meeting(grid.intervals.get(point), grid.targets) if st == "ok" else {}
        rows.append(row)
    return pd.DataFrame(rows)


def _uses_own_cost(grid: Grid, wage: float | None) -> bool:
    """A study's own ``cost`` metric is used when no ``--wage-per-hour`` is given (its wage, its basis)."""
    return bool(grid.cost_basis) and wage is None and ((grid.table.get("metric") == "cost").any()
                                                       if "metric" in grid.table.columns else False)


def _point_cost(cells: dict, window_h: float | None, wage: float | None, own_cost: bool) -> tuple:
    """(mean, low, high) of a point's cost: agents staffed x window (x wage), or the study's own cost."""
    own = cells.get((ALL, "cost"))
    if own_cost and own is not None:
        return own.mean, own.ci_low, own.ci_high
    staffed = cells.get((ALL, "agents_staffed"))
    if staffed is None or window_h is None or not math.isfinite(window_h):
        return (math.nan,) * 3
    scale = window_h * (wage if wage is not None else 1.0)
    return staffed.mean * scale, staffed.ci_low * scale, staffed.ci_high * scale


def _cost_label(grid: Grid, wage: float | None) -> str:
    if _uses_own_cost(grid, wage):
        return f"Staff cost (agent-hours x {grid.wage:g} per hour)" if grid.wage is not None else "Staff cost"
    return f"Staff cost (agent-hours x {wage:g} per hour)" if wage is not None else "Staffed agent-hours (agent-h)"


def grid_summary(grid: Grid, points: pd.DataFrame, service_channel: str, wage: float | None) -> str:
    """The summary paragraph of a sweep or study page, from the numbers."""
    if points.empty:
        return f"{grid.name}: no point to report ({grid.problem or 'the table is empty'})."
    counts = points["status"].value_counts()
    ok = points[points["status"] == "ok"]
    n_ok = int(counts.get("ok", 0))
    text = f"{count_text(len(points), 'point')} over {words(grid.keys)}, " + \
        ("all finished" if n_ok == len(points) else f"{n_ok} finished")
    for st in ("failed", "incomplete"):
        if counts.get(st, 0):
            text += f", {int(counts[st])} {st} ({words(points[points['status'] == st]['label'].tolist())})"
    text += "."
    if ok.empty:
        return text + " There are no results to compare."
    cost = ok["cost"].astype(float)
    has_cost = bool(np.isfinite(cost.to_numpy()).any())
    unit = "" if _uses_own_cost(grid, wage) or wage is not None else " agent-h"
    what = "staff cost" if unit == "" else "staffed agent-hours"
    service = ok["service"].astype(float)
    sl_name = f"{channel_label(service_channel)} service level"
    if grid.targets:
        targets = words(f"{ch} {target_text(*tt)}" for ch, tt in grid.targets.items())
        meeting = ok[ok["meets_target"].map(lambda v: v is True or v == True)]  # noqa: E712 (object column)
        if meeting.empty or not has_cost:
            text += (f" No point meets every target over the day ({targets})" if meeting.empty else
                     f" {len(meeting)} of {len(ok)} points meet every target over the day ({targets}): "
                     f"{words(meeting['label'].tolist())}")
            if np.isfinite(service.to_numpy()).any():
                best = ok.loc[service.idxmax()]
                text += f"; the best {sl_name} is {kpi('service_level').show(best['service'])}, at {best['label']}"
            text += "."
        else:
            pick = meeting.loc[meeting["cost"].astype(float).idxmin()]
            text += f" The cheapest point meeting every target over the day ({targets}) is {pick['label']}: "
            details = [f"{sl_name} {kpi('service_level').show(pick['service'])}"]
            if pick["met"]:
                details.append("target met in " + words(f"{k} of {n} intervals" + (f" ({ch})" if len(pick["met"]) > 1 else "")
                                                        for ch, (k, n) in pick["met"].items()))
            cheapest = ok.loc[cost.idxmin()]
            extra = (f" ({_relative(pick['cost'] - cheapest['cost'], cheapest['cost'])} on the cheapest point, "
                     f"{cheapest['label']})" if pick["cost"] > cheapest["cost"] else " (the cheapest point)")
            details.append(f"{what} {pick['cost']:,.0f}{unit}{extra}")
            text += ", ".join(details) + "."
    elif np.isfinite(service.to_numpy()).any():
        best = ok.loc[service.idxmax()]
        text += f" The best {sl_name} is {kpi('service_level').show(best['service'])}, at {best['label']}."
    if has_cost:
        front = sweep_plots.pareto_front(cost, service)
        if front.sum() < len(ok):
            text += (f" On the cost-service Pareto front (no other point is cheaper and at least as well served): "
                     f"{words(ok[front]['label'].tolist())}; the other points cost more for less service.")
        else:
            text += " Every point is on the cost-service Pareto front: each step up in cost buys more service."
    else:
        text += " No cost-service trade-off: the points report no agents staffed with a known window, nor a cost."
    return text


def _points_table(grid: Grid, points: pd.DataFrame, wage: float | None) -> Table:
    channels = list(grid.targets) or channel_order({k[0] for kp in points["kpis"] for k in kp})
    header = ["Point", "Status"] + [f"{ch} service level" for ch in channels] + \
             ["ASA, whole centre (s)", "Abandonment, whole centre", "Occupancy", _cost_label(grid, wage)]
    has_met = any(bool(m) for m in points["met"])
    if has_met:
        header.append("Intervals meeting target")
    rows = []
    for _, p in points.iterrows():
        none = (math.nan,) * 3
        cells = [kpi_cell("service_level", *p["kpis"].get((ch, "service_level"), none)) for ch in channels]
        cells += [kpi_cell(m, *p["kpis"].get((ALL, m), none)) for m in ("asa_s", "abandon_rate", "occupancy")]
        cost = "–" if not math.isfinite(p["cost"]) else (
            f"{p['cost']:,.0f}" + (f" ± {(p['cost_high'] - p['cost_low']) / 2:,.0f}" if math.isfinite(p["cost_high"]) else ""))
        line = [p["label"], p["status"], *cells, cost]
        if has_met:
            line.append(", ".join(f"{ch} {k}/{n}" for ch, (k, n) in p["met"].items()) or "–")
        rows.append(line)
    return Table(header, rows, "Points (mean ± half-width of the confidence interval)")


def _paired_table(grid: Grid) -> Table | None:
    """A study's paired differences against its baseline point: service level per channel, then the
    whole centre's other KPIs, each cell the difference and its verdict."""
    p = grid.paired
    if p is None or p.empty or not grid.keys or grid.keys[0] not in p.columns:
        return None
    key = grid.keys[0]
    columns = [(ch, "service_level") for ch in grid.targets if ((p["channel"] == ch) & (p["metric"] == "service_level")).any()]
    others = [m for m in dict.fromkeys(p["metric"]) if m != "service_level"]
    columns += [(ALL, m) for m in others if ((p["channel"] == ALL) & (p["metric"] == m)).any()]
    short = {VERDICT_BETTER: "better", VERDICT_WORSE: "worse", VERDICT_NONE: "no difference"}
    rows = []
    for value, part in p.groupby(key, sort=True):
        cells = {(str(r.channel), str(r.metric)): r for r in part.itertuples()}
        line = [_point_label((_norm(value),), [key])]
        for ch, m in columns:
            r = cells.get((ch, m))
            line.append("–" if r is None else f"{kpi(m).show_diff(r.diff_mean)} ({short.get(r.verdict, r.verdict.replace('significantly ', ''))})")
        rows.append(line)
    header = ["Point"] + [f"{ch} {kpi(m).name.lower()}" if ch != ALL else kpi(m).name for ch, m in columns]
    base = f"{_short_key(key)}={grid.baseline}" if grid.baseline is not None else "the baseline point"
    return Table(header, rows, f"Paired differences against {base} (same customers), with verdicts")


def grid_page(grid: Grid, wage: float | None = None, service_channel: str | None = None, prefix: str = "") -> Page:
    """The page of a sweep or a study."""
    channels = list(grid.targets)
    if service_channel is None:
        service_channel = channels[0] if len(channels) == 1 else ALL
    points = _points(grid, wage, service_channel)
    page = Page(grid.name)
    page.add(Heading("Summary"), Paragraph(grid_summary(grid, points, service_channel, wage), "summary"))
    if grid.problem:
        page.add(Paragraph(f"{grid.folder}: {grid.problem}.", "warning"))
    if grid.settings or grid.targets:
        page.add(Heading("Setup"))
    if grid.settings:
        page.add(Table(["Setting", "Value(s)"], grid.settings,
                       "The sweep's command-line overrides" if grid.kind == "sweep" else "The study"))
    if grid.targets:
        page.add(Table(["Channel", "Service-level target"], [[ch, target_text(*t)] for ch, t in grid.targets.items()],
                       "Targets"))
    if points.empty:
        return page
    page.add(Heading("Points"), _points_table(grid, points, wage))
    failed = points[points["status"] != "ok"]
    if not failed.empty:
        page.add(Table(["Point", "Status", "Error"], [[p["label"], p["status"], p["error"]] for _, p in failed.iterrows()],
                       "Points without results"))
    paired = _paired_table(grid)
    if paired is not None:
        page.add(Heading("Against the baseline point"), paired)
    ok = points[points["status"] == "ok"]
    if ok.empty:
        page.add(Paragraph("No point has results, so there are no figures.", "warning"))
        return page
    page.add(Heading("Figures"))
    if len(grid.keys) == 1:
        targets = {ch: t for ch, (_, t) in grid.targets.items()}
        page.add(Image(f"{prefix}kpis_vs_swept", sweep_plots.kpis_vs_swept(grid.table, grid.keys[0], targets=targets,
                                                                          xlabel=grid.xlabel),
                       f"Service level, ASA and abandonment against {grid.xlabel or grid.keys[0]}, with confidence bands"))
    elif len(grid.keys) == 2:
        page.add(Image(f"{prefix}service_level_heatmap",
                       sweep_plots.service_level_heatmap(grid.table, grid.keys[0], grid.keys[1]),
                       "Whole-centre service level over the grid"))
    if np.isfinite(ok["cost"].to_numpy(dtype=float)).any():
        target = grid.targets.get(service_channel, (None, None))[1]
        table = ok[["label", "cost", "cost_low", "cost_high", "service", "service_low", "service_high", "meets_target"]]
        title = "Cost against service level"
        if len(grid.keys) == 1:  # label the points by their value alone; the title says of what
            table = table.assign(label=[_point_label(p, grid.keys, short=True) for p in ok["point"]])
            title += f" (points: {_short_key(grid.keys[0])})"
        page.add(Image(f"{prefix}cost_vs_service",
                       sweep_plots.cost_vs_service(table, _cost_label(grid, wage),
                                                   f"Service level, {channel_label(service_channel)} (%)", target,
                                                   title),
                       "Cost against service level per point; the Pareto front joined (no point is cheaper and better "
                       "served than a point on it)"))
        page.add(Paragraph(_cost_note(wage) if not _uses_own_cost(grid, wage)
                           else f"Cost basis: {grid.cost_basis} (the study's own cost).", "note"))
    else:
        page.add(Paragraph("No cost-service trade-off: the points do not report agents staffed with a known "
                           "measurement window, nor a cost.", "note"))
    return page


# --------------------------------------------------------------------- report


def build_report(folders: list[Path], baseline: Path | None = None, wage: float | None = None,
                 service_channel: str | None = None) -> tuple[str, list[Page]]:
    """The title and pages of a report on ``folders`` (one page each)."""
    pages, names = [], []
    base = load_run(baseline) if baseline is not None else None
    many = len(folders) > 1
    for i, folder in enumerate(folders):
        prefix = f"{i + 1:02d}_" if many else ""
        kind = folder_kind(folder)
        if kind == "run":
            run = load_run(folder)
            page = run_page(run, base, wage, prefix)
        else:
            grid = load_sweep(folder) if kind == "sweep" else load_study(folder)
            page = grid_page(grid, wage, service_channel, prefix)
        pages.append(page)
        names.append(page.title)
    title = f"Strategy report: {names[0]}" if not many else f"Strategy report: {count_text(len(pages), 'page')}"
    return title, pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.report", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", type=Path, nargs="+", help="run, sweep or study folders; one page each")
    parser.add_argument("--baseline", type=Path, default=None, help="a run folder to compare each run folder with")
    parser.add_argument("--wage-per-hour", type=float, default=None,
                        help="cost per staffed agent-hour; without it, costs are in agent-hours")
    parser.add_argument("--service-channel", default=None,
                        help="the channel whose service level the cost trade-off uses (default: the only channel, "
                             "else the whole centre, 'all')")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default <folder>/report; several folders: report/ in their common parent)")
    parser.add_argument("--title", default=None, help="the report's title")
    args = parser.parse_args(argv)
    for folder in [*args.folders, *([args.baseline] if args.baseline else [])]:
        if not folder.is_dir():
            print(f"sim.report: error: {folder}: no such folder", file=sys.stderr)
            return 2
    if args.wage_per_hour is not None and not (math.isfinite(args.wage_per_hour) and args.wage_per_hour >= 0):
        print(f"sim.report: error: --wage-per-hour: expected a number >= 0, got {args.wage_per_hour:g}", file=sys.stderr)
        return 2
    out = args.out
    if out is None:
        out = (args.folders[0] if len(args.folders) == 1 else
               Path(*Path(_common(args.folders)).parts)) / "report"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)  # NaN means of empty tables are reported as "–"
        title, pages = build_report(args.folders, args.baseline, args.wage_per_hour, args.service_channel)
    title = args.title or title
    sources = ", ".join(str(f) for f in args.folders) + (f" against {args.baseline}" if args.baseline else "")
    meta = f"Generated {_dt.datetime.now():%Y-%m-%d %H:%M} by python -m sim.report from {sources}."
    written = write_report(pages, out, title, meta)
    print(f"report: {written['html']}")
    print(f"        {written['markdown']} (figures in {written['figures']})")
    return 0


def _common(folders: list[Path]) -> str:
    import os

    return os.path.commonpath([str(f.resolve()) for f in folders])


if __name__ == "__main__":
    sys.exit(main())
