"""Agents on duty over time, from shifts and shrinkage: the timeline the model follows for a group
with ``shifts`` (or roster rows), one per replication.

An agent is on duty from the start to the end of its shift, except during its breaks.  Shrinkage
(:class:`~sim.workforce.config.Shrinkage`) takes more away:

- **absence**: each agent-day (each agent of each shift) is absent with ``absence_probability``
  (stream ``absence:<group>``): that agent's whole shift is off;
- **short unavailability**: a present agent alternates between available, for an exponential time
  of mean ``1 / rate_per_hour``, and unavailable, for a ``duration`` drawn from its distribution
  (stream ``unavailable:<group>``), over each on-duty stretch between breaks;
- **blocks** (meetings, training): ``agents`` fewer on duty over the block's span (never below 0).

The timeline is a step function: at each change point the number of agents the group should have
logged in.  Agents asked to leave while busy finish their contact first (the model's rule); when the
drop comes from a shift ending, the time past the shift end is **overtime**.

**Pools.**  Agents of a group who hold the same number of contacts at once (a shift's or roster row's
``concurrency``, else the group's) are interchangeable: they form a pool, and each pool has a step
function of its own (``DutyTimeline.pools``), which the model follows pool by pool.  The agents'
on-duty pieces are drawn as for the whole group (same agent order, same streams) and counted in
their pool; a block takes its agents from the pools in the order of
:attr:`~sim.model.config.AgentGroupSpec.pool_sizes` (the group's own concurrency first, then the overrides
in increasing order), each down to 0 before the next.  A group without overrides has one pool, whose
steps are the group's.

Shrinkage shares are agent-time over the scheduled shift agent-time: *planned* = breaks and blocks,
plus the expected absence and unavailability (unavailability at its long-run share
``E[duration] / (1 / rate + E[duration])``); *realised* = what this replication's timeline took away.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.distributions import draw

if TYPE_CHECKING:  # pragma: no cover (type-only: never runs, so no import circle)
    from sim.model.config import AgentGroupSpec

__all__ = ["DutyTimeline", "Steps", "duty_timeline", "planned_staffing", "planned_shrinkage"]


@dataclass
class Steps:
    """Change points of a pool's agents on duty: ``counts[i]`` from ``times[i]`` (simulation s);
    ``shift_end[i]``: the drop is shifts of that pool ending (agents still busy then work overtime)."""

    times: list[float]
    counts: list[int]
    shift_end: list[bool]


@dataclass
class DutyTimeline:
    """Change points of one group's agents on duty, in simulation seconds (0 = ``open_time``).

    ``shift_end[i]``: a shift ends at ``times[i]`` (agents still busy then work overtime).
    Agent-seconds over the day: ``scheduled_s`` (shift lengths), ``breaks_s``, ``blocks_s``,
    ``absent_s``, ``unavailable_s``.  ``pools``: the steps of each pool, by the contacts its agents
    hold at once, in :attr:`~sim.model.config.AgentGroupSpec.pool_sizes` order.
    """

    times: list[float]
    counts: list[int]
    shift_end: list[bool]
    scheduled_s: float
    breaks_s: float
    blocks_s: float
    absent_s: float
    unavailable_s: float
    pools: dict[int, Steps] = field(default_factory=dict)

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
    sizes = spec.pool_sizes
    # per pool: changes of the agents on duty, and agents whose shift ends at that time (on duty until then)
    pool_deltas: dict[int, dict[float, int]] = {k: defaultdict(int) for k in sizes}
    pool_ends: dict[int, dict[float, int]] = {k: defaultdict(int) for k in sizes}
    shrink = spec.shrinkage
    p_absent = shrink.absence_probability if shrink is not None and absence_rng is not None else 0.0
    rate = shrink.unavailability_rate_per_hour if shrink is not None and unavailable_rng is not None else 0.0
    scheduled = breaks_s = absent_s = unavailable_s = 0.0
    agents = [shift for shift in spec.shifts for _ in range(shift.agents)]
    absent = absence_rng.random(len(agents)) < p_absent if p_absent > 0 else np.zeros(len(agents), bool)
    for shift, away in zip(agents, absent):
        pool = shift.concurrency or sizes[0]
        deltas, ends = pool_deltas[pool], pool_ends[pool]
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
    steps, pools, blocks_s = _steps(pool_deltas, pool_ends, spec, open_s)
    return DutyTimeline(steps.times, steps.counts, steps.shift_end, scheduled, breaks_s, blocks_s, absent_s,
                        unavailable_s, pools)


def _steps(deltas: dict[int, dict[float, int]], ends: dict[int, dict[float, int]], spec: "AgentGroupSpec",
           open_s: float) -> tuple[Steps, dict[int, Steps], float]:
    """Change points of the group and of each pool (the keys of ``deltas``, in order).  Where shifts end
    and others start at the same time, the ends come first (a step of their own): the leaving agents
    finish their contacts as overtime while the arriving ones log in.  Blocks are subtracted, pool by
    pool in order (never below 0); returns also the agent-seconds they took."""
    blocks = [(b.start_s - open_s, b.start_s + b.length_s - open_s, b.agents)
              for b in (spec.shrinkage.blocks if spec.shrinkage is not None else ())]
    points = sorted(set().union(*deltas.values()) | {lo for lo, _, _ in blocks} | {hi for _, hi, _ in blocks})
    steps: list[tuple[float, int, bool]] = []
    pool_steps: dict[int, list[tuple[float, int, bool]]] = {k: [] for k in deltas}
    taken: list[tuple[float, int]] = []
    n = dict.fromkeys(deltas, 0)
    for t in points:
        away = sum(k for lo, hi, k in blocks if lo <= t < hi)
        if any(e.get(t) for e in ends.values()):
            on = _take({k: n[k] - ends[k].get(t, 0) for k in n}, away)
            for k, count in on.items():
                pool_steps[k].append((t, count, bool(ends[k].get(t))))
            steps.append((t, sum(on.values()), True))
        for k, d in deltas.items():
            n[k] += d.get(t, 0)
        on = _take(n, away)
        for k, count in on.items():
            pool_steps[k].append((t, count, False))
        after = sum(on.values())
        steps.append((t, after, False))
        taken.append((t, sum(n.values()) - after))
    blocks_s = sum(k * (t1 - t0) for (t0, k), (t1, _) in zip(taken, taken[1:]))
    return _changes(steps), {k: _changes(s) for k, s in pool_steps.items()}, float(blocks_s)


def _take(on: dict[int, int], away: int) -> dict[int, int]:
    """Agents on duty per pool once ``away`` of them are taken, pool by pool in order (none below 0)."""
    out = {}
    for k, count in on.items():
        off = min(count, away)
        out[k] = count - off
        away -= off
    return out


def _changes(steps: list[tuple[float, int, bool]]) -> Steps:
    """The steps that change the count (from 0)."""
    out: list[tuple[float, int, bool]] = []
    for step in steps:
        if (out[-1][1] if out else 0) != step[1]:
            out.append(step)
    return Steps([t for t, _, _ in out], [c for _, c, _ in out], [e for _, _, e in out])


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
