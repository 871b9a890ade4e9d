"""Priority classes (VIP) in the model, for contact types with a ``vip`` rule.

:class:`Vip` is a mechanism (:mod:`sim.engine.hooks`), used with the journeys of
:mod:`sim.journeys.flow` (a VIP rule turns them on; they are built first).

Each arrival of the contact type (retrials and repeat contacts included) is a
VIP with probability ``share`` (its own stream ``vip:<type>``).  VIPs wait in
a queue of their own with the class's higher ``priority``: the same agent
groups serve it (ranked just before the type's own queue in their skills),
with the same durations, self-service, callback, retrial, repeat and overflow
rules; under ``priority_fcfs`` routing an agent takes a waiting VIP before
the type's other contacts.  VIPs are reported with their contact type and
channel, plus ``vip_offered`` and ``vip_service_level``.
"""

from __future__ import annotations

from sim.engine.distributions import UNIFORM, Sampler
from sim.engine.hooks import Mechanism
from sim.engine.records import BALKED, BLOCKED, TALLY_FIELDS
from sim.engine.routing import Queue, queue_selector
from sim.engine.streams import stream

__all__ = ["Vip", "COPIED"]

VIP_OFFERED, VIP_WITHIN = TALLY_FIELDS.index("vip_offered"), TALLY_FIELDS.index("vip_answered_within_threshold")

#: what the VIP queue shares with its contact type's queue
COPIED = ("handle", "handle_by_group", "patience", "escalate_p", "escalate_to", "escalate_draw", "groups", "tiers",
          "bot", "retrial", "repeat", "callback", "on_wait", "on_take", "handle_again", "patience_again", "enter",
          "pick_agent", "weight", "base_score", "transfer_bonus", "agent_scores")


class Vip(Mechanism):
    """A VIP queue next to each contact type's queue that has a VIP rule."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return any(ct.vip is not None for ct in scenario.contact_types.values())

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        seed, replication = engine.run_spec.seed, engine.replication
        for name, ct in scenario.contact_types.items():
            if ct.vip is None:
                continue
            q = engine.queues[name]
            vq = Queue(f"{name}:vip", q.index, q.channel, ct.vip.priority, q.capacity)
            for attr in COPIED:
                setattr(vq, attr, getattr(q, attr))
            vq.klass = 1
            q.vip, q.vip_share = vq, ct.vip.share
            q.vip_draw = (Sampler(UNIFORM, stream(seed, replication, f"vip:{name}")),
                          Sampler(UNIFORM, stream(seed, replication, f"vip:again:{name}")))
            q.base_enter, q.enter = q.enter, self._enter_with_vip
            for group in q.groups:
                group.skills.insert(group.skills.index(q), vq)
                group.pick_contact = queue_selector(scenario.routing.queue_selection, group, engine.env)
            engine.type_queues[name].append(vq)
            engine.all_queues.append(vq)
        engine.on_offered_leave.append(self._count)

    def _count(self, contact, first, outcome: int, acc) -> None:
        """A VIP that reached its queue, and whether it was answered within its channel's threshold."""
        if first.klass and outcome != BLOCKED and outcome != BALKED:
            acc[VIP_OFFERED] += 1.0
            if contact.group1 >= 0 and contact.wait1 <= self.engine.thresholds[first.channel]:
                acc[VIP_WITHIN] += 1.0

    @staticmethod
    def _enter_with_vip(contact, queue, now: float, first: bool) -> None:
        """An arrival of a type with a VIP class: a VIP with the class's share joins the VIP queue."""
        if queue.vip_draw[1 if contact.kind else 0]() < queue.vip_share:
            vip = contact.queue = queue.vip
            vip.enter(contact, vip, now, first)
        else:
            queue.base_enter(contact, queue, now, first)
