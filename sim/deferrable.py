"""Deferrable work (email, social) in the model: blended agents keep some of their group free for live work.

:class:`DeferrableModel` is a mixin of :class:`~sim.model.CentreModel`.  A
contact type with ``deferrable: {reserve_agents: r}`` is worked by an agent
only while at least ``r`` other agents of that agent's group stay idle for
live contacts: an arrival goes to the longest-idle agent of a group with more
than ``r`` idle agents, and an agent that becomes free takes it only if ``r``
others of its group are idle; otherwise the contact waits (in its queue,
as the backlog).  Under ``priority_fcfs`` routing, a low ``priority`` makes
agents take live contacts first in any case.  Its wait is the first response
time: ``asa_s`` and ``service_level`` of its channel, with a threshold of
hours (e.g. ``service_level_threshold_s: 86400`` for 90% within 24 h), and
``backlog`` is what waits at the end of each interval.
"""

from __future__ import annotations

__all__ = ["DeferrableModel"]


def _reserved_picker(reserve: int):
    """Agent selection for a deferrable queue: the longest-idle agent among groups with more than
    ``reserve`` idle agents."""

    def pick(queue):
        best = None
        for group in queue.groups:
            if len(group.idle) > reserve:
                agent = group.idle[0]
                if best is None or agent.idle_since < best.idle_since:
                    best = agent
        if best is not None:
            best.group.idle.popleft()
        return best
    return pick


def _keeping_reserve(pick):
    """Queue selection that skips deferrable queues while too few of the group's other agents are idle."""

    def pick_contact(group):
        idle = len(group.idle)
        skills = group.skills
        allowed = [q for q in skills if q.reserve <= idle]
        if len(allowed) == len(skills):
            return pick(group)
        if not allowed:
            return None
        group.skills = allowed
        try:
            return pick(group)
        finally:
            group.skills = skills
    return pick_contact


class DeferrableModel:
    """Reserve rules of deferrable contact types, mixed into :class:`~sim.model.CentreModel`."""

    def _setup_reserve(self, scenario) -> None:
        wrapped = set()
        for name, ct in scenario.contact_types.items():
            if ct.deferrable is None or ct.deferrable.reserve_agents == 0:
                continue
            for queue in (self.queues[name], self.vip_queues.get(name)):
                if queue is None:
                    continue
                queue.reserve = ct.deferrable.reserve_agents
                queue.pick_agent = _reserved_picker(queue.reserve)
                for group in queue.groups:
                    if group.index not in wrapped:
                        group.pick_contact = _keeping_reserve(group.pick_contact)
                        wrapped.add(group.index)
