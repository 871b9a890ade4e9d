"""Deferrable work (email, social) in the model: blended agents keep some of their group free for live work.

:class:`Deferrable` is a mechanism (:mod:`sim.engine.hooks`).  A
contact type with ``deferrable: {reserve_agents: r}`` is worked by an agent
of a blended group (one with live skills too) only while at least ``r``
other agents of that agent's group stay idle for live contacts (a group with
deferrable skills only, e.g. an email desk, keeps no reserve): an arrival goes to the longest-idle agent of a group with more
than ``r`` idle agents, and an agent that becomes free takes it only if ``r``
others of its group are idle; otherwise the contact waits (in its queue,
as the backlog).  Under ``priority_fcfs`` routing, a low ``priority`` makes
agents take live contacts first in any case.  Its wait is the first response
time: ``asa_s`` and ``service_level`` of its channel, with a threshold of
hours (e.g. ``service_level_threshold_s: 86400`` for 90% within 24 h), and
``backlog`` is what waits at the end of each interval.  ``hours: {from, to}``
limits the work to those clock hours: before them the backlog builds up, at
their start idle agents take it, after them it waits (a one-day run ends with
it in the system).  In a multi-day run (``run.days``, :mod:`sim.workforce.days`) every
deferrable type keeps to its hours, else to the opening hours, each day, so
the backlog carries over to the next day.  Hours are clock hours of any day
(simulation time modulo 24 h).
"""

from __future__ import annotations

from sim.engine.arrivals import DAY_S
from sim.engine.hooks import Mechanism
from sim.engine.routing import pick_among

__all__ = ["Deferrable"]


def _reserved_picker(reserve: int, env, blended: set[int]):
    """Agent selection for a deferrable queue: the longest-idle agent among groups with more than
    ``reserve`` idle agents (any idle agent of a group with no live skills), and nobody outside the
    queue's hours."""

    def pick(queue):
        window = queue.window
        if window is not None and not window[0] <= env._now % DAY_S < window[1]:
            return None
        best = None
        for group in queue.groups:
            if len(group.idle) > (reserve if group.index in blended else 0):
                agent = group.idle[0]
                if best is None or agent.idle_since < best.idle_since:
                    best = agent
        if best is not None:
            best.group.idle.popleft()
        return best
    return pick


def _keeping_reserve(pick, env, blended: bool):
    """Queue selection that skips deferrable queues while too few of the group's other agents are idle
    (in a ``blended`` group, one with live skills too), or outside their hours."""

    def pick_contact(group):
        idle = len(group.idle) if blended else 1 << 30
        skills = group.skills
        now = env._now % DAY_S
        allowed = [q for q in skills
                   if q.reserve <= idle and (q.window is None or q.window[0] <= now < q.window[1])]
        if len(allowed) == len(skills):
            return pick(group)
        return pick_among(pick, group, allowed)
    return pick_contact


class Deferrable(Mechanism):
    """Reserve rules and working hours of deferrable contact types."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return any(ct.deferrable is not None for ct in scenario.contact_types.values())

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        wrapped = set()
        run = engine.run_spec
        self.late_hours = []  # deferrable queues whose hours start after the opening
        deferrable = {q for n, ct in scenario.contact_types.items() if ct.deferrable is not None
                      for q in engine.type_queues[n]}
        blended = {g.index for g in engine.groups if any(q not in deferrable for q in g.skills)}
        for name, ct in scenario.contact_types.items():
            spec = ct.deferrable
            if spec is None or (spec.reserve_agents == 0 and spec.hours is None and run.days == 1):
                continue
            for queue in engine.type_queues[name]:  # its own queue, then its classes' (VIP)
                queue.reserve = spec.reserve_agents
                if spec.hours is not None:
                    queue.window = (spec.hours[0] - scenario.open_time_s, spec.hours[1] - scenario.open_time_s)
                elif run.days > 1:  # the opening hours of each day
                    queue.window = (0.0, run.day_open_s)
                if queue.window is not None and queue.window[0] > 0:
                    self.late_hours.append(queue)
                    if run.days == 1:  # multi-day runs: scheduled with each day (day())
                        engine.env.call_at(queue.window[0], self._on_hours_start, queue)
                queue.pick_agent = _reserved_picker(queue.reserve, engine.env, blended)
                for group in queue.groups:
                    if group.index not in wrapped:
                        group.pick_contact = _keeping_reserve(group.pick_contact, engine.env, group.index in blended)
                        wrapped.add(group.index)

    def day(self, d: int, base_s: float) -> None:
        for queue in self.late_hours:
            self.engine.env.call_at(base_s + queue.window[0], self._on_hours_start, queue)

    def _on_hours_start(self, ev) -> None:
        """A deferrable queue's hours begin: idle agents take its backlog (as many as may)."""
        queue = ev.arg
        engine = self.engine
        now = engine.env._now
        for _ in range(sum(len(g.idle) for g in queue.groups)):
            if not queue.waiting:
                break
            agent = queue.pick_agent(queue)
            if agent is None:
                break
            engine.next_for(agent, now)
