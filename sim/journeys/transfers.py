"""Transfers as a graph: where a contact goes after a service, possibly several times.

A contact type's ``transfers`` lists destinations, each the queue of a contact type (another
tier, back to tier 1, another department, or the same type) with a probability, optionally
per agent group of the service that just ended (``probability_by_group`` replaces the default
for services by that group).  When a service of the type ends, one uniform draw from the
type's stream ``escalation:<type>`` picks at most one destination (cumulative probabilities,
summing to at most 1; the rest of the time the contact leaves, answered).  ``escalation:
{probability, to}`` is the one-destination, one-hop case and draws the same numbers, so a
type written either way gives the same results.

- **Hops.**  A contact moves on only while it has been transferred fewer than the ``max_hops``
  of the type whose service just ended (default 1: a transferred contact is not transferred
  again, as with ``escalation``).  Its leg is 1 + its transfers so far, so events of an
  earlier visit (abandonment, overflow) never act on a later one.  A type on a cycle of the
  graph (tier2 -> tier1 -> tier2) must give ``max_hops`` (:func:`~sim.journeys.config.check_transfer_graph`).
- **What is kept per contact** (:class:`~sim.engine.contacts.Contact`): the first service
  (``wait1``, ``handle1``, ``group1``) and the last transfer's (``wait2``, ``handle2``,
  ``group2``), so the tallies and the contact log keep their columns; the services between
  them are summed in ``wait_mid``/``handle_mid``.  ``transfer_wait_s`` and ``transfers_answered``
  count each transfer's queue (``transfer_asa_s`` is the mean wait per transfer), ``handle_s``
  and ``handles`` every service, ``escalated`` the contacts transferred at least once; the
  contact log's ``transfers`` column is the number of transfers of each contact.
- **Warm transfer** (``warm: {conference_time}``): the first agent stays with the customer,
  busy and taking no new contact, while the contact waits in the destination queue; when a
  destination agent takes it, both spend a ``conference_time`` draw (stream
  ``conference:<type>:<k>`` of destination ``k``) together, then the first agent is free (its
  after-call work, if any, comes then).  The destination agent's service (``handle2``)
  includes the conference.  If the customer abandons while waiting, the first agent is
  released at that moment.  The customer's wait in the destination queue is its transfer
  wait, as for a cold transfer; the conference is part of the destination service.  The
  first agent's hold counts as busy time (occupancy, costs; overtime past a shift end).

:class:`Transfers` is a mechanism (:mod:`sim.engine.hooks`), built only for a run whose
contact types use ``transfers``: it replaces the engine's ``service_end`` hook (escalations of
the run's other types go through it too, with the same draws), and for warm transfers wraps
the ``finish`` hook and the agent groups' ``adjust`` hook.  The per-group probabilities are
fixed when the model is built (:func:`transfer_rows`: one row of cumulative probabilities per
agent group), where a per-group factor on the transfer rate can be folded in.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from sim.engine.distributions import UNIFORM, Sampler
from sim.engine.hooks import Mechanism
from sim.engine.records import ANSWERED, IN_SYSTEM
from sim.engine.routing import WAITING
from sim.engine.streams import stream
from sim.journeys.config import DestinationSpec

__all__ = ["Transfers", "transfer_rows"]

NAN = math.nan
INF = math.inf


def transfer_rows(destinations, group_names: Sequence[str],
                  scale: Mapping[str, float] | None = None) -> tuple[tuple[float, ...], ...]:
    """Per agent group (in ``group_names`` order): the cumulative probabilities of ``destinations``
    (:class:`~sim.journeys.config.DestinationSpec`) after a service by that group.  ``scale`` (group
    name -> factor, e.g. an agent group's effect on its transfer rate) multiplies each probability
    of that group; the cumulative probabilities are then capped at 1."""
    rows = []
    for g in group_names:
        factor = 1.0 if scale is None else scale.get(g, 1.0)
        total, row = 0.0, []
        for d in destinations:
            total += factor * d.probability_by_group.get(g, d.probability)
            row.append(min(total, 1.0))
        rows.append(tuple(row))
    return tuple(rows)


class _Hold:
    """A warm transfer's first agent, holding the customer since ``since`` (s) after its service on ``queue``."""

    __slots__ = ("agent", "contact", "queue", "since", "conference")

    def __init__(self, agent, contact, queue, since: float, conference: Sampler) -> None:
        self.agent, self.contact, self.queue, self.since, self.conference = agent, contact, queue, since, conference


class Transfers(Mechanism):
    """Transfer graphs: per contact type, destinations after a service, several hops, warm transfers."""

    @staticmethod
    def needed(scenario, run) -> bool:
        """A type with ``transfers``, or skill levels whose ``transfer_factor`` changes an escalation's
        probability per agent group (the engine's inlined escalation has one probability per type)."""
        if any(ct.transfers is not None for ct in scenario.contact_types.values()):
            return True
        levels = scenario.skill_levels
        return levels is not None and any(
            ct.escalation is not None and levels.transfer_scale(name, scenario.agent_groups)
            for name, ct in scenario.contact_types.items())

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        seed, replication = engine.run_spec.seed, engine.replication
        names = engine.group_names
        n = len(engine.type_names)
        #: by contact-type index: the uniform sampler (None: the type transfers nothing), the hop limit,
        #: per agent-group index the cumulative probabilities, and per destination (queue, conference sampler)
        self.draws: list[Sampler | None] = [None] * n
        self.limits: list[int] = [0] * n
        self.rows: list[tuple] = [()] * n
        self.dests: list[tuple] = [()] * n
        warm = False
        levels = scenario.skill_levels  # a level's transfer_factor scales its group's probabilities
        for name, ct in scenario.contact_types.items():
            q = engine.queues[name]
            i = q.index
            scale = None if levels is None else levels.transfer_scale(name, names)
            spec = ct.transfers
            if spec is None:
                if q.escalate_p:  # an escalation: the one-destination, one-hop case, with the engine's draws
                    self.draws[i], self.limits[i] = q.escalate_draw, 1
                    self.rows[i] = transfer_rows((DestinationSpec(ct.escalation.to, ct.escalation.probability),), names,
                                                 scale)
                    self.dests[i] = ((q.escalate_to, None),)
                continue
            self.rows[i] = transfer_rows(spec.destinations, names, scale)
            if any(row[-1] > 0.0 for row in self.rows[i]):
                self.draws[i] = Sampler(UNIFORM, stream(seed, replication, f"escalation:{name}"))
            self.limits[i] = spec.max_hops
            self.dests[i] = tuple(
                (engine.queues[d.to], None if d.conference_time is None else
                 Sampler(d.conference_time, stream(seed, replication, f"conference:{name}:{k}")))
                for k, d in enumerate(spec.destinations))
            warm = warm or any(d.conference_time is not None for d in spec.destinations)
        self.holds: dict[int, _Hold] = {}  # warm transfers waiting for a destination agent, by contact id
        engine.service_end = self._service_end
        if warm:
            self.before_finish = engine.finish
            engine.finish = self._finish
            for group in engine.groups:
                group.adjust = self._adjusting(group.adjust)

    # ------------------------------------------------------------ service end

    def _service_end(self, ev) -> None:
        """The engine's ``service_end`` hook: the contact moves on to at most one destination, or leaves."""
        agent = ev.arg
        contact = agent.contact
        engine = self.engine
        now = engine.env._now
        queue = contact.queue
        agent.contact = None
        i = queue.index
        draw = self.draws[i]
        if draw is not None and 0 < contact.leg <= self.limits[i]:
            u = draw()
            k = 0
            for p in self.rows[i][agent.group.index]:
                if u < p:
                    target, conference = self.dests[i][k]
                    self._move(contact, queue, target, now)
                    if conference is not None:  # warm: the agent stays with the customer
                        self._hold(agent, contact, queue, now, conference)
                        engine.offer(contact, target, now, False)
                        return
                    engine.offer(contact, target, now, False)
                    break
                k += 1
            else:
                engine.finish(contact, ANSWERED, now)
        else:
            engine.finish(contact, ANSWERED, now)
        agent.last_end = now
        if engine.wrap_up is not None and engine.wrap_up(agent, contact, queue, now):
            return  # after-call work: the mechanism frees the agent when it ends
        engine.work_done(agent, now)

    @staticmethod
    def _move(contact, queue, target, now: float) -> None:
        """The contact leaves ``queue`` for ``target`` now: its next leg, with that type's handle time and patience."""
        leg = contact.leg
        if leg == 1:
            contact.origin = queue
        elif leg == 2:
            contact.wait_mid, contact.handle_mid = contact.wait2, contact.handle2
        else:
            contact.wait_mid += contact.wait2
            contact.handle_mid += contact.handle2
        contact.leg = leg + 1
        contact.wait2 = NAN
        contact.handle2 = NAN
        contact.queue = target
        contact.t_queue = now
        contact.state = WAITING
        contact.handle = target.handle()
        contact.patience = target.patience() if target.patience is not None else INF

    # ---------------------------------------------------------- warm transfers

    def _hold(self, agent, contact, queue, now: float, conference: Sampler) -> None:
        """A warm transfer: ``agent`` stays with the customer (neither idle nor holding a contact)."""
        agent.last_end = now
        agent.resting = True  # a staffing drop marks it to log off when it is free
        seat = agent.parent
        if seat is not None:  # the slot stays taken
            if seat.n == 0:
                seat.since = now
            seat.n += 1
        self.holds[contact.id] = _Hold(agent, contact, queue, now, conference)

    def _adjusting(self, before):
        """A group's ``adjust`` hook: ``before``'s handle time, plus the conference of a warm transfer it takes."""
        holds = self.holds

        def adjust(agent, contact, handle: float, now: float) -> float:
            if before is not None:
                handle = before(agent, contact, handle, now)
            if holds:
                hold = holds.pop(contact.id, None)
                if hold is not None:
                    conference = hold.conference()
                    handle += conference
                    self._conference(hold, now, now + conference)
            return handle
        return adjust

    def _conference(self, hold: _Hold, now: float, end: float) -> None:
        """A destination agent took the contact now: the first agent is busy until ``end``, then free."""
        engine = self.engine
        agent = hold.agent
        if agent.parent is None:
            engine.add_span(engine.busy_area, engine.n_groups, agent.group.index, hold.since, end)
        if agent.load is not None:  # fatigue and the occupancy cap count the hold as busy
            agent.load.spans.append((hold.since, end))
        engine.env.call_at(end, self._on_conference_end, hold)

    def _on_conference_end(self, ev) -> None:
        self._free(ev.arg, self.engine.env._now)

    def _free(self, hold: _Hold, now: float) -> None:
        """The first agent of a warm transfer is free: its wrap-up, if any, then its next contact."""
        engine = self.engine
        agent = hold.agent
        seat = agent.parent
        if seat is not None:
            seat.n -= 1
            if seat.n == 0:
                engine.add_span(engine.busy_area, engine.n_groups, agent.group.index, seat.since, now)
        agent.resting = False
        agent.last_end = now
        if engine.wrap_up is not None and engine.wrap_up(agent, hold.contact, hold.queue, now):
            return
        engine.work_done(agent, now)

    def _finish(self, contact, outcome: int, end: float) -> None:
        """The engine's ``finish`` hook: a warm-transferred customer who left the destination queue (abandoned)
        releases the first agent now; one still waiting when the run stopped keeps it (:meth:`stop`)."""
        self.before_finish(contact, outcome, end)
        holds = self.holds
        if holds and outcome != IN_SYSTEM:
            hold = holds.pop(contact.id, None)
            if hold is not None:
                now = self.engine.env._now
                agent = hold.agent
                if agent.parent is None:
                    engine = self.engine
                    engine.add_span(engine.busy_area, engine.n_groups, agent.group.index, hold.since, now)
                if agent.load is not None:
                    agent.load.spans.append((hold.since, now))
                self._free(hold, now)

    def stop(self, end_s: float) -> None:
        """First agents still holding a customer who waits when the run stopped: busy until then."""
        engine = self.engine
        for hold in self.holds.values():
            if hold.agent.parent is None:  # a seat's span is closed by the engine
                engine.add_span(engine.busy_area, engine.n_groups, hold.agent.group.index, hold.since, end_s)
        self.holds.clear()
