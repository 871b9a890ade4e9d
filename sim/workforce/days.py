"""Multi-day runs (``run.days``): the scenario's day repeated, the centre closed overnight.

:class:`Days` is a mechanism (:mod:`sim.engine.hooks`).  Day ``d``
(from 0) opens at ``d x 86400`` s of simulation time and closes the scenario's
opening hours ``L`` later; the horizon is the last day's closing.  Each day:

- **arrivals** follow the day's rate tables again, times that day's busyness
  factor, drawn from the same streams in sequence (so day 1 of a multi-day run
  is the one-day run's day until the carried-over work makes a difference);
- **agents** follow the staffing tables from each day's interval starts, and
  shifts and shrinkage are drawn afresh each day (a duty timeline per day);
- **closing** (every day but the last): staffing-table agents log off like at a
  shift end; an agent busy at closing (or whose shift ends then) finishes its
  contact and stays on while live contacts it may take still wait, then logs off
  (the time past closing is overtime).  Live contacts nobody takes wait with
  their patience (callers abandon, contacts that never abandon are there at the
  next opening);
- **deferrable work** (contact types with ``deferrable``) is worked only inside
  its hours (``deferrable.hours``, else the opening hours) of each day, so the
  backlog left at closing carries over to the next day;
- **returns** (retrials, repeat contacts) and booked callbacks that would fall
  while the centre is closed skip the night: they come as long after the next
  opening as they would have come after closing (delays count in opening hours).

After the last day, without ``run.drain`` the run stops at the horizon (what
is left is ``in_system``); with it the days go on, without new arrivals, with
their staffing, shifts and hours, until nothing waits (or a day ends with no
fewer contacts waiting than the one before: work no agent can take), so every
measured contact gets its final outcome, the carried-over backlog included.
Those extra days are outside the measurement window: their agent time and
shifts are not the run's (workforce totals cover the run's days).
"""

from __future__ import annotations

import math

from simpy.core import URGENT

from sim.engine.arrivals import DAY_S
from sim.engine.hooks import Mechanism
from sim.workforce.duty import DutyTimeline, Steps

__all__ = ["Days", "segment_bounds", "join_days", "when_open"]


def segment_bounds(interval_s: float, n_intervals: int, days: int, horizon_s: float, warmup_s: float) -> list[float]:
    """Segment ends before the open last one: every interval start of every day, each closing, the
    warm-up and the horizon (s)."""
    bounds = {d * DAY_S + k * interval_s for d in range(days) for k in range(n_intervals + 1)
              if d * DAY_S + k * interval_s < horizon_s}
    bounds |= {warmup_s, horizon_s}
    return sorted(b for b in bounds if b > 0)


def when_open(t: float, day_open_s: float) -> float:
    """``t`` (s) moved past the nights: a time ``e`` seconds after a closing becomes ``e`` seconds after
    the next opening (repeatedly, if ``e`` is longer than a day's opening hours)."""
    d, x = divmod(t, DAY_S)
    while x >= day_open_s:
        x -= day_open_s
        d += 1
    return d * DAY_S + x


def join_days(timelines: list[DutyTimeline]) -> DutyTimeline:
    """One group's duty timelines of consecutive days as one (day ``d``'s times shifted by ``d`` days),
    its pools' too."""
    group = _join_steps([Steps(tl.times, tl.counts, tl.shift_end) for tl in timelines])
    pools = {k: _join_steps([tl.pools[k] for tl in timelines]) for k in timelines[0].pools}
    return DutyTimeline(group.times, group.counts, group.shift_end,
                        *(math.fsum(getattr(tl, f) for tl in timelines)
                          for f in ("scheduled_s", "breaks_s", "blocks_s", "absent_s", "unavailable_s")), pools)


def _join_steps(days: list[Steps]) -> Steps:
    times: list[float] = []
    counts: list[int] = []
    ends: list[bool] = []
    for d, steps in enumerate(days):
        for t, c, e in zip(steps.times, steps.counts, steps.shift_end):
            if counts and counts[-1] == c:
                continue
            times.append(d * DAY_S + t)
            counts.append(c)
            ends.append(e)
    return Steps(times, counts, ends)


class Days(Mechanism):
    """Opening and closing of the days of a multi-day run (``run.days`` > 1)."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return run.days > 1

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        self._waiting_at_close = math.inf
        day_open_s = engine.run_spec.day_open_s
        engine.when_open = lambda t: when_open(t, day_open_s)  # returns and booked callbacks skip the nights

    def start(self, horizon_s: float) -> None:
        for d in range(self.engine.run_spec.days):
            self.schedule_day(d)

    def schedule_day(self, d: int) -> None:
        """Day ``d``'s events: opening, staffing-table changes, the mechanisms' events of the day (duty
        timelines, late deferrable hours), and its closing (every day but the last, and the last with
        ``run.drain``)."""
        engine = self.engine
        env, run = engine.env, engine.run_spec
        base = d * DAY_S
        if d:
            env.call_at(base, self._on_open, d, priority=URGENT)
        if engine.table_groups:
            engine.schedule_staffing_table(base)
        for mechanism in engine.mechanisms:
            mechanism.day(d, base)
        if (d < run.days - 1 and run.day_open_s < DAY_S) or (d >= run.days - 1 and run.drain):
            env.call_at(base + run.day_open_s, self._on_close, d, priority=URGENT)  # a 24-hour centre never closes

    def _on_close(self, ev) -> None:
        """Closing: staffing-table agents log off like at a shift end; busy ones stay while live work waits.
        From the last day on (the drain), another day follows while contacts wait and fewer than at the
        previous closing (no arrivals come; contacts no agent can take would wait for ever)."""
        engine = self.engine
        engine.keep_on = self._stay_on
        now = engine.env._now
        for group in engine.table_groups:
            group.set_staffing(0, now, engine._agent_ids.__next__, True)
        d = ev.arg
        if d >= engine.run_spec.days - 1:
            waiting = sum(q.n for q in engine.all_queues) + len(engine.held_contacts())
            if 0 < waiting < self._waiting_at_close:
                self._waiting_at_close = waiting
                self.schedule_day(d + 1)

    def _on_open(self, ev) -> None:
        engine = self.engine
        engine.keep_on = None
        if ev.arg == engine.run_spec.days:  # the drain's first extra day: its shifts are not the run's
            for group in engine.groups:
                group.overtime_in_window_s = group.overtime_s

    def _stay_on(self, agent, now: float) -> bool:
        """After closing, a leaving agent takes the next live contact it may, if one waits."""
        if agent.group.pick_contact(agent.group) is None:
            return False
        self.engine.next_for(agent, now)
        return True
