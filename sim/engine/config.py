"""The engine's part of the configuration schema: channels, arrivals, escalation, routing.

Each ``parse_*`` function turns one plain mapping (as Hydra composes it from YAML)
into a frozen dataclass, or raises :class:`~sim.engine.errors.ConfigError` naming the
key path and what was expected.  Durations are parsed by
:func:`~sim.engine.distributions.parse_distribution`, beside the sampler.  The
mechanisms' parts live in :mod:`sim.journeys.config` and :mod:`sim.workforce.config`;
:mod:`sim.model.config` assembles them into a :class:`~sim.model.config.Scenario`.
Units: seconds inside the model; keys carry theirs in the name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from sim.engine.checks import (boolean, check_keys, choice, integer, join, keyed, mapping, number, probability, show,
                               table)
from sim.engine.errors import ConfigError
from sim.engine.routing import AGENT_SELECTORS, QUEUE_SELECTORS

__all__ = ["ChannelSpec", "EscalationSpec", "RoutingSpec", "CHANNEL_KEYS", "ARRIVAL_KEYS", "ESCALATION_KEYS",
           "ROUTING_KEYS", "DEFERRABLE_THRESHOLD_S", "AGENT_SELECTIONS", "QUEUE_SELECTIONS", "parse_channel", "parse_escalation",
           "parse_arrivals", "parse_arrival_scale", "parse_day_pattern", "parse_routing", "parse_trace"]

#: the routing policies a scenario may name: those registered in sim.engine.routing
AGENT_SELECTIONS = tuple(AGENT_SELECTORS)
QUEUE_SELECTIONS = tuple(QUEUE_SELECTORS)






CHANNEL_KEYS = ("service_level_threshold_s", "service_level_target", "deferrable", "lines")

#: a channel whose service-level threshold is at least this (seconds: an hour) is deferrable unless
#: its ``deferrable`` key says otherwise: answered in hours (email, social), not seconds (phone, chat)
DEFERRABLE_THRESHOLD_S = 3600.0


ARRIVAL_KEYS = ("rate_per_hour", "volume", "profile", "day_factors", "overnight_volume", "scale")


ESCALATION_KEYS = ("probability", "to")


ROUTING_KEYS = ("agent_selection", "queue_selection", "wait_weights", "contact_scores", "transfer_bonus",
                "agent_scores", "idle_weight")
CONTACT_SCORE_KEYS = ("base", "per_second")
#: the largest score or weight (a typo's 1e300 would make every other term vanish)
MAX_SCORE = 1e6


@dataclass(frozen=True)
class ChannelSpec:
    """A channel (phone, chat, email, ...) and its service-level goal.

    ``deferrable``: the channel's work waits hours, not seconds (email, social, letters): its waits
    are reported in hours and never averaged with a live channel's (:data:`DEFERRABLE_THRESHOLD_S`).
    """

    name: str
    service_level_threshold_s: float
    service_level_target: float
    deferrable: bool = False
    lines: int | None = None  # trunk lines (sim.journeys.trunk_lines); None: unlimited


@dataclass(frozen=True)
class EscalationSpec:
    """After tier-1 handling, the contact is transferred to ``to`` with ``probability``."""

    probability: float
    to: str


@dataclass(frozen=True)
class RoutingSpec:
    """How contacts and agents are matched.

    ``agent_selection``: which idle agent takes an arriving contact —
    ``longest_idle`` (the eligible agent idle longest) or ``skill_rank`` (agents
    for whom the contact type ranks highest in their skills first, then longest
    idle), ``score`` (group scores plus a score per second idle) or ``expected_delay``
    (longest idle; with no agent idle, the contact is committed to the eligible group with the
    smallest predicted delay, :mod:`sim.journeys.expected_delay`).  ``queue_selection``: which waiting contact a freed agent takes —
    ``priority_fcfs`` (highest contact-type priority, first come first served
    within a priority), ``fcfs`` (the longest-waiting eligible contact) or
    ``skill_order`` (the first non-empty queue in the agent's skill order), ``longest_queue`` (the
    head of the queue with the most contacts waiting) or ``longest_weighted_wait`` (the head whose
    wait so far times its contact type's ``wait_weights`` entry, default 1, is largest).
    """

    agent_selection: str = "longest_idle"
    queue_selection: str = "priority_fcfs"
    wait_weights: Mapping[str, float] = field(default_factory=dict)  # contact type -> weight (longest_weighted_wait)
    contact_scores: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # type -> (base, per second)
    transfer_bonus: float = 0.0  # score added to a transferred contact (queue_selection: score)
    agent_scores: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # group -> type -> score
    idle_weight: float = 1.0  # an agent's score per second idle (agent_selection: score)


def parse_channel(name: str, raw: Any, path: str) -> ChannelSpec:
    """A channel's service-level threshold (s) and target share."""
    spec = mapping(raw, path)
    check_keys(spec, path, CHANNEL_KEYS, required=("service_level_threshold_s", "service_level_target"))
    threshold = number(spec["service_level_threshold_s"], join(path, "service_level_threshold_s"), unit="seconds")
    deferrable = spec.get("deferrable")
    return ChannelSpec(
        name=name,
        service_level_threshold_s=threshold,
        service_level_target=probability(spec["service_level_target"], join(path, "service_level_target")),
        deferrable=(threshold >= DEFERRABLE_THRESHOLD_S if deferrable is None
                    else boolean(deferrable, join(path, "deferrable"))),
        lines=None if spec.get("lines") is None else integer(spec["lines"], join(path, "lines"), minimum=1),
    )


def parse_arrivals(raw: Any, path: str, n: int, interval_s: float) -> tuple[float, ...] | None:
    """``{rate_per_hour: x | [..]}`` or ``{volume: N, profile: [weights]}``; ``None`` = transfers only."""
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, ARRIVAL_KEYS)
    if "rate_per_hour" in spec:
        if "volume" in spec or "profile" in spec:
            raise ConfigError(path, "give either rate_per_hour or volume with profile, not both")
        return table(spec["rate_per_hour"], join(path, "rate_per_hour"), n,
                      lambda v, p: number(v, p, unit="contacts per hour"))
    if "volume" not in spec:
        raise ConfigError(join(path, "rate_per_hour"), "required key is missing (or give volume and profile)")
    volume = number(spec["volume"], join(path, "volume"), unit="contacts per day")
    weights = table(spec.get("profile", 1.0), join(path, "profile"), n, lambda v, p: number(v, p))
    total = sum(weights)
    if total <= 0:
        raise ConfigError(join(path, "profile"), "expected at least one positive weight")
    # the day's volume spread over the intervals in proportion to the weights
    return tuple(volume * w / total / (interval_s / 3600.0) for w in weights)


def parse_day_pattern(raw: Any, path: str) -> tuple[tuple[float, ...], float]:
    """``day_factors`` (a list of numbers >= 0, one per day of a cycle) and ``overnight_volume`` (>= 0)."""
    if raw is None:
        return (), 0.0
    spec = mapping(raw, path)
    factors = spec.get("day_factors")
    if factors is None:
        out: tuple[float, ...] = ()
    elif isinstance(factors, (list, tuple)) and factors:
        out = tuple(number(f, f"{path}.day_factors[{i}]") for i, f in enumerate(factors))
    else:
        raise ConfigError(join(path, "day_factors"), f"expected a non-empty list of numbers >= 0, one per day "
                                                     f"(e.g. [1.2, 1, 1, 1, 0.8] for a week), got {show(factors)}")
    overnight = number(spec.get("overnight_volume", 0.0), join(path, "overnight_volume"), unit="contacts per night")
    return out, overnight


def _score(value: Any, where: str) -> float:
    return number(value, where, minimum=-MAX_SCORE, maximum=MAX_SCORE)


def _contact_score(raw: Any, where: str) -> tuple[float, float]:
    spec = mapping(raw, where)
    check_keys(spec, where, CONTACT_SCORE_KEYS)
    return (_score(spec.get("base", 0.0), join(where, "base")),
            number(spec.get("per_second", 1.0), join(where, "per_second"), minimum=0.0, maximum=MAX_SCORE))


def parse_routing(raw: Any, path: str, contact_types: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> RoutingSpec:
    """``routing``: the agent- and queue-selection policies (defaults: longest_idle, priority_fcfs) and
    their settings: ``wait_weights`` (``longest_weighted_wait``), ``contact_scores`` and
    ``transfer_bonus`` (queue selection ``score``), ``agent_scores`` and ``idle_weight`` (agent
    selection ``score``). A setting given for a policy not chosen is refused (it would do nothing)."""
    spec = mapping(raw or {}, path)
    check_keys(spec, path, ROUTING_KEYS)
    queue_selection = choice(spec.get("queue_selection", "priority_fcfs"), join(path, "queue_selection"),
                             QUEUE_SELECTIONS)
    agent_selection = choice(spec.get("agent_selection", "longest_idle"), join(path, "agent_selection"),
                             AGENT_SELECTIONS)
    for key, policy, chosen in (("wait_weights", "queue_selection: longest_weighted_wait", queue_selection),
                                ("contact_scores", "queue_selection: score", queue_selection),
                                ("transfer_bonus", "queue_selection: score", queue_selection),
                                ("agent_scores", "agent_selection: score", agent_selection),
                                ("idle_weight", "agent_selection: score", agent_selection)):
        if spec.get(key) is not None and chosen != policy.split(": ")[1]:
            raise ConfigError(join(path, key), f"used only by {policy} ({policy.split(':')[0]} is {chosen})")
    weights = keyed(spec.get("wait_weights"), join(path, "wait_weights"), contact_types, "a contact type",
                    lambda v, where: number(v, where, positive=True, maximum=MAX_SCORE))
    scores = keyed(spec.get("contact_scores"), join(path, "contact_scores"), contact_types, "a contact type",
                   _contact_score)
    agent_scores = keyed(spec.get("agent_scores"), join(path, "agent_scores"), groups, "an agent group",
                         lambda v, where: keyed(v, where, contact_types, "a contact type", _score))
    return RoutingSpec(
        agent_selection=agent_selection,
        queue_selection=queue_selection,
        wait_weights=weights,
        contact_scores=scores,
        transfer_bonus=_score(spec.get("transfer_bonus", 0.0), join(path, "transfer_bonus")),
        agent_scores=agent_scores,
        idle_weight=number(spec.get("idle_weight", 1.0), join(path, "idle_weight"), minimum=0.0, maximum=MAX_SCORE),
    )


def parse_trace(raw: Any, path: str, contact_types: Mapping) -> Path | None:
    """``trace``: a CSV of arrivals to replay, every row checked now (``None`` = sample arrivals)."""
    if raw is None:
        return None
    if not isinstance(raw, (str, Path)):
        raise ConfigError(path, f"expected a CSV file path or null, got {show(raw)}")
    trace = Path(raw)
    if not trace.is_file():
        raise ConfigError(path, f"file not found: {trace}")
    # Check every row now, so a malformed trace is reported before any run starts.
    from sim.engine.arrivals import read_trace

    try:
        read_trace(trace, contact_types)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot read {trace} as a UTF-8 CSV file: {exc}") from None
    return trace


def parse_escalation(raw: Any, path: str) -> EscalationSpec | None:
    """``escalation: {probability, to}``: after tier-1 service, transferred to the contact type ``to``."""
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, ESCALATION_KEYS, required=ESCALATION_KEYS)
    return EscalationSpec(probability(spec["probability"], join(path, "probability")), str(spec["to"]))


def parse_arrival_scale(raw: Any, path: str) -> float:
    """``arrivals.scale``: a factor >= 0 on the contact type's arrival rates and overnight volume (1 = as given)."""
    if raw is None:
        return 1.0
    return number(mapping(raw, path).get("scale", 1.0), join(path, "scale"), unit="times the arrivals")
