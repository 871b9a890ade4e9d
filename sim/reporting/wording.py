"""Numbers and settings into the words and tables of a strategy report (:mod:`sim.report`).

- :func:`scenario_tables`: the scenario in readable tables (channels and targets, contact types,
  staffing, policies) from a validated :class:`sim.model.config.SimConfig`;
- :func:`run_table`: how it was run; :func:`config_changes`: what differs between two runs;
- :func:`kpi_cell`, :func:`diff_cell`: a mean with its interval, a difference with its interval;
- :func:`target_text`, :func:`words`, :func:`count_text`: small phrases the summaries are built of.

Pure functions of their arguments: no files, no figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from sim.engine.checks import hhmm
from sim.experiments.kpis import WAIT_UNITS, kpi
from sim.reporting.document import Table
from sim.reporting.labels import key_label
from sim.reporting.style import format_seconds

__all__ = ["kpi_cell", "diff_cell", "target_text", "words", "count_text", "scenario_tables", "run_table",
           "config_changes", "hours_text", "relative_text", "cost_note"]


#: waits in seconds, shown in hours (email) or minutes (social) for a deferrable channel
WAITS_S = ("asa_s", "mean_wait_s", "end_to_end_time_s", "transfer_asa_s")


def _cut(mean: float, low: float, high: float) -> bool:
    """An interval not symmetric about its mean (cut at the KPI's range): shown by its bounds."""
    return abs((mean - low) - (high - mean)) > 1e-9 * max(1.0, abs(mean), high - low)


def kpi_cell(metric: str, mean: float, low: float, high: float, hours: bool = False, unit: str = "s") -> str:
    """``1,165.2 ± 40.1`` (the half-width of the interval; the unit is the row's); a share with its
    interval's bounds, ``83.2% [80.4–85.7]`` (a logit or Wilson interval is not symmetric); with ``hours`` or
    ``unit`` ``"h"`` (a deferrable channel), a wait in hours with its unit: ``1.6 h ± 0.4``; with ``unit``
    ``"min"`` (a deferrable channel with a target under an hour), in minutes: ``4.2 min ± 0.3``."""
    info = kpi(metric)
    if mean is None or not math.isfinite(mean):
        return "–"
    unit = "h" if hours else unit
    if unit in ("h", "min") and metric in WAITS_S:
        size, digits = WAIT_UNITS[unit], (2 if unit == "h" else 1)
        text = f"{mean / size:,.{digits}f} {unit}"
        if math.isfinite(low) and math.isfinite(high) and _cut(mean, low, high):
            return f"{text} [{low / size:,.{digits}f}–{high / size:,.{digits}f}]"
        return text + (f" ± {(high - low) / (2 * size):,.{digits}f}" if math.isfinite(low) and math.isfinite(high)
                       else "")
    text = info.show(mean, unit=False)
    if not (math.isfinite(low) and math.isfinite(high)):
        return text
    if info.unit != "%" and metric != "sl_risk" and _cut(mean, low, high):  # cut at the KPI's range (e.g. 0)
        return f"{text} [{low * info.scale:,.{info.digits}f}–{high * info.scale:,.{info.digits}f}]"
    half = (high - low) / 2.0
    if metric == "sl_risk":  # a share with a Wilson interval, not symmetric: show its bounds
        return f"{text} [{low * info.scale:.{info.digits}f}–{high * info.scale:.{info.digits}f}]"
    if info.unit == "%" and low == high:
        return text
    if info.unit == "%":  # a share's interval (logit scale) is not symmetric either
        return f"{text} [{low * info.scale:.{info.digits}f}–{high * info.scale:.{info.digits}f}]"
    return f"{text} ± {half * info.scale:,.{info.digits}f}"


def diff_cell(metric: str, mean: float, low: float, high: float) -> str:
    """``+8.0 pp [5.1, 10.9]``."""
    info = kpi(metric)
    if mean is None or not math.isfinite(mean):
        return "–"
    text = info.show_diff(mean)
    if not (math.isfinite(low) and math.isfinite(high)):
        return text
    return f"{text} [{low * info.scale:+,.{info.digits}f}, {high * info.scale:+,.{info.digits}f}]"


def target_text(threshold_s: float, target: float) -> str:
    """``80% in 20 s``."""
    return f"{100.0 * target:g}% in {format_seconds(threshold_s)}"


def hours_text(hours: float) -> str:
    return f"{hours:g} h"


def words(items: Iterable[str], empty: str = "none") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [str(i) for i in items]
    if not items:
        return empty
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def count_text(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _dist(d) -> str:
    if d is None:
        return "never abandons"
    cv = f", CV {d.cv:g}" if d.cv is not None else ""
    return f"{format_seconds(round(d.mean_s, 1))} mean ({d.kind}{cv})"


def _range(values: Iterable[float]) -> str:
    values = list(values)
    lo, hi = min(values), max(values)
    return f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"


_LEVELS = {1: "expert", 2: "standard", 3: "novice"}


def _flow_rows(sc) -> list[list[str]]:
    """A row per routing or flow mechanism the scenario turns on (overflow, staged routing, skill
    levels, sites, after-call work, balking, trunk lines, outbound campaigns and blending), in words; none when
    it is off."""
    rows = []
    overflow = [f"{n} to {', '.join(ct.overflow.groups)} after {format_seconds(ct.overflow.after_s)}"
                for n, ct in sc.contact_types.items() if ct.overflow is not None]
    if overflow:
        rows.append(["Overflow", "; ".join(overflow)])
    staged = []
    for name, g in sc.agent_groups.items():
        for ct, c in g.conditions.items():
            parts = ([f"after {format_seconds(c.after_s)} waited"] if c.after_s else []) + \
                ([f"while more than {c.queue_above} wait"] if c.queue_above else []) + \
                ([f"keeping {c.keep_idle} idle"] if c.keep_idle else [])
            if parts:
                staged.append(f"{name} take {ct} only {' and '.join(parts)}")
    if staged:
        rows.append(["Staged routing", "; ".join(staged)])
    if sc.skill_levels is not None:
        levels = [f"{name}: " + ", ".join(f"{ct} {_LEVELS.get(level, level)}" for ct, level in g.skill_levels.items())
                  for name, g in sc.agent_groups.items() if g.skill_levels]
        rows.append(["Skill levels (others standard)", "; ".join(levels) or "every skill standard"])
    if sc.sites:
        currency = getattr(sc.costs, "currency", "") if sc.costs is not None else ""
        sites = []
        for site in sc.sites.values():
            rules = ([f"others' contacts after {format_seconds(site.after_s)}"] if site.after_s else []) + \
                ([f"{format_seconds(site.network_delay_s)} network delay"] if site.network_delay_s else []) + \
                ([f"{site.price_per_contact:g} {currency} per contact".replace("  ", " ")] if site.price_per_contact is not None else [])
            sites.append(f"{site.name} ({', '.join(site.groups)})" + (f": {', '.join(rules)}" if rules else ""))
        rows.append(["Sites", "; ".join(sites)])
    wrap_up = [f"{n} {format_seconds(round(ct.after_call_work.mean_s, 1))} mean" if ct.after_call_work is not None
               else f"{n} by agent group" for n, ct in sc.contact_types.items()
               if ct.after_call_work is not None or ct.after_call_work_by_group]
    if wrap_up:
        rows.append(["After-call work", "; ".join(wrap_up)])
    balking = [f"{n} by {ct.balking.by.replace('_', ' ')}" for n, ct in sc.contact_types.items() if ct.balking]
    if balking:
        rows.append(["Balking", "; ".join(balking)])
    lines = [f"{n} {ch.lines} lines" for n, ch in sc.channels.items() if ch.lines is not None]
    if lines:
        rows.append(["Trunk lines", "; ".join(lines)])
    campaigns = []
    for n, ct in sc.contact_types.items():
        ob = ct.outbound
        if ob is None:
            continue
        text = (f"{n}: {ob.mode}, {ob.list_size:,} records, at most {ob.max_attempts} dials each, "
                f"{100 * ob.connect:g}% answered, {100 * ob.right_party:g}% of those the right party")
        if ob.pacing is not None:
            text += f", nuisance calls under {100 * ob.pacing.nuisance_target:g}% of the answered"
        campaigns.append(text)
    if campaigns:
        rows.append(["Outbound campaigns", "; ".join(campaigns)])
    rules = {"queue_below": "while fewer than {:g} inbound contacts wait",
             "service_level_above": "while the last interval's inbound service level is at least {:.0%}",
             "idle_reserve": "keeping {:g} agents idle for inbound work"}
    blending = [f"{n} dial {rules[g.blending.rule].format(g.blending.threshold)}"
                for n, g in sc.agent_groups.items() if g.blending is not None]
    if blending:
        rows.append(["Blending", "; ".join(blending)])
    return rows


def scenario_tables(config) -> list[Table]:
    """Channels, contact types, staffing and policies of ``config`` (a :class:`sim.model.config.SimConfig`)."""
    sc = config.scenario
    interval_h = sc.interval_s / 3600.0
    by_channel: dict[str, list[str]] = {}
    for name, ct in sc.contact_types.items():
        by_channel.setdefault(ct.channel, []).append(name)
    channels = Table(["Channel", "Service-level target", "Contact types"],
                     [[name, target_text(ch.service_level_threshold_s, ch.service_level_target),
                       ", ".join(by_channel.get(name, []))] for name, ch in sc.channels.items()],
                     "Channels and their targets")
    types = []
    for name, ct in sc.contact_types.items():
        if sc.trace is not None:
            volume, peak = "from the trace", "–"
        elif ct.outbound is not None:  # a campaign (sim.journeys.outbound): a calling list, not arrivals
            volume, peak = f"outbound list of {ct.outbound.list_size:,}", "–"
        elif ct.rate_per_hour is None:
            volume, peak = "escalations only", "–"
        else:
            volume = f"{sum(ct.rate_per_hour) * interval_h:,.0f}"
            peak = f"{max(ct.rate_per_hour):,.0f}"
        escalation = (f"{100 * ct.escalation.probability:g}% to {ct.escalation.to}" if ct.escalation else "–")
        if ct.transfers is not None:  # a transfer graph (sim.journeys.transfers): each destination, warm ones marked
            escalation = ", ".join(f"{100 * d.probability:g}% to {d.to}" + (" (warm)" if d.conference_time else "")
                                   for d in ct.transfers.destinations)
            if ct.transfers.max_hops > 1:
                escalation += f"; at most {ct.transfers.max_hops} transfers"
        capacity = "unlimited" if ct.queue_capacity is None else f"{ct.queue_capacity}"
        patience = _dist(ct.patience) if ct.outbound is None else "–"
        types.append([name, ct.channel, volume, peak, _dist(ct.handle_time), patience, str(ct.priority),
                      escalation, capacity])
    contact_types = Table(["Contact type", "Channel", "Contacts per day", "Peak per hour", "Handle time",
                           "Patience", "Priority", "Escalation", "Queue capacity"], types, "Contact types")
    staffing = Table(["Agent group", "Skills (in order of preference)", "Agents per interval", "Agent-hours scheduled"],
                     [[name, ", ".join(g.skills), _range(g.staffing), f"{sum(g.staffing) * interval_h:,.1f}"]
                      for name, g in sc.agent_groups.items()]
                     + [["all groups", "", _range([sum(s) for s in zip(*(g.staffing for g in sc.agent_groups.values()))]),
                         f"{sum(sum(g.staffing) for g in sc.agent_groups.values()) * interval_h:,.1f}"]],
                     "Staffing")
    open_h = sc.open_time_s / 3600.0
    hours = (f"{int(open_h):02d}:{int(round(open_h % 1 * 60)):02d}, {sc.n_intervals} intervals of "
             f"{format_seconds(sc.interval_s)}")
    policies = Table(["Policy", "Setting"], [
        ["Opening", hours],
        ["Agent selection (several agents idle)", sc.routing.agent_selection.replace("_", " ")],
        ["Queue selection (an agent becomes free)", sc.routing.queue_selection.replace("_", " ")],
        ["Arrivals", f"replayed from {sc.trace}" if sc.trace else "Poisson, rates per interval"],
        ["Forecast uncertainty (day busyness CV)", f"{sc.busyness_cv:g}" if sc.busyness_cv else "none"],
        *_flow_rows(sc),
    ], "Routing and other policies")
    return [channels, contact_types, staffing, policies]


def run_table(config, window_h: float, warmup_s: float) -> Table:
    """Replications, seed, window, warm-up, confidence, service-level definition."""
    run = config.run
    return Table(["Setting", "Value"], [
        ["Replications", str(run.replications) if run.days > 1 else f"{run.replications} (simulated days)"],
        *([["Days per replication", f"{run.days}, the centre closed overnight (backlog carried over)"]]
          if run.days > 1 else []),
        ["Seed", str(run.seed)],
        ["Measurement window", f"{hours_text(window_h)}, the rest of the day from the centre's state at "
                               f"{hhmm(config.scenario.open_time_s + warmup_s)} (a state file)"
         if getattr(config, "state", None) is not None else
         f"{hours_text(window_h)}{' of opening hours' if run.days > 1 else ''} after a warm-up "
         f"of {hours_text(warmup_s / 3600.0)}"],
        ["Confidence level of intervals", f"{100 * run.confidence:g}%"],
        ["Service level counts", {"offered": "answered in time / offered (abandons are misses)",
                                  "answered": "answered in time / answered",
                                  "offered_excl_short_abandons":
                                      f"answered in time / offered, abandons within {run.short_abandon_s:g} s left out"}
         .get(run.service_level_variant, run.service_level_variant)],
    ], "How it was run")


def _flatten(raw: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(raw, Mapping):
        out: dict[str, Any] = {}
        for k, v in raw.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out or {prefix: {}}
    return {prefix: raw}


def _short(value: Any, width: int = 70) -> str:
    text = "(not set)" if value is _MISSING else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


_MISSING = object()
_IGNORED = ("run.workers", "run.executor", "run.scheduler_address", "run.figures", "run.save_contacts")


def config_changes(baseline: Mapping | None, alternative: Mapping | None) -> Table | None:
    """Keys whose values differ between two runs' ``config.yaml`` (how they ran aside: workers,
    executor, outputs); None if either is unknown."""
    if baseline is None or alternative is None:
        return None
    a, b = _flatten(baseline), _flatten(alternative)
    rows = [[key_label(key), _short(a.get(key, _MISSING)), _short(b.get(key, _MISSING)), key]
            for key in dict.fromkeys([*a, *b]) if key not in _IGNORED and a.get(key, _MISSING) != b.get(key, _MISSING)]
    return Table(["Setting", "Baseline", "This option", "Config key"], rows, "What differs from the baseline")


def relative_text(diff: float, base: float) -> str:
    """``+4.1%``: ``diff`` relative to ``base``."""
    if not (math.isfinite(diff) and math.isfinite(base)) or base == 0:
        return "–"
    return f"{100.0 * diff / base:+.1f}%"


def cost_note(wage: float | None, costs=None) -> str:
    """The report's note on its cost basis (:mod:`sim.reporting.cost_basis`); ``costs``: the scenario's
    own cost model (``scenario.costs``), whose lines the KPI table reports."""
    text = ("Cost basis: staffed agent-hours = agents logged in (time average, whole centre) x the measurement "
            "window's length; it is not a simulator output but computed from one.")
    if costs is not None:
        unit = f" in {costs.currency}" if costs.currency else ""
        own = (f"Costs{unit} are the scenario's own (scenario.costs): labour = each group's wage per logged-in hour "
               f"(scheduled hours for shift groups), overtime at {costs.overtime_premium:g} x the wage; vendor and bot "
               f"prices per contact; telephony at {costs.telephony_per_minute:g} per minute on "
               f"{words(costs.telephony_channels)}. ")
        return own + text + (f" Staff cost = agent-hours x {wage:g} per agent-hour (--wage-per-hour)." if wage is not None
                             else "")
    if wage is None:
        return text + " No wage was given (--wage-per-hour), so costs are in agent-hours."
    return text + f" Staff cost = agent-hours x {wage:g} per agent-hour (one rate for every group; no overhead, " \
                  "shrinkage or overtime premium)."
