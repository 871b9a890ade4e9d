"""The engine's events: a contact's life from arrival to leaving, and agents between contacts.

SimPy is the event calendar (:mod:`sim.engine.calendar`).  Instead of a process per
contact, every event is a light callback at an absolute time, so a contact costs
one arrival event, one service-end event per service, and one abandonment event
only if it has to wait with finite patience.  Routing works on plain data
structures (a deque per queue, an idle deque per group; :mod:`sim.engine.routing`,
:mod:`sim.engine.agents`).

Life of a contact: it arrives on its contact type's queue (:meth:`Engine.offer`).
If an eligible agent is idle, service starts at once (wait 0); otherwise it is
blocked when the queue is at capacity, else it waits until an agent takes it or
its patience runs out.  When tier-1 service ends it may be escalated (with the
type's probability) to the queue of another contact type, where it waits and is
served again with that type's handle time and patience; escalation happens at
most once per contact (transfer graphs, :mod:`sim.journeys.transfers`, replace the
service end for their run: several destinations, several transfers, warm transfers).
A freed agent takes the next contact its group's queue selection chooses
(:meth:`Engine.next_for`), or goes idle.  Staffing tables log agents in and out at
interval starts.  Agents of a group with concurrency are
slots of a :class:`~sim.engine.agents.Seat`: the seat counts busy while any slot
is, and a slot's handle time is inflated by the number of contacts its agent holds.

Mechanisms change this only through the hook slots of :mod:`sim.engine.hooks`;
what is measured is tallied as it goes (:class:`~sim.engine.tallies.TallyModel`).
Simultaneous events run in a fixed order (segment flushes first, then staffing
changes, then the rest in the order they were scheduled), so a seed gives the
same numbers every time.
"""

from __future__ import annotations

import math
from heapq import heappush

from simpy.core import NORMAL

from sim.engine.calendar import Timer
from sim.engine.contacts import Contact
from sim.engine.records import ABANDONED, ANSWERED, BLOCKED
from sim.engine.routing import GONE, SERVING, WAITING, Queue
from sim.engine.tallies import TallyModel

__all__ = ["Engine"]

NAN = math.nan
INF = math.inf


def _same_time(t: float) -> float:
    return t


class Engine(TallyModel):
    """The event handlers of one replication; the model (:mod:`sim.model.centre`) builds its
    queues, groups and mechanisms and runs it.  Hook slots: :mod:`sim.engine.hooks`."""

    Contact = Contact  # the contact class (a mechanism may set a subclass for its run)
    keep_on = None  # after a closing: keep_on(agent, now) -> True if a leaving agent stays for live work
    when_open = staticmethod(_same_time)  # a time (s) moved past closed hours (multi-day runs set it)
    wrap_up = None  # after a service: wrap_up(agent, contact, queue, now) -> True if the agent now works on for it
    mechanisms: tuple = ()

    # -------------------------------------------------------------- arrivals

    @staticmethod
    def _schedule_next(timer: Timer) -> None:
        """Schedule an arrival stream's next arrival (``timer.tag`` yields the times)."""
        t = next(timer.tag, None)
        if t is not None:
            timer.at(t)

    def _schedule_trace(self, rows) -> None:
        row = next(rows, None)
        if row is not None:
            self.env.call_at(row.arrival_time_s, self._on_trace_arrival, row, rows)

    def _on_arrival(self, timer: Timer) -> None:
        """A sampled arrival on the plain path (no mechanism changes contacts or how they enter)."""
        queue = timer.arg
        now = self.env._now
        patience = queue.patience() if queue.patience is not None else INF
        contact = Contact(next(self._ids), queue, self.seg, now, queue.handle(), patience)
        t = next(timer.tag, None)
        if t is not None:
            timer.at(t)
        self.offer(contact, queue, now, True)

    def _on_entering_arrival(self, timer: Timer) -> None:
        """A sampled arrival through the queue's ``enter`` hook, as a contact of the run's class."""
        queue = timer.arg
        now = self.env._now
        patience = queue.patience() if queue.patience is not None else INF
        contact = self.new_contact(queue, now, queue.handle(), patience)
        self._schedule_next(timer)
        queue.enter(contact, queue, now, True)

    def _on_trace_arrival(self, ev) -> None:
        row = ev.arg
        queue = self.queues[row.contact_type]
        now = self.env._now
        patience = math.inf if row.patience_s is None else row.patience_s
        contact = self.new_contact(queue, now, row.handle_time_s, patience)
        self._schedule_trace(ev.tag)
        queue.enter(contact, queue, now, True)

    def new_contact(self, queue: Queue, now: float, handle: float, patience: float, *extra) -> Contact:
        """A new contact of the run's contact class arriving now on ``queue``."""
        return self.Contact(next(self._ids), queue, self.seg, now, handle, patience, *extra)

    # --------------------------------------------------------------- contacts

    def offer(self, contact: Contact, queue: Queue, now: float, first: bool) -> None:
        """A contact reaches ``queue``: served now, blocked, or waits. Its handle time is added to the
        work offered to the agents in this segment (the load check, :mod:`sim.model.capacity`)."""
        queue.work += contact.handle
        agent = queue.pick_agent(queue)
        if agent is not None:
            self.start_service(agent, contact, now)
            return
        if first and queue.capacity is not None and queue.n >= queue.capacity:
            self.finish(contact, BLOCKED, NAN)
            return
        queue.n += 1
        queue.waiting.append(contact)
        if queue.on_wait is not None and queue.on_wait(contact, queue, now, first):
            return  # a mechanism took it over (a callback held or booked)
        if contact.patience != INF:
            self.env.call_at(now + contact.patience, self._on_abandon, contact, contact.leg)

    def start_service(self, agent, contact: Contact, now: float) -> None:
        """``agent`` starts serving ``contact`` now; its service end is scheduled."""
        group = agent.group
        wait = now - contact.t_queue
        contact.state = SERVING
        handle = contact.handle
        if contact.queue.handle_by_group:
            override = contact.queue.handle_by_group.get(group.index)
            if override is not None and contact.leg:  # leg 0: a callback attempt
                handle = override()
                if contact.leg == 1:
                    handle *= contact.handle_factor  # e.g. a hand-off from self-service
        group.served += 1
        adjust = group.adjust
        if adjust is not None:
            handle = adjust(agent, contact, handle, now)
        parent = agent.parent
        if parent is not None:  # a slot of an agent holding several contacts
            factor = group.factors[parent.n]
            if parent.n == 0:
                parent.since = now
            parent.n += 1
            handle *= factor
        if contact.leg == 1:
            contact.wait1 = wait
            contact.handle1 = handle
            contact.group1 = group.index
        else:
            contact.wait2 = wait
            contact.handle2 = handle
            contact.group2 = group.index
        end = now + handle
        if parent is not None:
            pass  # busy time is the seat's span
        elif end <= self.seg_end:
            self.busy_area[self.seg * self.n_groups + group.index] += handle
        else:
            self.add_span(self.busy_area, self.n_groups, group.index, now, end)
        agent.contact = contact
        timer = agent.timer
        if timer is None:
            timer = agent.timer = Timer(self.env, self.service_end if parent is None else self._on_slot_end, agent)
        timer.callbacks = timer._fns  # timer.at(end), inlined on the hot path
        heappush(self._queue, (end, NORMAL, next(self._eid), timer))

    def _on_service_end(self, ev) -> None:
        agent = ev.arg
        contact = agent.contact
        now = self.env._now
        queue = contact.queue
        agent.contact = None
        if contact.leg == 1 and queue.escalate_p and queue.escalate_draw() < queue.escalate_p:
            target = queue.escalate_to
            contact.leg = 2
            contact.origin = queue
            contact.wait2 = NAN
            contact.handle2 = NAN
            contact.queue = target
            contact.t_queue = now
            contact.state = WAITING
            contact.handle = target.handle()
            contact.patience = target.patience() if target.patience is not None else math.inf
            self.offer(contact, target, now, False)
        else:
            self.finish(contact, ANSWERED, now)
        agent.last_end = now
        if self.wrap_up is not None and self.wrap_up(agent, contact, queue, now):
            return  # after-call work: the mechanism frees the agent when it ends
        if agent.leaving:  # work_done(agent, now), inlined on the hot path
            keep_on = self.keep_on
            if keep_on is not None and keep_on(agent, now):  # after a closing, live work still waits
                return
            agent.group.log_off(agent, now)
            return
        self.next_for(agent, now)

    service_end = _on_service_end  # the service-end hook: a mechanism may replace it for its run (sim.engine.hooks)

    def work_done(self, agent, now: float) -> None:
        """``agent`` finished its work (a contact, or its wrap-up): it logs off if it must (after a
        closing it may stay for live work), else takes its next contact or goes idle."""
        if agent.leaving:
            keep_on = self.keep_on
            if keep_on is not None and keep_on(agent, now):  # after a closing, live work still waits
                return
            agent.group.log_off(agent, now)
            return
        self.next_for(agent, now)

    def _on_slot_end(self, ev) -> None:
        """A slot's contact ends: the seat's busy span closes when it holds nothing, then as usual."""
        agent = ev.arg
        seat = agent.parent
        seat.n -= 1
        if seat.n == 0:
            self.add_span(self.busy_area, self.n_groups, agent.group.index, seat.since, self.env._now)
        self.service_end(ev)

    def next_for(self, agent, now: float) -> None:
        """A free agent takes the next contact its routing chooses, or goes idle (or rests, if a
        mechanism says so)."""
        group = agent.group
        rest = group.rest
        if rest is not None and rest(agent, now):
            return
        contact = group.pick_contact(group)
        if contact is None:
            agent.idle_since = now
            group.idle.append(agent)
            return
        queue = contact.queue
        queue.waiting.popleft()
        queue.n -= 1
        t0 = contact.t_queue  # add its wait to the queue-length integral (fast path of leave_queue)
        if t0 >= self.seg_start:
            self.queue_area[self.seg * self.n_channels + queue.channel] += now - t0
        else:
            self.add_span(self.queue_area, self.n_channels, queue.channel, t0, now)
        if contact.state:  # held in the queue by a mechanism; waiting contacts are 0
            queue.on_take(agent, contact, now)
            return
        self.start_service(agent, contact, now)

    def _on_abandon(self, ev) -> None:
        contact = ev.arg
        if contact.state != WAITING or contact.leg != ev.tag:
            return
        now = self.env._now
        contact.queue.n -= 1
        contact.state = GONE
        self.out_of_queue(contact, now, ABANDONED)

    # ---------------------------------------------------------------- staffing

    def _on_staffing(self, ev) -> None:
        k = ev.arg
        now = self.env._now
        for group in self.table_groups:
            for agent in group.set_staffing(group.staffing[k], now, self._agent_ids.__next__):
                self.next_for(agent, now)

    def close_seats(self, end: float) -> None:
        """Busy spans of seats still holding contacts when the run stopped."""
        for group in self.groups:
            for seat in group.seats:
                if seat.n:
                    self.add_span(self.busy_area, self.n_groups, group.index, seat.since, end)
                    seat.since = end

    def held_contacts(self) -> list:
        """Contacts the mechanisms hold outside the queues (self-service, booked callbacks)."""
        out = []
        for mechanism in self.mechanisms:
            out.extend(mechanism.held())
        return out
