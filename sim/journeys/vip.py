"""Priority classes (VIP) in the model, for contact types with a ``vip`` rule.

:class:`VipModel` is a mixin of :class:`~sim.model.centre.CentreModel`, used with the
journeys of :mod:`sim.journeys.flow` (a VIP rule turns them on).

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
from sim.engine.routing import Queue

__all__ = ["VipModel", "COPIED"]

#: what the VIP queue shares with its contact type's queue
COPIED = ("handle", "handle_by_group", "patience", "escalate_p", "escalate_to", "escalate_draw", "groups", "tiers",
          "bot", "retrial", "repeat", "callback", "on_wait", "handle_again", "patience_again", "enter", "pick_agent")


class VipModel:
    """VIP queues, mixed into :class:`~sim.model.centre.CentreModel`."""

    def _setup_vip(self, scenario, rng_for, queue_selector) -> None:
        """A VIP queue next to each contact type's queue that has a VIP rule (``self.vip_queues``)."""
        self.vip_queues: dict[str, Queue] = {}
        for name, ct in scenario.contact_types.items():
            if ct.vip is None:
                continue
            q = self.queues[name]
            vq = Queue(f"{name}:vip", q.index, q.channel, ct.vip.priority, q.capacity)
            for attr in COPIED:
                setattr(vq, attr, getattr(q, attr))
            vq.klass = 1
            q.vip, q.vip_share = vq, ct.vip.share
            q.vip_draw = (Sampler(UNIFORM, rng_for("vip", name)), Sampler(UNIFORM, rng_for("vip:again", name)))
            q.base_enter, q.enter = q.enter, self._enter_with_vip
            for group in q.groups:
                group.skills.insert(group.skills.index(q), vq)
                group.pick_contact = queue_selector(scenario.routing.queue_selection, group)
            self.vip_queues[name] = vq

    def _enter_with_vip(self, contact, queue, now: float, first: bool) -> None:
        """An arrival of a type with a VIP class: a VIP with the class's share joins the VIP queue."""
        if queue.vip_draw[1 if contact.kind else 0]() < queue.vip_share:
            vip = contact.queue = queue.vip
            vip.enter(contact, vip, now, first)
        else:
            queue.base_enter(contact, queue, now, first)
