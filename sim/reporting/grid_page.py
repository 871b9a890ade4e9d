"""A sweep's or a what-if study's page of the strategy report (:mod:`sim.report`): the points,
their failures, the KPIs against the swept value, the cost-service trade-off with its Pareto front,
a study's paired differences against its baseline point, and the summary paragraph.

What the page reads is checked as a run folder's files are (:mod:`sim.reporting.run_page`): a
``sweep.csv``, ``kpis.csv`` or ``paired_vs_baseline.csv`` without the columns the page uses, a
``multirun.yaml`` or ``study.json`` that does not parse or lacks what the page reads, is a
:class:`~sim.engine.errors.ConfigError` naming the file (and line), never a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.errors import ConfigError
from sim.engine.inputs import load_json
from sim.experiments.comparison import with_verdicts
from sim.experiments.kpis import VERDICT_BETTER, VERDICT_NONE, VERDICT_WORSE, kpi, unit_of, wait_unit, wait_units
from sim.reporting import sweep_figures as sweep_plots
from sim.reporting.cost_basis import window_hours
from sim.reporting.document import Heading, Image, Page, Paragraph, Table
from sim.reporting.labels import key_label
from sim.reporting.run_page import intervals_meeting, read_config, read_csv, read_run_table
from sim.reporting.style import ALL, LIVE, channel_label, channel_order, deferrable_channels
from sim.reporting.wording import cost_note, count_text, hours_text, kpi_cell, relative_text, target_text, words

__all__ = ["Grid", "SWEEP_TABLE", "load_sweep", "load_study", "read_study_json", "grid_summary", "grid_page"]

_STATS = ("mean", "ci_low", "ci_high")
#: ``sweep.csv`` (``python -m sim -m``, ``python -m sim.sweep``): (required, numeric, filled) columns
SWEEP_TABLE = (("channel", "metric", *_STATS, "status"), (*_STATS, "n_reps"), ("status",))

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
    settings: list[list[str]] | None = None
    problem: str = ""
    warnings: list[str] | None = None  # what a reader must know to read the points right
    costs: Any = None  # the points' scenario.costs (sim.workforce.config.Costs), if they have one
    deferrable: dict[str, str] | None = None  # deferrable channel -> unit of its waits; None: by threshold


def _deferrable(grid: Grid) -> dict[str, str]:
    """The grid's deferrable channels and the unit of their waits (recorded, else by threshold)."""
    return grid.deferrable if grid.deferrable is not None else deferrable_channels(grid.targets)


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
    from sim.experiments.sweeps import collect_sweep, point_folders

    problem = ""
    required, numeric, filled = SWEEP_TABLE
    table = read_csv(folder / "sweep.csv", "a sweep's sweep.csv written by python -m sim -m or python -m sim.sweep",
                     required, numeric, filled)
    if table is None:
        try:
            table = collect_sweep(folder)
        except ConfigError:
            raise
        except Exception as exc:
            table, problem = pd.DataFrame(), f"the sweep table cannot be read: {exc}"
    keys = sweep_plots.swept_columns(table)
    targets: dict[str, tuple[float, float]] = {}
    deferrable: dict[str, str] | None = None
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
                deferrable = wait_units(config.scenario.channels)
        frame = read_run_table(job, "intervals.csv")
        if frame is not None:
            intervals[point] = frame
    settings = _sweep_settings(folder, keys, first)
    warnings = replaced_profiles(folder, keys, table)
    costs = first.scenario.costs if first is not None else None
    return Grid(f"Sweep over {words(key_label(k) for k in keys)}" if keys else f"Sweep {folder.name}", "sweep", folder,
                table, keys, targets,
                windows, intervals, settings=settings, problem=problem, warnings=warnings, costs=costs,
                deferrable=deferrable)


def replaced_profiles(folder: Path, keys: list[str], table: pd.DataFrame) -> list[str]:
    """Sentences for each swept key whose single values replace a per-interval profile of the
    scenario (``multirun.yaml`` holds the config the sweep started from): a flat ``staffing=21``
    is not "the plan plus something", and the page must say so."""
    from sim.experiments.sweeps import read_multirun

    base = read_multirun(folder)
    if base is None:
        return []
    out = []
    for key in keys:
        node: Any = base
        for part in key.lstrip("+").split("."):
            node = node.get(part) if isinstance(node, dict) else None
        values = table[key].dropna().unique().tolist() if key in table.columns else []
        if isinstance(node, list) and len(set(map(str, node))) > 1 and values and \
                all(not isinstance(v, (list, tuple)) and not str(v).startswith("[") for v in values):
            numbers = [float(v) for v in node if isinstance(v, (int, float))]
            span = f" ({min(numbers):g}-{max(numbers):g} across the day)" if numbers else ""
            relative = (f" To change the plan by a number of agents, sweep "
                        f"{key.rsplit('.', 1)[0]}.staffing_delta (or staffing_scale) instead."
                        if key.endswith(".staffing") else "")
            out.append(f"{key_label(key)}: each point sets one value for every interval, replacing the "
                       f"scenario's per-interval profile{span}; the points are flat levels, not the profile "
                       f"shifted.{relative}")
    return out


def _sweep_settings(folder: Path, keys: list[str], config) -> list[list[str]] | None:
    """The sweep's overrides (``multirun.yaml``) and, from a point's config, how each point ran."""
    from sim.experiments.sweeps import multirun_task, read_multirun

    multirun = read_multirun(folder)
    task = multirun_task(folder, multirun) if multirun is not None else []
    rows = [[item.partition("=")[0], item.partition("=")[2]] for item in task]
    if config is not None:
        run = config.run
        rows += [["Replications per point", str(run.replications)], ["Seed", str(run.seed)],
                 ["Measurement window", f"{hours_text(window_hours(run))} after {hours_text(run.warmup_s / 3600)} warm-up"]]
    return rows or None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _plain_name(value: Any) -> bool:
    """A folder name inside the study folder (no path separators, not ``..``)."""
    return isinstance(value, str) and bool(value) and value not in (".", "..") and "/" not in value and "\\" not in value


def read_study_json(path: Path, what: str) -> dict[str, Any]:
    """A study's ``study.json`` (an option study's or an ``experiments/*.py`` study's), checked for the
    keys the report reads: each raises :class:`ConfigError` at ``file: key`` when it is there and of
    the wrong kind."""
    data = load_json(path, what)
    if not isinstance(data, dict):
        raise ConfigError(str(path), f"expected a JSON object, got {type(data).__name__} ({what})")

    def bad(key: str, expected: str, value: Any) -> None:
        raise ConfigError(f"{path}: {key}", f"expected {expected}, got {value!r:.60} ({what})")

    targets = data.get("targets")
    if targets is not None:
        if not isinstance(targets, dict):
            bad("targets", "a mapping of channels to their threshold_s and target", targets)
        for channel, target in targets.items():
            if not isinstance(target, dict):
                bad(f"targets.{channel}", "a mapping with threshold_s and target", target)
            for key in ("threshold_s", "target"):
                if not _is_number(target.get(key)):
                    bad(f"targets.{channel}.{key}", "a number", target.get(key))
            if not isinstance(target.get("deferrable", False), bool):
                bad(f"targets.{channel}.deferrable", "true or false", target.get("deferrable"))
    checks = {"window_hours": ("a number of hours > 0", lambda v: _is_number(v) and v > 0),
              "days": ("a whole number >= 1", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1),
              "confidence": ("a confidence level between 0 and 1", lambda v: _is_number(v) and 0 < v < 1),
              "key": ("the name of the study's column", lambda v: isinstance(v, str) and bool(v)),
              "baseline_folder": ("a folder name inside the study folder", _plain_name),
              "failed": ("a mapping of failed options to their errors", lambda v: isinstance(v, dict)),
              "costs": ("the scenario's costs (a mapping) or null", lambda v: v is None or isinstance(v, dict)),
              "replications": ("a whole number >= 1", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1),
              **{key: ("a text", lambda v: isinstance(v, str))
                 for key in ("title", "question", "scenario", "study", "cost_metric", "cost_unit", "x_label")}}
    for key, (expected, ok) in checks.items():
        if key in data and not ok(data[key]):
            bad(key, expected, data[key])
    costs = data.get("costs")
    if isinstance(costs, dict):
        for key, ok in (("currency", lambda v: isinstance(v, str)), ("overtime_premium", _is_number),
                        ("telephony_per_minute", _is_number),
                        ("telephony_channels", lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v))):
            if not ok(costs.get(key)):
                bad(f"costs.{key}", f"the value written for scenario.costs.{key}", costs.get(key))
    options = data.get("options")
    if options is not None:
        if not isinstance(options, dict):
            bad("options", "a mapping of options to their overrides and folder", options)
        for name, spec in options.items():
            if not isinstance(spec, dict) or not _plain_name(spec.get("folder")):
                bad(f"options.{name}", "a mapping with the option's folder (a name inside the study folder)", spec)
    return data


def load_study(folder: Path) -> Grid:
    """A what-if study folder (``experiments/*.py``): ``kpis.csv``, ``study.json``, ``paired_vs_baseline.csv``."""
    info: dict[str, Any] = {}
    if (folder / "study.json").exists():
        info = read_study_json(folder / "study.json", "a study's study.json written by experiments/*.py")
    key = info.get("key")
    table = read_csv(folder / "kpis.csv", "a study's kpis.csv written by experiments/*.py",
                     [*([key] if key else []), "channel", "metric", *_STATS], _STATS,
                     [*([key] if key else []), "channel", "metric"])
    problem = ""
    if table is None or table.empty:
        table, problem = pd.DataFrame(), "kpis.csv has a header and no rows"
    key = key or (table.columns[0] if len(table.columns) else "value")
    targets = {ch: (float(t["threshold_s"]), float(t["target"])) for ch, t in (info.get("targets") or {}).items()}
    recorded = info.get("targets") or {}
    deferrable = ({ch: wait_unit(float(t["threshold_s"])) for ch, t in recorded.items() if t["deferrable"]}
                  if recorded and all("deferrable" in t for t in recorded.values()) else None)  # older: by threshold
    points = {_point(r, [key]) for _, r in table.iterrows()} if key in table.columns else set()
    windows = {p: float(info["window_hours"]) for p in points} if "window_hours" in info else {}
    paired = read_csv(folder / "paired_vs_baseline.csv", "a study's paired_vs_baseline.csv written by experiments/*.py",
                      [key, "channel", "metric", "diff_mean", "diff_ci_low", "diff_ci_high"],
                      ["diff_mean", "diff_ci_low", "diff_ci_high"], [key, "channel", "metric"])
    if paired is not None and not paired.empty:
        paired = with_verdicts(paired)
    return Grid(f"Study: {info.get('study', folder.name)}", "study", folder, table, [key] if key in table.columns else [],
                targets, windows, {}, paired=paired, baseline=info.get("baseline"), xlabel=info.get("x_label"),
                problem=problem, settings=_study_settings(info, key), costs=_costs(info.get("costs")),
                deferrable=deferrable)


def _costs(recorded: Any) -> Any:
    """A study's recorded ``scenario.costs`` (``study.json``) with the attributes the page reads
    (currency, overtime premium, telephony), or None."""
    if not isinstance(recorded, dict):
        return None
    from types import SimpleNamespace

    return SimpleNamespace(**recorded)


def _study_settings(info: dict[str, Any], key: str) -> list[list[str]] | None:
    if not info:
        return None
    rows = [["What changes", f"{info.get('x_label') or key} ({key})"], ["Baseline point", f"{key}={info.get('baseline')}"],
            ["Scenario", str(info.get("scenario", "?"))]]
    if "window_hours" in info:
        days = int(info.get("days") or 1)
        rows.append(["Measurement window", hours_text(float(info["window_hours"]))
                     + (f" of opening hours over {days} days" if days > 1 else "")])
    rows += [[label, str(info[k])] for k, label in (("replications", "Replications per point"), ("seed", "Seed (every point)"))
             if k in info]
    return rows


def _points(grid: Grid, wage: float | None, service_channel: str) -> pd.DataFrame:
    """One row per point: its label, status, error, service, cost and whether it meets every target."""
    t = grid.table
    rows = []
    if t.empty or not grid.keys:
        return pd.DataFrame(rows)
    scenario_cost = _uses_scenario_cost(grid, wage)
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
        cost = _point_cost(cells, grid.windows.get(point), wage, scenario_cost)
        row["cost"], row["cost_low"], row["cost_high"] = cost
        per_channel = [cells.get((ch, "service_level")) for ch in grid.targets]
        row["meets_target"] = (all(c is not None and c.mean >= grid.targets[ch][1] - 1e-12
                                   for c, ch in zip(per_channel, grid.targets)) if grid.targets and st == "ok" else None)
        row["met"] = intervals_meeting(grid.intervals.get(point), grid.targets) if st == "ok" else {}
        rows.append(row)
    return pd.DataFrame(rows)


def _uses_scenario_cost(grid: Grid, wage: float | None) -> bool:
    """The scenario's own total cost (``scenario.costs``: labour, overtime, vendor, bot, telephony) is
    the cost of a point when the points report one and no ``--wage-per-hour`` asks for staff cost."""
    return wage is None and "metric" in grid.table.columns and bool((grid.table["metric"] == "total_cost").any())


def _point_cost(cells: dict, window_h: float | None, wage: float | None, scenario_cost: bool = False) -> tuple:
    """(mean, low, high) of a point's cost: the scenario's total cost, or agents staffed x window (x wage)."""
    total = cells.get((ALL, "total_cost"))
    if scenario_cost and total is not None:
        return total.mean, total.ci_low, total.ci_high
    staffed = cells.get((ALL, "agents_staffed"))
    if staffed is None or window_h is None or not math.isfinite(window_h):
        return (math.nan,) * 3
    scale = window_h * (wage if wage is not None else 1.0)
    return staffed.mean * scale, staffed.ci_low * scale, staffed.ci_high * scale


def _cost_label(grid: Grid, wage: float | None) -> str:
    if _uses_scenario_cost(grid, wage):
        currency = getattr(grid.costs, "currency", "") or "money units"
        return f"Total cost ({currency})"
    return f"Staff cost (agent-hours x {wage:g} per hour)" if wage is not None else "Staffed agent-hours (agent-h)"


def grid_summary(grid: Grid, points: pd.DataFrame, service_channel: str, wage: float | None) -> str:
    """The summary paragraph of a sweep or study page, from the numbers."""
    if points.empty:
        return f"{grid.name}: no point to report ({grid.problem or 'the table is empty'})."
    counts = points["status"].value_counts()
    ok = points[points["status"] == "ok"]
    n_ok = int(counts.get("ok", 0))
    text = f"{count_text(len(points), 'point')} over {words(key_label(k) for k in grid.keys)}, " + \
        ("all finished" if n_ok == len(points) else f"{n_ok} finished")
    for st in ("failed", "incomplete"):
        if counts.get(st, 0):
            text += f", {int(counts[st])} {st} ({words(points[points['status'] == st]['label'].tolist())})"
    text += "."
    if ok.empty:
        return text + " There are no results to compare."
    cost = ok["cost"].astype(float)
    has_cost = bool(np.isfinite(cost.to_numpy()).any())
    unit = "" if _uses_scenario_cost(grid, wage) or wage is not None else " agent-h"
    what = ("total cost" if _uses_scenario_cost(grid, wage) else "staff cost") if unit == "" else "staffed agent-hours"
    if _uses_scenario_cost(grid, wage) and getattr(grid.costs, "currency", ""):
        unit = f" {grid.costs.currency}"
    service = ok["service"].astype(float)
    sl_name = f"{channel_label(service_channel)} service level"
    if grid.targets:
        targets = words(f"{ch} {target_text(*tt)}" for ch, tt in grid.targets.items())
        meeting = ok[ok["meets_target"].map(lambda v: v is True or v == True)]  # noqa: E712 (object column)
        if meeting.empty or not has_cost:
            text += (f" No point meets every target over its window ({targets})" if meeting.empty else
                     f" {len(meeting)} of {len(ok)} points meet every target over their window ({targets}): "
                     f"{words(meeting['label'].tolist())}")
            if np.isfinite(service.to_numpy()).any():
                best = ok.loc[service.idxmax()]
                text += f"; the best {sl_name} is {kpi('service_level').show(best['service'])}, at {best['label']}"
            text += "."
        else:
            pick = meeting.loc[meeting["cost"].astype(float).idxmin()]
            text += f" The cheapest point meeting every target over its window ({targets}) is {pick['label']}: "
            details = [f"{sl_name} {kpi('service_level').show(pick['service'])}"]
            if pick["met"]:
                details.append("target met in " + words(f"{k} of {n} intervals" + (f" ({ch})" if len(pick["met"]) > 1 else "")
                                                        for ch, (k, n) in pick["met"].items()))
            cheapest = ok.loc[cost.idxmin()]
            extra = (f" ({relative_text(pick['cost'] - cheapest['cost'], cheapest['cost'])} on the cheapest point, "
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
    deferrable = _deferrable(grid)
    present = {k[0] for kp in points["kpis"] for k in kp}
    centre = LIVE if LIVE in present else ALL  # the centre's abandonment: over its live channels if it has email too
    header = ["Point", "Status"] + [f"{ch} service level" for ch in channels] + \
             [f"{ch} first response" if ch in deferrable else f"{ch} ASA (s)" for ch in channels] + \
             [f"Abandonment, {channel_label(centre)}", "Occupancy", _cost_label(grid, wage)]
    has_met = any(bool(m) for m in points["met"])
    if has_met:
        header.append("Intervals meeting target")
    rows = []
    for _, p in points.iterrows():
        none = (math.nan,) * 3
        cells = [kpi_cell("service_level", *p["kpis"].get((ch, "service_level"), none)) for ch in channels]
        cells += [kpi_cell("asa_s", *p["kpis"].get((ch, "asa_s"), none), unit=unit_of(deferrable, ch)) for ch in channels]
        cells += [kpi_cell("abandon_rate", *p["kpis"].get((centre, "abandon_rate"), none)),
                  kpi_cell("occupancy", *p["kpis"].get((ALL, "occupancy"), none))]
        cost = "–" if not math.isfinite(p["cost"]) else (
            f"{p['cost']:,.0f}" + (f" ± {(p['cost_high'] - p['cost_low']) / 2:,.0f}" if math.isfinite(p["cost_high"]) else ""))
        line = [p["label"], p["status"], *cells, cost]
        if has_met:
            line.append(", ".join(f"{ch} {k}/{n}" for ch, (k, n) in p["met"].items()) or "–")
        rows.append(line)
    return Table(header, rows, "Points: mean ± half-width of the confidence interval (shares: mean [low–high]); "
                               "waits of live channels in seconds, of deferrable ones in minutes or hours")


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
        live = "channel" in grid.table.columns and (grid.table["channel"].astype(str) == LIVE).any()
        service_channel = channels[0] if len(channels) == 1 else LIVE if live else ALL
    points = _points(grid, wage, service_channel)
    page = Page(grid.name)
    page.add(Heading("Summary"), Paragraph(grid_summary(grid, points, service_channel, wage), "summary"))
    if grid.problem:
        page.add(Paragraph(f"{grid.folder}: {grid.problem}.", "warning"))
    for text in grid.warnings or ():
        page.add(Paragraph(text, "warning"))
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
                                                                          xlabel=grid.xlabel,
                                                                          deferrable=_deferrable(grid)),
                       f"Service level, ASA and abandonment against {grid.xlabel or grid.keys[0]}, with confidence bands"))
    elif len(grid.keys) == 2:
        page.add(Image(f"{prefix}service_level_heatmap",
                       sweep_plots.service_level_heatmap(
                           grid.table, grid.keys[0], grid.keys[1],
                           target=sweep_plots.centre_target({ch: t for ch, (_, t) in grid.targets.items()},
                                                            _deferrable(grid))),
                       "Service level of the centre over the grid (its live channels' when it also has deferrable "
                       "ones)"))
    if np.isfinite(ok["cost"].to_numpy(dtype=float)).any():
        target = grid.targets.get(service_channel, (None, None))[1]
        table = ok[["label", "cost", "cost_low", "cost_high", "service", "service_low", "service_high", "meets_target"]]
        title = "Cost against service level"
        # label the points by their values alone; the title says of what
        table = table.assign(label=[_point_label(p, grid.keys, short=True) for p in ok["point"]])
        title += f" (points: {', '.join(_short_key(k) for k in grid.keys)})"
        page.add(Image(f"{prefix}cost_vs_service",
                       sweep_plots.cost_vs_service(table, _cost_label(grid, wage),
                                                   f"Service level, {channel_label(service_channel)} (%)", target,
                                                   title),
                       "Cost against service level per point; the Pareto front joined (no point is cheaper and better "
                       "served than a point on it)"))
        page.add(Paragraph(cost_note(wage, grid.costs if _uses_scenario_cost(grid, wage) else None), "note"))
    else:
        page.add(Paragraph("No cost-service trade-off: the points do not report agents staffed with a known "
                           "measurement window, nor a cost.", "note"))
    return page
