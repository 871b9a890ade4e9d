"""Customer-experience proxies: CSAT and NPS per contact from a documented model (modelled, not measured).

Nothing here is observed: the scores follow from the simulated journey of each
contact through the coefficients of :class:`CxSpec` (``scenario.cx``), so the
metrics carry ``_modelled`` in their names.  The model, on the 1-5 CSAT scale:

- answered: ``csat_base`` - min(``wait_penalty_max``, ``wait_penalty_per_threshold``
  x time on hold, first and escalation queue, in units of its channel's service-level
  threshold) - ``transfer_penalty`` if
  escalated - ``bot_failure_penalty`` if handed off by self-service -
  ``unresolved_penalty`` if the issue was not resolved (contact types with a
  repeat model); a callback that reached the customer counts no hold time;
- deflected by self-service: ``deflected_csat``;
- abandoned, blocked, balked, or a callback nobody answered: ``abandoned_csat``;

clipped to [1, 5].  Contacts still in the system at the end get no score.

**Waits are judged against the channel's own promise.** A phone caller held 12 minutes has
waited 36 times the 20 s threshold; an email answered in 12 minutes has used 5% of its 4 h. So
the wait penalty counts thresholds, not minutes: the default 0.1 per threshold is 0.3 per minute
for a 20 s phone threshold, 0.1 per minute for a 60 s chat threshold and 0.025 per hour for a 4 h
email threshold (thresholds under 20 s count as 20 s, so that a 0 s threshold does not make every
second of hold the maximum). This is an assumption of the model, not a survey result: that
customers judge a wait by what the channel promised is the premise of service-level targets
themselves. ``wait_penalty_per_minute``, when given, applies one per-minute penalty to every
channel instead (the model before per-channel judging).  A
contact is an NPS promoter when its CSAT is at least ``promoter_csat``, a
detractor when below ``detractor_csat``; NPS = 100 x (promoters - detractors)
/ scored contacts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.engine.checks import check_keys, join, mapping, number
from sim.engine.errors import ConfigError
from sim.engine.records import TALLY_FIELDS

__all__ = ["CxSpec", "CX_KEYS", "parse_cx", "CxScorer"]

CX_KEYS = ("csat_base", "wait_penalty_per_threshold", "wait_penalty_per_minute", "wait_penalty_max", "transfer_penalty",
           "bot_failure_penalty", "unresolved_penalty", "deflected_csat", "abandoned_csat", "promoter_csat",
           "detractor_csat")
#: a threshold shorter than this (s) counts as this long in the wait penalty
MIN_THRESHOLD_S = 20.0
_F = {name: i for i, name in enumerate(TALLY_FIELDS)}
CSAT_SUM, SCORED, PROMOTERS, DETRACTORS = _F["csat_sum"], _F["cx_scored"], _F["promoters"], _F["detractors"]


@dataclass(frozen=True)
class CxSpec:
    """Coefficients of the CSAT model (1-5 scale; see the module docstring)."""

    csat_base: float = 4.6
    wait_penalty_per_threshold: float = 0.1
    wait_penalty_per_minute: float | None = None  # given: one per-minute penalty for every channel
    wait_penalty_max: float = 2.0
    transfer_penalty: float = 0.4
    bot_failure_penalty: float = 0.3
    unresolved_penalty: float = 1.2
    deflected_csat: float = 4.2
    abandoned_csat: float = 1.5
    promoter_csat: float = 4.5
    detractor_csat: float = 3.5


def parse_cx(raw: Any, path: str) -> CxSpec | None:
    if raw is None:
        return None
    spec = mapping(raw, path)
    check_keys(spec, path, CX_KEYS)
    defaults = CxSpec()
    values = {}
    for key in CX_KEYS:
        if key == "wait_penalty_per_minute":
            value = spec.get(key)
            values[key] = None if value is None else number(value, join(path, key))
            continue
        scale = key.endswith("_csat") or key == "csat_base"
        values[key] = number(spec.get(key, getattr(defaults, key)), join(path, key), minimum=1.0 if scale else 0.0,
                             maximum=5.0 if scale or key == "wait_penalty_max" else None)
    if values["promoter_csat"] < values["detractor_csat"]:
        raise ConfigError(join(path, "promoter_csat"),
                          f"expected at least detractor_csat ({values['detractor_csat']:g}), got {values['promoter_csat']:g}")
    return CxSpec(**values)


class CxScorer:
    """Scores contacts as they leave and adds them to a tally row."""

    __slots__ = ("spec", "per_s")

    def __init__(self, spec: CxSpec, thresholds_s: Sequence[float]) -> None:
        """``thresholds_s``: each channel's service-level threshold (s), by channel index."""
        self.spec = spec
        if spec.wait_penalty_per_minute is not None:
            self.per_s = tuple(spec.wait_penalty_per_minute / 60.0 for _ in thresholds_s)
        else:
            self.per_s = tuple(spec.wait_penalty_per_threshold / max(t, MIN_THRESHOLD_S) for t in thresholds_s)

    def answered(self, acc, hold_s: float, escalated: bool, bot_failed: bool, unresolved: bool,
                 channel: int = 0) -> None:
        """An answered contact of channel index ``channel`` that was on hold ``hold_s`` seconds."""
        s = self.spec
        csat = s.csat_base - min(s.wait_penalty_max, self.per_s[channel] * hold_s)
        if escalated:
            csat -= s.transfer_penalty
        if bot_failed:
            csat -= s.bot_failure_penalty
        if unresolved:
            csat -= s.unresolved_penalty
        self._add(acc, csat)

    def deflected(self, acc) -> None:
        self._add(acc, self.spec.deflected_csat)

    def lost(self, acc) -> None:
        """Abandoned, blocked, balked or an unanswered callback."""
        self._add(acc, self.spec.abandoned_csat)

    def _add(self, acc, csat: float) -> None:
        csat = 1.0 if csat < 1.0 else 5.0 if csat > 5.0 else csat
        acc[CSAT_SUM] += csat
        acc[SCORED] += 1.0
        if csat >= self.spec.promoter_csat:
            acc[PROMOTERS] += 1.0
        elif csat < self.spec.detractor_csat:
            acc[DETRACTORS] += 1.0
