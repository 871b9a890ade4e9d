"""The schema of customer journeys: self-service, retrials and repeat contacts (per contact type).

Each part is optional (``null`` or absent = off) and is a frozen dataclass
read from a mapping by a ``parse_*`` function that raises
:class:`~sim.engine.errors.ConfigError` naming the key path.  Durations are
:class:`~sim.engine.distributions.Distribution` objects (seconds), read by
:func:`~sim.engine.distributions.parse_distribution`.

- :class:`SelfServiceSpec`: a chatbot / IVR stage before the agent queue.
- :class:`RetrialSpec`: abandoned or blocked customers try again.
- :class:`RepeatSpec`: answered customers whose issue was not resolved come back.
- :class:`CallbackSpec`: callbacks (virtual hold) offered when the predicted wait is long.
- :class:`OverflowSpec`: after a wait, contacts become eligible for other agent groups.
- :class:`VipSpec`: a share of the contact type's arrivals form a priority class (VIP).
- :class:`DeferrableSpec`: deferrable work (email) that keeps agents free for live work.
- :class:`BalkingSpec`: arrivals who would have to wait may leave at once (balk).
- :class:`TransferSpec`: where a contact goes after a service, a graph over the contact types
  (:class:`DestinationSpec`; :func:`check_transfer_graph` checks what spans types).
- :class:`ConditionSpec` (per agent group and contact type): when the group takes that type
  (staged routing, :mod:`sim.journeys.conditions`); :func:`check_routing_rules` refuses the
  combinations the conditions and ``expected_delay`` routing (:mod:`sim.journeys.expected_delay`)
  do not support.
- :class:`SiteSpec`: a site, the agent groups that work there, and how contacts from other sites reach it.
- :class:`OutboundSpec` (with :class:`PacingSpec`): an outbound campaign, a calling list dialled in a window
  (:mod:`sim.journeys.outbound`); :class:`BlendingSpec` (per agent group): when its agents may take outbound work.

What the model does with them: :mod:`sim.journeys.flow`, :mod:`sim.journeys.callbacks`, :mod:`sim.journeys.overflow`,
:mod:`sim.journeys.balking`, :mod:`sim.journeys.transfers`, :mod:`sim.journeys.sites`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from sim.engine.checks import check_keys, choice, clock, hhmm, integer, join, keyed, mapping, number, probability, show
from sim.engine.distributions import Distribution, parse_distribution
from sim.engine.errors import ConfigError


__all__ = ["ConditionSpec", "CONDITION_KEYS", "parse_conditions", "check_routing_rules", "ConcurrencySpec", "CONCURRENCY_KEYS", "parse_concurrency", "SelfServiceSpec", "RetrialSpec", "RepeatSpec", "CallbackSpec", "OverflowSpec", "VipSpec", "DeferrableSpec",
           "BalkingSpec", "BALKING_KEYS", "BALKING_BY", "parse_balking",
           "SELF_SERVICE_KEYS", "RETRIAL_KEYS", "REPEAT_KEYS", "CALLBACK_KEYS", "OVERFLOW_KEYS", "VIP_KEYS",
           "DEFERRABLE_KEYS", "HOURS_KEYS", "parse_self_service", "parse_retrial", "parse_repeat", "parse_callback", "parse_overflow",
           "parse_vip", "parse_deferrable", "check_targets", "TRANSFER_KEYS", "DESTINATION_KEYS", "WARM_KEYS",
           "MAX_HOPS", "DestinationSpec", "TransferSpec", "parse_transfers", "check_transfer_graph",
           "SiteSpec", "SITE_KEYS", "parse_sites", "OutboundSpec", "PacingSpec", "BlendingSpec", "OUTBOUND_KEYS",
           "OUTBOUND_WINDOW_KEYS", "OUTBOUND_ATTEMPT_KEYS", "PACING_KEYS", "BLENDING_KEYS", "DIALING_MODES",
           "BLENDING_RULES", "parse_outbound", "parse_pacing", "parse_blending"]

SELF_SERVICE_KEYS = ("containment", "handle_time", "concurrency", "handoff_aht_factor", "handoff_patience_factor")
RETRIAL_KEYS = ("probability", "delay", "max_retrials", "switch_to", "switch_probability")
REPEAT_KEYS = ("probability", "probability_by_group", "delay", "max_repeats", "to")
CALLBACK_KEYS = ("offer_threshold_s", "acceptance", "success", "attempt_time", "scheduled_after_s")
OVERFLOW_KEYS = ("after_s", "groups")
VIP_KEYS = ("share", "priority")
DEFERRABLE_KEYS = ("reserve_agents", "hours")
HOURS_KEYS = ("from", "to")
BALKING_BY = ("queue_length", "expected_wait")
BALKING_TABLE_KEYS = ("by", "table")
BALKING_CURVE_KEYS = ("by", "midpoint_s", "steepness_per_s", "max")
BALKING_KEYS = ("by", "table", "midpoint_s", "steepness_per_s", "max")
CONDITION_KEYS = ("after_s", "queue_above", "keep_idle")
SITE_KEYS = ("groups", "after_s", "network_delay_s", "price_per_contact")



@dataclass(frozen=True)
class SelfServiceSpec:
    """A self-service stage (chatbot, IVR) every arrival of the contact type goes through first.

    The bot holds the contact for a ``handle_time`` draw (s); with probability
    ``containment`` it resolves it there (*deflected*), otherwise it hands it
    off to the agent queue, where its handle time is multiplied by
    ``handoff_aht_factor`` and its patience by ``handoff_patience_factor``.
    ``concurrency``: at most that many contacts in the bot at once (``None`` =
    unlimited); arrivals finding it full bypass it and go straight to the queue.
    """

    containment: float
    handle_time: Distribution
    concurrency: int | None = None
    handoff_aht_factor: float = 1.0
    handoff_patience_factor: float = 1.0


@dataclass(frozen=True)
class RetrialSpec:
    """Customers who abandon (in any queue) or are blocked try again.

    With ``probability`` they come back after a ``delay`` draw (s), as a new
    arrival, at most ``max_retrials`` times per issue; a share
    ``switch_probability`` of the retrials go to contact type ``switch_to``
    (e.g. phone -> chat) instead of this one.
    """

    probability: float
    delay: Distribution
    max_retrials: int = 3
    switch_to: str | None = None
    switch_probability: float = 0.0


@dataclass(frozen=True)
class RepeatSpec:
    """Answered customers whose issue was not resolved contact the centre again.

    After the last service of a contact, its issue is unresolved with
    ``probability`` (``probability_by_group[g]`` when group ``g`` gave that
    service); the customer then returns after a ``delay`` draw (s), as a new
    arrival of contact type ``to`` (``None`` = this one), at most
    ``max_repeats`` times per issue.
    """

    probability: float
    delay: Distribution
    probability_by_group: Mapping[str, float] = field(default_factory=dict)
    max_repeats: int = 3
    to: str | None = None


@dataclass(frozen=True)
class CallbackSpec:
    """Callbacks (virtual hold) for a contact type.

    An arrival that has to wait is offered a callback when its predicted wait
    exceeds ``offer_threshold_s``; it accepts with probability ``acceptance``,
    hangs up and keeps its place in the queue (it no longer abandons).  When an
    agent takes it, the agent calls back: the customer answers with
    probability ``success`` and is served; otherwise the agent spends an
    ``attempt_time`` draw (s) and the contact ends unreached.  With
    ``scheduled_after_s`` the customer books a callback that much later
    instead: it joins the queue (at the back) only then.
    """

    offer_threshold_s: float
    acceptance: float
    success: float = 1.0
    attempt_time: Distribution | None = None
    scheduled_after_s: float | None = None


@dataclass(frozen=True)
class OverflowSpec:
    """A contact still waiting ``after_s`` seconds after it entered the queue becomes
    eligible for the agent groups ``groups`` too (e.g. an outsourced vendor team)."""

    after_s: float
    groups: tuple[str, ...]


def parse_overflow(raw: Any, path: str, group_names: tuple[str, ...]) -> OverflowSpec | None:
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, OVERFLOW_KEYS, required=OVERFLOW_KEYS)
    groups = spec["groups"]
    if isinstance(groups, str) or not isinstance(groups, (list, tuple)) or not groups:
        raise ConfigError(join(path, "groups"), f"expected a non-empty list of agent groups, got {show(groups)}")
    for i, group in enumerate(groups):
        if group not in group_names:
            raise ConfigError(f"{path}.groups[{i}]",
                              f"unknown agent group {show(group)}; expected one of {', '.join(group_names)}")
    if len(set(groups)) != len(groups):
        raise ConfigError(join(path, "groups"), "lists an agent group twice")
    return OverflowSpec(after_s=number(spec["after_s"], join(path, "after_s"), unit="seconds"),
                        groups=tuple(str(g) for g in groups))


@dataclass(frozen=True)
class VipSpec:
    """A priority class of the contact type: each arrival belongs to it with probability ``share``;
    its contacts wait in a queue of their own with ``priority`` (higher is served first under
    ``priority_fcfs``) and are otherwise like the type's other contacts."""

    share: float
    priority: int


def parse_vip(raw: Any, path: str, base_priority: int) -> VipSpec | None:
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, VIP_KEYS, required=VIP_KEYS)
    priority = integer(spec["priority"], join(path, "priority"), minimum=-1_000_000)
    if priority <= base_priority:
        raise ConfigError(join(path, "priority"),
                          f"expected more than the contact type's priority ({base_priority}), got {priority}")
    return VipSpec(share=probability(spec["share"], join(path, "share")), priority=priority)


@dataclass(frozen=True)
class DeferrableSpec:
    """Deferrable work: an agent takes it only while ``reserve_agents`` others of its group stay idle,
    and only within ``hours`` (clock seconds ``(from, to)``; ``None`` = the opening hours)."""

    reserve_agents: int = 0
    hours: tuple[float, float] | None = None


def parse_deferrable(raw: Any, path: str) -> DeferrableSpec | None:
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, DEFERRABLE_KEYS)
    hours = None
    if spec.get("hours") is not None:
        where = join(path, "hours")
        h = mapping(spec["hours"], where)
        check_keys(h, where, HOURS_KEYS, required=HOURS_KEYS)
        start, end = clock(h["from"], join(where, "from")), clock(h["to"], join(where, "to"))
        if end <= start:
            raise ConfigError(join(where, "to"), f"expected a time after hours.from {h['from']}, got {h['to']!r}")
        hours = (start, end)
    return DeferrableSpec(integer(spec.get("reserve_agents", 0), join(path, "reserve_agents")), hours)


def parse_callback(raw: Any, path: str) -> CallbackSpec | None:
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, CALLBACK_KEYS, required=("offer_threshold_s", "acceptance"))
    attempt = spec.get("attempt_time", {"dist": "deterministic", "mean_s": 30.0})
    return CallbackSpec(
        offer_threshold_s=number(spec["offer_threshold_s"], join(path, "offer_threshold_s"), unit="seconds"),
        acceptance=probability(spec["acceptance"], join(path, "acceptance")),
        success=probability(spec.get("success", 1.0), join(path, "success")),
        attempt_time=parse_distribution(attempt, join(path, "attempt_time")),
        scheduled_after_s=None if spec.get("scheduled_after_s") is None else number(
            spec["scheduled_after_s"], join(path, "scheduled_after_s"), positive=True, unit="seconds"),
    )


def parse_self_service(raw: Any, path: str) -> SelfServiceSpec | None:
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, SELF_SERVICE_KEYS, required=("containment", "handle_time"))
    concurrency = spec.get("concurrency")
    return SelfServiceSpec(
        containment=probability(spec["containment"], join(path, "containment")),
        handle_time=parse_distribution(spec["handle_time"], join(path, "handle_time")),
        concurrency=None if concurrency is None else integer(concurrency, join(path, "concurrency"), minimum=1),
        handoff_aht_factor=number(spec.get("handoff_aht_factor", 1.0), join(path, "handoff_aht_factor"), positive=True),
        handoff_patience_factor=number(spec.get("handoff_patience_factor", 1.0), join(path, "handoff_patience_factor"),
                                       positive=True),
    )


def parse_retrial(raw: Any, path: str) -> RetrialSpec | None:
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, RETRIAL_KEYS, required=("probability", "delay"))
    switch_to = spec.get("switch_to")
    if switch_to is None and spec.get("switch_probability") is not None:
        raise ConfigError(join(path, "switch_probability"), "only used with switch_to (the contact type retrials go to)")
    return RetrialSpec(
        probability=probability(spec["probability"], join(path, "probability")),
        delay=parse_distribution(spec["delay"], join(path, "delay")),
        max_retrials=integer(spec.get("max_retrials", 3), join(path, "max_retrials"), minimum=1),
        switch_to=None if switch_to is None else str(switch_to),
        switch_probability=probability(spec.get("switch_probability", 1.0 if switch_to is not None else 0.0),
                                       join(path, "switch_probability")),
    )


def parse_repeat(raw: Any, path: str, group_names: tuple[str, ...]) -> RepeatSpec | None:
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, REPEAT_KEYS, required=("probability", "delay"))
    by_group = keyed(spec.get("probability_by_group"), join(path, "probability_by_group"), group_names,
                     "an agent group", probability)
    to = spec.get("to")
    return RepeatSpec(
        probability=probability(spec["probability"], join(path, "probability")),
        delay=parse_distribution(spec["delay"], join(path, "delay")),
        probability_by_group=by_group,
        max_repeats=integer(spec.get("max_repeats", 3), join(path, "max_repeats"), minimum=1),
        to=None if to is None else str(to),
    )


def check_targets(contact_types: Mapping[str, Any], path: str) -> None:
    """Retrial ``switch_to`` and repeat ``to`` must name contact types of the scenario."""
    for name, ct in contact_types.items():
        for spec, key, target in ((ct.retrial, "retrial.switch_to", ct.retrial and ct.retrial.switch_to),
                                  (ct.repeat, "repeat.to", ct.repeat and ct.repeat.to)):
            if spec is None or target is None:
                continue
            if target not in contact_types:
                raise ConfigError(f"{path}.{name}.{key}",
                                  f"expected a contact type ({', '.join(contact_types)}), got {show(target)}")


CONCURRENCY_KEYS = ("max", "handle_time_factors")


@dataclass(frozen=True)
class ConcurrencySpec:
    """An agent holds up to ``max`` contacts at once (agents of shifts or roster rows with their own
    ``concurrency``: that many); the handle time of a contact started while holding ``n - 1`` others
    is multiplied by ``handle_time_factors[n - 1]`` (at least ``max`` factors, more for such agents)."""

    max: int
    handle_time_factors: tuple[float, ...]


def parse_concurrency(raw: Any, path: str, most_by_agent: int = 0) -> ConcurrencySpec | None:
    """``{max: k, handle_time_factors: [...]}`` (``None`` = one contact at a time).  The factors may run
    past ``max``, for agents allowed more (``most_by_agent``: the most any agent of the group may hold,
    from shifts or roster rows); they default to 1 + 0.3 (n - 1) up to the most any agent holds."""
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, CONCURRENCY_KEYS, required=("max",))
    k = integer(spec["max"], join(path, "max"), minimum=1)
    factors = spec.get("handle_time_factors")
    if factors is None:
        most = max(k, most_by_agent)
        return ConcurrencySpec(k, tuple(1.0 + 0.3 * i for i in range(most)))
    where = join(path, "handle_time_factors")
    if isinstance(factors, str) or not isinstance(factors, (list, tuple)) or len(factors) < k:
        raise ConfigError(where, f"expected a list of {k} factors or more (one per number of contacts held, 1 to "
                                 f"max, then on for agents allowed more), got {show(factors)}")
    return ConcurrencySpec(k, tuple(number(f, f"{where}[{i}]", positive=True) for i, f in enumerate(factors)))


@dataclass(frozen=True)
class BalkingSpec:
    """Balking: an arrival that would have to wait leaves at once with a probability.

    ``by`` = ``queue_length``: the probability is a step function of the number of contacts
    it finds waiting in its queue, ``table`` = ``((length, probability), ...)`` sorted by
    length (the row with the largest length <= the length found applies; 0 below the first).
    ``by`` = ``expected_wait``: a logistic curve ``max / (1 + exp(-steepness_per_s x (w -
    midpoint_s)))`` of the announced expected wait ``w`` (s; :mod:`sim.journeys.balking`).
    """

    by: str
    table: tuple[tuple[int, float], ...] = ()
    midpoint_s: float = 0.0
    steepness_per_s: float = 0.0
    max: float = 1.0


def parse_balking(raw: Any, path: str) -> BalkingSpec | None:
    if raw is None:
        return None
    spec = mapping(raw, path)
    if spec.get("by") is None:
        check_keys(spec, path, BALKING_KEYS)
        raise ConfigError(join(path, "by"), f"required key is missing; expected one of {', '.join(BALKING_BY)}")
    by = spec["by"]
    if by not in BALKING_BY:
        raise ConfigError(join(path, "by"), f"expected one of {', '.join(BALKING_BY)}, got {show(by)}")
    if by == "queue_length":
        check_keys(spec, path, BALKING_TABLE_KEYS, required=BALKING_TABLE_KEYS)
        return BalkingSpec(by=str(by), table=_balking_table(spec["table"], join(path, "table")))
    check_keys(spec, path, BALKING_CURVE_KEYS, required=("midpoint_s", "steepness_per_s"))
    return BalkingSpec(
        by=str(by),
        midpoint_s=number(spec["midpoint_s"], join(path, "midpoint_s"), unit="seconds"),
        steepness_per_s=number(spec["steepness_per_s"], join(path, "steepness_per_s"), unit="1/seconds"),
        max=probability(spec.get("max", 1.0), join(path, "max")),
    )


def _balking_table(raw: Any, path: str) -> tuple[tuple[int, float], ...]:
    """``[[queue length, probability], ...]``: non-empty, lengths whole numbers >= 0 strictly increasing."""
    if isinstance(raw, str) or not isinstance(raw, (list, tuple)) or not raw:
        raise ConfigError(path, f"expected a non-empty list of [queue length, probability] rows, got {show(raw)}")
    rows: list[tuple[int, float]] = []
    for i, row in enumerate(raw):
        where = f"{path}[{i}]"
        if isinstance(row, str) or not isinstance(row, (list, tuple)) or len(row) != 2:
            raise ConfigError(where, f"expected a row [queue length, probability], got {show(row)}")
        length = integer(row[0], f"{where}[0]")
        if rows and length <= rows[-1][0]:
            raise ConfigError(f"{where}[0]", f"expected a queue length above {rows[-1][0]} (rows sorted by queue "
                                             f"length, each once), got {length}")
        rows.append((length, probability(row[1], f"{where}[1]")))
    return tuple(rows)


TRANSFER_KEYS = ("destinations", "max_hops")
DESTINATION_KEYS = ("to", "probability", "probability_by_group", "warm")
WARM_KEYS = ("conference_time",)
#: the most transfers a contact may have (the contact log's ``overflowed`` keeps the leg in one byte)
MAX_HOPS = 100


@dataclass(frozen=True)
class DestinationSpec:
    """One place a contact may go after a service of its type: the queue of contact type ``to``, with
    ``probability`` (``probability_by_group[g]`` instead after a service by agent group ``g``).
    ``conference_time`` (s; ``None`` = a cold transfer): a warm transfer, in which the first agent stays
    with the customer until a destination agent takes it, then both spend a draw of it together."""

    to: str
    probability: float
    probability_by_group: Mapping[str, float] = field(default_factory=dict)
    conference_time: Distribution | None = None


@dataclass(frozen=True)
class TransferSpec:
    """Where a contact goes after a service of its type (:mod:`sim.journeys.transfers`): at most one of
    ``destinations`` (their probabilities sum to at most 1, per agent group too), and only while it has
    been transferred fewer than ``max_hops`` times in all (``max_hops_given``: set in the config; a type
    on a transfer cycle must set it)."""

    destinations: tuple[DestinationSpec, ...]
    max_hops: int = 1
    max_hops_given: bool = False


def parse_transfers(raw: Any, path: str, group_names: tuple[str, ...]) -> TransferSpec | None:
    """``transfers: {destinations: [{to, probability, probability_by_group, warm}], max_hops}``."""
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, TRANSFER_KEYS, required=("destinations",))
    where = join(path, "destinations")
    raw_dests = spec["destinations"]
    if isinstance(raw_dests, (str, bytes)) or not isinstance(raw_dests, (list, tuple)) or not raw_dests:
        raise ConfigError(where, f"expected a non-empty list of destinations {{to, probability}}, "
                                 f"got {show(raw_dests)}")
    dests = []
    for i, item in enumerate(raw_dests):
        at = f"{where}[{i}]"
        d = mapping(item, at)
        check_keys(d, at, DESTINATION_KEYS, required=("to", "probability"))
        conference = None
        if d.get("warm") is not None:
            warm = mapping(d["warm"], join(at, "warm"))
            check_keys(warm, join(at, "warm"), WARM_KEYS, required=WARM_KEYS)
            conference = parse_distribution(warm["conference_time"], join(at, "warm.conference_time"))
        dests.append(DestinationSpec(
            to=str(d["to"]), probability=probability(d["probability"], join(at, "probability")),
            probability_by_group=keyed(d.get("probability_by_group"), join(at, "probability_by_group"), group_names,
                                       "an agent group", probability),
            conference_time=conference))
    total = sum(d.probability for d in dests)
    if total > 1.0 + 1e-12:
        raise ConfigError(where, f"the destinations' probabilities sum to {total:g}; expected at most 1 (a contact "
                                 f"goes to at most one destination)")
    for g in group_names:
        total = sum(d.probability_by_group.get(g, d.probability) for d in dests)
        if total > 1.0 + 1e-12:
            raise ConfigError(where, f"the destinations' probabilities after a service by agent group {g} sum to "
                                     f"{total:g}; expected at most 1 (probability_by_group.{g} replaces probability)")
    given = spec.get("max_hops") is not None
    hops = integer(spec["max_hops"], join(path, "max_hops"), minimum=1) if given else 1
    if hops > MAX_HOPS:
        raise ConfigError(join(path, "max_hops"), f"expected at most {MAX_HOPS} transfers per contact, got {hops}")
    return TransferSpec(destinations=tuple(dests), max_hops=hops, max_hops_given=given)


def check_transfer_graph(contact_types: Mapping[str, Any], path: str) -> None:
    """Transfers name known contact types, a type has ``escalation`` or ``transfers`` (not both), and each
    type with ``transfers`` on a cycle of the transfer graph (escalations included) sets ``max_hops``."""
    edges: dict[str, list[str]] = {}
    for name, ct in contact_types.items():
        spec = ct.transfers
        if spec is None:
            edges[name] = [ct.escalation.to] if ct.escalation is not None else []
            continue
        if ct.escalation is not None:
            raise ConfigError(f"{path}.{name}.transfers", "give escalation or transfers, not both (escalation "
                                                          "{probability, to} is the one-destination case)")
        for i, d in enumerate(spec.destinations):
            if d.to not in contact_types:
                raise ConfigError(f"{path}.{name}.transfers.destinations[{i}].to",
                                  f"expected a contact type ({', '.join(contact_types)}), got {show(d.to)}")
        edges[name] = [d.to for d in spec.destinations]
    for name, ct in contact_types.items():
        if ct.transfers is None or ct.transfers.max_hops_given:
            continue
        cycle = _cycle_through(name, edges)
        if cycle:
            raise ConfigError(f"{path}.{name}.transfers.max_hops",
                              f"required: {name} is on a transfer cycle ({' -> '.join(cycle)}); give the most "
                              f"transfers a contact may have")


def _cycle_through(start: str, edges: Mapping[str, list[str]]) -> list[str]:
    """A shortest path ``start -> ... -> start`` in the graph ``edges`` (breadth first), or ``[]``."""
    parent: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for to in edges.get(node, ()):
                if to == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return [*reversed(path), start]
                if to not in parent:
                    parent[to] = node
                    nxt.append(to)
        frontier = nxt
    return []


@dataclass(frozen=True)
class ConditionSpec:
    """When an agent group takes a contact type (:mod:`sim.journeys.conditions`); every condition must hold:
    the contact has waited at least ``after_s`` seconds in its queue, more than ``queue_above`` contacts of
    the type wait (the one taken included), and ``keep_idle`` other agents of the group stay idle.
    The defaults (0, 0, 0) always hold."""

    after_s: float = 0.0
    queue_above: int = 0
    keep_idle: int = 0


def parse_conditions(raw: Any, later_after_s: Any, path: str, skills: tuple[str, ...],
                     contact_types: tuple[str, ...]) -> dict[str, ConditionSpec]:
    """A group's ``conditions`` (contact type -> :class:`ConditionSpec`) with ``later_skills_after_s``
    (``path`` is the group's): ``after_s`` for every skill but the first that ``conditions`` gives no
    ``after_s`` for. Each type must be one of the group's ``skills``."""
    where = join(path, "conditions")
    out: dict[str, ConditionSpec] = {}
    given: dict[str, Mapping[str, Any]] = {}
    for name, item in mapping(raw or {}, where).items():
        at = f"{where}.{name}"
        if name not in contact_types:
            raise ConfigError(at, f"expected a contact type ({', '.join(contact_types)}), got {show(name)}")
        if name not in skills:
            raise ConfigError(at, f"contact type {show(name)} is not among the group's skills ({', '.join(skills)})")
        spec = mapping(item if item is not None else {}, at)
        check_keys(spec, at, CONDITION_KEYS)
        given[str(name)] = spec
        out[str(name)] = ConditionSpec(
            after_s=number(spec.get("after_s", 0.0), join(at, "after_s"), unit="seconds"),
            queue_above=integer(spec.get("queue_above", 0), join(at, "queue_above")),
            keep_idle=integer(spec.get("keep_idle", 0), join(at, "keep_idle")))
    if later_after_s is not None:
        after = number(later_after_s, join(path, "later_skills_after_s"), unit="seconds")
        for name in skills[1:]:
            if "after_s" not in given.get(name, {}):
                old = out.get(name, ConditionSpec())
                out[name] = ConditionSpec(after, old.queue_above, old.keep_idle)
    return {name: c for name, c in out.items() if c != ConditionSpec()}


def check_routing_rules(contact_types: Mapping[str, Any], groups: Mapping[str, Any], agent_selection: str,
                        path: str) -> None:
    """Refuse what staged routing (group ``conditions``) and ``expected_delay`` routing do not support:
    conditions on a type with overflow, a VIP class, callbacks or deferrable work, or in a group with
    concurrency; ``expected_delay`` with overflow, VIP classes, callbacks, deferrable work or conditions."""
    unsupported = (("overflow", "an overflow rule"), ("vip", "a vip class"), ("callback", "callbacks"),
                   ("deferrable", "deferrable work"))
    for gname, group in groups.items():
        for tname in group.conditions:
            sugar = group.later_skills_after_s is not None and tname in group.skills[1:]
            at = f"{path}.agent_groups.{gname}." + ("later_skills_after_s" if sugar else f"conditions.{tname}")
            if agent_selection == "expected_delay":
                raise ConfigError(at, "conditions are not supported with routing.agent_selection: expected_delay")
            if group.concurrency is not None:
                raise ConfigError(at, "conditions are not supported in a group with concurrency")
            for key, what in unsupported:
                if getattr(contact_types[tname], key) is not None:
                    raise ConfigError(at, f"conditions are not supported on contact type {tname}, which has {what}")
    if agent_selection == "expected_delay":
        for tname, ct in contact_types.items():
            for key, what in unsupported:
                if getattr(ct, key) is not None:
                    raise ConfigError(f"{path}.contact_types.{tname}.{key}",
                                      f"{what} is not supported with routing.agent_selection: expected_delay")


@dataclass(frozen=True)
class SiteSpec:
    """A site (a building, a region, an outsourced vendor) and the agent groups that work there.

    A contact waits for the skilled groups of its contact type's home site from the start; it
    becomes eligible for the skilled groups of this site, another one, only once it has waited
    ``after_s`` seconds.  When an agent here takes a contact from another site, the agent is seized
    at once and the customer is connected ``network_delay_s`` seconds later: the delay counts in
    the customer's wait and in the agent's busy time, not in the handle time.
    ``price_per_contact`` (``None`` = none): each service started by the site's agents costs
    that much (a vendor paid per contact; ``vendor_cost``, :mod:`sim.workforce.costs`).
    """

    name: str
    groups: tuple[str, ...]
    after_s: float = 0.0
    network_delay_s: float = 0.0
    price_per_contact: float | None = None


def parse_sites(raw: Any, path: str, group_names: tuple[str, ...]) -> dict[str, SiteSpec]:
    """``scenario.sites``: ``{site: {groups, after_s, network_delay_s, price_per_contact}}`` (``None`` or
    absent = one site, no key needed).  Every agent group belongs to exactly one site."""
    if raw is None:
        return {}
    sites_raw = mapping(raw, path)
    if not sites_raw:
        raise ConfigError(path, "expected at least one site {groups: [...]}, or no sites key")
    sites: dict[str, SiteSpec] = {}
    owner: dict[str, str] = {}
    for name, value in sites_raw.items():
        where = join(path, str(name))
        spec = mapping(value, where)
        check_keys(spec, where, SITE_KEYS, required=("groups",))
        groups = spec["groups"]
        if isinstance(groups, str) or not isinstance(groups, (list, tuple)) or not groups:
            raise ConfigError(join(where, "groups"), f"expected a non-empty list of agent groups, got {show(groups)}")
        for i, group in enumerate(groups):
            if group not in group_names:
                raise ConfigError(f"{where}.groups[{i}]",
                                  f"unknown agent group {show(group)}; expected one of {', '.join(group_names)}")
            if group in owner:
                raise ConfigError(f"{where}.groups[{i}]", f"agent group {group} is already in site {owner[group]}; "
                                                          f"a group works at one site")
            owner[str(group)] = str(name)
        price = spec.get("price_per_contact")
        sites[str(name)] = SiteSpec(
            name=str(name), groups=tuple(str(g) for g in groups),
            after_s=number(spec.get("after_s", 0.0), join(where, "after_s"), unit="seconds"),
            network_delay_s=number(spec.get("network_delay_s", 0.0), join(where, "network_delay_s"), unit="seconds"),
            price_per_contact=None if price is None else number(price, join(where, "price_per_contact"),
                                                                unit="money per contact"))
    missing = [g for g in group_names if g not in owner]
    if missing:
        raise ConfigError(path, f"agent group {missing[0]} is in no site; with scenario.sites every agent group "
                                f"belongs to one site")
    return sites


# --------------------------------------------------------------- outbound campaigns and blending

OUTBOUND_KEYS = ("list_size", "window", "attempts", "connect", "right_party", "dial_time", "mode", "preview_time",
                 "pacing", "patience_s", "wrong_party_time")
OUTBOUND_WINDOW_KEYS = ("start", "end")
OUTBOUND_ATTEMPT_KEYS = ("max", "retry_delay_s")
PACING_KEYS = ("initial_ratio", "nuisance_target", "min_ratio", "max_ratio", "step", "adjust_every_s")
DIALING_MODES = ("preview", "progressive", "predictive")
BLENDING_RULES = ("queue_below", "service_level_above", "idle_reserve")
BLENDING_KEYS = ("rule", "max_waiting", "target", "agents")
#: the key each blending rule needs (and the only one it takes besides ``rule``)
BLENDING_RULE_KEY = {"queue_below": "max_waiting", "service_level_above": "target", "idle_reserve": "agents"}


@dataclass(frozen=True)
class PacingSpec:
    """A predictive dialer's pacing: dials placed = ``ratio`` x agents available for outbound work, minus
    the dials already ringing and the connected calls waiting.  The ratio starts at ``initial_ratio``;
    every ``adjust_every_s`` it moves by ``step`` within ``[min_ratio, max_ratio]`` on a nuisance budget
    (``nuisance_target`` x connects so far - nuisance calls so far; :mod:`sim.journeys.outbound`)."""

    initial_ratio: float = 1.0
    nuisance_target: float = 0.03
    min_ratio: float = 0.2
    max_ratio: float = 5.0
    step: float = 0.1
    adjust_every_s: float = 300.0


@dataclass(frozen=True)
class OutboundSpec:
    """An outbound campaign (:mod:`sim.journeys.outbound`): the contact type is a calling list, not arrivals.

    ``list_size`` records are dialled in ``window`` (seconds from the opening: ``(start, end)``), each at most
    ``max_attempts`` times, ``retry_delay_s`` apart.  A dial rings for a ``dial_time`` draw, then is answered
    with probability ``connect``; an answered call reaches the right party with probability ``right_party``
    (talk: the type's ``handle_time``, then its ``after_call_work``), else the agent spends a
    ``wrong_party_time`` draw.  ``mode``: ``preview`` (an idle agent reserves a record, reviews it for a
    ``preview_time`` draw, then dials and waits on the line), ``progressive`` (one dial per idle agent, the
    agent reserved while it rings) or ``predictive`` (``pacing``; a connected callee waits ``patience_s`` for
    an agent, then hangs up: a nuisance call)."""

    list_size: int
    connect: float
    right_party: float
    dial_time: Distribution
    mode: str = "progressive"
    window: tuple[float, float] | None = None  # seconds from the opening; None = the opening hours
    max_attempts: int = 3
    retry_delay_s: float = 3600.0
    preview_time: Distribution | None = None
    pacing: PacingSpec | None = None
    patience_s: float = 2.0
    wrong_party_time: Distribution = Distribution("deterministic", 30.0)


@dataclass(frozen=True)
class BlendingSpec:
    """When an agent of a group with inbound and outbound skills may take outbound work (:mod:`sim.journeys.outbound`).

    ``queue_below``: while fewer than ``threshold`` inbound contacts wait in the group's inbound queues (then
    ahead of them; 1 = only while none waits); ``service_level_above``: while the inbound service level of the
    group's inbound types over the last interval is at least ``threshold`` (a share), and no inbound contact
    waits for it; ``idle_reserve``: while at least ``threshold`` other agents of the group stay idle for
    inbound work, and no inbound contact waits for it."""

    rule: str
    threshold: float


def _given(spec: Mapping[str, Any], key: str, default: Any) -> Any:
    """``spec[key]``, or ``default`` when it is absent or null (an override may unset a key with null)."""
    value = spec.get(key)
    return default if value is None else value


def _window_time(value: Any, path: str, open_s: float) -> float:
    """A dialing window's bound: a clock time 'HH:MM' or seconds from the opening -> seconds from the opening."""
    if isinstance(value, str):
        return clock(value, path) - open_s
    return number(value, path, unit="seconds from the opening")


def parse_outbound(raw: Any, path: str, open_s: float, close_s: float) -> OutboundSpec | None:
    """``contact_types.<t>.outbound`` (``None`` = an inbound type); the window is checked inside the opening hours."""
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, OUTBOUND_KEYS, required=("list_size", "connect", "right_party", "dial_time"))
    mode = choice(_given(spec, "mode", "progressive"), join(path, "mode"), DIALING_MODES)
    window = None
    if spec.get("window") is not None:
        where = join(path, "window")
        w = mapping(spec["window"], where)
        check_keys(w, where, OUTBOUND_WINDOW_KEYS)
        start = _window_time(w.get("start", 0.0), join(where, "start"), open_s)
        end = _window_time(w["end"], join(where, "end"), open_s) if "end" in w else close_s - open_s
        length = close_s - open_s
        if start < -1e-9 or start >= length:
            raise ConfigError(join(where, "start"), f"expected a time inside the opening hours {hhmm(open_s)}-"
                                                    f"{hhmm(close_s)}, got {show(w.get('start'))}")
        if end > length + 1e-9:
            raise ConfigError(join(where, "end"), f"expected a time inside the opening hours {hhmm(open_s)}-"
                                                  f"{hhmm(close_s)}, got {show(w.get('end'))}")
        if end <= start:
            raise ConfigError(join(where, "end"), f"expected a time after window.start, got {show(w.get('end'))}")
        window = (max(0.0, start), end)
    attempts = mapping(spec.get("attempts") or {}, join(path, "attempts"))
    check_keys(attempts, join(path, "attempts"), OUTBOUND_ATTEMPT_KEYS)
    pacing = None
    if mode == "predictive":
        pacing = parse_pacing(spec.get("pacing") or {}, join(path, "pacing"))
    elif spec.get("pacing") is not None:
        raise ConfigError(join(path, "pacing"), f"only used with mode: predictive, got mode: {mode}")
    preview = None
    if mode == "preview":
        preview = parse_distribution(_given(spec, "preview_time", {"dist": "deterministic", "mean_s": 30.0}),
                                     join(path, "preview_time"))
    elif spec.get("preview_time") is not None:
        raise ConfigError(join(path, "preview_time"), f"only used with mode: preview, got mode: {mode}")
    if spec.get("patience_s") is not None and mode != "predictive":
        raise ConfigError(join(path, "patience_s"), f"only used with mode: predictive (a reserved agent is on the "
                                                    f"line in {mode} mode), got mode: {mode}")
    wrong = spec.get("wrong_party_time")
    return OutboundSpec(
        list_size=integer(spec["list_size"], join(path, "list_size"), minimum=1),
        connect=probability(spec["connect"], join(path, "connect")),
        right_party=probability(spec["right_party"], join(path, "right_party")),
        dial_time=parse_distribution(spec["dial_time"], join(path, "dial_time")),
        mode=mode, window=window,
        max_attempts=integer(_given(attempts, "max", 3), join(path, "attempts.max"), minimum=1),
        retry_delay_s=number(_given(attempts, "retry_delay_s", 3600.0), join(path, "attempts.retry_delay_s"),
                             unit="seconds"),
        preview_time=preview, pacing=pacing,
        patience_s=number(_given(spec, "patience_s", 2.0), join(path, "patience_s"), unit="seconds"),
        wrong_party_time=OutboundSpec.wrong_party_time if wrong is None else parse_distribution(
            wrong, join(path, "wrong_party_time")),
    )


def parse_pacing(raw: Any, path: str) -> PacingSpec:
    """A predictive dialer's ``pacing`` block (every key optional)."""
    spec = mapping(raw, path)
    check_keys(spec, path, PACING_KEYS)
    d = PacingSpec()
    target = number(_given(spec, "nuisance_target", d.nuisance_target), join(path, "nuisance_target"))
    if not 0.0 < target < 1.0:
        raise ConfigError(join(path, "nuisance_target"), f"expected a share strictly between 0 and 1 (e.g. 0.03 "
                                                         f"for 3%), got {show(spec.get('nuisance_target'))}")
    lo = number(_given(spec, "min_ratio", d.min_ratio), join(path, "min_ratio"), positive=True)
    hi = number(_given(spec, "max_ratio", d.max_ratio), join(path, "max_ratio"), positive=True)
    if hi < lo:
        raise ConfigError(join(path, "max_ratio"), f"expected at least min_ratio ({lo:g}), got {hi:g}")
    initial = number(_given(spec, "initial_ratio", max(lo, min(hi, d.initial_ratio))), join(path, "initial_ratio"),
                     positive=True)
    if not lo <= initial <= hi:
        raise ConfigError(join(path, "initial_ratio"), f"expected a ratio between min_ratio {lo:g} and max_ratio "
                                                       f"{hi:g}, got {initial:g}")
    return PacingSpec(initial_ratio=initial, nuisance_target=target, min_ratio=lo, max_ratio=hi,
                      step=number(_given(spec, "step", d.step), join(path, "step")),
                      adjust_every_s=number(_given(spec, "adjust_every_s", d.adjust_every_s), join(path, "adjust_every_s"),
                                            positive=True, unit="seconds"))


def parse_blending(raw: Any, path: str) -> BlendingSpec | None:
    """``agent_groups.<g>.blending`` (``None`` = outbound work whenever no inbound contact waits for the agent)."""
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, BLENDING_KEYS, required=("rule",))
    rule = choice(spec["rule"], join(path, "rule"), BLENDING_RULES)
    key = BLENDING_RULE_KEY[rule]
    for other in BLENDING_KEYS[1:]:
        if other != key and spec.get(other) is not None:  # null: absent (an override may unset it)
            raise ConfigError(join(path, other), f"not used by rule {rule} (it takes {key}); remove it")
    if spec.get(key) is None:
        raise ConfigError(join(path, key), f"required for rule {rule}")
    where = join(path, key)
    if rule == "service_level_above":
        value = probability(spec[key], where)
    else:
        value = float(integer(spec[key], where, minimum=1 if rule == "queue_below" else 0))
    return BlendingSpec(rule, value)
