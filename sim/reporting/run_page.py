"""A run folder's page of the strategy report (:mod:`sim.report`): reading the folder, the summary
paragraph, the scenario, the KPI table, the paired differences against a baseline run with verdicts,
and the interval charts.

A folder whose run failed, did not finish or measured nothing gives a page that says so; a file that
is there but cannot be what ``python -m sim`` wrote (binary, not UTF-8, a table without the columns
the page reads, a cell that is not a number, YAML or JSON that does not parse) raises
:class:`~sim.engine.errors.ConfigError` naming ``file`` or ``file:line``, so ``python -m sim.report``
prints one line and exits with status 2 (:data:`RUN_TABLES` lists what each table must hold).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.errors import ConfigError
from sim.engine.inputs import load_json, load_yaml, read_text
from sim.experiments.comparison import REPLICATION_TABLE, compare_replications, unique_replications, with_verdicts
from sim.experiments.files import csv_frame
from sim.experiments.replications import WARNINGS
from sim.experiments.kpis import (WAIT_UNITS, VERDICT_BETTER, VERDICT_NEGLIGIBLE, VERDICT_NONE, VERDICT_WORSE, kpi, unit_of,
                                  verdict_words, wait_units)
from sim.experiments.stats import t_interval
from sim.reporting import run_figures as plots
from sim.reporting.cost_basis import window_hours, with_cost
from sim.reporting.document import Heading, Image, Page, Paragraph, Table
from sim.reporting.style import ALL, LIVE, channel_label, channel_order, deferrable_channels
from sim.reporting.wording import (config_changes, cost_note, diff_cell, hours_text, kpi_cell, relative_text, run_table,
                                   scenario_tables, target_text, words, WAITS_S)
from sim.workforce.costs import labour_cost

__all__ = ["RUN_TABLES", "RunData", "read_config", "read_csv", "read_run_table", "load_run", "intervals_meeting", "kpi_table", "verdict_table",
           "run_summary", "run_page"]

KPI_ROWS = ("offered", "service_level", "sl_risk", "asa_s", "mean_wait_s", "abandon_rate", "p_wait", "aht_s",
            "talk_time_s", "wrap_up_s", "escalation_rate", "transfer_asa_s", "end_to_end_time_s", "mean_queue_length", "occupancy",
            "agents_staffed", "agent_hours", "cost", "labour_cost", "vendor_cost", "bot_cost", "telephony_cost",
            "total_cost", "cost_per_contact")
COMPARE_ROWS = ("service_level", "asa_s", "abandon_rate", "mean_wait_s", "occupancy", "agent_hours", "cost",
                "total_cost", "cost_per_contact")  # the last two when the scenario has costs (scenario.costs)
HEADLINE = ("service_level", "asa_s", "abandon_rate")
#: the journeys' KPIs, in a table of their own when the scenario uses the mechanism (a non-zero value)
JOURNEY_ROWS = ("deflected", "containment_rate", "bot_handoffs", "callbacks_offered", "callbacks_accepted",
                "callback_wait_s", "callback_success", "retrials", "retrial_rate", "repeat_rate", "fcr", "overflowed",
                "overflow_rate", "overflow_answered", "vip_offered", "vip_service_level", "csat_modelled",
                "nps_modelled", "balked", "balk_rate")
#: of those, the ones a comparison reports with its verdicts
JOURNEY_COMPARE = ("containment_rate", "deflected", "callbacks_accepted", "overflow_rate", "vip_service_level", "fcr",
                   "repeat_rate", "csat_modelled", "nps_modelled", "bot_cost", "balk_rate")


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
    days: pd.DataFrame | None = None  # days.csv of a multi-day run
    groups: pd.DataFrame | None = None  # groups.csv
    types: pd.DataFrame | None = None  # types.csv: per contact type over the window
    group_intervals: pd.DataFrame | None = None  # group_intervals.csv: per agent group and interval
    sites: pd.DataFrame | None = None  # sites.csv: per site (scenario.sites)
    window_h: float = math.nan
    warmup_s: float = 0.0
    warnings: tuple[str, ...] = ()  # warnings.txt: what the run's load check found (sim.model.capacity)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def targets(self) -> dict[str, tuple[float, float]]:
        """``{channel: (threshold s, target share)}``; from ``config.yaml`` as written when it does not
        validate here (e.g. a trace file that has moved)."""
        if self.config is not None:
            return {n: (c.service_level_threshold_s, c.service_level_target)
                    for n, c in self.config.scenario.channels.items()}
        channels = _mapping(_mapping((self.raw or {}).get("scenario")).get("channels"))
        try:
            return {str(n): (float(c["service_level_threshold_s"]), float(c["service_level_target"]))
                    for n, c in channels.items()}
        except (TypeError, KeyError, ValueError, AttributeError):
            return {}

    @property
    def confidence(self) -> float:
        return self.config.run.confidence if self.config is not None else 0.95


#: What a page reads from each table of a run folder: ``{file: (required, numeric, filled)}``: the
#: columns it must have, those whose cells must be numbers (or empty), those with no empty cell.
_STATS = ("mean", "ci_low", "ci_high")
RUN_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "summary.csv": (("channel", "metric", *_STATS), (*_STATS, "n_reps"), ("channel", "metric")),
    "intervals.csv": (("interval_start_s", "channel", "service_level"),
                      ("interval_start_s", "offered", "service_level", "asa_s", "abandon_rate", "backlog",
                       "mean_queue_length", "occupancy", "agents_staffed"), ("interval_start_s", "channel")),
    "replications.csv": REPLICATION_TABLE,
    "days.csv": (("day", "channel", "metric", *_STATS), ("day", *_STATS), ("day", "channel", "metric")),
    "groups.csv": (("group", "metric", *_STATS), _STATS, ("group", "metric")),
    "types.csv": (("contact_type", "channel", "metric", *_STATS), _STATS, ("contact_type", "channel", "metric")),
    "sites.csv": (("site", "metric", *_STATS), _STATS, ("site", "metric")),
    "group_intervals.csv": (("interval_start_s", "group", "occupancy", "agents_staffed"),
                            ("interval_start_s", "occupancy", "agents_staffed"), ("interval_start_s", "group")),
}


def read_csv(path: Path, what: str = "a table", required: Sequence[str] = (), numeric: Sequence[str] = (),
             filled: Sequence[str] = (), allow_empty: bool = True) -> pd.DataFrame | None:
    """The table at ``path``, or None when there is no such file; a file that is there but unusable
    (binary, not UTF-8, a ``required`` column missing, a ``numeric`` cell that is not a number...)
    raises :class:`ConfigError` at ``file:line`` (:func:`sim.engine.inputs.csv_frame`)."""
    if not path.exists():
        return None
    return csv_frame(path, what, required=required, numeric=numeric, filled=filled, allow_empty=allow_empty)


def read_run_table(folder: Path, name: str) -> pd.DataFrame | None:
    """``folder/name`` (a table of :data:`RUN_TABLES`) checked for what the report reads, or None if absent."""
    required, numeric, filled = RUN_TABLES[name]
    return read_csv(folder / name, f"a run folder's {name} written by python -m sim", required, numeric, filled)


def _first_line(path: Path) -> str:
    lines = read_text(path, "a failed run's error.txt written by python -m sim").strip().splitlines()
    return lines[0] if lines else "failed"


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def read_config(folder: Path) -> tuple[dict | None, Any, str, float]:
    """``(raw config.yaml, SimConfig or None, why not, warm-up s)`` of a run folder. A config that no
    longer validates here (e.g. a trace file that has moved) is returned raw with why; one that is not
    YAML, or not a mapping, raises :class:`ConfigError`."""
    path = folder / "config.yaml"
    if not path.exists():
        return None, None, "no config.yaml in the folder", 0.0
    what = "a run folder's config.yaml written by python -m sim"
    raw = load_yaml(path, what)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(str(path), f"expected a mapping with scenario and run, got {type(raw).__name__} ({what})")
    try:
        from sim.model.config import load_config

        config = load_config(raw)
    except Exception as exc:
        return raw, None, f"config.yaml not valid here: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", 0.0
    warmup_s = config.run.warmup_s
    if config.run.warmup_auto and (folder / "warmup.json").exists():
        warmup_s = read_warmup(folder / "warmup.json")
    from dataclasses import replace

    return raw, replace(config, run=replace(config.run, warmup_s=warmup_s)), "", warmup_s


def read_warmup(path: Path) -> float:
    """The detected warm-up (s) of ``warmup.json`` (``run.warmup_hours: auto``)."""
    what = "a run folder's warmup.json written by python -m sim (run.warmup_hours: auto)"
    data = load_json(path, what)
    value = data.get("warmup_s") if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{path}: warmup_s", f"expected a number of seconds >= 0, got {value!r} ({what})")
    return float(value)


def load_run(folder: str | Path) -> RunData:
    """Everything the report uses from a ``python -m sim`` folder. A failed, unfinished or empty run is
    a :class:`RunData` that says so; a file that cannot be what ``python -m sim`` wrote raises
    :class:`ConfigError` naming it."""
    folder = Path(folder)
    raw, config, error, warmup_s = read_config(folder)
    scenario = _mapping((raw or {}).get("scenario"))
    name = config.scenario.name if config is not None else str(scenario.get("name") or folder.name)
    run = RunData(folder, name, "ok", raw=raw, config=config, config_error=error, warmup_s=warmup_s)
    if config is not None:
        run.window_h = window_hours(config.run)
    summary = read_run_table(folder, "summary.csv")
    if summary is None or summary.empty:
        if (folder / "error.txt").exists():
            run.status, run.problem = "failed", f"the run failed: {_first_line(folder / 'error.txt')}"
        elif summary is not None:
            run.status, run.problem = "missing", "summary.csv has a header and no rows"
        else:
            run.status, run.problem = "missing", ("no results in this folder (no summary.csv): the run failed before "
                                                  "writing them, was interrupted, or is still running")
        return run
    run.summary = summary
    run.intervals = read_run_table(folder, "intervals.csv")
    run.replications = read_run_table(folder, "replications.csv")
    if run.replications is not None:
        unique_replications(run.replications, folder / "replications.csv")
    run.days = read_run_table(folder, "days.csv")
    run.groups = read_run_table(folder, "groups.csv")
    run.types = read_run_table(folder, "types.csv")
    run.group_intervals = read_run_table(folder, "group_intervals.csv")
    run.sites = read_run_table(folder, "sites.csv")
    if (folder / WARNINGS).is_file():
        text = read_text(folder / WARNINGS, "the run's warnings (one per line) written by python -m sim")
        run.warnings = tuple(line.strip() for line in text.splitlines() if line.strip())
    offered = summary[(summary["channel"] == ALL) & (summary["metric"] == "offered")]["mean"]
    if offered.empty or not (offered.fillna(0.0) > 0).any():
        run.status, run.problem = "empty", "no contact was offered in the measurement window, so there is nothing to measure"
    return run


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


def _metric_name(metric: str, wage: float | None, currency: str = "") -> str:
    if metric == "cost":
        return f"Staff cost (agent-hours x {wage:g} per hour)"
    if metric in COST_LINES and currency:
        return f"{kpi(metric).name} ({currency})"
    return kpi(metric).label


def _row_name(metric: str, wage: float | None, currency: str, channels: Sequence[str], deferrable) -> str:
    """:func:`_metric_name`; a wait's names the unit of each deferrable channel among ``channels``, e.g.
    "Average speed of answer (s; email in h, social in min)"."""
    later = [f"{ch} in {unit_of(deferrable, ch)}" for ch in channels if unit_of(deferrable, ch) != "s"]
    if metric in WAITS_S and len(channels) == 1 and later:
        return f"{kpi(metric).name} ({unit_of(deferrable, channels[0])})"
    if metric in WAITS_S and later:
        return f"{kpi(metric).name} ({'s; ' if len(later) < len(channels) else ''}{', '.join(later)})"
    return _metric_name(metric, wage, currency)


#: the scenario's own cost lines (scenario.costs), in its currency
COST_LINES = ("labour_cost", "vendor_cost", "bot_cost", "telephony_cost", "total_cost", "cost_per_contact")


def kpi_table(summary: pd.DataFrame, wage: float | None, confidence: float, deferrable: Collection[str] = (),
              currency: str = "", metrics: Sequence[str] = KPI_ROWS, caption: str = "KPIs per channel") -> Table:
    """KPIs (rows) per channel (columns) as ``mean ± half-width``; the waits of ``deferrable``
    channels in minutes or hours. A row of :data:`JOURNEY_ROWS` is left out when it is 0 everywhere (the
    scenario does not use that mechanism)."""
    channels = channel_order(summary["channel"].astype(str).unique(), include_all=True)
    cells = {(str(r.channel), str(r.metric)): r for r in summary.itertuples()}
    rows = []
    for metric in metrics:
        if metric in JOURNEY_ROWS and not any(
                (ch, metric) in cells and math.isfinite(cells[(ch, metric)].mean) and cells[(ch, metric)].mean != 0
                for ch in channels):
            continue
        line = [kpi_cell(metric, cells[(ch, metric)].mean, cells[(ch, metric)].ci_low, cells[(ch, metric)].ci_high,
                         unit=unit_of(deferrable, ch))
                if (ch, metric) in cells else "–" for ch in channels]
        if any(c != "–" for c in line):
            rows.append([_row_name(metric, wage, currency, [ch for ch, c in zip(channels, line) if c != "–"],
                                   deferrable), *line])
    return Table(["KPI", *[channel_label(c) for c in channels]], rows,
                 f"{caption}: mean ± half-width of the {100 * confidence:g}% confidence interval "
                 f"(shares: mean [low–high], an interval that stays inside 0–100%)")


#: The columns of the per-contact-type table.
TYPE_COLUMNS = ("offered", "answered", "service_level", "asa_s", "abandon_rate", "aht_s", "escalation_rate")


def type_table(types: pd.DataFrame | None, confidence: float, deferrable: Collection[str] = ()) -> Table | None:
    """KPIs per contact type (rows, with its channel), each in its channel's units (first response of a
    deferrable channel in minutes or hours); types that take escalated contacts only are named in the caption
    (their contacts count in the type they arrived as). ``None`` without ``types.csv``."""
    if types is None or types.empty or not {"contact_type", "channel", "metric", "mean"} <= set(types.columns):
        return None
    cells = {(str(r.contact_type), str(r.metric)): r for r in types.itertuples()}
    channel_of = {str(r.contact_type): str(r.channel) for r in types.itertuples()}
    columns = [m for m in TYPE_COLUMNS if any(m == metric and math.isfinite(r.mean) and r.mean != 0
                                              for (_, metric), r in cells.items())
               or m in ("offered", "service_level")]
    rows, quiet = [], []
    for name, channel in channel_of.items():
        offered = cells.get((name, "offered"))
        if (name, "dials") in cells:  # an outbound campaign: its own table (campaign_table)
            continue
        if offered is None or not offered.mean > 0:
            quiet.append(name)
            continue
        line = [name.replace("_", " "), channel_label(channel)]
        for metric in columns:
            r = cells.get((name, metric))
            line.append(kpi_cell(metric, r.mean, r.ci_low, r.ci_high, unit=unit_of(deferrable, channel))
                        if r is not None else "–")
        rows.append(line)
    units = sorted({unit_of(deferrable, ch) for ch in channel_of.values()} - {"s"}, key=("min", "h").index)
    headers = {"asa_s": "Speed of answer (s)" + (f" or first response ({' or '.join(units)})" if units else "")}
    header = ["Contact type", "Channel", *(headers.get(m, kpi(m).label) for m in columns)]
    caption = (f"KPIs per contact type: mean ± half-width of the {100 * confidence:g}% confidence interval (shares: "
               "mean [low–high]); service level against the channel's threshold; an escalated contact counts in the "
               "type it arrived as")
    if quiet:
        caption += (f"; {', '.join(q.replace('_', ' ') for q in quiet)} received no contact of its own "
                    f"(it takes escalations only)")
    return Table(header, rows, caption)


#: The columns of the outbound campaigns table (types.csv rows of a type with ``outbound``).
CAMPAIGN_COLUMNS = (("dials", "Dials"), ("connects", "Answered"), ("right_party_contacts", "Right-party contacts"),
                    ("list_reached_share", "List reached (right party)"),
                    ("list_completed_share", "List completed"), ("nuisance_rate", "Nuisance rate (of answered)"))


def campaign_table(types: pd.DataFrame | None, confidence: float, targets: Mapping[str, float] | None = None) -> Table | None:
    """One row per outbound campaign (:mod:`sim.journeys.outbound`): dials, answered dials, right-party
    contacts, the share of its list reached and completed, and its nuisance rate against the campaign's
    target when ``targets`` (campaign -> share) gives one; ``None`` without a campaign."""
    if types is None or types.empty or "metric" not in types.columns:
        return None
    cells = {(str(r.contact_type), str(r.metric)): r for r in types.itertuples()}
    campaigns = [name for name in dict.fromkeys(str(t) for t in types["contact_type"]) if (name, "dials") in cells]
    if not campaigns:
        return None
    rows = []
    for name in campaigns:
        line = [name.replace("_", " ")]
        for metric, _ in CAMPAIGN_COLUMNS:
            r = cells.get((name, metric))
            line.append(kpi_cell(metric, r.mean, r.ci_low, r.ci_high) if r is not None else "–")
        target = (targets or {}).get(name)
        line.append(f"{100 * target:g}%" if target is not None else "–")
        rows.append(line)
    return Table(["Campaign", *(label for _, label in CAMPAIGN_COLUMNS), "Nuisance target"], rows,
                 f"Outbound campaigns: mean ± half-width of the {100 * confidence:g}% confidence interval (shares: "
                 "mean [low–high]). Answered: dials a person picked up; right-party contacts: the listed customer "
                 "reached and served; list completed: records closed (reached, or every attempt used); nuisance: "
                 "answered dials that found no agent, as a share of the answered ones (predictive dialling)")


#: The columns of the sites table (sites.csv): the site's agents, then the contacts homed there, then its cost.
SITE_COLUMNS = (("answered", "Answered by its agents"), ("service_level", "Service level (its contacts)"),
                ("asa_s", "ASA (s, its contacts)"), ("routed_share", "Its contacts answered elsewhere"),
                ("occupancy", "Occupancy"), ("agent_hours", "Agent hours"), ("total_cost", "Cost"))


def site_table(sites: pd.DataFrame | None, confidence: float) -> Table | None:
    """One row per site (``sites.csv``, :func:`sim.model.metrics.replication_sites`); ``None`` without sites."""
    if sites is None or sites.empty:
        return None
    cells = {(str(r.site), str(r.metric)): r for r in sites.itertuples()}
    columns = [(m, label) for m, label in SITE_COLUMNS if any(metric == m for _, metric in cells)]
    rows = []
    for site in dict.fromkeys(str(s) for s in sites["site"]):
        line = [site.replace("_", " ")]
        for metric, _ in columns:
            r = cells.get((site, metric))
            line.append(kpi_cell(metric, r.mean, r.ci_low, r.ci_high) if r is not None else "–")
        rows.append(line)
    return Table(["Site", *(label for _, label in columns)], rows,
                 f"Sites: mean ± half-width of the {100 * confidence:g}% confidence interval (shares: mean "
                 "[low–high]). Answered: contacts its agents answered; service level, ASA and the share answered "
                 "at another site are of the contacts whose type is homed at the site (live channels), network delay "
                 "included in their wait; cost: its labour and vendor cost over the whole day")


def day_table(days: pd.DataFrame, confidence: float, deferrable: Collection[str] = ()) -> Table:
    """A multi-day run's days (rows): service level, first response / ASA and backlog at closing per channel."""
    channels = [c for c in channel_order(days["channel"].astype(str).unique(), include_all=True) if c != ALL]
    cells = {(int(r.day), str(r.channel), str(r.metric)): r for r in days.itertuples()}
    header, rows = ["Day"], []
    for ch in channels:
        header += [f"{channel_label(ch)}: {kpi(m).label}" for m in ("service_level", "asa_s", "backlog")]
    for day in sorted({int(d) for d in days["day"]}):
        line = [str(day)]
        for ch in channels:
            for m in ("service_level", "asa_s", "backlog"):
                r = cells.get((day, ch, m))
                line.append(kpi_cell(m, r.mean, r.ci_low, r.ci_high, unit=unit_of(deferrable, ch)) if r is not None else "–")
        rows.append(line)
    return Table(header, rows, f"By day (opening hours; backlog at closing): mean ± half-width of the "
                               f"{100 * confidence:g}% confidence interval")


HOUR_COLUMNS = (("paid_hours", "Paid hours"), ("worked_hours", "Worked (logged-in) hours"),
                ("absent_hours", "Absent hours"), ("overtime_hours", "Overtime hours"))


def _hours_cell(r) -> str:
    """``248.2 ± 3.1`` hours; an interval reaching below 0 (rare absences) shown as ``1.4 (0–3.5)``."""
    if r is None or not math.isfinite(r.mean):
        return "–"
    if not math.isfinite(r.ci_high):
        return f"{r.mean:,.1f}"
    if r.ci_low < 0:
        return f"{r.mean:,.1f} (0–{r.ci_high:,.1f})"
    return f"{r.mean:,.1f} ± {(r.ci_high - r.ci_low) / 2:,.1f}"


def group_hours_table(groups: pd.DataFrame | None, config, confidence: float) -> Table | None:
    """Per agent group: paid, worked, absent and overtime hours over the day, and (with ``scenario.costs``)
    the labour cost they make; ``None`` when no group works shifts (``groups.csv`` has no hours)."""
    if groups is None or groups.empty or "paid_hours" not in set(groups["metric"]):
        return None
    cells = {(str(r.group), str(r.metric)): r for r in groups.itertuples()}
    costs = getattr(config.scenario, "costs", None) if config is not None else None
    header = ["Agent group", *(label for _, label in HOUR_COLUMNS)] + (["Labour cost"] if costs is not None else [])
    rows = []
    for group in dict.fromkeys(str(g) for g in groups["group"]):
        line = [group]
        for metric, _ in HOUR_COLUMNS:
            r = cells.get((group, metric))
            line.append(_hours_cell(r))
        if costs is not None:
            paid, over = cells.get((group, "paid_hours")), cells.get((group, "overtime_hours"))
            cost = labour_cost(costs.wage_per_hour.get(group, math.nan), paid.mean if paid is not None else 0.0,
                               over.mean if over is not None else 0.0, costs.overtime_premium)
            line.append(f"{cost:,.0f}" if math.isfinite(cost) else "–")
        rows.append(line)
    paid = "paid" if costs is None or costs.absence_paid else "not paid (scenario.costs.absence_paid: false)"
    return Table(header, rows, f"Agent groups over the whole day: mean ± half-width of the {100 * confidence:g}% "
                               f"confidence interval. Paid hours are the scheduled shift hours (breaks paid; absence "
                               f"{paid}), or the logged-in hours of a group without shifts; worked hours are the hours "
                               f"agents were logged in, overtime included"
                               + ("; labour cost = wage x (paid hours + overtime premium x overtime hours)"
                                  if costs is not None else ""))


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


def _wait_cells(r, unit: str) -> list[str]:
    """Baseline, option and difference of a deferrable channel's wait in its unit (min or h)."""
    size, digits = WAIT_UNITS[unit], (1 if unit == "min" else 2)
    means = [f"{v / size:,.{digits}f} {unit}" if math.isfinite(v) else "–" for v in (r.baseline_mean, r.alternative_mean)]
    diff = f"{r.diff_mean / size:+,.{digits}f} {unit}" if math.isfinite(r.diff_mean) else "–"
    if math.isfinite(r.diff_ci_low) and math.isfinite(r.diff_ci_high):
        diff += f" [{r.diff_ci_low / size:+,.{digits}f}, {r.diff_ci_high / size:+,.{digits}f}]"
    return [*means, diff]


def verdict_table(comparison: pd.DataFrame, wage: float | None, confidence: float, currency: str = "",
                  deferrable: Collection[str] = ()) -> Table:
    """The paired differences against the baseline, KPI by KPI and channel by channel; the waits of the
    ``deferrable`` channels in minutes or hours (:func:`~sim.experiments.kpis.unit_of`)."""
    rows, notes = [], []
    channels = channel_order(comparison["channel"].astype(str).unique(), include_all=True)
    cells = {(str(r.channel), str(r.metric)): r for r in comparison.itertuples()}
    for metric in COMPARE_ROWS + JOURNEY_COMPARE:
        for ch in channels:
            r = cells.get((ch, metric))
            if r is None or not math.isfinite(r.baseline_mean):
                continue
            if metric in JOURNEY_COMPARE and r.baseline_mean == 0 and r.alternative_mean == 0:
                continue  # a mechanism neither run uses
            info = kpi(metric)
            unit = unit_of(deferrable, ch)
            shown = (_wait_cells(r, unit) if unit != "s" and metric in WAITS_S else
                     [info.show(r.baseline_mean), info.show(r.alternative_mean),
                      diff_cell(metric, r.diff_mean, r.diff_ci_low, r.diff_ci_high)])
            rows.append([_row_name(metric, wage, currency, [ch], deferrable), channel_label(ch), *shown,
                         verdict_words(metric, r.verdict)])
            note = getattr(r, "note", "")
            if isinstance(note, str) and note and note not in notes:  # a run without a mechanism the other has
                notes.append(note)
    return Table(["KPI", "Channel", "Baseline", "This option", f"Difference [{100 * confidence:g}% CI]", "Verdict"],
                 rows, "Paired differences (this option - baseline, same customers in each replication)"
                 + (f"; {'; '.join(notes)} (a mechanism's KPI at its exact value in a run without it)"
                    if notes else ""))


def run_summary(run: RunData, base: RunData | None, comparison: pd.DataFrame | None, wage: float | None) -> str:
    """The summary paragraph of a run page, from the numbers."""
    if not run.ok:
        return f"{run.name}: {run.problem}."
    cells = {(str(r.channel), str(r.metric)): r for r in _summary_rows(run, wage).itertuples()}
    met = intervals_meeting(run.intervals, run.targets)
    base_met = intervals_meeting(base.intervals, base.targets) if base is not None and base.ok else {}
    parts = []
    targets = run.targets
    for ch in channel_order(targets):
        threshold, target = targets[ch]
        if ch not in met:
            continue
        k, n = met[ch]
        sl = cells.get((ch, "service_level"))
        text = f"{ch} meets {target_text(threshold, target)} in {k} of {n} intervals"
        if ch in base_met:
            text += f" (baseline {base_met[ch][0]} of {base_met[ch][1]})"
        elif sl is not None:
            span = f"the {run.config.run.days} days" if run.config is not None and run.config.run.days > 1 else "the day"
            text += f" ({kpi('service_level').show(sl.mean)} over {span})"
        parts.append(text)
    head = f"{run.name} against {base.name}" if comparison is not None else run.name
    if run.config is not None:
        days = run.config.run.days
        head += (f" ({run.config.run.replications} replications of {days} days, {hours_text(run.window_h)} of opening "
                 "hours)" if days > 1 else f" ({run.config.run.replications} replications of a "
                                           f"{hours_text(run.window_h)} day)")
    sentence = f"{head}: " + (words(parts) if parts else "no channel has a service-level target")
    hours = cells.get((ALL, "agent_hours"))
    if comparison is not None:
        c = {(str(r.channel), str(r.metric)): r for r in comparison.itertuples()}
        h = c.get((ALL, "agent_hours"))
        if h is not None and math.isfinite(h.diff_mean):
            sentence += f", at {relative_text(h.diff_mean, h.baseline_mean)} staffed agent-hours ({h.diff_mean:+,.0f} agent-h"
            cost = c.get((ALL, "cost"))
            sentence += (f", {cost.diff_mean:+,.0f} at {wage:g} per agent-hour)" if cost is not None else ")")
        sentence += "."
        groups: dict[str, list[str]] = {VERDICT_BETTER: [], VERDICT_WORSE: [], VERDICT_NONE: [], VERDICT_NEGLIGIBLE: []}
        for (ch, metric), r in c.items():
            if metric in HEADLINE and ch not in (ALL, LIVE) and r.verdict in groups:
                groups[r.verdict].append(f"{ch} {kpi(metric).name.lower()}"
                                         + (f" ({kpi(metric).show_diff(r.diff_mean)})" if r.verdict != VERDICT_NONE else ""))
        sentence += (f" Significantly better: {words(groups[VERDICT_BETTER])}. Significantly worse: "
                     f"{words(groups[VERDICT_WORSE])}. No detectable difference: {words(groups[VERDICT_NONE])}.")
        if groups[VERDICT_NEGLIGIBLE]:
            sentence += (f" Significant but below the practical threshold, so no practical difference: "
                         f"{words(groups[VERDICT_NEGLIGIBLE])}.")
    else:
        if hours is not None and math.isfinite(hours.mean):
            sentence += f", with {hours.mean:,.0f} staffed agent-hours"
            cost = cells.get((ALL, "cost"))
            if cost is not None:
                sentence += f" ({cost.mean:,.0f} at {wage:g} per agent-hour)"
        sentence += "."
        live = cells.get((LIVE, "abandon_rate"))
        ab, occ = live or cells.get((ALL, "abandon_rate")), cells.get((ALL, "occupancy"))
        if ab is not None and occ is not None:
            who = "of contacts offered on live channels" if live is not None else "of offered contacts"
            sentence += (f" Whole centre: {kpi('abandon_rate').show(ab.mean)} {who} abandoned, "
                         f"agents {kpi('occupancy').show(occ.mean)} occupied.")
    return sentence


def _nuisance_targets(config) -> dict[str, float]:
    """Each predictive campaign's nuisance-rate target (campaign -> share) from the run's config."""
    if config is None:
        return {}
    out = {}
    for name, ct in config.scenario.contact_types.items():
        pacing = getattr(getattr(ct, "outbound", None), "pacing", None)
        target = getattr(pacing, "nuisance_target", None)
        if target is not None:
            out[name] = float(target)
    return out


def run_page(run: RunData, base: RunData | None = None, wage: float | None = None, prefix: str = "") -> Page:
    """The page of one run folder (against ``base`` if given)."""
    title = f"{run.name} against {base.name}" if base is not None else run.name
    page = Page(title)
    deferrable = (wait_units(run.config.scenario.channels) if run.config is not None
                  else deferrable_channels(run.targets))
    costs = run.config.scenario.costs if run.config is not None else None
    currency = costs.currency if costs is not None else ""
    comparison = None
    if base is not None and run.ok and base.ok:
        comparison = _comparison(run, base, wage)
        if comparison is None:
            missing = words(str(r.folder) for r in (base, run) if r.replications is None)
            page.add(Paragraph(f"No comparison: no replications.csv in {missing}, so there are no paired "
                               "differences to show.", "warning"))
        if run.config is not None and base.config is not None and run.config.run.seed != base.config.run.seed:
            page.add(Paragraph(f"The two runs have different seeds ({base.config.run.seed} and {run.config.run.seed}): "
                               "they do not share customers, so the differences are not paired and their intervals "
                               "are wider than they need be. Run both with the same run.seed.", "warning"))
    page.add(Heading("Summary"), Paragraph(run_summary(run, base, comparison, wage), "summary"))
    for text in run.warnings:  # the load check: the plan cannot carry its load somewhere
        page.add(Paragraph(f"Warning: {text[:1].upper()}{text[1:]}.", "warning"))
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
        page.add(Heading("KPIs per channel"), kpi_table(summary, wage, run.confidence, deferrable, currency))
        journeys = kpi_table(summary, wage, run.confidence, deferrable, currency, JOURNEY_ROWS,
                             "Customer journeys: self-service, callbacks, retrials and repeats, overflow, VIP and the "
                             "modelled CSAT and NPS (proxies from scenario.cx, not measurements)")
        by_type = type_table(run.types, run.confidence, deferrable)
        if by_type is not None and by_type.rows:
            page.add(Heading("KPIs per contact type"), by_type)
        if journeys.rows:
            page.add(Heading("Customer journeys"), journeys)
        campaigns = campaign_table(run.types, run.confidence, _nuisance_targets(run.config))
        if campaigns is not None:
            page.add(Heading("Outbound campaigns"), campaigns)
        by_site = site_table(run.sites, run.confidence)
        if by_site is not None:
            page.add(Heading("Sites"), by_site)
        page.add(Paragraph(cost_note(wage, run.config.scenario.costs if run.config is not None else None), "note"))
        if run.days is not None and not run.days.empty:
            page.add(Heading("By day"), day_table(run.days, run.confidence, deferrable))
        hours = group_hours_table(run.groups, run.config, run.confidence)
        if hours is not None:
            page.add(Heading("Agent groups: hours and labour cost"), hours)
    if comparison is not None and not comparison.empty:
        page.add(Heading("Against the baseline"), verdict_table(comparison, wage, base.confidence, currency,
                                                                    deferrable),
                 Paragraph(f"A difference is significant when its {100 * base.confidence:g}% interval excludes 0; "
                           "\"better\" and \"worse\" follow the KPI's direction (service level up; waits, abandonment "
                           "and agent-hours down); occupancy has none, so it is \"higher\" or \"lower\".", "note"),
                 Image(f"{prefix}paired_differences", plots.paired_differences(comparison, confidence=base.confidence,
                                                                              deferrable=deferrable),
                       "Paired differences against the baseline per channel, with intervals"))
    if run.ok:
        baseline_intervals = base.intervals if comparison is not None else None
        page.add(Heading("By interval"))
        captions = {
            "service_level_by_interval": "Service level per interval against each channel's target (dashed)",
            "asa_and_queue_by_interval": "Speed of answer of the live channels (s), first response of the deferrable "
                                         "ones (min or h) and backlog (mean contacts waiting) per interval",
            "abandonment_by_interval": "Abandonment per interval",
            "occupancy_by_interval": "Occupancy of the whole centre and agents staffed per interval",
            "occupancy_by_group": "Occupancy and agents staffed of each agent group per interval",
        }
        for name, fig in plots.interval_figures(run.intervals, run.targets, baseline_intervals, deferrable,
                                                run.group_intervals).items():
            page.add(Image(f"{prefix}{name}", fig, captions[name] + (" (baseline dotted)" if baseline_intervals is not None
                                                                      and name in ("service_level_by_interval",
                                                                                   "abandonment_by_interval") else "")))
    return page
