"""KPIs of one replication: pure functions from its tallies to numbers.

Contacts are measured when they *arrive* inside the window ``[warmup, horizon)``;
time averages (queue length, occupancy) integrate over the same window.  The
definitions, per channel and for the whole centre (``all``):

- ``arrivals``: contacts that arrived (retrials and repeat contacts included);
  ``blocked``: turned away (queue full, or every trunk line busy); ``offered`` = arrivals - blocked -
  deflected - still in self-service at the end - accepted callbacks (they
  reached a live queue);
- ``answered`` / ``abandoned``: answered / abandoned in the first queue;
  ``in_system``: still waiting or in service when the run stopped;
- ``service_level``: answered within the channel's threshold T / offered
  (abandons count as misses); variants (``run.service_level_variant``):
  ``answered`` divides by answered, ``offered_excl_short_abandons`` leaves out of
  the denominator contacts that abandoned within ``run.short_abandon_s``;
  across replications, ``sl_risk`` is the share of replications (days) whose
  service level is below the channel's target (:data:`RISK_METRICS`);
- ``asa_s``: mean wait of answered contacts; ``mean_wait_s``: mean wait of all
  offered, abandoners up to the moment they left;
- ``abandon_rate`` = abandoned / offered; ``block_rate`` = blocked / arrivals;
  ``p_wait``: share of offered that waited more than 0 s;
- ``aht_s``: mean handle time of services (first and escalation) of contacts
  that left the system, plus, with after-call work (:mod:`sim.journeys.after_call_work`), the
  mean wrap-up per service: ``aht_s`` = ``talk_time_s`` + ``wrap_up_s``, the two parts reported
  on their own (summary and per contact type) only when a contact type has after-call work
  (:func:`with_after_call_work`);
- ``escalation_rate`` = escalated / answered; ``transfer_asa_s``: mean wait in
  the escalation queue of escalated contacts answered there (with transfer graphs,
  :mod:`sim.journeys.transfers`: the share transferred at least once, and the mean wait per
  transfer answered, every transfer queue a contact visited);
- ``end_to_end_time_s``: first arrival to end of last service, of contacts
  served to the end;
- journeys (:mod:`sim.journeys.flow`): ``deflected``: resolved in self-service;
  ``containment_rate`` = deflected / (deflected + ``bot_handoffs``), the
  contacts that finished self-service; ``bot_time_s``: their mean time in it;
  ``retrials`` and ``repeat_contacts``: arrivals that are retrials / repeat
  contacts; ``unique_customers`` = arrivals - retrials - repeat_contacts;
  ``retrial_rate`` = retrials / arrivals; ``repeat_rate`` = repeat_contacts /
  arrivals; ``fcr`` = issues resolved on first contact / issues resolved
  (contact types with a repeat model only; escalations and repeats count against);
  ``callbacks_offered`` / ``callbacks_accepted``: callbacks offered to / accepted
  by arrivals that had to wait (:mod:`sim.journeys.callbacks`; accepted ones are not in
  ``offered``); ``callback_wait_s``: mean acceptance-to-callback time of placed
  callbacks; ``callback_success`` = callbacks answered / placed;
  ``overflowed``: contacts still waiting at their type's overflow time
  (:mod:`sim.journeys.overflow`); ``overflow_rate`` = overflowed / offered;
  ``overflow_answered``: of those, answered by an overflow group;
  ``vip_offered``: offered contacts of VIP classes (:mod:`sim.journeys.vip`);
  ``vip_service_level``: of those, answered within the threshold / offered;
  ``csat_modelled``, ``nps_modelled``: customer-experience proxies computed
  from each contact's journey by the model of :mod:`sim.journeys.cx` (``scenario.cx``),
  modelled, not measured: mean CSAT (1-5) and NPS (-100..100) of contacts
  that left;
- balking (:mod:`sim.journeys.balking`; only for a scenario with a ``balking`` rule,
  :func:`with_balking`): ``balked``: arrivals that would have had to wait and left at once
  (not in ``offered``, like blocked ones, so not in service level, ASA or abandonment);
  ``balk_rate`` = balked / arrivals;
- trunk lines (:mod:`sim.journeys.trunk_lines`; only for a scenario where a channel has ``lines``,
  :func:`with_lines`): ``line_blocked``: arrivals that found every line of their channel busy (also
  in ``blocked`` and ``block_rate``, which count both kinds of blocking); ``line_block_rate`` =
  line_blocked / arrivals; ``lines_busy`` (summary, per channel with lines): time-average busy lines;
- ``mean_queue_length``: time-average number waiting in the channel's queues;
  ``backlog``: contacts waiting (or holding a callback) at the end of the
  window (summary) or of the interval (interval table), e.g. the email
  backlog carried into the next interval;
- ``occupancy`` (``all`` only) = busy agent-seconds / logged-in agent-seconds;
  ``agents_staffed`` (``all`` only): time-average agents logged in.

The same contact KPIs per contact type (:func:`replication_types`, per interval
:func:`replication_type_intervals`) come from the engine's per-type tallies (a contact counts in
the type it arrived as); occupancy and agents staffed per agent group and interval from
:func:`replication_group_intervals`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.arrivals import DAY_S
from sim.engine.records import TALLY_FIELDS, ReplicationResult
from sim.journeys.after_call_work import after_call_work_on
from sim.journeys.outbound import OUT_FIELDS, outbound_on
from sim.journeys.trunk_lines import LINE_METRICS, lines_on
from sim.workforce.costs import COST_METRICS, group_costs, group_workforce, replication_costs

if TYPE_CHECKING:  # pragma: no cover (type-only: never runs, so no import circle)
    from sim.model.config import RunSpec, Scenario

__all__ = ["SUMMARY_METRICS", "DAY_METRICS", "RISK_METRICS", "SUMMARY_ORDER", "INTERVAL_METRICS", "CENTRE_ONLY",
           "LIVE", "WAIT_METRICS", "LIVE_METRICS", "live_channels",
           "TYPE_METRICS", "TYPE_INTERVAL_METRICS", "GROUP_INTERVAL_METRICS",
           "replication_summary", "replication_intervals", "replication_days", "group_summary", "kpis_from_tally",
           "replication_types", "replication_type_intervals", "replication_group_intervals",
           "offered_count", "BALK_METRICS", "with_balking", "LINE_BLOCK_METRICS", "with_lines",
           "AFTER_CALL_WORK_METRICS", "with_after_call_work", "interval_metrics", "type_interval_metrics",
           "interval_bounds", "clock_label", "SITE_METRICS", "SITE_COST_METRICS", "replication_sites",
           "OUTBOUND_METRICS", "OUTBOUND_INTERVAL_METRICS", "replication_outbound", "group_interval_metrics"]

SUMMARY_METRICS = (
    "arrivals", "offered", "answered", "abandoned", "blocked", "balked", "line_blocked", "in_system", "service_level",
    "asa_s", "mean_wait_s", "abandon_rate", "block_rate", "balk_rate", "line_block_rate", "p_wait", "aht_s",
    "escalation_rate", "transfer_asa_s", "end_to_end_time_s", "deflected", "containment_rate", "bot_handoffs", "bot_time_s", "retrials",
    "unique_customers", "retrial_rate", "repeat_contacts", "repeat_rate", "fcr", "callbacks_offered",
    "callbacks_accepted", "callback_wait_s", "callback_success", "overflowed", "overflow_rate", "overflow_answered",
    "vip_offered", "vip_service_level", "csat_modelled", "nps_modelled",
    "mean_queue_length", "backlog", "lines_busy", "occupancy", "agents_staffed",
)
#: Metrics of the summary that are shares over replications, not means of per-replication values:
#: ``sl_risk`` = share of replications whose service level is below the channel's target (for
#: ``all``: where any channel misses), with a Wilson interval (:func:`sim.experiments.replications.sl_risk_rows`).
RISK_METRICS = ("sl_risk",)
#: Row order of ``summary.csv`` within a channel.
#: The parts of ``aht_s`` (talk + wrap-up), reported only when a contact type has after-call work
#: (:mod:`sim.journeys.after_call_work`, :func:`with_after_call_work`), right after ``aht_s``.
AFTER_CALL_WORK_METRICS = ("talk_time_s", "wrap_up_s")
SUMMARY_ORDER = SUMMARY_METRICS[:SUMMARY_METRICS.index("service_level") + 1] + RISK_METRICS \
    + SUMMARY_METRICS[SUMMARY_METRICS.index("service_level") + 1:SUMMARY_METRICS.index("aht_s") + 1] \
    + AFTER_CALL_WORK_METRICS + SUMMARY_METRICS[SUMMARY_METRICS.index("aht_s") + 1:] + COST_METRICS \
    + ("dials", "connects", "connect_rate", "right_party_contacts", "nuisance_calls", "nuisance_rate",
       "list_completed_share", "list_reached_share", "outbound_utilisation")
INTERVAL_METRICS = ("offered", "answered", "abandoned", "service_level", "asa_s", "abandon_rate",
                    "mean_queue_length", "backlog", "occupancy", "agents_staffed")
CENTRE_ONLY = ("occupancy", "agents_staffed")
#: The centre-wide row for waits and service level when a centre has live and deferrable channels.
LIVE = "live"
#: KPIs that mean nothing averaged over a live channel (seconds) and a deferrable one (hours): in a
#: centre with both, the ``all`` row leaves them out and the ``live`` row gives them over the live
#: channels only; each deferrable channel reports them in its own row.
WAIT_METRICS = ("service_level", "asa_s", "mean_wait_s", "abandon_rate", "p_wait", "end_to_end_time_s",
                "transfer_asa_s", "callback_wait_s")
#: The ``live`` row: :data:`WAIT_METRICS` and the volumes they are shares or means of.
LIVE_METRICS = ("offered", "answered", "abandoned") + WAIT_METRICS
_F = {name: i for i, name in enumerate(TALLY_FIELDS)}
#: Balking's KPIs (:mod:`sim.journeys.balking`), reported only by scenarios with a balking rule.
BALK_METRICS = ("balked", "balk_rate")
#: Trunk lines' contact KPIs (:mod:`sim.journeys.trunk_lines`), reported per channel, contact type and
#: interval only by scenarios where a channel has ``lines``; ``lines_busy`` (summary only) too.
LINE_BLOCK_METRICS = ("line_blocked", "line_block_rate")


def with_balking(metrics: tuple[str, ...], scenario: Scenario | None) -> tuple[str, ...]:
    """``metrics`` with :data:`BALK_METRICS` after ``abandon_rate`` (or at the end) when a contact type of
    ``scenario`` has a balking rule, else ``metrics`` unchanged."""
    if scenario is None or not any(ct.balking is not None for ct in scenario.contact_types.values()):
        return metrics
    at = metrics.index("abandon_rate") + 1 if "abandon_rate" in metrics else len(metrics)
    return metrics[:at] + BALK_METRICS + metrics[at:]


def with_lines(metrics: tuple[str, ...], scenario: Scenario | None) -> tuple[str, ...]:
    """``metrics`` with :data:`LINE_BLOCK_METRICS` at the end when a channel of ``scenario`` has ``lines``
    (:mod:`sim.journeys.trunk_lines`), else ``metrics`` unchanged."""
    if scenario is None or not lines_on(scenario):
        return metrics
    return metrics + LINE_BLOCK_METRICS


def with_after_call_work(metrics: tuple[str, ...], scenario: Scenario | None) -> tuple[str, ...]:
    """``metrics`` with :data:`AFTER_CALL_WORK_METRICS` after ``aht_s`` (or at the end) when a contact type of
    ``scenario`` has after-call work, else ``metrics`` unchanged."""
    if scenario is None or not after_call_work_on(scenario):
        return metrics
    at = metrics.index("aht_s") + 1 if "aht_s" in metrics else len(metrics)
    return metrics[:at] + AFTER_CALL_WORK_METRICS + metrics[at:]


def interval_metrics(scenario: Scenario | None) -> tuple[str, ...]:
    """The columns of ``intervals.csv`` for ``scenario``: :data:`INTERVAL_METRICS`, balking's and trunk
    lines' contact KPIs where modelled, then the handle time's split (``talk_time_s``, ``wrap_up_s``)
    with after-call work and ``lines_busy`` (per channel with lines) with trunk lines."""
    metrics = with_after_call_work(with_lines(with_balking(INTERVAL_METRICS, scenario), scenario), scenario)
    return metrics + ("lines_busy",) if scenario is not None and lines_on(scenario) else metrics


def type_interval_metrics(scenario: Scenario | None) -> tuple[str, ...]:
    """The columns of ``type_intervals.csv`` for ``scenario``: :data:`TYPE_INTERVAL_METRICS`, balking's and
    trunk lines' contact KPIs where modelled, and ``talk_time_s``, ``wrap_up_s`` after ``aht_s`` with
    after-call work; with an outbound campaign, :data:`OUTBOUND_INTERVAL_METRICS` at the end (NaN on the
    inbound types' rows)."""
    metrics = with_after_call_work(with_lines(with_balking(TYPE_INTERVAL_METRICS, scenario), scenario), scenario)
    return metrics + OUTBOUND_INTERVAL_METRICS if scenario is not None and outbound_on(scenario) else metrics


#: An outbound campaign's KPIs per interval (``type_intervals.csv``, on the campaign's rows; by the interval
#: each dial was placed in).
OUTBOUND_INTERVAL_METRICS = ("dials", "connects", "right_party_contacts", "nuisance_rate")


def group_interval_metrics(scenario: Scenario | None) -> tuple[str, ...]:
    """The columns of ``group_intervals.csv``: :data:`GROUP_INTERVAL_METRICS`, then ``outbound_utilisation``
    with an outbound campaign (NaN for groups without outbound skills)."""
    if scenario is not None and outbound_on(scenario):
        return GROUP_INTERVAL_METRICS + ("outbound_utilisation",)
    return GROUP_INTERVAL_METRICS


def _ratio(num, den):
    """``num / den`` elementwise, NaN where ``den`` is 0."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    safe = np.where(den != 0, den, 1.0)
    return np.where(den != 0, num / safe, math.nan)


def kpis_from_tally(t: np.ndarray, run: RunSpec) -> dict[str, np.ndarray]:
    """Contact KPIs from tallies whose last axis follows :data:`~sim.engine.records.TALLY_FIELDS`.

    Works on one tally vector (0-d results) or on stacks of them (e.g. interval x channel).
    """
    g = {name: t[..., i] for name, i in _F.items()}
    offered = offered_count(t)
    bot_done = g["deflected"] + g["bot_handoffs"]
    variant = run.service_level_variant
    if variant == "offered":
        sl_den = offered
    elif variant == "answered":
        sl_den = g["answered"]
    else:
        sl_den = offered - g["short_abandons"]
    talk = _ratio(g["handle_s"], g["handles"])
    wrap = _ratio(g["wrap_up_s"], g["wrap_ups"])  # NaN without after-call work: aht_s is then the talk time
    return {
        "arrivals": g["arrivals"],
        "offered": offered,
        "answered": g["answered"],
        "abandoned": g["abandoned"],
        "blocked": g["blocked"],
        "in_system": g["in_system"],
        "service_level": _ratio(g["answered_within_threshold"], sl_den),
        "asa_s": _ratio(g["wait_answered_s"], g["answered"]),
        "mean_wait_s": _ratio(g["wait_offered_s"], offered),
        "abandon_rate": _ratio(g["abandoned"], offered),
        "block_rate": _ratio(g["blocked"], g["arrivals"]),
        "balked": g["balked"],
        "balk_rate": _ratio(g["balked"], g["arrivals"]),
        "line_blocked": g["line_blocked"],
        "line_block_rate": _ratio(g["line_blocked"], g["arrivals"]),
        "p_wait": _ratio(g["waited"], offered),
        "aht_s": np.where(g["wrap_ups"] > 0, talk + wrap, talk),
        "talk_time_s": talk,
        "wrap_up_s": wrap,
        "escalation_rate": _ratio(g["escalated"], g["answered"]),
        "transfer_asa_s": _ratio(g["transfer_wait_s"], g["transfers_answered"]),
        "end_to_end_time_s": _ratio(g["end_to_end_s"], g["completed"]),
        "deflected": g["deflected"],
        "containment_rate": _ratio(g["deflected"], bot_done),
        "bot_handoffs": g["bot_handoffs"],
        "bot_time_s": _ratio(g["bot_time_s"], bot_done),
        "retrials": g["retrials"],
        "unique_customers": g["arrivals"] - g["retrials"] - g["repeat_contacts"],
        "retrial_rate": _ratio(g["retrials"], g["arrivals"]),
        "repeat_contacts": g["repeat_contacts"],
        "repeat_rate": _ratio(g["repeat_contacts"], g["arrivals"]),
        "fcr": _ratio(g["resolved_first_contact"], g["issues_resolved"]),
        "callbacks_offered": g["callbacks_offered"],
        "callbacks_accepted": g["callbacks_accepted"],
        "callback_wait_s": _ratio(g["callback_wait_s"], g["callbacks_placed"]),
        "callback_success": _ratio(g["callbacks_reached"], g["callbacks_placed"]),
        "overflowed": g["overflowed"],
        "overflow_rate": _ratio(g["overflowed"], offered),
        "overflow_answered": g["overflow_answered"],
        "vip_offered": g["vip_offered"],
        "vip_service_level": _ratio(g["vip_answered_within_threshold"], g["vip_offered"]),
        "csat_modelled": _ratio(g["csat_sum"], g["cx_scored"]),
        "nps_modelled": 100.0 * _ratio(g["promoters"] - g["detractors"], g["cx_scored"]),
    }


def offered_count(t: np.ndarray) -> np.ndarray:
    """Offered contacts from tallies (last axis :data:`~sim.engine.records.TALLY_FIELDS`): arrivals that reached
    a live queue, i.e. not blocked, balked, deflected, still in self-service or holding a callback."""
    g = {name: t[..., _F[name]] for name in ("arrivals", "blocked", "deflected", "in_self_service",
                                             "callbacks_accepted", "balked")}
    return g["arrivals"] - g["blocked"] - g["deflected"] - g["in_self_service"] - g["callbacks_accepted"] - g["balked"]


def _inside(result: ReplicationResult, start: float, end: float) -> np.ndarray:
    """Mask of the segments inside ``[start, end)`` (segments never straddle those edges)."""
    b = result.segments.bounds_s
    lo, hi = b[:-1], b[1:]
    return (lo >= start - 1e-9) & (hi <= end + 1e-9) & (hi > lo)


def live_channels(scenario: Scenario, channel_names: tuple[str, ...]) -> np.ndarray | None:
    """Per channel of ``channel_names``: is it live (not ``deferrable``)?  ``None`` when the centre's
    channels are all live or all deferrable: then the ``all`` row averages like with like."""
    live = np.asarray([not scenario.channels[name].deferrable for name in channel_names], dtype=bool)
    return live if live.any() and not live.all() else None


def _window_kpis(result: ReplicationResult, run: RunSpec, start: float, end: float,
                 live: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """``{channel, 'live' or 'all': {metric: value}}`` over the segments in ``[start, end)``; ``live``
    (:func:`live_channels`): the live channels, when the centre also has deferrable ones."""
    seg = result.segments
    inside = _inside(result, start, end)
    length = end - start
    tally = seg.tally[inside].sum(axis=0)  # (n_channels, N_TALLY)
    queue = seg.queue_area[inside].sum(axis=0)  # (n_channels,)
    busy = float(seg.busy_area[inside].sum())
    staffed = float(seg.staffed_area[inside].sum())
    out = {}
    backlog = _backlog_at_end(seg, inside, len(result.channel_names))
    for idx, channel in enumerate(result.channel_names):
        kpis = {k: float(v) for k, v in kpis_from_tally(tally[idx], run).items()}
        kpis["mean_queue_length"] = float(queue[idx]) / length
        kpis["backlog"] = float(backlog[idx])
        if seg.line_area is not None and not np.isnan(seg.line_area[:, idx]).any():  # a channel with lines
            kpis["lines_busy"] = float(seg.line_area[inside, idx].sum()) / length  # time-average busy lines
        out[channel] = kpis
    if live is not None:  # the waits over the live channels, and the volumes they are shares of
        kpis = {k: float(v) for k, v in kpis_from_tally(tally[live].sum(axis=0), run).items() if k in LIVE_METRICS}
        kpis["mean_queue_length"] = float(queue[live].sum()) / length
        out[LIVE] = kpis
    kpis = {k: float(v) for k, v in kpis_from_tally(tally.sum(axis=0), run).items()
            if live is None or k not in WAIT_METRICS}
    kpis["mean_queue_length"] = float(queue.sum()) / length
    kpis["backlog"] = float(backlog.sum())
    kpis["occupancy"] = float(_ratio(busy, staffed))
    kpis["agents_staffed"] = staffed / run.open_seconds(start, end)
    out["all"] = kpis
    return out


def _backlog_at_end(seg, inside: np.ndarray, n_channels: int) -> np.ndarray:
    """Contacts waiting per channel at the end of the last segment in ``inside`` (NaN if none)."""
    rows = np.flatnonzero(inside)
    if not len(rows) or seg.backlog_end is None:
        return np.full(n_channels, math.nan)
    return seg.backlog_end[rows[-1]]


def replication_summary(result: ReplicationResult, scenario: Scenario, run: RunSpec) -> dict[tuple[str, str], float]:
    """``{(channel, metric): value}`` for each channel, ``live`` (a centre with live and deferrable
    channels: :data:`WAIT_METRICS` over the live ones) and ``all`` over the window."""
    per = _window_kpis(result, run, run.warmup_s, run.horizon_s, live_channels(scenario, result.channel_names))
    hidden = () if with_balking((), scenario) else BALK_METRICS  # balking's KPIs only where it is modelled
    if not with_after_call_work((), scenario):  # nor the parts of aht_s without after-call work
        hidden += AFTER_CALL_WORK_METRICS
    if not lines_on(scenario):  # nor trunk lines' without lines
        hidden += LINE_METRICS
    out = {(channel, metric): value for channel, kpis in per.items() for metric, value in kpis.items()
           if metric not in hidden}
    out.update({("all", metric): value for metric, value in replication_costs(result, scenario).items()})
    if result.outbound:  # outbound campaigns (sim.journeys.outbound): per channel of their types, and all
        for channel in [*dict.fromkeys(scenario.contact_types[t].channel for t in result.outbound["types"]), "all"]:
            names = [t for t in result.outbound["types"] if channel == "all" or scenario.contact_types[t].channel == channel]
            out.update({(channel, m): v for m, v in replication_outbound(result, run, names).items()
                        if channel == "all" or m != "outbound_utilisation"})
    return out


#: Per-day KPIs of a multi-day run (``days.csv``).
DAY_METRICS = ("offered", "answered", "abandoned", "service_level", "asa_s", "abandon_rate", "backlog",
               "in_system", "occupancy", "agents_staffed")


def replication_days(result: ReplicationResult, run: RunSpec,
                     scenario: Scenario | None = None) -> dict[tuple[int, str, str], float]:
    """``{(day, channel, 'live' or 'all', metric): value}`` of :data:`DAY_METRICS` for each day of a multi-day
    run (from 1; :mod:`sim.workforce.days`): its opening hours and the night before them (overnight arrivals, and
    agents staying on past the previous closing), inside the window.  ``backlog``: waiting at the
    day's closing; ``in_system``: that day's arrivals still there when the run stopped; ``agents_staffed``
    averages over the opening hours."""
    out: dict[tuple[int, str, str], float] = {}
    live = live_channels(scenario, result.channel_names) if scenario is not None else None
    for d in range(run.days):
        start = max((d - 1) * DAY_S + run.day_open_s if d else 0.0, run.warmup_s)
        end = d * DAY_S + run.day_open_s
        if start >= end:
            continue
        for channel, kpis in _window_kpis(result, run, start, end, live).items():
            for metric in DAY_METRICS:
                if metric in kpis:
                    out[(d + 1, channel, metric)] = kpis[metric]
    return out


def group_summary(result: ReplicationResult, run: RunSpec, absence_paid: bool = True) -> dict[tuple[str, str], float]:
    """``{(group, metric): value}``: occupancy and agents staffed per agent group; when a group works
    shifts, also :data:`~sim.workforce.costs.WORKFORCE_METRICS` (over the whole day) for every group; an absent
    agent's hours are paid unless ``absence_paid`` is false (``scenario.costs.absence_paid``)."""
    seg = result.segments
    inside = _inside(result, run.warmup_s, run.horizon_s)
    busy = seg.busy_area[inside].sum(axis=0)
    staffed = seg.staffed_area[inside].sum(axis=0)
    length = run.open_seconds(run.warmup_s, run.horizon_s)
    out: dict[tuple[str, str], float] = {}
    for i, name in enumerate(result.group_names):
        out[(name, "occupancy")] = float(_ratio(busy[i], staffed[i]))
        out[(name, "agents_staffed")] = float(staffed[i]) / length
        if result.workforce:  # some group works shifts: paid and overtime hours, shrinkage for all
            out.update({(name, m): v for m, v in group_workforce(result, name, i, absence_paid).items()})
        if name in result.wellbeing:  # burnout-risk indicator (sim.workforce.proficiency)
            out[(name, "time_above_threshold")] = float(result.wellbeing[name])
        if result.outbound and i in result.outbound["groups"]:  # agent time on outbound work (sim.journeys.outbound)
            out[(name, "outbound_utilisation")] = float(_ratio(result.outbound["busy"][inside, i].sum(), staffed[i]))
    return out


def interval_bounds(scenario: Scenario, run: RunSpec) -> list[tuple[float, float]]:
    """Reported intervals ``(start, end)`` in seconds: those starting inside the window (each day's, in a
    multi-day run; the nights are not intervals)."""
    out = []
    for d in range(run.days):
        for k in range(scenario.n_intervals):
            lo = d * DAY_S + k * scenario.interval_s
            if lo >= run.horizon_s:
                break
            if lo + 1e-9 >= run.warmup_s:
                out.append((lo, min(lo + scenario.interval_s, run.horizon_s)))
    return out


def _interval_segments(result: ReplicationResult, scenario: Scenario, run: RunSpec):
    """The reported intervals and the segments inside them: ``(starts, lengths, idx, keep)`` where
    ``keep`` masks the segments inside a reported interval and ``idx`` maps each kept one to it."""
    intervals = interval_bounds(scenario, run)
    seg = result.segments
    starts = np.asarray([lo for lo, _ in intervals], dtype=float)
    lengths = np.asarray([hi - lo for lo, hi in intervals], dtype=float)
    lo, hi = seg.bounds_s[:-1], seg.bounds_s[1:]
    ends = np.asarray([e for _, e in intervals], dtype=float)
    idx = np.searchsorted(starts, lo + 1e-9, side="right") - 1  # segment -> reported interval
    inside = np.zeros(len(lo), dtype=bool)  # not before the first interval, nor in a night
    inside[idx >= 0] = hi[idx >= 0] <= ends[idx[idx >= 0]] + 1e-9
    keep = (lo >= run.warmup_s - 1e-9) & (hi <= run.horizon_s + 1e-9) & (hi > lo) & inside
    return starts, lengths, idx[keep], keep


def _per_interval(values: np.ndarray, idx: np.ndarray, n_int: int) -> np.ndarray:
    """Segment rows of ``values`` summed into their reported intervals (``idx``)."""
    out = np.zeros((n_int, *values.shape[1:]))
    np.add.at(out, idx, values)
    return out


def _interval_labels(scenario: Scenario, starts: np.ndarray) -> np.ndarray:
    return np.asarray([clock_label(scenario.open_time_s + s) for s in starts], dtype=object)


def replication_intervals(result: ReplicationResult, scenario: Scenario, run: RunSpec) -> dict[str, np.ndarray]:
    """Columns of one row per reported interval and channel (then ``live`` in a centre with live and
    deferrable channels, then ``all``, whose :data:`WAIT_METRICS` are then NaN) with :data:`INTERVAL_METRICS`.

    Segments are summed into intervals with one vectorised pass, so the cost
    and memory grow with the number of intervals only, not of contacts.
    """
    starts, lengths, idx, keep = _interval_segments(result, scenario, run)
    n_int, n_ch = len(starts), len(result.channel_names)
    seg = result.segments
    tally = _per_interval(seg.tally[keep], idx, n_int)
    queue = _per_interval(seg.queue_area[keep], idx, n_int)
    busy = np.bincount(idx, weights=seg.busy_area[keep].sum(axis=1), minlength=n_int)
    staffed = np.bincount(idx, weights=seg.staffed_area[keep].sum(axis=1), minlength=n_int)
    last = np.full(n_int, -1)  # each interval's last segment: its backlog is the interval's
    np.maximum.at(last, idx, np.flatnonzero(keep))
    backlog = np.full((n_int, n_ch), math.nan)
    if seg.backlog_end is not None:
        backlog[last >= 0] = seg.backlog_end[last[last >= 0]]
    per_channel = kpis_from_tally(tally, run)  # each (n_int, n_ch)
    centre = kpis_from_tally(tally.sum(axis=1), run)  # each (n_int,)
    live = live_channels(scenario, result.channel_names)
    names = result.channel_names + ((LIVE,) if live is not None else ()) + ("all",)
    n_rows = len(names)
    live_kpis = kpis_from_tally(tally[:, live].sum(axis=1), run) if live is not None else {}  # each (n_int,)
    nan = np.full(n_int, math.nan)
    columns: dict[str, np.ndarray] = {
        "interval_start_s": np.repeat(starts, n_rows),
        "interval": np.repeat(_interval_labels(scenario, starts), n_rows),
        "channel": np.tile(np.asarray(names, dtype=object), n_int),
    }
    for metric in interval_metrics(scenario):
        if metric == "lines_busy":  # time-average busy lines of each channel with lines (sim.journeys.trunk_lines)
            lines = _per_interval(seg.line_area[keep], idx, n_int) / lengths[:, None]
            parts = [lines, nan, nan]
        elif metric == "mean_queue_length":
            parts = [queue / lengths[:, None], queue[:, live].sum(axis=1) / lengths if live is not None else None,
                     queue.sum(axis=1) / lengths]
        elif metric == "backlog":
            parts = [backlog, nan, backlog.sum(axis=1)]
        elif metric == "occupancy":
            parts = [np.full((n_int, n_ch), math.nan), nan, _ratio(busy, staffed)]
        elif metric == "agents_staffed":
            parts = [np.full((n_int, n_ch), math.nan), nan, staffed / lengths]
        else:
            whole = nan if live is not None and metric in WAIT_METRICS else centre[metric]
            parts = [per_channel[metric], live_kpis[metric] if live is not None and metric in LIVE_METRICS else nan,
                     whole]
        if live is None:
            parts[1] = None
        both = np.column_stack([p for p in parts if p is not None])
        columns[metric] = both.reshape(-1)
    return columns


#: Per contact type (``types.csv`` over the window, ``type_intervals.csv`` per interval); a type's
#: service level is judged against its channel's threshold, escalated contacts count in the type
#: they arrived as.
TYPE_METRICS = ("offered", "answered", "abandoned", "service_level", "asa_s", "abandon_rate", "aht_s",
                "escalation_rate")
TYPE_INTERVAL_METRICS = ("offered", "answered", "service_level", "asa_s", "abandon_rate", "aht_s")
#: Per agent group and interval (``group_intervals.csv``).
GROUP_INTERVAL_METRICS = ("occupancy", "agents_staffed")


def replication_types(result: ReplicationResult, run: RunSpec,
                      scenario: Scenario | None = None) -> dict[tuple[str, str], float]:
    """``{(contact type, metric): value}`` of :data:`TYPE_METRICS` (and balking's, :func:`with_balking`)
    over the window."""
    seg = result.segments
    if seg.type_tally is None:
        return {}
    tally = seg.type_tally[_inside(result, run.warmup_s, run.horizon_s)].sum(axis=0)  # (n_types, N_TALLY)
    kpis = kpis_from_tally(tally, run)
    campaigns = result.outbound.get("types", ()) if result.outbound else ()
    out = {(name, metric): float(kpis[metric][i]) for i, name in enumerate(result.type_names) if name not in campaigns
           for metric in with_lines(with_after_call_work(with_balking(TYPE_METRICS, scenario), scenario), scenario)}
    for name in campaigns:  # an outbound campaign: its dialling KPIs instead (sim.journeys.outbound)
        out.update({(name, m): v for m, v in replication_outbound(result, run, [name]).items()
                    if m != "outbound_utilisation"})
    return out


def replication_type_intervals(result: ReplicationResult, scenario: Scenario, run: RunSpec) -> dict[str, np.ndarray]:
    """Columns of one row per reported interval and contact type (with its channel), with
    :data:`TYPE_INTERVAL_METRICS`."""
    starts, _, idx, keep = _interval_segments(result, scenario, run)
    names = result.type_names
    n_int, n_t = len(starts), len(names)
    seg = result.segments
    channels = [scenario.contact_types[name].channel for name in names]
    columns: dict[str, np.ndarray] = {
        "interval_start_s": np.repeat(starts, n_t),
        "interval": np.repeat(_interval_labels(scenario, starts), n_t),
        "contact_type": np.tile(np.asarray(names, dtype=object), n_int),
        "channel": np.tile(np.asarray(channels, dtype=object), n_int),
    }
    metrics = type_interval_metrics(scenario)
    if seg.type_tally is None:
        return {**columns, **{m: np.full(n_int * n_t, math.nan) for m in metrics}}
    kpis = kpis_from_tally(_per_interval(seg.type_tally[keep], idx, n_int), run)  # each (n_int, n_types)
    columns.update({metric: np.asarray(kpis[metric], dtype=float).reshape(-1) for metric in metrics
                    if metric not in OUTBOUND_INTERVAL_METRICS})
    if result.outbound:  # the campaigns' rows (sim.journeys.outbound)
        counts = _per_interval(result.outbound["counts"][keep], idx, n_int)  # (n_int, n_campaigns, N_OUT)
        values = {m: np.full((n_int, n_t), math.nan) for m in OUTBOUND_INTERVAL_METRICS}
        for i, name in enumerate(result.outbound["types"]):
            t = names.index(name)
            c = counts[:, i]
            values["dials"][:, t] = c[:, _O["dials"]]
            values["connects"][:, t] = c[:, _O["connects"]]
            values["right_party_contacts"][:, t] = c[:, _O["right_party"]]
            values["nuisance_rate"][:, t] = _ratio(c[:, _O["nuisance"]], c[:, _O["connects"]])
        columns.update({m: v.reshape(-1) for m, v in values.items()})
    return columns


def replication_group_intervals(result: ReplicationResult, scenario: Scenario,
                                run: RunSpec) -> dict[str, np.ndarray]:
    """Columns of one row per reported interval and agent group: ``occupancy`` (busy / logged-in
    agent-seconds) and ``agents_staffed`` (time-average agents logged in)."""
    starts, lengths, idx, keep = _interval_segments(result, scenario, run)
    names = result.group_names
    n_int, n_g = len(starts), len(names)
    seg = result.segments
    busy = _per_interval(seg.busy_area[keep], idx, n_int)  # (n_int, n_groups)
    staffed = _per_interval(seg.staffed_area[keep], idx, n_int)
    out = {
        "interval_start_s": np.repeat(starts, n_g),
        "interval": np.repeat(_interval_labels(scenario, starts), n_g),
        "group": np.tile(np.asarray(names, dtype=object), n_int),
        "occupancy": _ratio(busy, staffed).reshape(-1),
        "agents_staffed": (staffed / lengths[:, None]).reshape(-1),
    }
    if result.outbound:  # agent time on outbound work (sim.journeys.outbound); NaN for other groups
        share = _ratio(_per_interval(result.outbound["busy"][keep], idx, n_int), staffed)
        share[:, [g for g in range(n_g) if g not in result.outbound["groups"]]] = math.nan
        out["outbound_utilisation"] = share.reshape(-1)
    return out


#: Per site (``sites.csv``, :mod:`sim.journeys.sites`), over the window: ``answered``, contacts the site's
#: agents answered (in their first queue); ``offered``, ``service_level``, ``asa_s`` and ``abandon_rate`` of
#: the contacts whose type is homed at the site, wherever they were answered (in a centre with live and
#: deferrable channels the last three over its live types only, as the ``live`` row); ``routed_out``, those
#: answered by another site's agents, and ``routed_share`` = routed_out / their answered; ``occupancy``
#: and ``agent_hours`` (logged-in hours) of the site's agents.
SITE_METRICS = ("answered", "offered", "service_level", "asa_s", "abandon_rate", "routed_out", "routed_share",
                "occupancy", "agent_hours")
#: With ``scenario.costs``, per site over the whole day: its groups' labour and vendor costs, and their sum.
SITE_COST_METRICS = ("labour_cost", "vendor_cost", "total_cost")


#: Outbound campaigns' KPIs (:mod:`sim.journeys.outbound`): in ``summary.csv`` per channel of the campaigns and
#: ``all`` (``outbound_utilisation`` there only), in ``types.csv`` per campaign; ``groups.csv`` gives each group's
#: ``outbound_utilisation``.
OUTBOUND_METRICS = ("dials", "connects", "connect_rate", "right_party_contacts", "nuisance_calls", "nuisance_rate",
                    "list_completed_share", "list_reached_share", "outbound_utilisation")
_O = {name: i for i, name in enumerate(OUT_FIELDS)}


def replication_outbound(result: ReplicationResult, run: RunSpec,
                         names: list[str] | None = None) -> dict[str, float]:
    """:data:`OUTBOUND_METRICS` over the window, summed over the campaigns ``names`` (default: all) of
    ``result.outbound``: counts of the dials placed in the window; ``nuisance_rate`` = nuisance calls /
    connects; list shares = records closed (right party reached or out of attempts) / reached, over the
    list sizes; ``outbound_utilisation`` = agent-seconds on outbound work / logged-in agent-seconds of
    the groups with outbound skills."""
    ob = result.outbound
    inside = _inside(result, run.warmup_s, run.horizon_s)
    picked = [i for i, t in enumerate(ob["types"]) if names is None or t in names]
    c = ob["counts"][inside][:, picked].sum(axis=(0, 1))
    size = float(sum(ob["list_size"][i] for i in picked))
    groups = list(ob["groups"])
    busy = float(ob["busy"][inside][:, groups].sum())
    staffed = float(result.segments.staffed_area[inside][:, groups].sum())
    return {
        "dials": float(c[_O["dials"]]),
        "connects": float(c[_O["connects"]]),
        "connect_rate": float(_ratio(c[_O["connects"]], c[_O["dials"]])),
        "right_party_contacts": float(c[_O["right_party"]]),
        "nuisance_calls": float(c[_O["nuisance"]]),
        "nuisance_rate": float(_ratio(c[_O["nuisance"]], c[_O["connects"]])),
        "list_completed_share": float(c[_O["records_closed"]]) / size,
        "list_reached_share": float(c[_O["records_reached"]]) / size,
        "outbound_utilisation": float(_ratio(busy, staffed)),
    }


def replication_sites(result: ReplicationResult, scenario: Scenario, run: RunSpec) -> dict[tuple[str, str], float]:
    """``{(site, metric): value}`` of :data:`SITE_METRICS` (and :data:`SITE_COST_METRICS` with costs); empty
    without sites. The sites' ``answered``, ``agent_hours`` and costs add up to the centre's."""
    if not scenario.sites or not result.sites:
        return {}
    seg = result.segments
    inside = _inside(result, run.warmup_s, run.horizon_s)
    type_tally = seg.type_tally[inside].sum(axis=0)  # (n_types, N_TALLY)
    answered = result.sites["answered"][inside].sum(axis=0)  # (n_groups,)
    routed = result.sites["routed"][inside].sum(axis=0)  # (n_types,)
    busy = seg.busy_area[inside].sum(axis=0)
    staffed = seg.staffed_area[inside].sum(axis=0)
    costs = group_costs(result, scenario)
    live = None
    if live_channels(scenario, result.channel_names) is not None:  # by contact type: is its channel live?
        live = [not scenario.channels[scenario.contact_types[t].channel].deferrable for t in result.type_names]
    out: dict[tuple[str, str], float] = {}
    for name, site in scenario.sites.items():
        groups = [result.group_names.index(g) for g in site.groups]
        types = [i for i, t in enumerate(result.type_names) if scenario.contact_types[t].site == name]
        kpis = kpis_from_tally(type_tally[types].sum(axis=0), run)
        if live is not None:  # waits over the live types only, as the centre's ``live`` row
            waits = kpis_from_tally(type_tally[[i for i in types if live[i]]].sum(axis=0), run)
            kpis.update({m: waits[m] for m in ("service_level", "asa_s", "abandon_rate")})
        home_answered = float(kpis["answered"])
        moved = float(routed[types].sum())
        values = {"answered": float(answered[groups].sum()), "offered": float(kpis["offered"]),
                  "service_level": float(kpis["service_level"]), "asa_s": float(kpis["asa_s"]),
                  "abandon_rate": float(kpis["abandon_rate"]), "routed_out": moved,
                  "routed_share": float(_ratio(moved, home_answered)),
                  "occupancy": float(_ratio(busy[groups].sum(), staffed[groups].sum())),
                  "agent_hours": float(staffed[groups].sum()) / 3600.0}
        if costs:
            labour = sum(costs[result.group_names[g]][0] for g in groups)
            vendor = sum(costs[result.group_names[g]][1] for g in groups)
            values.update(labour_cost=labour, vendor_cost=vendor, total_cost=labour + vendor)
        out.update({(name, metric): value for metric, value in values.items()})
    return out


def clock_label(seconds_after_midnight: float) -> str:
    """``30600.0`` -> ``'08:30'`` (days roll over past 24:00 as ``+1d``)."""
    total = int(round(seconds_after_midnight))
    days, rest = divmod(total, 86400)
    label = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return label if days == 0 else f"{label}+{days}d"
