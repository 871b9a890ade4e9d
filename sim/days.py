"""Multi-day runs (``run.days``): the scenario's day repeated, the centre closed overnight.

:class:`DaysModel` is a mixin of :class:`~sim.model.CentreModel`.  Day ``d``
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

The last day ends like a one-day run: with ``run.drain`` the staffing of the
last interval keeps working until every live contact has left (deferrable work
outside its hours stays in the system: the backlog carried out of the run),
without it the run stops at the horizon.
"""

from __future__ import annotations

import math

from simpy.core import URGENT

from .arrivals import DAY_S
from .duty import DutyTimeline

__all__ = ["DaysModel", "segment_bounds", "join_days", "when_open"]


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
    """One group's duty timelines of consecutive days as one (day ``d``'s times shifted by ``d`` days)."""
    times: list[float] = []
    counts: list[int] = []
    ends: list[bool] = []
    for d, tl in enumerate(timelines):
        for t, c, e in zip(tl.times, tl.counts, tl.shift_end):
            if counts and counts[-1] == c:
                continue
            times.append(d * DAY_S + t)
            counts.append(c)
            ends.append(e)
    return DutyTimeline(times, counts, ends, *(math.fsum(getattr(tl, f) for tl in timelines)
                                               for f in ("scheduled_s", "breaks_s", "blocks_s", "absent_s",
                                                         "unavailable_s")))


class DaysModel:
    """Opening and closing of the days of a multi-day run, mixed into :class:`~sim.model.CentreModel`."""

    closing = False  # between a closing and the next opening (multi-day runs)

    def _schedule_days(self) -> None:
        """Closings (every day but the last) and openings (every day but the first)."""
        run = self.run_spec
        for d in range(1, run.days):
            self.env.call_at(d * DAY_S - DAY_S + run.day_open_s, self._on_close, None, priority=URGENT)
            self.env.call_at(d * DAY_S, self._on_open, None, priority=URGENT)

    def _on_close(self, ev) -> None:
        """Closing: staffing-table agents log off like at a shift end; busy ones stay while live work waits."""
        self.closing = True
        now = self.env._now
        for group in self.table_groups:
            group.set_staffing(0, now, self._agent_ids.__next__, True)

    def _on_open(self, ev) -> None:
        self.closing = False

    def _stay_on(self, agent, now: float) -> bool:
        """After closing, a leaving agent takes the next live contact it may, if one waits."""
        if agent.group.pick_contact(agent.group) is None:
            return False
        self._next_for(agent, now)
        return True

    def _when_open(self, t: float) -> float:
        """A return's or booked callback's time, past the nights of a multi-day run."""
        run = self.run_spec
        return t if run.days == 1 else when_open(t, run.day_open_s)
