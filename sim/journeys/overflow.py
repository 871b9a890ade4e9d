"""Overflow to other agent groups after a wait, for contact types with an ``overflow`` rule.

:class:`Overflow` is a mechanism (:mod:`sim.engine.hooks`), used with the journeys of
:mod:`sim.journeys.flow` (an overflow rule turns them on; they are built first, and the
VIP classes of :mod:`sim.journeys.vip` too, whose queues overflow like their type's).

A contact that is still waiting ``after_s`` seconds after it entered its
queue (one event, scheduled when it starts to wait) becomes eligible for the
rule's ``groups`` as well (e.g. an outsourced vendor team): it goes to the
longest-idle agent of those groups if there is one, else it also joins the
queue's :class:`OverflowQueue`, which those groups have among their skills
(last, so their own skills come first under ``skill_order``; under
``priority_fcfs`` it competes with the contact type's priority).  It stays in
its own queue meanwhile: whichever agent is free first takes it.  Its wait,
service level and abandonment are counted as usual, under its contact type.
"""

from __future__ import annotations

from sim.engine.hooks import LEFT, Mechanism
from sim.engine.records import TALLY_FIELDS
from sim.engine.routing import WAITING, Queue, longest_idle, queue_selector

__all__ = ["OverflowQueue", "Overflow"]

OVERFLOWED, OVERFLOW_ANSWERED = TALLY_FIELDS.index("overflowed"), TALLY_FIELDS.index("overflow_answered")


class OverflowQueue(Queue):
    """The overflow side of a contact type's queue (``main``): its contacts that waited long enough.

    Entries go stale when the contact leaves ``main`` (answered, abandoned,
    escalated on); :meth:`head` drops them, and ``n`` is 1 when a contact is
    waiting here, else 0 (routing only asks whether it is empty).
    """

    __slots__ = ("main",)

    def __init__(self, main: Queue, groups) -> None:
        super().__init__(f"{main.name}:overflow", main.index, main.channel, main.priority, None)
        self.main = main
        self.weight, self.base_score, self.transfer_bonus = main.weight, main.base_score, main.transfer_bonus
        self.groups = list(groups)
        self.tiers = [self.groups]

    @property
    def n(self) -> int:  # shadows Queue.n: computed, not counted
        return 0 if self.head() is None else 1

    @n.setter
    def n(self, value: int) -> None:
        pass

    def head(self):
        waiting, main = self.waiting, self.main
        while waiting:
            contact = waiting[0]
            if contact.state <= WAITING and contact.queue is main:
                return contact
            waiting.popleft()
        return None


def _via_overflow(pick, own: set[int]):
    """Wrap an overflow group's queue selection: a contact taken from an overflow queue is moved to the
    head of its own queue, where the model removes the contact an agent takes."""

    def pick_contact(group):
        contact = pick(group)
        if contact is not None and contact.queue.index not in own:
            waiting = contact.queue.waiting
            if waiting[0] is not contact:
                waiting.remove(contact)
                waiting.appendleft(contact)
        return contact
    return pick_contact


class Overflow(Mechanism):
    """Overflow rules: after a wait, a contact is eligible for other groups too."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return any(ct.overflow is not None for ct in scenario.contact_types.values())

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        by_name = {g.name: g for g in engine.groups}
        targets = set()
        for name, ct in scenario.contact_types.items():
            if ct.overflow is None:
                continue
            groups = [by_name[g] for g in ct.overflow.groups]
            for main in engine.type_queues[name]:  # its own queue, and its VIP class's (sim.journeys.vip)
                main.overflow = OverflowQueue(main, groups)
                main.overflow_after = ct.overflow.after_s
                main.overflow_set = frozenset(g.index for g in groups)
                main.on_wait = self._arming(main.on_wait)
                for group in groups:
                    group.skills.append(main.overflow)
                    targets.add(group)
        for group in targets:
            own = {q.index for q in group.skills if not isinstance(q, OverflowQueue)}
            group.pick_contact = _via_overflow(queue_selector(scenario.routing.queue_selection, group, engine.env), own)
        engine.on_leave.append(self._count)

    @staticmethod
    def _count(contact, first, outcome: int, acc) -> None:
        """A leaving contact that overflowed (in leg ``contact.ov``), and whether an overflow group answered it."""
        if contact.ov:
            acc[OVERFLOWED] += 1.0
            group = contact.group1 if contact.ov == 1 else contact.group2
            if group in (contact.queue if contact.ov > 1 else first).overflow_set:
                acc[OVERFLOW_ANSWERED] += 1.0

    def _arming(self, before):
        """The queue's wait hook: ``before`` (e.g. a callback offer) first, then the contact's overflow is
        armed unless it left the queue."""
        env, on_overflow = self.engine.env, self._on_overflow

        def on_wait(contact, queue, now: float, first: bool) -> int:
            took = before(contact, queue, now, first) if before is not None else 0
            if took != LEFT:  # a booked callback is out of the queue
                env.call_at(now + queue.overflow_after, on_overflow, contact, contact.leg)
            return took
        return on_wait

    def _on_overflow(self, ev) -> None:
        contact = ev.arg
        if contact.state > WAITING or contact.leg != ev.tag:
            return  # answered, gone, or moved on to another queue
        queue = contact.queue
        contact.ov = contact.leg
        agent = longest_idle(queue.overflow)
        if agent is None:
            queue.overflow.waiting.append(contact)
            return
        engine = self.engine
        now = engine.env._now
        queue.n -= 1
        queue.waiting.remove(contact)  # not left stale: it may wait again after an escalation
        engine.leave_queue(contact, now)
        if contact.state:  # held in the queue by a mechanism (a callback)
            queue.on_take(agent, contact, now)
        else:
            engine.start_service(agent, contact, now)
