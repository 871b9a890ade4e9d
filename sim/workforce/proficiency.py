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
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from sim.engine.checks import check_keys, join, mapping, number
from sim.engine.errors import ConfigError

__all__ = ["LearningSpec", "FatigueSpec", "LEARNING_KEYS", "FATIGUE_KEYS", "parse_proficiency", "parse_learning",
           "parse_fatigue", "AgentLoad", "SAMPLE_S"]

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
