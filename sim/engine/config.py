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

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from sim.engine.checks import boolean, check_keys, choice, join, mapping, number, probability, show, table
from sim.engine.errors import ConfigError
from sim.engine.routing import AGENT_SELECTORS, QUEUE_SELECTORS

__all__ = ["ChannelSpec", "EscalationSpec", "RoutingSpec", "CHANNEL_KEYS", "ARRIVAL_KEYS", "ESCALATION_KEYS",
           "ROUTING_KEYS", "DEFERRABLE_THRESHOLD_S", "AGENT_SELECTIONS", "QUEUE_SELECTIONS", "parse_channel", "parse_escalation",
           "parse_arrivals", "parse_arrival_scale", "parse_day_pattern", "parse_routing", "parse_trace"]

#: the routing policies a scenario may name: those registered in sim.engine.routing
AGENT_SELECTIONS = tuple(AGENT_SELECTORS)
QUEUE_SELECTIONS = tuple(QUEUE_SELECTORS)






CHANNEL_KEYS = ("service_level_threshold_s", "service_level_target", "deferrable")

#: a channel whose service-level threshold is at least this (seconds: an hour) is deferrable unless
#: its ``deferrable`` key says otherwise: answered in hours (email, social), not seconds (phone, chat)
DEFERRABLE_THRESHOLD_S = 3600.0


ARRIVAL_KEYS = ("rate_per_hour", "volume", "profile", "day_factors", "overnight_volume", "scale")


ESCALATION_KEYS = ("probability", "to")


ROUTING_KEYS = ("agent_selection", "queue_selection")


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
    idle).  ``queue_selection``: which waiting contact a freed agent takes —
    ``priority_fcfs`` (highest contact-type priority, first come first served
    within a priority), ``fcfs`` (the longest-waiting eligible contact) or
    ``skill_order`` (the first non-empty queue in the agent's skill order).
    """

    agent_selection: str = "longest_idle"
    queue_selection: str = "priority_fcfs"


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


def parse_routing(raw: Any, path: str) -> RoutingSpec:
    """``routing``: the agent- and queue-selection policies (defaults: longest_idle, priority_fcfs)."""
    spec = mapping(raw or {}, path)
    check_keys(spec, path, ROUTING_KEYS)
    return RoutingSpec(
        agent_selection=choice(spec.get("agent_selection", "longest_idle"), join(path, "agent_selection"), AGENT_SELECTIONS),
        queue_selection=choice(spec.get("queue_selection", "priority_fcfs"), join(path, "queue_selection"), QUEUE_SELECTIONS),
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
