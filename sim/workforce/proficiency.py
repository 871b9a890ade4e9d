"""Agents differ: proficiency per skill, a learning curve for new hires, fatigue, an occupancy cap.

Keys of ``scenario.agent_groups.<group>`` (all optional; a group without them is unchanged):

- ``proficiency``: ``{contact type: multiplier}``: the group's handle time of that type x the
  multiplier (0.8 = 20% faster than the type's handle time; 1 = as given).
- ``learning``: new hires: an agent's handle times are multiplied by
  ``1 + (initial_multiplier - 1) * 0.5 ** (n / half_life_contacts)``, where ``n`` is the contacts it
  has handled (``experience_contacts`` before the day, plus the day's).  Experience survives breaks:
  an agent logging off hands its count back to the group, the next one logging in takes the highest.
- ``fatigue``: an agent's **occupancy** over the trailing ``window_minutes`` (busy time in the window
  / window) above ``occupancy_threshold`` makes its next handle time x ``aht_multiplier``; the share
  of the group's logged-in agent-time spent above the threshold (sampled each minute) is reported as
  ``time_above_threshold``, the burnout-risk indicator.  ``occupancy_cap`` (optional): an agent whose
  trailing occupancy is above it takes no new contact until it has fallen back to the cap (it rests).
- ``skill_levels``: ``{contact type: level}``, the group's skill level on each of its skills: 1
  (expert), 2 (standard) or 3 (novice); a skill not listed is level 2.  What a level does is the
  scenario's table ``scenario.skill_levels`` (:class:`SkillLevels`; :data:`DEFAULT_LEVELS` unless
  overridden): its ``handle_time_factor`` multiplies the group's handle time of the type (times
  ``proficiency``: the two compose as a product), its ``repeat_factor`` the type's repeat
  probability after a service by the group (:mod:`sim.journeys.flow`), and its ``agent_score`` is
  the group's score for the type under ``routing.agent_selection: score`` where
  ``routing.agent_scores`` gives none (:mod:`sim.model.centre`).  Levels are on in a scenario that
  gives the table or any group's ``skill_levels``; otherwise nothing changes (factors 1, scores 0).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Any, Mapping

from sim.engine.checks import check_keys, join, mapping, number, show
from sim.engine.config import MAX_SCORE
from sim.engine.errors import ConfigError

__all__ = ["LearningSpec", "FatigueSpec", "LevelSpec", "SkillLevels", "LEARNING_KEYS", "FATIGUE_KEYS", "LEVEL_KEYS",
           "LEVELS", "DEFAULT_LEVEL", "DEFAULT_LEVELS", "parse_proficiency", "parse_learning", "parse_fatigue",
           "parse_group_levels", "parse_skill_levels", "handle_multipliers", "AgentLoad", "SAMPLE_S"]

LEVEL_KEYS = ("handle_time_factor", "repeat_factor", "agent_score", "transfer_factor")
LEVELS = (1, 2, 3)  # 1 = expert, 2 = standard, 3 = novice
LEVEL_NAMES = {1: "expert", 2: "standard", 3: "novice"}
DEFAULT_LEVEL = 2  # a skill a group does not list in its skill_levels
LEARNING_KEYS = ("initial_multiplier", "half_life_contacts", "experience_contacts")
FATIGUE_KEYS = ("window_minutes", "occupancy_threshold", "aht_multiplier", "occupancy_cap")
SAMPLE_S = 60.0  # how often time above the occupancy threshold is sampled


@dataclass(frozen=True)
class LearningSpec:
    initial_multiplier: float
    half_life_contacts: float
    experience_contacts: float = 0.0

    def multiplier(self, handled: float) -> float:
        return 1.0 + (self.initial_multiplier - 1.0) * 0.5 ** (handled / self.half_life_contacts)


@dataclass(frozen=True)
class FatigueSpec:
    window_s: float = 3600.0
    occupancy_threshold: float = 0.85
    aht_multiplier: float = 1.0
    occupancy_cap: float | None = None


@dataclass(frozen=True)
class LevelSpec:
    """What a skill level does: handle time x ``handle_time_factor``, repeat probability x
    ``repeat_factor``, ``agent_score`` (score routing) where ``routing.agent_scores`` gives none, and
    escalation and transfer probabilities after its services x ``transfer_factor`` (1 at every level
    unless the table sets it)."""

    handle_time_factor: float
    repeat_factor: float
    agent_score: float
    transfer_factor: float = 1.0  # escalation and transfer probabilities after its services x this


#: the level table unless ``scenario.skill_levels`` overrides it (docs/configuration.md)
DEFAULT_LEVELS = {1: LevelSpec(0.85, 0.7, 30.0), 2: LevelSpec(1.0, 1.0, 20.0), 3: LevelSpec(1.25, 1.4, 10.0)}


@dataclass(frozen=True)
class SkillLevels:
    """A scenario's skill levels: ``table`` (level -> :class:`LevelSpec`) and each group's levels
    (``groups``: group -> contact type -> level; skills not listed are :data:`DEFAULT_LEVEL`)."""

    table: Mapping[int, LevelSpec]
    groups: Mapping[str, Mapping[str, int]]

    def level(self, group: str, contact_type: str) -> int:
        """The group's level on the contact type (1 expert .. 3 novice)."""
        return self.groups.get(group, {}).get(contact_type, DEFAULT_LEVEL)

    def of(self, group: str, contact_type: str) -> LevelSpec:
        """What the group's level on the contact type does."""
        return self.table[self.level(group, contact_type)]

    def transfer_scale(self, contact_type: str, groups) -> dict[str, float]:
        """Per agent group (of ``groups``) whose level on ``contact_type`` has a ``transfer_factor`` other
        than 1: that factor (escalation and transfer probabilities after its services are multiplied by it)."""
        out = {g: self.of(g, contact_type).transfer_factor for g in groups}
        return {g: f for g, f in out.items() if f != 1.0}


def _level(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value not in LEVELS:
        raise ConfigError(where, "expected a skill level 1 (expert), 2 (standard) or 3 (novice), "
                                 f"got {show(value)}")
    return int(value)


def parse_group_levels(raw: Any, where: str, contact_types: tuple[str, ...], skills: tuple[str, ...]
                       ) -> Mapping[str, int] | None:
    """A group's ``skill_levels``: ``{skill: 1|2|3}`` (``None``: not given)."""
    if raw is None:
        return None
    out = {}
    for t, level in mapping(raw, where).items():
        tw = join(where, str(t))
        if t not in contact_types:
            raise ConfigError(tw, f"unknown contact type; expected one of {', '.join(contact_types)}")
        if t not in skills:
            raise ConfigError(tw, f"not a skill of this group ({', '.join(skills)})")
        out[str(t)] = _level(level, tw)
    return out


def parse_skill_levels(raw: Any, where: str) -> dict[int, LevelSpec]:
    """``scenario.skill_levels``: ``{1|2|3: {handle_time_factor, repeat_factor, agent_score, transfer_factor}}``, each key
    optional, over :data:`DEFAULT_LEVELS` (``None``: the defaults). Levels may be written ``1`` or ``"1"``."""
    table = dict(DEFAULT_LEVELS)
    if raw is None:
        return table
    seen: dict[int, Any] = {}
    for key, value in mapping(raw, where).items():
        kw = join(where, str(key))
        text = str(key).strip()
        if isinstance(key, bool) or not re.fullmatch(r"[0-9]{1,3}", text) or int(text) not in LEVELS:
            raise ConfigError(kw, f"expected a skill level 1 (expert), 2 (standard) or 3 (novice), got {show(key)}")
        level = int(text)
        if level in seen:
            raise ConfigError(kw, f"level {level} is given twice (as {show(seen[level])} and {show(key)})")
        seen[level] = key
        spec = mapping(value, kw)
        check_keys(spec, kw, LEVEL_KEYS)
        base = table[level]
        table[level] = LevelSpec(
            number(spec.get("handle_time_factor", base.handle_time_factor), join(kw, "handle_time_factor"),
                   positive=True),
            number(spec.get("repeat_factor", base.repeat_factor), join(kw, "repeat_factor"), maximum=MAX_SCORE),
            number(spec.get("agent_score", base.agent_score), join(kw, "agent_score"), minimum=-MAX_SCORE,
                   maximum=MAX_SCORE),
            number(spec.get("transfer_factor", base.transfer_factor), join(kw, "transfer_factor"), maximum=MAX_SCORE))
    return table


def handle_multipliers(scenario, group: str) -> dict[str, float]:
    """The group's handle-time multiplier per contact type: ``proficiency`` times its skill level's
    ``handle_time_factor`` on the types it serves (its skills, and those it takes by overflow, at
    :data:`DEFAULT_LEVEL`); only the types where it is not 1."""
    spec = scenario.agent_groups[group]
    out = dict(spec.proficiency)
    levels = scenario.skill_levels
    if levels is not None:
        overflow = [t for t, ct in scenario.contact_types.items()
                    if ct.overflow is not None and group in ct.overflow.groups and t not in spec.skills]
        for t in (*spec.skills, *overflow):
            factor = levels.of(group, t).handle_time_factor
            if factor != 1.0:
                out[t] = out.get(t, 1.0) * factor
    return out


def parse_proficiency(raw: Any, where: str, contact_types: tuple[str, ...], skills: tuple[str, ...]
                      ) -> dict[str, float]:
    if raw is None:
        return {}
    spec = mapping(raw, where)
    out = {}
    for t, m in spec.items():
        tw = join(where, str(t))
        if t not in contact_types:
            raise ConfigError(tw, f"unknown contact type; expected one of {', '.join(contact_types)}")
        if t not in skills:
            raise ConfigError(tw, f"not a skill of this group ({', '.join(skills)})")
        out[str(t)] = number(m, tw, positive=True)
    return out


def parse_learning(raw: Any, where: str) -> LearningSpec | None:
    if raw is None:
        return None
    spec = mapping(raw, where)
    check_keys(spec, where, LEARNING_KEYS, required=("initial_multiplier", "half_life_contacts"))
    return LearningSpec(number(spec["initial_multiplier"], join(where, "initial_multiplier"), positive=True),
                        number(spec["half_life_contacts"], join(where, "half_life_contacts"), positive=True),
                        number(spec.get("experience_contacts", 0), join(where, "experience_contacts")))


def parse_fatigue(raw: Any, where: str) -> FatigueSpec | None:
    if raw is None:
        return None
    spec = mapping(raw, where)
    check_keys(spec, where, FATIGUE_KEYS)
    cap = spec.get("occupancy_cap")
    if cap is not None:
        cap = number(cap, join(where, "occupancy_cap"), positive=True, maximum=1.0)
    threshold = number(spec.get("occupancy_threshold", 0.85), join(where, "occupancy_threshold"), positive=True,
                       maximum=1.0)
    return FatigueSpec(60.0 * number(spec.get("window_minutes", 60), join(where, "window_minutes"), positive=True,
                                     unit="minutes"),
                       threshold, number(spec.get("aht_multiplier", 1.0), join(where, "aht_multiplier"), positive=True),
                       cap)


class AgentLoad:
    """An agent's recent busy spans and contacts handled (only for groups with learning or fatigue)."""

    __slots__ = ("spans", "handled")

    def __init__(self, handled: float = 0.0) -> None:
        self.spans: deque[tuple[float, float]] = deque()
        self.handled = handled

    def busy(self, lo: float, hi: float) -> float:
        """Busy seconds inside ``[lo, hi]``."""
        return sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in self.spans)

    def occupancy(self, now: float, window_s: float) -> float:
        while self.spans and self.spans[0][1] <= now - window_s:
            self.spans.popleft()
        return self.busy(now - window_s, now) / window_s

    def rest_until(self, now: float, window_s: float, cap: float) -> float:
        """The earliest time the trailing occupancy is back at ``cap`` with no new work (bisection)."""
        if self.occupancy(now, window_s) <= cap:
            return now
        lo, hi = now, now + window_s
        for _ in range(40):
            mid = (lo + hi) / 2
            if self.busy(mid - window_s, now) / window_s <= cap:
                hi = mid
            else:
                lo = mid
        return hi
