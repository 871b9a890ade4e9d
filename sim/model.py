"""The SimPy model of a contact centre: one replication from a :class:`Scenario`.

SimPy is the event calendar.  Instead of a process per contact, every event
is a light callback scheduled at an absolute time (:meth:`Calendar.call_at`),
so a contact costs one arrival event, one service-end event per service, and
one abandonment event only if it has to wait with finite patience.  Routing
works on plain data structures (a deque per queue, an idle deque per group),
see :mod:`sim.routing` and :mod:`sim.agents`.

Life of a contact: it arrives on its contact type's queue.  If an eligible
agent is idle, service starts at once (wait 0); otherwise it is blocked when
the queue is at capacity, else it waits until an agent takes it or its
patience runs out.  When tier-1 service ends it may be escalated (with the
type's probability) to the queue of another contact type, where it waits and
is served again with that type's handle time and patience; end-to-end time
runs from the first arrival to the end of the last service.  Escalation
happens at most once per contact.

Simultaneous events run in a fixed order (interval boundaries first, then in
the order they were scheduled), so a seed gives the same numbers every time.
"""

from __future__ import annotations

import itertools
import math
from heapq import heappush

import numpy as np
import simpy
from simpy.core import NORMAL, URGENT

from .arrivals import poisson_arrival_times, read_trace
from .config import RunSpec, Scenario
from .distributions import UNIFORM, Sampler
from .records import ABANDONED, ANSWERED, BLOCKED, IN_SYSTEM, ContactRecords, ReplicationResult, Segments
from .routing import AGENT_SELECTORS, QUEUE_SELECTORS, WAITING, Queue
from .agents import AgentGroup
from .streams import stream

__all__ = ["Calendar", "Contact", "CentreModel", "simulate"]

SERVING, GONE = 1, 2
NAN = math.nan


class _Call:
    """A bare SimPy event that calls one function; ``arg`` and ``tag`` are its payload."""

    __slots__ = ("callbacks", "_ok", "arg", "tag")


class Calendar(simpy.Environment):
    """A SimPy environment with callbacks at absolute times (exact for trace replay)."""

    def call_at(self, t: float, fn, arg=None, tag=0, priority=NORMAL) -> None:
        """Run ``fn(event)`` at time ``t`` (s); ``event.arg``/``event.tag`` carry the payload."""
        ev = _Call()
        ev.callbacks = [fn]
        ev._ok = True
        ev.arg = arg
        ev.tag = tag
        heappush(self._queue, (t, priority, next(self._eid), ev))


class Contact:
    """A customer contact moving through queues (times in seconds)."""

    __slots__ = ("id", "queue", "first", "channel", "arrival", "t_queue", "handle", "patience", "state", "leg",
                 "wait1", "answered", "handle1", "group1", "wait2", "handle2")

    def __init__(self, cid: int, queue: Queue, arrival: float, handle: float, patience: float) -> None:
        self.id = cid
        self.queue = queue
        self.first = queue.index
        self.channel = queue.channel
        self.arrival = arrival
        self.t_queue = arrival
        self.handle = handle
        self.patience = patience
        self.state = WAITING
        self.leg = 1
        self.wait1 = NAN
        self.answered = False
        self.handle1 = NAN
        self.group1 = -1
        self.wait2 = NAN
        self.handle2 = NAN


class CentreModel:
    """Builds the queues, groups and arrival streams of one replication and runs it."""

    def __init__(self, scenario: Scenario, run: RunSpec, replication: int) -> None:
        self.scenario = scenario
        self.run_spec = run
        self.replication = replication
        self.env = Calendar()
        self.rows: list[tuple] = []
        self._ids = itertools.count()
        self._agent_ids = itertools.count()
        seed = run.seed
        self.channel_names = tuple(scenario.channels)
        self.type_names = tuple(scenario.contact_types)
        self.group_names = tuple(scenario.agent_groups)
        group_index = {g: i for i, g in enumerate(self.group_names)}
        self.queues: dict[str, Queue] = {}
        for i, (name, ct) in enumerate(scenario.contact_types.items()):
            q = Queue(name, i, self.channel_names.index(ct.channel), ct.priority, ct.queue_capacity)
            q.handle = Sampler(ct.handle_time, stream(seed, replication, f"handle:{name}"))
            if scenario.trace is None:
                q.handle_by_group = {
                    group_index[g]: Sampler(d, stream(seed, replication, f"handle:{name}:{g}"))
                    for g, d in ct.handle_time_by_group.items()}
            if ct.patience is not None:
                q.patience = Sampler(ct.patience, stream(seed, replication, f"patience:{name}"))
            if ct.escalation is not None and ct.escalation.probability > 0:
                q.escalate_p = ct.escalation.probability
                q.escalate_draw = Sampler(UNIFORM, stream(seed, replication, f"escalation:{name}"))
            self.queues[name] = q
        for name, ct in scenario.contact_types.items():
            if ct.escalation is not None:
                self.queues[name].escalate_to = self.queues[ct.escalation.to]
        self.groups: list[AgentGroup] = []
        for i, (name, spec) in enumerate(scenario.agent_groups.items()):
            group = AgentGroup(name, i, spec.staffing)
            group.skills = [self.queues[s] for s in spec.skills]
            self.groups.append(group)
        for q in self.queues.values():
            ranked = [(g.skills.index(q), g) for g in self.groups if q in g.skills]
            q.groups = [g for _, g in ranked]
            q.tiers = [[g for r, g in ranked if r == rank] for rank in sorted({r for r, _ in ranked})]
        self._pick_agent = AGENT_SELECTORS[scenario.routing.agent_selection]
        self._pick_contact = QUEUE_SELECTORS[scenario.routing.queue_selection]
        horizon = run.horizon_s
        bounds = {k * scenario.interval_s for k in range(scenario.n_intervals + 1)
                  if k * scenario.interval_s < horizon}
        bounds |= {run.warmup_s, horizon}
        self.bounds = sorted(b for b in bounds if b > 0)
        self.seg_queue: list[list[float]] = []
        self.seg_busy: list[list[float]] = []
        self.seg_staffed: list[list[float]] = []

    # ------------------------------------------------------------- the run

    def run(self) -> ReplicationResult:
        env = self.env
        scenario, run = self.scenario, self.run_spec
        for k in range(scenario.n_intervals):
            t = k * scenario.interval_s
            if t < run.horizon_s:
                env.call_at(t, self._on_staffing, k, priority=URGENT)
        for t in self.bounds:
            env.call_at(t, self._on_flush, None, priority=URGENT)
        if scenario.trace is not None:
            rows = read_trace(scenario.trace, scenario.contact_types)
            self._schedule_trace(iter([r for r in rows if r.arrival_time_s < run.horizon_s]))
        else:
            for name, ct in scenario.contact_types.items():
                if ct.rate_per_hour is not None:
                    times = poisson_arrival_times(ct.rate_per_hour, scenario.interval_s, run.horizon_s,
                                                  stream(run.seed, self.replication, f"arrivals:{name}"))
                    self._schedule_next(self.queues[name], times)
        if run.drain:
            env.run()
        else:
            env.run(until=run.horizon_s)
        end = env.now if run.drain else run.horizon_s
        if not self.bounds or end > self.bounds[-1]:
            self.bounds.append(end)
            self._on_flush(None)
        self._record_in_system(end)
        return self._result(end)

    def _schedule_next(self, queue: Queue, times) -> None:
        t = next(times, None)
        if t is not None:
            self.env.call_at(t, self._on_arrival, queue, times)

    def _schedule_trace(self, rows) -> None:
        row = next(rows, None)
        if row is not None:
            self.env.call_at(row.arrival_time_s, self._on_trace_arrival, row, rows)

    # -------------------------------------------------------------- events

    def _on_arrival(self, ev) -> None:
        queue = ev.arg
        now = self.env._now
        patience = queue.patience() if queue.patience is not None else math.inf
        contact = Contact(next(self._ids), queue, now, queue.handle(), patience)
        self._schedule_next(queue, ev.tag)
        self._offer(contact, queue, now, first=True)

    def _on_trace_arrival(self, ev) -> None:
        row = ev.arg
        queue = self.queues[row.contact_type]
        now = self.env._now
        patience = math.inf if row.patience_s is None else row.patience_s
        contact = Contact(next(self._ids), queue, now, row.handle_time_s, patience)
        self._schedule_trace(ev.tag)
        self._offer(contact, queue, now, first=True)

    def _offer(self, contact: Contact, queue: Queue, now: float, first: bool) -> None:
        """A contact reaches ``queue``: served now, blocked, or waits."""
        agent = self._pick_agent(queue)
        if agent is not None:
            self._start(agent, contact, now)
            return
        if first and queue.capacity is not None and queue.n >= queue.capacity:
            self._finish(contact, BLOCKED, NAN)
            return
        queue.area += queue.n * (now - queue.last_t)
        queue.last_t = now
        queue.n += 1
        queue.waiting.append(contact)
        if contact.patience != math.inf:
            self.env.call_at(now + contact.patience, self._on_abandon, contact, contact.leg)

    def _start(self, agent, contact: Contact, now: float) -> None:
        group = agent.group
        wait = now - contact.t_queue
        contact.state = SERVING
        handle = contact.handle
        override = contact.queue.handle_by_group.get(group.index) if contact.queue.handle_by_group else None
        if override is not None:
            handle = override()
        if contact.leg == 1:
            contact.wait1 = wait
            contact.answered = True
            contact.handle1 = handle
            contact.group1 = group.index
        else:
            contact.wait2 = wait
            contact.handle2 = handle
        group.accrue(now)
        group.n_busy += 1
        agent.contact = contact
        self.env.call_at(now + handle, self._on_service_end, agent)

    def _on_service_end(self, ev) -> None:
        agent = ev.arg
        contact = agent.contact
        now = self.env._now
        queue = contact.queue
        group = agent.group
        group.accrue(now)
        group.n_busy -= 1
        agent.contact = None
        if contact.leg == 1 and queue.escalate_p and queue.escalate_draw() < queue.escalate_p:
            target = queue.escalate_to
            contact.leg = 2
            contact.queue = target
            contact.t_queue = now
            contact.state = WAITING
            contact.handle = target.handle()
            contact.patience = target.patience() if target.patience is not None else math.inf
            self._offer(contact, target, now, first=False)
        else:
            self._finish(contact, ANSWERED, now)
        if agent.leaving:
            group.log_off(agent, now)
            return
        self._next_for(agent, now)

    def _next_for(self, agent, now: float) -> None:
        """A free agent takes the next contact its routing chooses, or goes idle."""
        contact = self._pick_contact(agent.group)
        if contact is None:
            agent.idle_since = now
            agent.group.idle.append(agent)
            return
        queue = contact.queue
        queue.waiting.popleft()
        queue.area += queue.n * (now - queue.last_t)
        queue.last_t = now
        queue.n -= 1
        self._start(agent, contact, now)

    def _on_abandon(self, ev) -> None:
        contact = ev.arg
        if contact.state != WAITING or contact.leg != ev.tag:
            return
        now = self.env._now
        queue = contact.queue
        queue.area += queue.n * (now - queue.last_t)
        queue.last_t = now
        queue.n -= 1
        contact.state = GONE
        if contact.leg == 1:
            contact.wait1 = now - contact.t_queue
        else:
            contact.wait2 = now - contact.t_queue
        self._finish(contact, ABANDONED, now)

    def _on_staffing(self, ev) -> None:
        k = ev.arg
        now = self.env._now
        for group in self.groups:
            for agent in group.set_staffing(group.staffing[k], now, self._agent_ids.__next__):
                self._next_for(agent, now)

    def _on_flush(self, ev) -> None:
        now = self.env._now
        self.seg_queue.append([q.flush(now) for q in self.queues.values()])
        busy, staffed = zip(*(g.flush(now) for g in self.groups))
        self.seg_busy.append(list(busy))
        self.seg_staffed.append(list(staffed))

    # ------------------------------------------------------------- records

    def _finish(self, contact: Contact, outcome: int, end: float) -> None:
        contact.state = GONE
        self.rows.append((
            contact.id, contact.first, contact.channel, contact.arrival, contact.wait1,
            contact.answered, outcome, contact.handle1, contact.group1, contact.leg == 2,
            contact.wait2, contact.handle2, end,
        ))

    def _record_in_system(self, end: float) -> None:
        """Contacts still waiting or in service when the run stopped."""
        for queue in self.queues.values():
            for contact in queue.waiting:
                if contact.state == WAITING:
                    if contact.leg == 1:
                        contact.wait1 = end - contact.t_queue
                    else:
                        contact.wait2 = end - contact.t_queue
                    self._finish(contact, IN_SYSTEM, NAN)
        for group in self.groups:
            for agent in group.members.values():
                if agent.contact is not None:
                    self._finish(agent.contact, IN_SYSTEM, NAN)

    def _result(self, end: float) -> ReplicationResult:
        n_seg = len(self.seg_queue)
        shape_q = (len(self.queues), n_seg)
        shape_g = (len(self.groups), n_seg)
        segments = Segments(
            bounds_s=np.asarray([0.0] + self.bounds[:n_seg], dtype=float),
            queue_area=np.asarray(self.seg_queue, dtype=float).T.reshape(shape_q),
            busy_area=np.asarray(self.seg_busy, dtype=float).T.reshape(shape_g),
            staffed_area=np.asarray(self.seg_staffed, dtype=float).T.reshape(shape_g),
        )
        return ReplicationResult(
            replication=self.replication, contacts=ContactRecords.from_rows(self.rows), segments=segments,
            type_names=self.type_names, channel_names=self.channel_names, group_names=self.group_names,
            queue_channel=np.asarray([q.channel for q in self.queues.values()], dtype=np.int16),
            end_time_s=end,
        )


def simulate(scenario: Scenario, run: RunSpec, replication: int) -> ReplicationResult:
    """Run replication ``replication`` of ``scenario`` (``run.horizon_s`` must be resolved)."""
    return CentreModel(scenario, run, replication).run()
