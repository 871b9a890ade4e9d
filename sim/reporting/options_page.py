"""The decision pages of an option study (``python -m sim.study``): the options side by side, ranked.

The first page answers the manager's question from the numbers: which options meet every
channel's service-level target and, among them, which is cheapest; the ranking table; the paired
evidence (each option's difference from the baseline with its interval and verdict, on the
headline KPIs and on every other KPI an option changes: containment, bot cost, CSAT/NPS...); the
options figure (:mod:`sim.reporting.option_figures`); what each option changes. Then one page per
option against the baseline (:func:`sim.reporting.run_page.run_page`), with the interval charts.

Waits are shown per channel in units that fit it (seconds for live channels, minutes or hours for deferrable
ones such as email) and never averaged across channels.

A study folder missing one of its tables gives a page that says so; a file that is there but cannot
be what ``python -m sim.study`` wrote (binary, not UTF-8, without the columns the pages read, a
``study.json`` that does not parse or lacks what they read) is a
:class:`~sim.engine.errors.ConfigError` naming it (:data:`OPTION_TABLES`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.errors import ConfigError
from sim.experiments.kpis import (VERDICT_BETTER, VERDICT_NEGLIGIBLE, VERDICT_NONE, VERDICT_UNKNOWN, VERDICT_WORSE, kpi,
                                  wait_unit)
from sim.reporting.document import Heading, Image, Page, Paragraph, Table
from sim.reporting.grid_page import read_study_json
from sim.reporting.labels import override_words
from sim.reporting.option_figures import options_figure
from sim.reporting.run_page import load_run, read_csv, run_page
from sim.reporting.style import ALL, channel_label
from sim.reporting.wording import count_text, target_text, words

__all__ = ["EVIDENCE", "ALSO_EVIDENCE", "OPTION_TABLES", "OptionsData", "load_options", "study_figure", "options_summary", "options_pages"]

#: KPIs of the evidence table, per channel where they are per channel
EVIDENCE = ("service_level", "asa_s", "abandon_rate", "occupancy")
#: KPIs that join the evidence table when an option changes them significantly (and beyond their
#: practical threshold): the cost lines, the journeys' mechanisms and the modelled CX
ALSO_EVIDENCE = ("labour_cost", "bot_cost", "telephony_cost", "vendor_cost", "containment_rate", "deflected",
                 "callbacks_accepted", "overflow_rate", "vip_service_level", "escalation_rate", "fcr",
                 "csat_modelled", "nps_modelled")


_STATS = ("mean", "ci_low", "ci_high")
_COSTS = ("cost_mean", "cost_ci_low", "cost_ci_high", "cost_difference", "cost_difference_ci_low",
          "cost_difference_ci_high")
#: What the pages read from each table of an option study: ``{name: (required, numeric, filled)}``
OPTION_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "options": (("option", "channel", "metric", "option_mean", "difference", "ci_low", "ci_high", "verdict"),
                ("baseline_mean", "option_mean", "difference", "ci_low", "ci_high"), ("option", "channel", "metric")),
    "ranking": (("rank", "option", "meets_targets", "missed", "cost_metric", *_COSTS), ("rank", *_COSTS),
                ("option", "meets_targets", "cost_metric")),
    "kpis": (("option", "channel", "metric", *_STATS), _STATS, ("option", "channel", "metric")),
}


@dataclass
class OptionsData:
    """An option study folder as the report reads it."""

    folder: Path
    info: dict[str, Any]
    options: pd.DataFrame  # options.csv
    ranking: pd.DataFrame  # ranking.csv
    kpis: pd.DataFrame  # kpis.csv
    names: list[str] = field(default_factory=list)  # baseline first, then the options in the file's order
    problem: str = ""

    @property
    def channels(self) -> dict[str, tuple[float, float, bool]]:
        return {ch: (float(t["threshold_s"]), float(t["target"]), bool(t.get("deferrable", False)))
                for ch, t in (self.info.get("targets") or {}).items()}

    @property
    def currency(self) -> str:
        return str(self.info.get("cost_unit", ""))


def load_options(folder: str | Path) -> OptionsData:
    """Read an option study folder; a missing file becomes ``problem`` (and no ranking: the page says
    so); a file that is there but unusable raises :class:`~sim.engine.errors.ConfigError` naming it."""
    folder = Path(folder)
    problem = ""
    info: dict[str, Any] = {}
    if (folder / "study.json").exists():
        what = "an option study's study.json written by python -m sim.study"
        info = read_study_json(folder / "study.json", what)
        lists = [("baseline", info.get("baseline"))] + [(f"options.{name}.overrides", spec.get("overrides"))
                                                         for name, spec in (info.get("options") or {}).items()]
        for key, value in lists:
            if value is not None and not (isinstance(value, list) and all(isinstance(x, str) for x in value)):
                raise ConfigError(f"{folder / 'study.json'}: {key}",
                                  f"expected a list of overrides, got {value!r:.60} ({what})")
    else:
        problem = "no study.json in the folder"
    tables = {}
    for name, (required, numeric, filled) in OPTION_TABLES.items():
        frame = read_csv(folder / f"{name}.csv", f"an option study's {name}.csv written by python -m sim.study",
                         required, numeric, filled)
        if frame is None:
            problem = problem or f"{name}.csv is missing"
            frame = pd.DataFrame()
        tables[name] = frame
    if problem:
        tables["ranking"] = pd.DataFrame()
    if "missed" in tables["ranking"].columns:
        tables["ranking"]["missed"] = tables["ranking"]["missed"].astype(object).fillna("")
    names = ["baseline", *[n for n in (info.get("options") or {}) if n not in (info.get("failed") or {})]]
    return OptionsData(folder, info, tables["options"], tables["ranking"], tables["kpis"], names, problem)


def study_figure(data: OptionsData) -> Any:
    """The options figure of a study folder (:func:`sim.reporting.option_figures.options_figure`)."""
    meets = {str(r.option): str(r.meets_targets) == "True" for r in data.ranking.itertuples()} \
        if "meets_targets" in data.ranking.columns else None
    return options_figure(data.kpis, data.names, data.channels, str(data.info.get("cost_metric", "agent_hours")),
                          data.currency or "agent-h", f"Options compared: {data.info.get('title', data.folder.name)}",
                          float(data.info.get("confidence", 0.95)), meets)


def _money(value: float, unit: str, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    number = f"{value:+,.0f}" if signed else f"{value:,.0f}"
    if unit in ("agent-h", "money units"):
        return f"{number} {unit}"
    return f"{unit} {number}"


def _cells(data: OptionsData) -> dict[tuple[str, str, str], Any]:
    return {(str(r.option), str(r.channel), str(r.metric)): r for r in data.kpis.itertuples()}


def _evidence(data: OptionsData) -> dict[tuple[str, str, str], Any]:
    return {(str(r.option), str(r.channel), str(r.metric)): r for r in data.options.itertuples()}


def _wait_text(channel: str, value: float, data: OptionsData) -> str:
    """A wait in the channel's units: seconds for a live channel, hours (or minutes) for a deferrable one."""
    if value is None or not math.isfinite(value):
        return "–"
    if data.channels.get(channel, (0, 0, False))[2]:
        return f"{value / 3600:.1f} h" if value >= 3600 else f"{value / 60:.0f} min"
    return f"{value:.1f} s"


def options_summary(data: OptionsData) -> str:
    """The recommendation paragraph: which options meet every target and the cheapest of them, with
    its paired evidence; said from the numbers."""
    if data.ranking.empty:
        return f"No results to compare ({data.problem or 'the ranking is empty'})."
    unit = data.currency or "agent-h"
    cost_name = "total cost" if data.info.get("cost_metric") == "total_cost" else "staffed agent-hours"
    evidence = _evidence(data)
    targets = words(f"{ch} {target_text(t, s)}" for ch, (t, s, _) in data.channels.items())
    n = len(data.ranking)
    meeting = data.ranking[data.ranking["meets_targets"].astype(str) == "True"]
    text = (f"{count_text(n - 1, 'option')} against the baseline, {data.info.get('replications')} replications each "
            f"with the same customers (paired). ")
    if data.info.get("question"):
        text = f"{data.info['question'].rstrip()} " + text
    base = data.ranking[data.ranking["option"] == "baseline"]
    if not base.empty and str(base.iloc[0]["meets_targets"]) != "True":
        text += f"Today (the baseline) misses the target on {base.iloc[0]['missed']}. "
    if meeting.empty:
        best = data.ranking.iloc[0]
        text += (f"No option meets every target ({targets}); the closest is {best['option']}, which misses "
                 f"{best['missed']}, at a {cost_name} of {_money(best['cost_mean'], unit)}.")
        return text
    pick = meeting.iloc[0]
    text += f"{len(meeting)} of {n} meet every target ({targets}). "
    if pick["option"] == "baseline":
        text += (f"The cheapest that does is the baseline itself ({cost_name} {_money(pick['cost_mean'], unit)}): "
                 "no option is needed to meet the targets.")
    else:
        verdict = evidence.get((pick["option"], ALL, str(pick["cost_metric"])))
        word = f", {verdict.verdict}" if verdict is not None else ""
        text += (f"The cheapest that does is {pick['option']}: {cost_name} {_money(pick['cost_mean'], unit)}, "
                 f"{_money(pick['cost_difference'], unit, signed=True)} on the baseline "
                 f"[{_money(pick['cost_difference_ci_low'], unit, signed=True)}, "
                 f"{_money(pick['cost_difference_ci_high'], unit, signed=True)}]{word}")
        gains = []
        for ch in data.channels:
            r = evidence.get((pick["option"], ch, "service_level"))
            if r is not None and math.isfinite(r.difference):
                gains.append(f"{ch} {kpi('service_level').show(r.option_mean)} "
                             f"({kpi('service_level').show_diff(r.difference)}, {r.verdict})")
        if gains:
            text += "; service level " + "; ".join(gains)
        text += "."
    others = [r["option"] for _, r in meeting.iloc[1:].iterrows()]
    if others:
        text += f" Also meeting every target, at a higher cost: {words(others)}."
    missing = data.ranking[data.ranking["meets_targets"].astype(str) != "True"]
    if not missing.empty:
        text += " Missing a target: " + words(f"{r['option']} ({r['missed']})" for _, r in missing.iterrows()) + "."
    return text


def _ranking_table(data: OptionsData) -> Table:
    unit = data.currency or "agent-h"
    cost_name = "Total cost" if data.info.get("cost_metric") == "total_cost" else "Staffed agent-hours"
    cells = _cells(data)
    header = ["Rank", "Option", "Meets every target"] + \
             [f"{ch} service level" for ch in data.channels] + [f"{cost_name} ({unit})", "Against the baseline"]
    rows = []
    for r in data.ranking.itertuples():
        line = [str(r.rank), str(r.option), "yes" if str(r.meets_targets) == "True" else f"no: {r.missed}"]
        for ch in data.channels:
            c = cells.get((str(r.option), ch, "service_level"))
            line.append("–" if c is None else kpi("service_level").show(c.mean))
        half = (r.cost_ci_high - r.cost_ci_low) / 2 if math.isfinite(r.cost_ci_high) else math.nan
        line.append(f"{r.cost_mean:,.0f}" + (f" ± {half:,.0f}" if math.isfinite(half) else ""))
        line.append("–" if r.option == "baseline" else
                    f"{r.cost_difference:+,.0f} [{r.cost_difference_ci_low:+,.0f}, {r.cost_difference_ci_high:+,.0f}]")
        rows.append(line)
    return Table(header, rows, "Ranking: cheapest first among the options that meet every service-level target, then "
                               "the others (fewest targets missed first)")


def _service_table(data: OptionsData) -> Table:
    """Per option and channel: waits in the channel's units, abandonment; the centre's occupancy."""
    cells = _cells(data)
    header = ["Option"]
    columns: list[tuple[str, str]] = []
    for ch, (_, _, deferrable) in data.channels.items():
        header.append(f"{ch} first response" if deferrable else f"{ch} speed of answer")
        columns.append((ch, "asa_s"))
    for ch, (_, _, deferrable) in data.channels.items():
        if not deferrable:
            header.append(f"{ch} abandonment")
            columns.append((ch, "abandon_rate"))
    header.append("Occupancy")
    columns.append((ALL, "occupancy"))
    rows = []
    for name in data.names:
        line = [name]
        for ch, metric in columns:
            c = cells.get((name, ch, metric))
            if c is None:
                line.append("–")
            elif metric == "asa_s":
                line.append(_wait_text(ch, c.mean, data))
            else:
                line.append(kpi(metric).show(c.mean))
        rows.append(line)
    return Table(header, rows, "Service per channel (means over the replications; waits of answered contacts, in "
                               "seconds for live channels, minutes or hours for deferrable ones)")


def _short(word: str) -> str:
    return {VERDICT_BETTER: "better", VERDICT_WORSE: "worse", VERDICT_NONE: "no difference",
            VERDICT_NEGLIGIBLE: "negligible", VERDICT_UNKNOWN: "?"}.get(word, word.replace("significantly ", ""))


def _diff_text(channel: str, metric: str, r, data: OptionsData) -> str:
    if r is None or not math.isfinite(r.difference):
        return "–"
    threshold, _, deferrable = data.channels.get(channel, (0, 0, False))
    if metric in ("asa_s", "mean_wait_s") and deferrable and wait_unit(threshold) == "min":  # social
        text = f"{r.difference / 60:+.1f} min [{r.ci_low / 60:+.1f}, {r.ci_high / 60:+.1f}]"
    elif metric in ("asa_s", "mean_wait_s") and deferrable:
        text = f"{r.difference / 3600:+.2f} h [{r.ci_low / 3600:+.2f}, {r.ci_high / 3600:+.2f}]"
    elif metric in ("total_cost", "labour_cost", "bot_cost", "telephony_cost", "vendor_cost"):
        unit = data.currency or ""
        text = f"{r.difference:+,.0f} [{r.ci_low:+,.0f}, {r.ci_high:+,.0f}]" + (f" {unit}" if unit else "")
    else:
        info = kpi(metric)
        lo, hi = r.ci_low * info.scale, r.ci_high * info.scale
        text = f"{info.show_diff(r.difference)} [{lo:+,.{info.digits}f}, {hi:+,.{info.digits}f}]"
    return f"{text} {_short(r.verdict)}"


def _evidence_table(data: OptionsData) -> Table:
    """Rows: a KPI of a channel; columns: the options; cells: the paired difference, its interval and verdict."""
    evidence = _evidence(data)
    options = data.names[1:]
    rows_keys: list[tuple[str, str]] = []
    for metric in EVIDENCE:
        for ch in ([ALL] if metric == "occupancy" else list(data.channels)):
            if metric == "abandon_rate" and data.channels.get(ch, (0, 0, False))[2]:
                continue
            if any((o, ch, metric) in evidence for o in options):
                rows_keys.append((ch, metric))
    cost = str(data.info.get("cost_metric", "agent_hours"))
    rows_keys.append((ALL, cost))
    significant = {(str(r.channel), str(r.metric)) for r in data.options.itertuples()
                   if str(r.verdict) not in (VERDICT_NONE, VERDICT_NEGLIGIBLE, VERDICT_UNKNOWN)}
    per_channel = {m for (ch, m) in significant if ch != ALL}
    changed = [(ch, m) for m in ALSO_EVIDENCE for ch in [*data.channels, ALL]
               if (ch, m) in significant and (ch != ALL or m not in per_channel)]
    rows = []
    for ch, metric in rows_keys + changed:
        name = kpi(metric).name if metric != "agent_hours" else "Staffed agent-hours"
        threshold, _, deferrable = data.channels.get(ch, (0, 0, False))
        if metric == "asa_s" and deferrable:  # in the unit its differences are written in (_diff_text)
            name = f"First response ({wait_unit(threshold)})"
        label = f"{name}, {channel_label(ch)}" if ch != ALL else name
        rows.append([label] + [_diff_text(ch, metric, evidence.get((o, ch, metric)), data) for o in options])
    confidence = float(data.info.get("confidence", 0.95))
    return Table(["KPI"] + options, rows,
                 f"Paired evidence: each option minus the baseline, same customers in each replication, "
                 f"[{100 * confidence:g}% CI] and verdict")


def _changes_table(data: OptionsData) -> Table:
    base = list(data.info.get("baseline") or [])
    rows = [["baseline", "; ".join(override_words(o) for o in base) or "the scenario as it is", "; ".join(base)]]
    for name, spec in (data.info.get("options") or {}).items():
        failed = (data.info.get("failed") or {}).get(name)
        overrides = list(spec.get("overrides") or [])
        rows.append([name, "; ".join(override_words(o) for o in overrides) + (f" (FAILED: {failed})" if failed else ""),
                     "; ".join(overrides)])
    return Table(["Option", "What it changes, on top of the baseline", "Config overrides"], rows, "The options")


def _thresholds_note() -> str:
    shown = words(f"{kpi(m).show_threshold()} for {kpi(m).name.lower()}"
                  for m in ("service_level", "abandon_rate", "asa_s", "occupancy", "total_cost"))
    return (f"Verdicts: a difference is significant when its interval excludes 0; \"better\" and \"worse\" follow "
            f"the KPI's direction. A significant difference smaller than its practical threshold ({shown}) is "
            f"called negligible: not worth acting on. CSAT and NPS are modelled, not measured (scenario.cx).")


def options_pages(data: OptionsData, prefix: str = "") -> list[Page]:
    """The comparison page of the study, then one page per option against the baseline."""
    title = str(data.info.get("title") or data.folder.name)
    page = Page(f"Options compared: {title}")
    page.add(Heading("Recommendation"), Paragraph(options_summary(data), "summary"))
    if data.problem:
        page.add(Paragraph(f"{data.folder}: {data.problem}.", "warning"))
    failed = data.info.get("failed") or {}
    if failed:
        page.add(Paragraph("Options that failed, left out of the comparison: "
                           + words(f"{k} ({v})" for k, v in failed.items()) + ".", "warning"))
    if data.ranking.empty:
        return [page]
    page.add(Heading("Ranking"), _ranking_table(data), _service_table(data))
    page.add(Heading("Evidence against the baseline"), _evidence_table(data), Paragraph(_thresholds_note(), "note"))
    page.add(Heading("The options side by side"),
             Image(f"{prefix}options", study_figure(data),
                   "Each option's KPIs with their confidence intervals, one panel per channel and KPI; the baseline "
                   "dotted, targets dashed; hollow dots miss a target"))
    unit = data.currency
    basis = ("the scenario's total cost (scenario.costs: labour with overtime, vendor, bot and telephony)"
             + (f" in {unit}" if unit else "") if data.info.get("cost_metric") == "total_cost" else
             "staffed agent-hours (the scenario has no scenario.costs)")
    days = data.info.get("window_hours")
    page.add(Heading("Setup"), _changes_table(data),
             Table(["Setting", "Value"], [["Scenario", str(data.info.get("scenario", "?"))],
                                          ["Replications per option", str(data.info.get("replications", "?"))],
                                          ["Seed (every option)", str(data.info.get("seed", "?"))],
                                          ["Measured", f"{days:g} h of opening hours" if days else "?"],
                                          ["Cost", basis], ["Study file", str(data.info.get("file", "?"))]],
                   "How the study ran"))
    pages = [page]
    base_folder = data.folder / str(data.info.get("baseline_folder", "baseline"))
    base = load_run(base_folder)
    base.name = "the baseline"
    for i, (name, spec) in enumerate((data.info.get("options") or {}).items()):
        if name in failed:
            continue
        run = load_run(data.folder / spec["folder"])
        run.name = name
        option_page = run_page(run, base, None, f"{prefix}{i + 1:02d}_")
        option_page.title = f"Option {name} against the baseline"
        pages.append(option_page)
    return pages

