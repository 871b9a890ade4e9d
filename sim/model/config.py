"""The configuration schema, assembled: a scenario and how to run it, typed, frozen, validated.

Each part of the schema lives beside the code it configures: distributions in
:mod:`sim.engine.distributions`; channels, arrivals, escalation, routing and traces in
:mod:`sim.engine.config`; the journeys (self-service, retrials, repeats, callbacks,
overflow, VIP, deferrable work, concurrency) in :mod:`sim.journeys.config` and the
CX proxies in :mod:`sim.journeys.cx`; shifts, rosters, shrinkage and costs in
:mod:`sim.workforce.config`, agents who differ in :mod:`sim.workforce.proficiency`.
This module assembles them into contact types, agent groups and a
:class:`Scenario`, checks what spans parts (escalation and overflow targets,
skills, hours inside the opening hours, per-agent concurrency), reads the run
settings (:class:`RunSpec`) and lists every allowed key (:data:`SCHEMA`).

Hydra composes YAML into a plain mapping; :func:`load_config` turns that mapping
into a :class:`SimConfig` made of frozen dataclasses, or raises
:class:`~sim.engine.errors.ConfigError` naming the key path and what was expected.  The
model never sees Hydra: a test or notebook can build a :class:`SimConfig`
directly or from a dict.

Units: seconds inside the model.  Config keys carry their unit in the name
(``mean_s``, ``rate_per_hour``, ``interval_minutes``, ``warmup_hours``).  Tables
given per interval (arrival rates, staffing) have one value per interval of the
opening hours, or a single number that holds for every interval.

Two scenario forms share one model: the general centre (channels, contact types,
agent groups, routing) and the ``single_queue`` preset (one phone queue with
Erlang-style keys), which :func:`single_queue_scenario` expands into the general
form so that both run through the same code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from sim.engine.arrivals import DAY_S
from sim.engine.checks import (boolean, check_keys, choice, clock, integer, join, keyed, mapping, number, probability,
                               show, table)
from sim.engine.config import (AGENT_SELECTIONS, ARRIVAL_KEYS, CHANNEL_KEYS, ESCALATION_KEYS, QUEUE_SELECTIONS,
                               ROUTING_KEYS, ChannelSpec, EscalationSpec, RoutingSpec, parse_arrivals, parse_channel,
                               parse_arrival_scale, parse_day_pattern, parse_escalation, parse_routing,
                               parse_trace)
from sim.engine.distributions import DISTRIBUTION_KEYS, DISTRIBUTION_KINDS, Distribution, parse_distribution
from sim.engine.errors import ConfigError
from sim.engine.options import LIMITS
from sim.journeys.config import BALKING_KEYS, BalkingSpec, parse_balking
from sim.journeys.config import (DESTINATION_KEYS, TRANSFER_KEYS, WARM_KEYS, TransferSpec, check_transfer_graph,
                                 parse_transfers)
from sim.journeys.config import CONDITION_KEYS, ConditionSpec, check_routing_rules, parse_conditions
from sim.journeys.config import SITE_KEYS, SiteSpec, parse_sites
from sim.journeys.config import (BLENDING_KEYS, OUTBOUND_ATTEMPT_KEYS, OUTBOUND_KEYS, OUTBOUND_WINDOW_KEYS, PACING_KEYS,
                                 BlendingSpec, OutboundSpec, parse_blending, parse_outbound)
from sim.journeys.config import (CALLBACK_KEYS, CONCURRENCY_KEYS, DEFERRABLE_KEYS, HOURS_KEYS, OVERFLOW_KEYS,
                                 REPEAT_KEYS, RETRIAL_KEYS, SELF_SERVICE_KEYS, VIP_KEYS, CallbackSpec, ConcurrencySpec,
                                 DeferrableSpec, OverflowSpec, RepeatSpec, RetrialSpec, SelfServiceSpec, VipSpec,
                                 check_targets, parse_callback, parse_concurrency, parse_deferrable, parse_overflow,
                                 parse_repeat, parse_retrial, parse_self_service, parse_vip)
from sim.journeys.cx import CX_KEYS, CxSpec, parse_cx
from sim.model.metrics import LIVE, LIVE_METRICS, WAIT_METRICS
from sim.workforce.config import (BLOCK_KEYS, BREAK_KEYS, COST_KEYS, SHIFT_KEYS, SHRINKAGE_KEYS, UNAVAILABILITY_KEYS,
                                  Costs, Shift, Shrinkage, check_agent_concurrency, parse_costs, parse_shifts,
                                  parse_shrinkage, read_roster)
from sim.workforce.proficiency import (FATIGUE_KEYS, LEARNING_KEYS, LEVEL_KEYS, FatigueSpec, LearningSpec,
                                       SkillLevels, parse_fatigue, parse_group_levels, parse_learning,
                                       parse_proficiency, parse_skill_levels)

__all__ = [
    "Distribution",
    "ChannelSpec",
    "EscalationSpec",
    "ContactTypeSpec",
    "AgentGroupSpec",
    "ConcurrencySpec",
    "RoutingSpec",
    "Scenario",
    "RunSpec",
    "SimConfig",
    "load_config",
    "parse_scenario",
    "parse_run",
    "single_queue_scenario",
    "DISTRIBUTION_KINDS",
    "AGENT_SELECTIONS",
    "QUEUE_SELECTIONS",
    "SERVICE_LEVEL_VARIANTS",
    "SCHEMA",
    "RUN_LIMITS",
]

SERVICE_LEVEL_VARIANTS = ("offered", "answered", "offered_excl_short_abandons")
EXECUTORS = ("processes", "dask")  # run.executor (sim/experiments/executors.py)

# The keys allowed at each level of the config (docs/configuration.md documents each one).
TOP_KEYS = ("scenario", "run", "state")
RUN_KEYS = ("replications", "seed", "days", "warmup_hours", "horizon_hours", "confidence", "drain", "workers",
            "save_contacts", "figures", "service_level_variant", "short_abandon_s", "target_half_width",
            "target_metric", "max_replications", "executor", "scheduler_address", "allow_large")
CENTRE_KEYS = ("name", "preset", "open_time", "close_time", "interval_minutes", "channels",
               "contact_types", "agent_groups", "routing", "trace", "busyness_cv", "roster", "costs", "cx",
               "volume_scale", "skill_levels", "sites")
SINGLE_QUEUE_KEYS = ("name", "preset", "arrival_rate_per_hour", "mean_handle_time_s", "agents",
                     "mean_patience_s", "queue_capacity", "service_level_threshold_s",
                     "service_level_target", "interval_minutes", "trace", "busyness_cv")
CONTACT_TYPE_KEYS = ("channel", "arrivals", "handle_time", "handle_time_by_group", "after_call_work",
                     "after_call_work_by_group", "patience",
                     "priority", "queue_capacity", "escalation", "self_service", "retrial", "repeat",
                     "callback", "overflow", "vip", "deferrable", "balking", "transfers", "site", "outbound")
AGENT_GROUP_KEYS = ("skills", "staffing", "staffing_scale", "staffing_delta", "shifts", "shrinkage", "proficiency",
                    "learning", "fatigue", "concurrency", "skill_levels", "conditions", "later_skills_after_s",
                    "blending")

#: key path pattern -> allowed keys; ``<name>`` stands for a user-chosen name.
SCHEMA: dict[str, tuple[str, ...]] = {
    "run": RUN_KEYS,
    "scenario (preset: centre)": CENTRE_KEYS,
    "scenario (preset: single_queue)": SINGLE_QUEUE_KEYS,
    "scenario.channels.<channel>": CHANNEL_KEYS,
    "scenario.contact_types.<type>": CONTACT_TYPE_KEYS,
    "scenario.contact_types.<type>.arrivals": ARRIVAL_KEYS,
    "scenario.contact_types.<type>.escalation": ESCALATION_KEYS,
    "scenario.contact_types.<type>.transfers": TRANSFER_KEYS,
    "scenario.contact_types.<type>.transfers.destinations[]": DESTINATION_KEYS,
    "scenario.contact_types.<type>.transfers.destinations[].warm": WARM_KEYS,
    "scenario.contact_types.<type>.self_service": SELF_SERVICE_KEYS,
    "scenario.contact_types.<type>.retrial": RETRIAL_KEYS,
    "scenario.contact_types.<type>.repeat": REPEAT_KEYS,
    "scenario.contact_types.<type>.callback": CALLBACK_KEYS,
    "scenario.contact_types.<type>.overflow": OVERFLOW_KEYS,
    "scenario.contact_types.<type>.vip": VIP_KEYS,
    "scenario.contact_types.<type>.deferrable": DEFERRABLE_KEYS,
    "scenario.contact_types.<type>.deferrable.hours": HOURS_KEYS,
    "scenario.contact_types.<type>.balking": BALKING_KEYS,
    "scenario.contact_types.<type>.outbound": OUTBOUND_KEYS,
    "scenario.contact_types.<type>.outbound.window": OUTBOUND_WINDOW_KEYS,
    "scenario.contact_types.<type>.outbound.attempts": OUTBOUND_ATTEMPT_KEYS,
    "scenario.contact_types.<type>.outbound.pacing": PACING_KEYS,
    "<distribution>": DISTRIBUTION_KEYS,
    "scenario.agent_groups.<group>": AGENT_GROUP_KEYS,
    "scenario.agent_groups.<group>.shifts[]": SHIFT_KEYS,
    "scenario.agent_groups.<group>.shifts[].breaks[]": BREAK_KEYS,
    "scenario.agent_groups.<group>.shrinkage": SHRINKAGE_KEYS,
    "scenario.agent_groups.<group>.shrinkage.unavailability": UNAVAILABILITY_KEYS,
    "scenario.agent_groups.<group>.shrinkage.blocks[]": BLOCK_KEYS,
    "scenario.agent_groups.<group>.learning": LEARNING_KEYS,
    "scenario.agent_groups.<group>.fatigue": FATIGUE_KEYS,
    "scenario.skill_levels.<level>": LEVEL_KEYS,
    "scenario.costs": COST_KEYS,
    "scenario.agent_groups.<group>.concurrency": CONCURRENCY_KEYS,
    "scenario.agent_groups.<group>.conditions.<type>": CONDITION_KEYS,
    "scenario.agent_groups.<group>.blending": BLENDING_KEYS,
    "scenario.routing": ROUTING_KEYS,
    "scenario.cx": CX_KEYS,
    "scenario.sites.<site>": SITE_KEYS,
}


# --------------------------------------------------------------------- limits

#: Ceilings on the work one run may ask for: each is a size that memory or time grows with, so a
#: typo (``run.replications=1e9``) is refused instead of exhausting the machine. ``run.allow_large:
#: true`` lifts them all (docs/reference/limits.md). ``days`` also bounds the single_queue preset's
#: ``run.horizon_hours`` (366 x 24 h); ``agents`` holds per agent group, in any interval and over its
#: shifts or roster rows; ``rate_per_hour`` per contact type and interval, after every scale and day factor.
RUN_LIMITS: dict[str, float] = {
    "replications": LIMITS["replications"],  # run.replications and run.max_replications
    "workers": 1_024,  # run.workers (processes)
    "days": 366,  # run.days
    "intervals": 100_000,  # intervals of the scenario's tables
    "agents": LIMITS["agents"],
    "rate_per_hour": LIMITS["rate_per_hour"],
}
#: What a message about a limit says to do.
RAISE_LIMIT = "set run.allow_large=true to raise the limit"


def _plain(value: float) -> str:
    """A number as typed: whole numbers without a decimal point (``1000000000``), others as ``%g``."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e18 else f"{value:g}"


def _amount(value: float) -> str:
    """A derived number for a message: ``148,760,331`` (whole, thousands separated), or ``3e+306``."""
    return f"{value:,.0f}" if abs(value) < 1e15 else f"{float(value):.3g}"


def _within(value: float, key: str, path: str, allow_large: bool, *, unit: str = "", found: str | None = None) -> None:
    """Raise :class:`ConfigError` at ``path`` when ``value`` is above ``RUN_LIMITS[key]``, unless
    ``allow_large``. ``found`` words a value derived from other keys (``gives ... in interval 3``)."""
    limit = RUN_LIMITS[key]
    if allow_large or value <= limit:
        return
    unit = f" {unit}" if unit else ""
    head = f"{found}, above" if found is not None else f"{_plain(value)}{unit} is above"
    raise ConfigError(path, f"{head} the {limit:,.0f}{unit} allowed ({RAISE_LIMIT})")


def _interval_label(open_s: float, interval_s: float, k: int) -> str:
    """``interval 3 (09:30)``: interval ``k`` and the clock time it starts at."""
    hh, mm = divmod(int(round((open_s + k * interval_s) / 60)), 60)
    return f"interval {k} ({hh % 24:02d}:{mm:02d})"


# --------------------------------------------------------------------- schema




@dataclass(frozen=True)
class ContactTypeSpec:
    """A kind of contact on one channel, with its own queue.

    ``rate_per_hour`` has one arrival rate per interval, or is ``None`` for a queue
    that only receives transfers (escalations).  ``patience`` ``None`` means the
    customer never abandons.  Higher ``priority`` is served first under
    ``priority_fcfs`` routing.  ``queue_capacity`` ``None`` is unlimited; arrivals
    finding that many contacts waiting are blocked.  ``self_service``,
    ``retrial`` and ``repeat`` (:mod:`sim.journeys.config`; ``None`` = off): a
    bot stage before the queue, retrials of abandoned or blocked customers,
    repeat contacts of unresolved issues; ``callback``: callbacks offered when
    the predicted wait is long; ``overflow``: other groups after a wait;
    ``vip``: a priority class of its arrivals; ``deferrable``: a reserve of
    agents kept for live work; ``balking``: arrivals that would wait may leave at once.  Over the days of a run (:mod:`sim.workforce.days`):
    ``day_factors`` multiply the rates of day ``d`` by ``day_factors[d mod
    len]`` (a weekly pattern; ``()`` = 1), ``overnight_volume`` contacts
    arrive, Poisson and uniformly, in each night between two days (times the
    factor of the day before it).  ``after_call_work`` (``None`` = none) and
    ``after_call_work_by_group`` (per agent group, instead of it): the agent's
    wrap-up after each service of this type (:mod:`sim.journeys.after_call_work`).
    ``transfers`` (``None`` = only ``escalation``, if any): where a contact goes after a service of
    this type, a graph over the contact types (:mod:`sim.journeys.transfers`).
    """

    name: str
    channel: str
    rate_per_hour: tuple[float, ...] | None
    handle_time: Distribution
    handle_time_by_group: Mapping[str, Distribution] = field(default_factory=dict)
    patience: Distribution | None = None
    priority: int = 0
    queue_capacity: int | None = None
    escalation: EscalationSpec | None = None
    self_service: SelfServiceSpec | None = None
    retrial: RetrialSpec | None = None
    repeat: RepeatSpec | None = None
    callback: CallbackSpec | None = None
    overflow: OverflowSpec | None = None
    vip: VipSpec | None = None
    deferrable: DeferrableSpec | None = None
    balking: BalkingSpec | None = None
    day_factors: tuple[float, ...] = ()
    overnight_volume: float = 0.0
    after_call_work: Distribution | None = None  # wrap-up after each service (sim.journeys.after_call_work)
    after_call_work_by_group: Mapping[str, Distribution] = field(default_factory=dict)
    transfers: TransferSpec | None = None  # destinations after a service (sim.journeys.transfers)
    site: str | None = None  # home site (sim.journeys.sites); None without scenario.sites
    outbound: OutboundSpec | None = None  # an outbound campaign's calling list (sim.journeys.outbound); None: inbound



@dataclass(frozen=True)
class AgentGroupSpec:
    """Agents who share skills and a staffing table.

    ``skills`` lists contact types in the group's order of preference.
    ``staffing`` has the number of agents logged in for each interval.
    ``concurrency`` (``None`` = one contact at a time): agents hold several.
    ``conditions``: contact type -> when the group takes it (staged routing, :mod:`sim.journeys.conditions`;
    ``later_skills_after_s``, if given, is already folded in as ``after_s`` of the later skills).
    """

    name: str
    skills: tuple[str, ...]
    staffing: tuple[int, ...]
    shifts: tuple[Shift, ...] = ()  # when set, agents on duty follow these (sim.workforce.duty); staffing = the plan
    shrinkage: Shrinkage | None = None
    proficiency: Mapping[str, float] = field(default_factory=dict)  # contact type -> handle-time multiplier
    learning: LearningSpec | None = None  # new hires (sim.workforce.proficiency)
    fatigue: FatigueSpec | None = None
    concurrency: ConcurrencySpec | None = None
    skill_levels: Mapping[str, int] | None = None  # contact type -> 1 (expert) .. 3 (novice); None: not given
    conditions: Mapping[str, ConditionSpec] = field(default_factory=dict)
    later_skills_after_s: float | None = None
    blending: BlendingSpec | None = None  # when its agents take outbound work (sim.journeys.outbound)

    @property
    def pool_sizes(self) -> tuple[int, ...]:
        """Contacts an agent holds at once, per pool of interchangeable agents (:mod:`sim.workforce.duty`): the
        group's own concurrency (1 without a block) first, then the shifts' overrides, increasing."""
        own = self.concurrency.max if self.concurrency is not None else 1
        return (own, *sorted({s.concurrency for s in self.shifts} - {None, own}))



@dataclass(frozen=True)
class Scenario:
    """A contact centre over one period of opening hours, in intervals.

    ``open_time_s`` is the clock time (seconds after midnight) of simulation time
    0, used only for labels.  ``trace`` is a CSV to replay instead of sampling
    arrivals.  ``busyness_cv`` (forecast uncertainty): each simulated day of a
    replication multiplies all arrival rates by one gamma factor with mean 1 and
    this coefficient of variation (0 = rates as given; ignored by trace replay).
    """

    name: str
    open_time_s: float
    interval_s: float
    n_intervals: int
    channels: Mapping[str, ChannelSpec]
    contact_types: Mapping[str, ContactTypeSpec]
    agent_groups: Mapping[str, AgentGroupSpec]
    routing: RoutingSpec = RoutingSpec()
    trace: Path | None = None
    busyness_cv: float = 0.0
    roster: Path | None = None
    costs: Costs | None = None
    cx: CxSpec | None = None  # customer-experience proxies (sim.journeys.cx); None = off
    skill_levels: SkillLevels | None = None  # skill levels (sim.workforce.proficiency); None = off
    daily: bool = True  # the tables cover a day's opening hours (False: the single_queue preset's horizon)
    sites: Mapping[str, SiteSpec] = field(default_factory=dict)  # {} = one site (sim.journeys.sites)

    @property
    def length_s(self) -> float:
        """Opening hours covered by the interval tables, in seconds."""
        return self.interval_s * self.n_intervals


@dataclass(frozen=True)
class RunSpec:
    """How to run a scenario: replications, seed, statistics window, outputs.

    ``days``: the scenario's opening hours repeated over that many days (a multi-day
    run: day ``d`` opens at ``d x 86400`` s, the horizon is the last day's close;
    :data:`DAY_S`).  Contacts arriving in ``[warmup_s, horizon_s)`` are measured.  With ``drain``
    the centre stays open after the horizon, without new arrivals, until every
    contact has left; without it, contacts still there at the horizon are
    counted as ``in_system``.  ``workers`` processes run replications in
    parallel (0 = one per CPU core); the numbers do not depend on it, nor on
    ``executor`` (``processes``, or ``dask``: a local Dask cluster, or the one at
    ``scheduler_address``; :mod:`sim.experiments.executors`).

    ``warmup_auto`` (config ``warmup_hours: auto``): the warm-up is to be detected
    by MSER-5 on pilot replications (:func:`sim.experiments.sequential.resolve_warmup`);
    ``warmup_s`` stays 0 until then.  ``target_half_width`` (``None`` = off):
    add replications, ``run.replications`` at first, until the confidence
    interval of ``target_metric`` (``"channel.metric"``) is at most that wide on
    each side, or ``max_replications`` are done (:func:`sim.experiments.sequential.run_until_precise`).
    In a centre with live and deferrable channels ``all.<wait metric>`` is read as ``live.<wait metric>``
    (:data:`sim.model.metrics.WAIT_METRICS` are reported over the live channels only).
    ``allow_large``: the ceilings of :data:`RUN_LIMITS` are not enforced.
    """

    replications: int = 10
    seed: int = 12345
    days: int = 1
    warmup_s: float = 0.0
    horizon_s: float | None = None
    confidence: float = 0.95
    drain: bool = True
    workers: int = 1
    save_contacts: bool = False
    figures: bool = True
    service_level_variant: str = "offered"
    short_abandon_s: float = 5.0
    warmup_auto: bool = False
    target_half_width: float | None = None
    target_metric: str = "all.service_level"
    max_replications: int = 200
    executor: str = "processes"
    scheduler_address: str | None = None
    allow_large: bool = False

    @property
    def day_open_s(self) -> float:
        """Opening hours of each day (s): the horizon of a one-day run, the last day's span otherwise."""
        return self.horizon_s - (self.days - 1) * DAY_S

    def open_seconds(self, start: float, end: float) -> float:
        """Seconds of opening hours in ``[start, end)`` (a one-day run: ``end - start``)."""
        if self.days == 1:
            return end - start
        length = self.day_open_s
        return sum(max(0.0, min(end, d * DAY_S + length) - max(start, d * DAY_S)) for d in range(self.days))

    @property
    def target(self) -> tuple[str, str]:
        """``target_metric`` as ``(channel, metric)``."""
        channel, _, metric = self.target_metric.rpartition(".")
        return channel, metric


@dataclass(frozen=True)
class SimConfig:
    """A scenario and how to run it.  ``run.horizon_s`` is always resolved.  ``state``
    (:class:`sim.model.state.State`, ``None`` = an empty centre at opening): run the rest of the day
    from it; ``run.warmup_s`` is then the state's time."""

    scenario: Scenario
    run: RunSpec
    state: Any = None


# --------------------------------------------------------------- distributions



# -------------------------------------------------------------------- scenario

def parse_scenario(raw: Any, path: str = "scenario", horizon_s: float | None = None, *,
                   allow_large: bool = False) -> Scenario:
    """A scenario mapping (either form) -> :class:`Scenario`; ``allow_large`` lifts :data:`RUN_LIMITS`."""
    spec = mapping(raw, path)
    preset = spec.get("preset", "centre")
    if preset == "single_queue":
        return _parse_single_queue(spec, path, horizon_s, allow_large=allow_large)
    if preset != "centre":
        raise ConfigError(join(path, "preset"), f"expected one of centre, single_queue, got {show(preset)}")
    check_keys(spec, path, CENTRE_KEYS,
                required=("open_time", "close_time", "interval_minutes", "channels", "contact_types", "agent_groups"))
    open_s = clock(spec["open_time"], join(path, "open_time"))
    close_s = clock(spec["close_time"], join(path, "close_time"))
    interval_s = 60.0 * number(spec["interval_minutes"], join(path, "interval_minutes"), positive=True, unit="minutes")
    if close_s <= open_s:
        raise ConfigError(join(path, "close_time"), f"expected a time after open_time {spec['open_time']}, got {show(spec['close_time'])}")
    n_float = (close_s - open_s) / interval_s
    if abs(n_float - round(n_float)) > 1e-9:
        raise ConfigError(join(path, "interval_minutes"),
                          f"expected a divisor of the opening hours ({(close_s - open_s) / 60:g} min), got {interval_s / 60:g}")
    n = int(round(n_float))
    _within(n, "intervals", join(path, "interval_minutes"), allow_large,
            found=f"gives {n} intervals over the opening hours")

    channels_raw = mapping(spec["channels"], join(path, "channels"))
    if not channels_raw:
        raise ConfigError(join(path, "channels"), "expected at least one channel")
    channels = {name: parse_channel(name, v, f"{path}.channels.{name}") for name, v in channels_raw.items()}

    types_raw = mapping(spec["contact_types"], join(path, "contact_types"))
    if not types_raw:
        raise ConfigError(join(path, "contact_types"), "expected at least one contact type")
    groups_raw = mapping(spec["agent_groups"], join(path, "agent_groups"))
    if not groups_raw:
        raise ConfigError(join(path, "agent_groups"), "expected at least one agent group")
    group_names = tuple(str(g) for g in groups_raw)
    volume_scale = number(spec.get("volume_scale", 1.0), join(path, "volume_scale"), unit="times the arrivals")
    if volume_scale != 1.0 and spec.get("trace") is not None:
        raise ConfigError(join(path, "volume_scale"), "does not apply to a trace (its contacts are replayed as they "
                                                      "are); remove it or the trace")
    contact_types = {name: _parse_contact_type(name, v, f"{path}.contact_types.{name}", n, interval_s, channels,
                                               group_names, volume_scale, open_s=open_s, allow_large=allow_large,
                                               scale_path=join(path, "volume_scale"))
                     for name, v in types_raw.items()}
    for name, ct in contact_types.items():
        if ct.escalation is not None:
            where = f"{path}.contact_types.{name}.escalation.to"
            if ct.escalation.to not in contact_types:
                raise ConfigError(where, f"expected a contact type ({', '.join(contact_types)}), got {show(ct.escalation.to)}")
            if ct.escalation.to == name:
                raise ConfigError(where, "a contact type cannot escalate to itself")
    check_targets(contact_types, join(path, "contact_types"))
    _check_outbound_targets(contact_types, path)
    check_transfer_graph(contact_types, join(path, "contact_types"))
    for name, ct in contact_types.items():
        hours = ct.deferrable.hours if ct.deferrable is not None else None
        if hours is not None and (hours[0] < open_s - 1e-9 or hours[1] > close_s + 1e-9):
            raise ConfigError(f"{path}.contact_types.{name}.deferrable.hours",
                              f"expected hours inside the opening hours {spec['open_time']}-{spec['close_time']}")
        if ct.deferrable is not None and channels[ct.channel].service_level_threshold_s <= 0:
            raise ConfigError(f"{path}.channels.{ct.channel}.service_level_threshold_s",
                              f"expected a response-time target > 0 s for deferrable work (contact type {name}), "
                              f"e.g. 86400 for 24 h, got 0")
    overflow_only = {g for ct in contact_types.values() if ct.overflow is not None for g in ct.overflow.groups}
    roster_path, rostered = _parse_roster(spec.get("roster"), join(path, "roster"), groups_raw, contact_types,
                                          open_s, close_s)
    groups = {name: _parse_group(name, v, f"{path}.agent_groups.{name}", n, contact_types, open_s, close_s,
                                 interval_s, rostered.get(str(name), ()), name in overflow_only,
                                 allow_large=allow_large, roster_path=join(path, "roster"))
              for name, v in groups_raw.items()}
    for name, ct in contact_types.items():
        for i, group in enumerate(ct.overflow.groups if ct.overflow is not None else ()):
            if name in groups[group].skills:
                raise ConfigError(f"{path}.contact_types.{name}.overflow.groups[{i}]",
                                  f"agent group {show(group)} already serves {name}; overflow goes to other groups")
    for name in contact_types:
        if not any(name in g.skills for g in groups.values()):
            raise ConfigError(f"{path}.contact_types.{name}", "no agent group has this contact type among its skills")
    routing = parse_routing(spec.get("routing", {}), join(path, "routing"), tuple(contact_types), tuple(groups))
    costs = parse_costs(spec.get("costs"), join(path, "costs"), tuple(groups), tuple(channels))
    sites = parse_sites(spec.get("sites"), join(path, "sites"), tuple(groups))
    contact_types, costs = _place_sites(sites, contact_types, groups, costs, path)
    levels = _skill_levels(spec.get("skill_levels"), join(path, "skill_levels"), groups, contact_types, path)
    check_routing_rules(contact_types, groups, routing.agent_selection, path)
    return Scenario(
        name=scenario_name(spec.get("name", "centre"), join(path, "name")), open_time_s=open_s, interval_s=interval_s, n_intervals=n,
        channels=channels, contact_types=contact_types, agent_groups=groups, routing=routing,
        trace=parse_trace(spec.get("trace"), join(path, "trace"), inbound_types(contact_types)),
        busyness_cv=_busyness_cv(spec, path), roster=roster_path,
        costs=costs, cx=parse_cx(spec.get("cx"), join(path, "cx")), skill_levels=levels, sites=sites,
    )


def inbound_types(contact_types: Mapping[str, ContactTypeSpec]) -> dict[str, ContactTypeSpec]:
    """The contact types that arrive (all but outbound campaigns, whose contacts are dials): those a trace names."""
    return {name: ct for name, ct in contact_types.items() if ct.outbound is None}


def _check_outbound_targets(contact_types: Mapping[str, ContactTypeSpec], path: str) -> None:
    """No contact reaches an outbound type's queue (escalation, transfer, retrial switch, repeat contact):
    its contacts are the campaign's dials."""
    for name, ct in contact_types.items():
        targets = [("escalation.to", ct.escalation.to if ct.escalation is not None else None),
                   ("retrial.switch_to", ct.retrial.switch_to if ct.retrial is not None else None),
                   ("repeat.to", ct.repeat.to if ct.repeat is not None else None)]
        targets += [(f"transfers.destinations[{i}].to", d.to)
                    for i, d in enumerate(ct.transfers.destinations if ct.transfers is not None else ())]
        for key, target in targets:
            if target is not None and target in contact_types and contact_types[target].outbound is not None:
                raise ConfigError(f"{path}.contact_types.{name}.{key}", f"{target} is an outbound campaign (its "
                                                                        f"contacts are dials); expected an inbound type")


def _reachable(name: str, contact_types: Mapping[str, ContactTypeSpec]) -> list[str]:
    """``name`` and every contact type a contact of it can be escalated or transferred to, in order found."""
    out = [name]
    for t in out:
        ct = contact_types[t]
        nexts = ([ct.escalation.to] if ct.escalation is not None else []) + (
            [d.to for d in ct.transfers.destinations] if ct.transfers is not None else [])
        out += [n for n in nexts if n not in out]
    return out


def _skill_levels(raw: Any, where: str, groups: Mapping[str, AgentGroupSpec],
                  contact_types: Mapping[str, ContactTypeSpec], path: str) -> SkillLevels | None:
    """The scenario's skill levels (``None`` when neither the table nor any group's ``skill_levels`` is
    given), checked: a level's ``repeat_factor`` may not raise a repeat probability above 1 for a service
    that can end an issue of the type (a group serving it or a type it is escalated or transferred to, or overflowing)."""
    given = {g: spec.skill_levels for g, spec in groups.items() if spec.skill_levels is not None}
    if raw is None and not given:
        return None
    levels = SkillLevels(parse_skill_levels(raw, where), given)
    for name, ct in contact_types.items():
        rule = ct.repeat
        if rule is None:
            continue
        served = _reachable(name, contact_types)
        for served_type in served:
            overflow = contact_types[served_type].overflow
            for g, spec in groups.items():
                if served_type not in spec.skills and (overflow is None or g not in overflow.groups):
                    continue
                level = levels.level(g, served_type)
                factor = levels.table[level].repeat_factor
                base = rule.probability_by_group.get(g, rule.probability)
                if base * factor > 1.0:
                    listed = served_type in given.get(g, {})
                    at = (f"{path}.agent_groups.{g}.skill_levels.{served_type}" if listed
                          else f"{where}.{level}.repeat_factor")
                    raise ConfigError(at, f"level {level} (repeat_factor {factor:g}) makes the repeat probability of "
                                          f"{name} after a service of {served_type} by {g} {base:g} x {factor:g} = "
                                          f"{base * factor:g}; expected at most 1 (lower the factor or the "
                                          f"repeat probability)")
    for name, ct in contact_types.items():  # transfer_factor: escalation and transfer probabilities per group
        dests = (((ct.escalation.probability, {}),) if ct.escalation is not None else
                 tuple((d.probability, d.probability_by_group) for d in ct.transfers.destinations)
                 if ct.transfers is not None else ())
        overflow = ct.overflow
        for g, spec in groups.items() if dests else ():
            if name not in spec.skills and (overflow is None or g not in overflow.groups):
                continue
            level = levels.level(g, name)
            factor = levels.table[level].transfer_factor
            base = sum(by_group.get(g, p) for p, by_group in dests)
            if base * factor > 1.0 + 1e-12:
                listed = name in given.get(g, {})
                at = f"{path}.agent_groups.{g}.skill_levels.{name}" if listed else f"{where}.{level}.transfer_factor"
                raise ConfigError(at, f"level {level} (transfer_factor {factor:g}) makes the escalation and transfer "
                                      f"probabilities of {name} after a service by {g} sum to {base:g} x {factor:g} = "
                                      f"{base * factor:g}; expected at most 1 (lower the factor or the probabilities)")
    return levels


def _place_sites(sites: Mapping[str, SiteSpec], contact_types: dict[str, ContactTypeSpec],
                 groups: Mapping[str, AgentGroupSpec], costs: Costs | None,
                 path: str) -> tuple[dict[str, ContactTypeSpec], Costs | None]:
    """Each contact type's home site (its ``site``, else the site of the first agent group with the skill),
    every site with agents, and the vendor sites' prices folded into ``costs.per_contact``."""
    for name, ct in contact_types.items():
        if ct.site is not None and not sites:
            raise ConfigError(f"{path}.contact_types.{name}.site", "only used with scenario.sites (no sites are given)")
    if not sites:
        return contact_types, costs
    site_of = {g: s.name for s in sites.values() for g in s.groups}
    for site in sites.values():
        if not any(any(groups[g].staffing) for g in site.groups):
            raise ConfigError(f"{path}.sites.{site.name}", f"has no agents: its agent groups ({', '.join(site.groups)}) "
                                                           f"have staffing 0 in every interval")
    placed = {}
    for name, ct in contact_types.items():
        home = ct.site
        if home is None:
            home = next(site_of[g] for g, spec in groups.items() if name in spec.skills)
        elif home not in sites:
            raise ConfigError(f"{path}.contact_types.{name}.site",
                              f"expected one of the sites ({', '.join(sites)}), got {show(home)}")
        placed[name] = replace(ct, site=home)
    priced = {g: s for s in sites.values() if s.price_per_contact is not None for g in s.groups}
    if priced:
        site = next(iter(priced.values()))
        if costs is None:
            raise ConfigError(f"{path}.sites.{site.name}.price_per_contact",
                              "needs scenario.costs (wage_per_hour for every agent group; 0 for a vendor's) to be "
                              "reported; add scenario.costs or remove the price")
        for g in costs.per_contact:
            if g in priced:
                raise ConfigError(f"{path}.costs.per_contact.{g}", f"agent group {g} is priced by its site "
                                                                   f"{priced[g].name} (price_per_contact); keep one")
        costs = replace(costs, per_contact={**costs.per_contact,
                                            **{g: s.price_per_contact for g, s in priced.items()}})
    return placed, costs


def _busyness_cv(spec: Mapping[str, Any], path: str) -> float:
    """``busyness_cv``: CV of the day-level busyness factor, >= 0 (0 = none)."""
    return number(spec.get("busyness_cv", 0.0), join(path, "busyness_cv"))



def _parse_contact_type(name: str, raw: Any, path: str, n: int, interval_s: float, channels: Mapping[str, ChannelSpec],
                        group_names: tuple[str, ...], volume_scale: float = 1.0, *, open_s: float = 0.0,
                        allow_large: bool = False, scale_path: str = "scenario.volume_scale") -> ContactTypeSpec:
    spec = mapping(raw, path)
    check_keys(spec, path, CONTACT_TYPE_KEYS, required=("channel", "handle_time"))
    channel = spec["channel"]
    if channel not in channels:
        raise ConfigError(join(path, "channel"), f"expected one of the channels ({', '.join(channels)}), got {show(channel)}")
    rates = parse_arrivals(spec.get("arrivals"), join(path, "arrivals"), n, interval_s)
    day_factors, overnight = parse_day_pattern(spec.get("arrivals"), join(path, "arrivals"))
    own_scale = parse_arrival_scale(spec.get("arrivals"), join(path, "arrivals"))
    factor = volume_scale * own_scale
    _check_arrivals(spec.get("arrivals"), join(path, "arrivals"), rates, factor, day_factors, overnight,
                    scale_path if own_scale == 1.0 else join(path, "arrivals.scale"), open_s, interval_s, allow_large)
    if factor != 1.0:  # relative volume: the rates, and the contacts of each night, times the factor
        rates = None if rates is None else tuple(r * factor for r in rates)
        overnight *= factor
    by_group = keyed(spec.get("handle_time_by_group"), join(path, "handle_time_by_group"), group_names,
                     "an agent group", parse_distribution)
    patience = spec.get("patience")
    escalation = parse_escalation(spec.get("escalation"), join(path, "escalation"))
    capacity = spec.get("queue_capacity")
    priority = integer(spec.get("priority", 0), join(path, "priority"), minimum=-1_000_000)
    site = spec.get("site")
    if site is not None and not isinstance(site, str):
        raise ConfigError(join(path, "site"), f"expected the name of a site in scenario.sites, got {show(site)}")
    return ContactTypeSpec(
        name=name, channel=str(channel), rate_per_hour=rates,
        handle_time=parse_distribution(spec["handle_time"], join(path, "handle_time")),
        handle_time_by_group=by_group,
        after_call_work=None if spec.get("after_call_work") is None else parse_distribution(
            spec["after_call_work"], join(path, "after_call_work")),
        after_call_work_by_group=keyed(spec.get("after_call_work_by_group"), join(path, "after_call_work_by_group"),
                                       group_names, "an agent group", parse_distribution),
        patience=None if patience is None else parse_distribution(patience, join(path, "patience")),
        priority=priority,
        queue_capacity=None if capacity is None else integer(capacity, join(path, "queue_capacity")),
        escalation=escalation,
        self_service=parse_self_service(spec.get("self_service"), join(path, "self_service")),
        retrial=parse_retrial(spec.get("retrial"), join(path, "retrial")),
        repeat=parse_repeat(spec.get("repeat"), join(path, "repeat"), group_names),
        callback=parse_callback(spec.get("callback"), join(path, "callback")),
        overflow=parse_overflow(spec.get("overflow"), join(path, "overflow"), group_names),
        vip=parse_vip(spec.get("vip"), join(path, "vip"), priority),
        deferrable=parse_deferrable(spec.get("deferrable"), join(path, "deferrable")),
        balking=parse_balking(spec.get("balking"), join(path, "balking")),
        day_factors=day_factors, overnight_volume=overnight, site=site,
        transfers=parse_transfers(spec.get("transfers"), join(path, "transfers"), group_names),
        outbound=_parse_outbound(spec, path, open_s, open_s + n * interval_s),
    )


#: keys of a contact type that an outbound campaign does not use (its contacts are dials, not arrivals)
_INBOUND_ONLY = ("arrivals", "patience", "queue_capacity", "escalation", "self_service", "retrial", "repeat",
                 "callback", "overflow", "vip", "deferrable", "balking", "transfers", "after_call_work_by_group")


def _parse_outbound(spec: Mapping[str, Any], path: str, open_s: float, close_s: float) -> OutboundSpec | None:
    """The type's ``outbound`` block; an outbound type takes none of the inbound keys."""
    outbound = parse_outbound(spec.get("outbound"), join(path, "outbound"), open_s, close_s)
    if outbound is not None:
        for key in _INBOUND_ONLY:
            if spec.get(key) is not None:
                raise ConfigError(join(path, key), "not used by an outbound contact type (its contacts are the "
                                                   "dials of outbound.list_size records); remove it")
    return outbound



def _check_arrivals(raw: Any, path: str, rates: tuple[float, ...] | None, factor: float, day_factors: tuple[float, ...],
                    overnight: float, scale_path: str, open_s: float, interval_s: float, allow_large: bool) -> None:
    """The contact type's arrivals, once scaled (``factor``, named at ``scale_path``) and on its busiest day,
    finite and within :data:`RUN_LIMITS` (``rate_per_hour`` per interval; a night's ``overnight_volume`` at
    most a whole day at that rate). Each fault is named at the key that makes the rate too high."""
    rate_limit = RUN_LIMITS["rate_per_hour"]
    peak_day, day = max(((f, i) for i, f in enumerate(day_factors)), default=(1.0, None))
    unit = "contacts per hour"
    if rates:
        k = max(range(len(rates)), key=rates.__getitem__)
        peak = rates[k]
        when = _interval_label(open_s, interval_s, k)
        spec = mapping(raw, path)
        if "rate_per_hour" in spec:
            where = join(path, "rate_per_hour") + (f"[{k}]" if isinstance(spec["rate_per_hour"], (list, tuple)) else "")
            _within(peak, "rate_per_hour", where, allow_large, unit=unit)
        else:
            where = join(path, "volume")
            if not math.isfinite(peak):
                raise ConfigError(where, f"makes the arrival rate in {when} overflow (expected a finite number of {unit})")
            _within(peak, "rate_per_hour", where, allow_large,
                    found=f"{_plain(spec['volume'])} contacts per day gives {_amount(peak)} {unit} in {when}")
        for value, where, how in ((peak * factor, scale_path, "scaled"),
                                  (peak * factor * peak_day, f"{path}.day_factors[{day}]", "on its busiest day")):
            if not math.isfinite(value):
                raise ConfigError(where, f"makes the arrival rate in {when} overflow (expected a finite number of {unit})")
            _within(value, "rate_per_hour", where, allow_large, found=f"gives {_amount(value)} {unit} in {when} ({how})")
    nightly = overnight * factor * peak_day
    if not math.isfinite(nightly):
        raise ConfigError(join(path, "overnight_volume"), "overflows once scaled (expected a finite number of contacts)")
    if not allow_large and nightly > 24 * rate_limit:
        found = _plain(overnight) + (f" (scaled, on the busiest day: {_amount(nightly)})" if nightly != overnight else "")
        raise ConfigError(join(path, "overnight_volume"), f"{found} contacts per night is above the {24 * rate_limit:,.0f} "
                                                          f"allowed (a day at {rate_limit:,.0f} {unit}; {RAISE_LIMIT})")


def _parse_group(name: str, raw: Any, path: str, n: int, contact_types: Mapping[str, ContactTypeSpec],
                 open_s: float, close_s: float, interval_s: float, rostered: tuple[Shift, ...] = (),
                 overflow_target: bool = False, *, allow_large: bool = False,
                 roster_path: str = "scenario.roster") -> AgentGroupSpec:
    """An agent group; one that only takes overflow (``overflow_target``) may have no skills of its own."""
    spec = mapping(raw, path)
    check_keys(spec, path, AGENT_GROUP_KEYS, required=("skills",))
    skills = spec["skills"]
    if isinstance(skills, str) or not isinstance(skills, (list, tuple)) or not (skills or overflow_target):
        raise ConfigError(join(path, "skills"), f"expected a non-empty list of contact types in order of preference, got {show(skills)}")
    for i, skill in enumerate(skills):
        if skill not in contact_types:
            raise ConfigError(f"{path}.skills[{i}]", f"unknown contact type {show(skill)}; expected one of {', '.join(contact_types)}")
    if len(set(skills)) != len(skills):
        raise ConfigError(join(path, "skills"), "lists a contact type twice")
    sources = [k for k in ("staffing", "shifts") if spec.get(k) is not None] + (["roster"] if rostered else [])
    if len(sources) != 1:
        raise ConfigError(path, "expected exactly one of staffing, shifts or rows in the scenario's roster, got "
                                + (" and ".join(sources) if sources else "none"))
    shifts = parse_shifts(spec["shifts"], join(path, "shifts"), open_s, close_s) if spec.get("shifts") is not None \
        else rostered
    _check_shift_agents(shifts, path, name, spec.get("shifts") is not None, roster_path, allow_large)
    shrinkage = parse_shrinkage(spec.get("shrinkage"), join(path, "shrinkage"), open_s, close_s)
    if shrinkage is not None and not shifts:
        raise ConfigError(join(path, "shrinkage"), "needs shifts or a roster (absence is per agent-day); with a "
                                                   "staffing table, lower the table instead")
    group = AgentGroupSpec(
        name=name, skills=tuple(str(s) for s in skills), staffing=(), shifts=shifts, shrinkage=shrinkage,
        proficiency=parse_proficiency(spec.get("proficiency"), join(path, "proficiency"), tuple(contact_types),
                                      tuple(str(s) for s in skills)),
        learning=parse_learning(spec.get("learning"), join(path, "learning")),
        fatigue=parse_fatigue(spec.get("fatigue"), join(path, "fatigue")),
        skill_levels=parse_group_levels(spec.get("skill_levels"), join(path, "skill_levels"), tuple(contact_types),
                                        tuple(str(s) for s in skills)),
        concurrency=_parse_concurrency(spec.get("concurrency"), join(path, "concurrency"), name, shifts),
        conditions=parse_conditions(spec.get("conditions"), spec.get("later_skills_after_s"), path,
                                    tuple(str(s) for s in skills), tuple(contact_types)),
        later_skills_after_s=None if spec.get("later_skills_after_s") is None else float(spec["later_skills_after_s"]),
        blending=_parse_blending(spec, path, tuple(str(s) for s in skills), contact_types))
    if shifts:
        from sim.workforce.duty import planned_staffing

        staffing = planned_staffing(group, open_s, interval_s, n)
    else:
        given = table(spec["staffing"], join(path, "staffing"), n, lambda v, p: integer(v, p))
        where = join(path, "staffing")
        k = max(range(n), key=given.__getitem__)
        _within(given[k], "agents", where + (f"[{k}]" if isinstance(spec["staffing"], (list, tuple)) else ""),
                allow_large, unit="agents")
        staffing = _relative_staffing(given, spec, path, open_s, interval_s, allow_large)
    for key, neutral in (("staffing_delta", 0), ("staffing_scale", 1)):
        if shifts and spec.get(key) is not None and spec.get(key) != neutral:
            raise ConfigError(join(path, key), "applies to a staffing table; a group on shifts changes its shifts "
                                               "(agents per shift) instead")
    return replace(group, staffing=staffing)


def _parse_blending(spec: Mapping[str, Any], path: str, skills: tuple[str, ...],
                    contact_types: Mapping[str, ContactTypeSpec]) -> BlendingSpec | None:
    """The group's ``blending`` rule: only for a group with both inbound and outbound skills; outbound skills
    are not served by agents holding several contacts (``concurrency``)."""
    outbound = [s for s in skills if contact_types[s].outbound is not None]
    if outbound and spec.get("concurrency") is not None:
        raise ConfigError(join(path, "concurrency"), f"agents holding several contacts do not dial outbound "
                                                     f"campaigns ({', '.join(outbound)}); remove one")
    blending = parse_blending(spec.get("blending"), join(path, "blending"))
    if blending is not None and (not outbound or len(outbound) == len(skills)):
        raise ConfigError(join(path, "blending"), "only for a group with inbound and outbound skills (an outbound "
                                                  "contact type has outbound:), got skills " + ", ".join(skills))
    return blending


def _check_shift_agents(shifts: tuple[Shift, ...], path: str, group: str, own: bool, roster_path: str,
                        allow_large: bool) -> None:
    """The agents of a group on shifts (each shift's ``agents``; a roster row is one) within
    :data:`RUN_LIMITS` ``agents``: the model follows each of them."""
    total = 0
    for i, shift in enumerate(shifts):
        total += shift.agents
        if own:
            where = f"{path}.shifts[{i}].agents"
            found = None if i == 0 or total == shift.agents else f"brings agent group {group} to {_amount(total)} agents"
            _within(shift.agents if found is None else total, "agents", where, allow_large, unit="agents", found=found)
    if not own:
        _within(total, "agents", roster_path, allow_large, found=f"gives agent group {group} {_amount(total)} agents")


def _relative_staffing(staffing: tuple[int, ...], spec: Mapping[str, Any], path: str, open_s: float,
                       interval_s: float, allow_large: bool = False) -> tuple[int, ...]:
    """The staffing table changed relatively: ``staffing_scale`` (a factor > 0; whole agents, halves up)
    first, then ``staffing_delta`` (agents added, one number or one per interval; may be negative); each
    result within :data:`RUN_LIMITS` ``agents``, or named at the key that took it above."""
    def within(key: str) -> None:
        k = max(range(n), key=staffing.__getitem__)
        _within(staffing[k], "agents", join(path, key), allow_large,
                found=f"gives {_amount(staffing[k])} agents in {_interval_label(open_s, interval_s, k)}")

    n = len(staffing)
    scale = spec.get("staffing_scale")
    if scale is not None:
        factor = number(scale, join(path, "staffing_scale"), positive=True)
        if not all(math.isfinite(c * factor) for c in staffing):
            raise ConfigError(join(path, "staffing_scale"), f"makes the staffing overflow (expected a finite factor "
                                                            f"of the table), got {show(scale)}")
        staffing = tuple(int(math.floor(c * factor + 0.5)) for c in staffing)
        within("staffing_scale")
    delta = spec.get("staffing_delta")
    if delta is not None:
        added = table(delta, join(path, "staffing_delta"), n, lambda v, p: integer(v, p, minimum=-1_000_000))
        staffing = tuple(c + d for c, d in zip(staffing, added))
        for k, c in enumerate(staffing):
            if c < 0:
                hh, mm = divmod(int(round((open_s + k * interval_s) / 60)), 60)
                raise ConfigError(join(path, "staffing_delta"), f"leaves {c} agents in interval {k} "
                                                                f"({hh:02d}:{mm:02d}); expected at least 0")
        within("staffing_delta")
    return staffing


def _parse_roster(raw: Any, path: str, groups_raw: Mapping[str, Any], contact_types: Mapping[str, ContactTypeSpec],
                  open_s: float, close_s: float) -> tuple[Path | None, dict[str, tuple[Shift, ...]]]:
    """``scenario.roster``: a CSV of agent shifts (``sim.workforce.config.read_roster``)."""
    if raw is None:
        return None, {}
    if not isinstance(raw, str) or not raw:
        raise ConfigError(path, f"expected the path of a roster CSV file, got {show(raw)}")
    roster = Path(raw)
    if not roster.is_file():
        raise ConfigError(path, f"no such file: {raw} (paths are relative to the directory python -m sim runs in)")
    skills = {str(g): tuple(mapping(v, f"{path}").get("skills") or ()) for g, v in groups_raw.items()}
    return roster, read_roster(roster, skills, tuple(contact_types), open_s, close_s)


def _parse_concurrency(raw: Any, path: str, group: str, shifts: tuple[Shift, ...]) -> ConcurrencySpec | None:
    """The group's ``concurrency`` (:func:`sim.journeys.config.parse_concurrency`), checked against the
    per-agent ``concurrency`` of its ``shifts`` (roster rows)."""
    most = max([s.concurrency for s in shifts if s.concurrency is not None], default=0)
    spec = parse_concurrency(raw, path, most)
    if raw is None:
        check_agent_concurrency(shifts, group, None)
    elif mapping(raw, path).get("handle_time_factors") is not None:  # given factors must cover every agent
        check_agent_concurrency(shifts, group, len(spec.handle_time_factors))
    return spec


def single_queue_scenario(
    arrival_rate_per_hour: float,
    mean_handle_time_s: float,
    agents: int,
    *,
    horizon_s: float,
    mean_patience_s: float | None = None,
    queue_capacity: int | None = None,
    service_level_threshold_s: float = 20.0,
    service_level_target: float = 0.8,
    interval_minutes: float = 60.0,
    trace: str | Path | None = None,
    name: str = "single_queue",
    busyness_cv: float = 0.0,
    allow_large: bool = False,
) -> Scenario:
    """An M/M/c(+M)(/K) phone queue as a general :class:`Scenario` (the Erlang cross-check);
    ``allow_large`` lifts :data:`RUN_LIMITS`."""
    raw = {
        "name": name, "preset": "single_queue", "arrival_rate_per_hour": arrival_rate_per_hour,
        "mean_handle_time_s": mean_handle_time_s, "agents": agents, "mean_patience_s": mean_patience_s,
        "queue_capacity": queue_capacity, "service_level_threshold_s": service_level_threshold_s,
        "service_level_target": service_level_target, "interval_minutes": interval_minutes,
        "trace": None if trace is None else str(trace), "busyness_cv": busyness_cv,
    }
    return _parse_single_queue(raw, "scenario", horizon_s, allow_large=allow_large)


#: A scenario's name: it names the run's folder (``results/<name>/...``), so it is a plain file name.
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


def scenario_name(value: Any, path: str) -> str:
    """``value`` as a scenario name: 1 to 64 letters, digits, ``_``, ``-`` or ``.``, not starting with
    ``.`` or ``-`` (no path separators, no ``..``): the results folder stays under ``results/``."""
    import re

    text = value if isinstance(value, str) else str(value) if isinstance(value, int) and not isinstance(value, bool) \
        else None
    if text is None or not re.fullmatch(NAME_PATTERN, text) or ".." in text:
        raise ConfigError(path, "expected a name of 1 to 64 letters, digits, '_', '-' or '.', starting with a letter "
                                f"or digit (it names the results folder), got {show(value)}")
    return text


def _parse_single_queue(spec: Mapping[str, Any], path: str, horizon_s: float | None, *,
                        allow_large: bool = False) -> Scenario:
    check_keys(spec, path, SINGLE_QUEUE_KEYS, required=("arrival_rate_per_hour", "mean_handle_time_s", "agents"))
    if horizon_s is None:
        raise ConfigError("run.horizon_hours", "required for the single_queue preset (a positive number of hours)")
    interval_s = 60.0 * number(spec.get("interval_minutes", 60.0), join(path, "interval_minutes"), positive=True, unit="minutes")
    n = max(1, math.ceil(horizon_s / interval_s - 1e-9))
    _within(n, "intervals", join(path, "interval_minutes"), allow_large,
            found=f"gives {n} intervals over run.horizon_hours")
    rate = number(spec["arrival_rate_per_hour"], join(path, "arrival_rate_per_hour"), unit="contacts per hour")
    _within(rate, "rate_per_hour", join(path, "arrival_rate_per_hour"), allow_large, unit="contacts per hour")
    handle = number(spec["mean_handle_time_s"], join(path, "mean_handle_time_s"), positive=True, unit="seconds")
    agents = integer(spec["agents"], join(path, "agents"))
    _within(agents, "agents", join(path, "agents"), allow_large, unit="agents")
    patience = spec.get("mean_patience_s")
    patience_dist = None if patience is None else Distribution(
        "exponential", number(patience, join(path, "mean_patience_s"), positive=True, unit="seconds"))
    capacity = spec.get("queue_capacity")
    channel = ChannelSpec(
        "phone",
        number(spec.get("service_level_threshold_s", 20.0), join(path, "service_level_threshold_s"), unit="seconds"),
        probability(spec.get("service_level_target", 0.8), join(path, "service_level_target")),
    )
    ct = ContactTypeSpec(
        name="calls", channel="phone", rate_per_hour=(rate,) * n,
        handle_time=Distribution("exponential", handle), patience=patience_dist,
        queue_capacity=None if capacity is None else integer(capacity, join(path, "queue_capacity")),
    )
    contact_types = {"calls": ct}
    return Scenario(
        name=scenario_name(spec.get("name", "single_queue"), join(path, "name")), open_time_s=0.0, interval_s=interval_s, n_intervals=n,
        channels={"phone": channel}, contact_types=contact_types,
        agent_groups={"agents": AgentGroupSpec("agents", ("calls",), (agents,) * n)},
        routing=RoutingSpec(), trace=parse_trace(spec.get("trace"), join(path, "trace"), contact_types),
        busyness_cv=_busyness_cv(spec, path), daily=False,
    )


# ------------------------------------------------------------------------- run

def parse_run(raw: Any, path: str = "run") -> RunSpec:
    """A ``run`` mapping -> :class:`RunSpec` (horizon left ``None`` when not given)."""
    spec = mapping(raw or {}, path)
    check_keys(spec, path, RUN_KEYS)
    defaults = RunSpec()
    horizon = spec.get("horizon_hours")
    warmup = spec.get("warmup_hours", 0.0)
    warmup_auto = isinstance(warmup, str) and warmup.strip().lower() == "auto"
    if isinstance(warmup, str) and not warmup_auto:
        raise ConfigError(join(path, "warmup_hours"), f"expected a number of hours or 'auto', got {show(warmup)}")
    allow_large = boolean(spec.get("allow_large", defaults.allow_large), join(path, "allow_large"))
    replications = integer(spec.get("replications", defaults.replications), join(path, "replications"), minimum=1)
    _within(replications, "replications", join(path, "replications"), allow_large)
    target = spec.get("target_half_width")
    max_reps = integer(spec.get("max_replications", defaults.max_replications), join(path, "max_replications"),
                       minimum=1)
    _within(max_reps, "replications", join(path, "max_replications"), allow_large)
    days = integer(spec.get("days", defaults.days), join(path, "days"), minimum=1)
    _within(days, "days", join(path, "days"), allow_large, unit="days")
    workers = integer(spec.get("workers", defaults.workers), join(path, "workers"))
    _within(workers, "workers", join(path, "workers"), allow_large, unit="processes")
    horizon_s = None if horizon is None else \
        3600.0 * number(horizon, join(path, "horizon_hours"), positive=True, unit="hours")
    if horizon_s is not None and not allow_large and horizon_s > RUN_LIMITS["days"] * DAY_S:
        raise ConfigError(join(path, "horizon_hours"), f"{_plain(horizon)} hours is above the "
                                                       f"{RUN_LIMITS['days'] * 24:,.0f} hours ({RUN_LIMITS['days']:,.0f} "
                                                       f"days) allowed ({RAISE_LIMIT})")
    if target is not None and max_reps < replications:
        raise ConfigError(join(path, "max_replications"),
                          f"expected at least run.replications ({replications}), the number run first, got {max_reps}")
    confidence = number(spec.get("confidence", defaults.confidence), join(path, "confidence"), positive=True)
    if confidence >= 1:
        raise ConfigError(join(path, "confidence"), f"expected a level strictly between 0 and 1, e.g. 0.95, got {confidence:g}")
    executor = choice(spec.get("executor", defaults.executor), join(path, "executor"), EXECUTORS)
    address = spec.get("scheduler_address")
    if address is not None and (not isinstance(address, str) or not address.strip()):
        raise ConfigError(join(path, "scheduler_address"), f"expected null or a Dask scheduler address such as "
                                                           f"'tcp://host:8786', got {show(address)}")
    if address is not None and executor != "dask":
        raise ConfigError(join(path, "scheduler_address"), f"only used with run.executor=dask, got run.executor={executor}")
    return RunSpec(
        replications=replications,
        seed=integer(spec.get("seed", defaults.seed), join(path, "seed")),
        days=days,
        warmup_s=0.0 if warmup_auto else 3600.0 * number(warmup, join(path, "warmup_hours"), unit="hours"),
        horizon_s=horizon_s,
        confidence=confidence,
        drain=boolean(spec.get("drain", defaults.drain), join(path, "drain")),
        workers=workers,
        save_contacts=boolean(spec.get("save_contacts", defaults.save_contacts), join(path, "save_contacts")),
        figures=boolean(spec.get("figures", defaults.figures), join(path, "figures")),
        service_level_variant=choice(spec.get("service_level_variant", defaults.service_level_variant),
                                      join(path, "service_level_variant"), SERVICE_LEVEL_VARIANTS),
        short_abandon_s=number(spec.get("short_abandon_s", defaults.short_abandon_s), join(path, "short_abandon_s"), unit="seconds"),
        warmup_auto=warmup_auto,
        target_half_width=None if target is None else number(target, join(path, "target_half_width"), positive=True),
        target_metric=_target_metric(spec.get("target_metric", defaults.target_metric), join(path, "target_metric")),
        max_replications=max_reps,
        executor=executor,
        scheduler_address=address,
        allow_large=allow_large,
    )


def _target_metric(value: Any, path: str) -> str:
    """``"channel.metric"`` with a known metric; the channel is checked against the scenario later."""
    from sim.model.metrics import SUMMARY_METRICS  # sim.metrics imports this module

    if not isinstance(value, str) or "." not in value.strip(".") or value.rpartition(".")[0] == "":
        raise ConfigError(path, f"expected 'channel.metric', e.g. 'all.service_level', got {show(value)}")
    metric = value.rpartition(".")[2]
    if metric not in SUMMARY_METRICS:
        raise ConfigError(path, f"unknown metric {show(metric)}; expected one of {', '.join(SUMMARY_METRICS)}")
    return value


def load_config(raw: Any) -> SimConfig:
    """A composed config mapping (``scenario`` and ``run``) -> validated :class:`SimConfig`."""
    top = mapping(raw, "")
    check_keys(top, "", TOP_KEYS, required=("scenario",))
    run = parse_run(top.get("run"), "run")
    scenario = parse_scenario(top["scenario"], "scenario", run.horizon_s, allow_large=run.allow_large)
    if top.get("state") is None:
        return SimConfig(scenario=scenario, run=resolve_run(run, scenario))
    from sim.model.state import load_state, parse_state, state_run  # sim.model.state imports this module

    if run.warmup_s > 0 or run.warmup_auto:
        raise ConfigError("run.warmup_hours", "a state's time is where the measurement starts: expected 0 "
                                              f"with state, got {run.warmup_s / 3600 if not run.warmup_auto else 'auto'}")
    source = top["state"]
    if isinstance(source, Mapping):
        state = parse_state(source, scenario, run)
    elif isinstance(source, (str, Path)) and str(source).strip():
        state = load_state(source, scenario, run)
    else:
        raise ConfigError("state", f"expected the path of a state file (YAML), got {show(source)}")
    run = resolve_run(state_run(run, state), scenario)
    return SimConfig(scenario=scenario, run=run, state=state)


def resolve_run(run: RunSpec, scenario: Scenario) -> RunSpec:
    """Fill in the horizon (default: the opening hours) and check the window."""
    from dataclasses import replace

    if run.days > 1:
        whole = (run.days - 1) * DAY_S + scenario.length_s  # to the last day's closing
        if not scenario.daily or (run.horizon_s is not None and abs(run.horizon_s - whole) > 1e-6):
            what = "a centre with opening hours (the single_queue preset runs run.horizon_hours instead)" \
                if not scenario.daily else "run.horizon_hours: null (a multi-day run covers whole days of opening hours)"
            raise ConfigError("run.days", f"more than 1 day needs {what}, got {run.days}")
        run = replace(run, horizon_s=whole)
    horizon = scenario.length_s if run.horizon_s is None else run.horizon_s
    if run.days == 1 and horizon > scenario.length_s + 1e-9:
        raise ConfigError("run.horizon_hours", f"expected at most {scenario.length_s / 3600:g} h, the opening hours "
                                               f"covered by the scenario's interval tables, got {horizon / 3600:g}")
    if run.warmup_s >= horizon:
        raise ConfigError("run.warmup_hours", f"expected less than the horizon ({horizon / 3600:g} h), got {run.warmup_s / 3600:g}")
    channel, metric = run.target
    if channel not in ("all", LIVE) and channel not in scenario.channels:
        raise ConfigError("run.target_metric", f"expected a channel ({', '.join(scenario.channels)}), 'live' or 'all' "
                                               f"before the dot, got {show(channel)}")
    if channel != "all" and metric in ("occupancy", "agents_staffed"):
        raise ConfigError("run.target_metric", f"{metric} is reported for 'all' only, got {show(run.target_metric)}")
    kinds = {ch.deferrable for ch in scenario.channels.values()}
    if len(kinds) == 2 and channel == "all" and metric in WAIT_METRICS:
        # a centre with live and deferrable channels reports its waits over the live ones only
        run = replace(run, target_metric=f"{LIVE}.{metric}")
    elif len(kinds) < 2 and channel == LIVE:
        run = replace(run, target_metric=f"all.{metric}")  # every channel is alike: 'all' is the centre
    elif channel == LIVE and metric not in (*LIVE_METRICS, "mean_queue_length"):
        raise ConfigError("run.target_metric", f"the 'live' row reports {', '.join(LIVE_METRICS)} and "
                                               f"mean_queue_length, got {show(run.target_metric)}")
    return replace(run, horizon_s=horizon)
