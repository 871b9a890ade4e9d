"""Agents on duty over time, from shifts and shrinkage: the timeline the model follows for a group
with ``shifts`` (or roster rows), one per replication.

An agent is on duty from the start to the end of its shift, except during its breaks.  Shrinkage
(:class:`~sim.workforce_config.Shrinkage`) takes more away:

- **absence**: each agent-day (each agent of each shift) is absent with ``absence_probability``
  (stream ``absence:<group>``): that agent's whole shift is off;
- **short unavailability**: a present agent alternates between available, for an exponential time
  of mean ``1 / rate_per_hour``, and unavailable, for a ``duration`` drawn from its distribution
  (stream ``unavailable:<group>``), over each on-duty stretch between breaks;
- **blocks** (meetings, training): ``agents`` fewer on duty over the block's span (never below 0).

The timeline is a step function: at each change point the number of agents the group should have
logged in.  Agents asked to leave while busy finish their contact first (the model's rule); when the
drop comes from a shift ending, the time past the shift end is **overtime**.

Shrinkage shares are agent-time over the scheduled shift agent-time: *planned* = breaks and blocks,
plus the expected absence and unavailability (unavailability at its long-run share
``E[duration] / (1 / rate + E[duration])``); *realised* = what this replication's timeline took away.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .distributions import draw

if TYPE_CHECKING:  # pragma: no cover
    from .config import AgentGroupSpec

__all__ = ["DutyTimeline", "duty_timeline", "planned_staffing", "planned_shrinkage"]


@dataclass
class DutyTimeline:
    """Change points of one group's agents on duty, in simulation seconds (0 = ``open_time``).

    ``shift_end[i]``: a shift ends at ``times[i]`` (agents still busy then work overtime).
    Agent-seconds over the day: ``scheduled_s`` (shift lengths), ``breaks_s``, ``blocks_s``,
    ``absent_s``, ``unavailable_s``.
    """

    times: list[float]
    counts: list[int]
    shift_end: list[bool]
    scheduled_s: float
    breaks_s: float
    blocks_s: float
    absent_s: float
    unavailable_s: float

    @property
    def realised_shrinkage(self) -> float:
        off = self.breaks_s + self.blocks_s + self.absent_s + self.unavailable_s
        return off / self.scheduled_s if self.scheduled_s > 0 else math.nan


def _on_pieces(start: float, end: float, breaks: list[tuple[float, float]]) -> list[tuple[float, float]]:
    pieces, t = [], start
    for a, b in breaks:
        if a > t:
            pieces.append((t, a))
        t = max(t, b)
    if end > t:
        pieces.append((t, end))
    return pieces


def duty_timeline(spec: "AgentGroupSpec", open_s: float, absence_rng: np.random.Generator | None = None,
                  unavailable_rng: np.random.Generator | None = None) -> DutyTimeline:
    """The group's timeline for one replication (no random shrinkage without the generators);
    ``open_s``: the clock time of simulation time 0."""
    deltas: dict[float, int] = defaultdict(int)
    ends: dict[float, int] = defaultdict(int)  # agents whose shift ends at that time (on duty until then)
    shrink = spec.shrinkage
    p_absent = shrink.absence_probability if shrink is not None and absence_rng is not None else 0.0
    rate = shrink.unavailability_rate_per_hour if shrink is not None and unavailable_rng is not None else 0.0
    scheduled = breaks_s = absent_s = unavailable_s = 0.0
    agents = [shift for shift in spec.shifts for _ in range(shift.agents)]
    absent = absence_rng.random(len(agents)) < p_absent if p_absent > 0 else np.zeros(len(agents), bool)
    for shift, away in zip(agents, absent):
        scheduled += shift.length_s
        off = shift.off_duty()
        breaks_s += sum(b - a for a, b in off)
        pieces = _on_pieces(shift.start_s, shift.end_s, off)
        if away:
            absent_s += sum(b - a for a, b in pieces)
            continue
        for a, b in pieces:
            t = a
            while rate > 0:
                t += unavailable_rng.exponential(3600.0 / rate)
                if t >= b:
                    break
                d = float(draw(shrink.unavailability_duration, unavailable_rng, 1)[0])
                u1 = min(b, t + d)
                if u1 > t:
                    # the agent steps away: on duty [a, t), unavailable [t, u1), back on at u1
                    deltas[a - open_s] += 1
                    deltas[t - open_s] -= 1
                    unavailable_s += u1 - t
                    a = u1
                t = u1
            if b > a:
                deltas[a - open_s] += 1
                deltas[b - open_s] -= 1
                if b == shift.end_s:
                    ends[b - open_s] += 1
    steps, blocks_s = _steps(deltas, ends, spec, open_s)
    return DutyTimeline([t for t, _, _ in steps], [c for _, c, _ in steps], [e for _, _, e in steps],
                        scheduled, breaks_s, blocks_s, absent_s, unavailable_s)


def _steps(deltas: dict[float, int], ends: dict[float, int], spec: "AgentGroupSpec", open_s: float
           ) -> tuple[list[tuple[float, int, bool]], float]:
    """Change points ``(time, agents, shift_end)``.  Where shifts end and others start at the same time,
    the ends come first (a step of their own): the leaving agents finish their contacts as overtime
    while the arriving ones log in.  Blocks are subtracted (never below 0); returns also the
    agent-seconds they took."""
    blocks = [(b.start_s - open_s, b.start_s + b.length_s - open_s, b.agents)
              for b in (spec.shrinkage.blocks if spec.shrinkage is not None else ())]
    points = sorted(set(deltas) | {lo for lo, _, _ in blocks} | {hi for _, hi, _ in blocks})
    steps: list[tuple[float, int, bool]] = []
    taken: list[tuple[float, int]] = []
    n = 0
    for t in points:
        away = sum(k for lo, hi, k in blocks if lo <= t < hi)
        if ends.get(t):
            steps.append((t, max(n - ends[t] - away, 0), True))
        n += deltas.get(t, 0)
        after = max(n - away, 0)
        steps.append((t, after, False))
        taken.append((t, n - after))
    blocks_s = sum(k * (t1 - t0) for (t0, k), (t1, _) in zip(taken, taken[1:]))
    out: list[tuple[float, int, bool]] = []
    for step in steps:  # keep changes only
        if (out[-1][1] if out else 0) != step[1]:
            out.append(step)
    return out, float(blocks_s)


def planned_staffing(spec: "AgentGroupSpec", open_s: float, interval_s: float, n: int) -> tuple[int, ...]:
    """Per interval: the time-average agents on duty by the plan (shifts, breaks, blocks; no random
    shrinkage), rounded to the nearest whole agent."""
    tl = duty_timeline(spec, open_s)
    times = np.asarray(tl.times + [n * interval_s])
    counts = np.asarray(tl.counts, dtype=float)
    out = []
    for k in range(n):
        lo, hi = k * interval_s, (k + 1) * interval_s
        overlap = np.clip(np.minimum(times[1:], hi) - np.maximum(times[:-1], lo), 0, None)
        out.append(int(math.floor((counts * overlap).sum() / interval_s + 0.5 + 1e-9)))
    return tuple(out)


def planned_shrinkage(spec: "AgentGroupSpec", open_s: float) -> float:
    """Expected shrinkage share: breaks and blocks, plus absence and unavailability at their expected
    shares of the on-duty time between breaks (blocks are taken as falling on present agents)."""
    tl = duty_timeline(spec, open_s)
    if tl.scheduled_s <= 0:
        return math.nan
    scheduled_off = (tl.breaks_s + tl.blocks_s) / tl.scheduled_s
    on_share = 1.0 - tl.breaks_s / tl.scheduled_s
    s = spec.shrinkage
    if s is None:
        return scheduled_off
    share = s.absence_probability * on_share
    if s.unavailability_rate_per_hour > 0 and s.unavailability_duration is not None:
        mean_d = float(np.mean(s.unavailability_duration.samples_s)) if s.unavailability_duration.kind == "empirical" \
            else s.unavailability_duration.mean_s
        q = mean_d / (3600.0 / s.unavailability_rate_per_hour + mean_d)
        share += (1 - s.absence_probability) * on_share * q
    return scheduled_off + share
