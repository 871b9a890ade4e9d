"""The SimPy model of a contact centre: one replication from a :class:`Scenario`.

SimPy is the event calendar.  Instead of a process per contact, every event
is a light callback scheduled at an absolute time (:meth:`Calendar.call_at`),
so a contact costs one arrival event, one service-end event per service, and
one abandonment event only if it has to wait with finite patience.  Routing
works on plain data structures (a deque per queue, an idle deque per group),
see :mod:`sim.engine.routing` and :mod:`sim.engine.agents`.

Life of a contact: it arrives on its contact type's queue.  If an eligible
agent is idle, service starts at once (wait 0); otherwise it is blocked when
the queue is at capacity, else it waits until an agent takes it or its
patience runs out.  When tier-1 service ends it may be escalated (with the
type's probability) to the queue of another contact type, where it waits and
is served again with that type's handle time and patience; end-to-end time
runs from the first arrival to the end of the last service.  Escalation
happens at most once per contact.

What is measured is aggregated as it goes (:mod:`sim.engine.tallies`, into the
structures of :mod:`sim.engine.records`): when a
contact leaves, its outcome and times are added to the tally of the segment
and channel it arrived in, and waiting and busy times are added to time
integrals split exactly at segment bounds.  Memory therefore stays flat
however many contacts pass; the per-contact rows go to an optional ``sink``
(kept in memory for tests, streamed to Parquet for ``run.save_contacts``).

Simultaneous events run in a fixed order (segment flushes first, then staffing
changes, then the rest in the order they were scheduled), so a seed gives the
same numbers every time.
"""

from __future__ import annotations

import itertools
import math
from heapq import heappush
from typing import Callable

from simpy.core import NORMAL, URGENT

from sim.engine.agents import AgentGroup
from sim.engine.arrivals import (daily_arrival_times, day_factors, days_covered, poisson_arrival_times, read_trace,
                                 scale_by_day)
from sim.engine.calendar import Calendar, Timer
from sim.engine.contacts import Contact
from sim.engine.distributions import UNIFORM, Sampler
from sim.engine.records import ABANDONED, ANSWERED, BLOCKED, N_TALLY, ContactRecords, ReplicationResult
from sim.engine.routing import AGENT_SELECTORS, GONE, SERVING, WAITING, Queue, queue_selector
from sim.engine.streams import stream
from sim.engine.tallies import TallyModel
from sim.journeys.callbacks import CallbackModel
from sim.journeys.concurrency import ConcurrencyModel
from sim.journeys.deferrable import DeferrableModel
from sim.journeys.flow import JourneyContact, JourneyModel
from sim.journeys.overflow import OverflowModel
from sim.journeys.vip import VipModel
from sim.model.config import RunSpec, Scenario
from sim.workforce.days import DaysModel, segment_bounds
from sim.workforce.on_duty import WorkforceModel

__all__ = ["CentreModel", "simulate"]

NAN = math.nan
INF = math.inf



class CentreModel(JourneyModel, CallbackModel, OverflowModel, VipModel, ConcurrencyModel, DeferrableModel,
                  WorkforceModel, DaysModel, TallyModel):
    """Builds the queues, groups and arrival streams of one replication and runs it.

    ``sink``, if given, receives one tuple per contact in
    :data:`~sim.engine.records.CONTACT_COLUMNS` order when the contact leaves.
    """

    def __init__(self, scenario: Scenario, run: RunSpec, replication: int,
                 sink: Callable[[tuple], None] | None = None) -> None:
        self.scenario = scenario
        self.run_spec = run
        self.replication = replication
        self.sink = sink
        self.env = Calendar()
        self._queue, self._eid = self.env._queue, self.env._eid
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
            q.enter = self._offer
            q.pick_agent = AGENT_SELECTORS[scenario.routing.agent_selection]
            self.queues[name] = q
        for name, ct in scenario.contact_types.items():
            if ct.escalation is not None:
                self.queues[name].escalate_to = self.queues[ct.escalation.to]
        self.groups: list[AgentGroup] = []
        for i, (name, spec) in enumerate(scenario.agent_groups.items()):
            group = AgentGroup(name, i, spec.staffing)
            group.skills = [self.queues[s] for s in spec.skills]
            self._setup_traits(group, spec)
            self.groups.append(group)
        for q in self.queues.values():
            ranked = [(g.skills.index(q), g) for g in self.groups if q in g.skills]
            q.groups = [g for _, g in ranked]
            q.tiers = [[g for r, g in ranked if r == rank] for rank in sorted({r for r, _ in ranked})]
        self._setup_duty(scenario, seed, replication)  # groups with shifts (sim.workforce.on_duty)
        for group in self.groups:
            group.pick_contact = queue_selector(scenario.routing.queue_selection, group)
        self.bot_sessions: dict[int, Contact] = {}  # contacts in self-service, by id
        self.booked: dict[int, Contact] = {}  # booked callbacks not yet due, by id (sim.journeys.callbacks)
        self.vip_queues: dict[str, Queue] = {}  # VIP class queues by contact type (sim.journeys.vip)
        self._setup_concurrency(scenario)
        self.all_queues: list[Queue] = []  # the types' queues and their VIP queues, set after the journeys
        self.journeys = self._setup_journeys(scenario, seed, replication, group_index)
        self.all_queues = [*self.queues.values(), *self.vip_queues.values()]
        self._setup_reserve(scenario)
        self.Contact = JourneyContact if self.journeys else Contact
        # segments: [0, ends[0]), [ends[0], ends[1]), ..., the last one open until the run stops
        self.ends = segment_bounds(scenario.interval_s, scenario.n_intervals, run.days, run.horizon_s,
                                   run.warmup_s) + [math.inf]
        n_seg, n_ch, n_g = len(self.ends), len(self.channel_names), len(self.groups)
        self.n_channels, self.n_groups = n_ch, n_g
        self.seg = 0
        self.seg_start = 0.0
        self.seg_end = self.ends[0]
        self.tally = [[0.0] * N_TALLY for _ in range(n_seg * n_ch)]  # [segment * n_ch + channel][field]
        self.queue_area = [0.0] * (n_seg * n_ch)
        self.busy_area = [0.0] * (n_seg * n_g)
        self.staffed_area = [0.0] * (n_seg * n_g)
        self.backlog_end = [0.0] * (n_seg * n_ch)  # contacts waiting at each segment's end
        self.thresholds = [scenario.channels[c].service_level_threshold_s for c in self.channel_names]
        self.short_abandon_s = run.short_abandon_s
        self.day_factors = None  # the busyness factors drawn by run() (None: busyness_cv 0 or a trace)

    # ------------------------------------------------------------- the run

    def run(self) -> ReplicationResult:
        env = self.env
        scenario, run = self.scenario, self.run_spec
        for t in self.ends[:-1]:
            env.call_at(t, self._on_flush, None, priority=URGENT)
        if run.days > 1:
            for d in range(run.days):
                self._schedule_day(d)  # staffing, shifts, hours, closing (sim.workforce.days)
        elif self.table_groups:
            for k in range(scenario.n_intervals):
                t = k * scenario.interval_s
                if t < run.horizon_s:
                    env.call_at(t, self._on_staffing, k, priority=URGENT)
        self._schedule_workforce(run.horizon_s)
        if scenario.trace is not None:
            rows = read_trace(scenario.trace, scenario.contact_types)
            self._schedule_trace(iter([r for r in rows if r.arrival_time_s < run.horizon_s]))
        else:
            factors = None  # busyness: one factor per simulated day, shared by every contact type
            if scenario.busyness_cv > 0:
                n_days = run.days if run.days > 1 else days_covered(scenario.interval_s, scenario.n_intervals,
                                                                    run.horizon_s)
                factors = day_factors(scenario.busyness_cv, n_days, stream(run.seed, self.replication, "busyness"))
            self.day_factors = factors
            for name, ct in scenario.contact_types.items():
                if ct.rate_per_hour is not None:
                    rng = stream(run.seed, self.replication, f"arrivals:{name}")
                    if run.days > 1:
                        times = daily_arrival_times(ct.rate_per_hour, scenario.interval_s, run.day_open_s, run.days,
                                                    rng, factors, ct.day_factors, ct.overnight_volume)
                    else:
                        rates = ct.rate_per_hour if factors is None else scale_by_day(ct.rate_per_hour,
                                                                                        scenario.interval_s, factors)
                        if ct.day_factors:  # a one-day run is day 1 of the pattern
                            rates = tuple(r * ct.day_factors[0] for r in rates)
                        times = poisson_arrival_times(rates, scenario.interval_s, run.horizon_s, rng)
                    timer = Timer(env, self._on_journey_arrival if self.journeys else self._on_arrival,
                                  self.queues[name])
                    timer.tag = times
                    self._schedule_next(timer)
        if run.drain:
            env.run()
        else:
            env.run(until=run.horizon_s)
        end = env.now if run.drain else run.horizon_s
        self._note_backlog()
        self._record_in_system(end)
        self._close_concurrent(end)
        self._flush_staffed(end)
        return self._result(end)

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

    # -------------------------------------------------------------- events

    def _on_arrival(self, timer: Timer) -> None:
        queue = timer.arg
        now = self.env._now
        patience = queue.patience() if queue.patience is not None else INF
        contact = Contact(next(self._ids), queue, self.seg, now, queue.handle(), patience)
        t = next(timer.tag, None)
        if t is not None:
            timer.at(t)
        self._offer(contact, queue, now, True)

    def _on_trace_arrival(self, ev) -> None:
        row = ev.arg
        queue = self.queues[row.contact_type]
        now = self.env._now
        patience = math.inf if row.patience_s is None else row.patience_s
        contact = self._new_contact(queue, now, row.handle_time_s, patience)
        self._schedule_trace(ev.tag)
        queue.enter(contact, queue, now, True)

    def _new_contact(self, queue: Queue, now: float, handle: float, patience: float) -> Contact:
        return self.Contact(next(self._ids), queue, self.seg, now, handle, patience)

    def _offer(self, contact: Contact, queue: Queue, now: float, first: bool) -> None:
        """A contact reaches ``queue``: served now, blocked, or waits."""
        agent = queue.pick_agent(queue)
        if agent is not None:
            self._start(agent, contact, now)
            return
        if first and queue.capacity is not None and queue.n >= queue.capacity:
            self._finish(contact, BLOCKED, NAN)
            return
        queue.n += 1
        queue.waiting.append(contact)
        if queue.on_wait is not None and queue.on_wait(contact, queue, now, first):
            return  # holds a callback: no abandonment (sim.journeys.callbacks); overflow armed (sim.journeys.overflow)
        if contact.patience != INF:
            self.env.call_at(now + contact.patience, self._on_abandon, contact, contact.leg)

    def _start(self, agent, contact: Contact, now: float) -> None:
        group = agent.group
        wait = now - contact.t_queue
        contact.state = SERVING
        handle = contact.handle
        if contact.queue.handle_by_group:
            override = contact.queue.handle_by_group.get(group.index)
            if override is not None and contact.leg:  # leg 0: a callback attempt (sim.journeys.callbacks)
                handle = override()
                if contact.queue.bot is not None and contact.bot > 0.0 and contact.leg == 1:  # handed off by self-service
                    handle *= contact.queue.bot.aht_factor
        group.served += 1
        if group.adjusts:
            handle = self._adjust(agent, contact, handle, now)
        parent = agent.parent
        if parent is not None:  # a slot of an agent holding several contacts (sim.journeys.concurrency)
            handle = self._concurrent_start(agent, handle, now)
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
            pass  # busy time is the seat's span (sim.journeys.concurrency)
        elif end <= self.seg_end:
            self.busy_area[self.seg * self.n_groups + group.index] += handle
        else:
            self._add_span(self.busy_area, self.n_groups, group.index, now, end)
        agent.contact = contact
        timer = agent.timer
        if timer is None:
            timer = agent.timer = Timer(self.env, self._on_service_end if parent is None else self._on_concurrent_end,
                                        agent)
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
            self._offer(contact, target, now, False)
        else:
            self._finish(contact, ANSWERED, now)
        agent.last_end = now
        if agent.leaving:
            if self.closing and self._stay_on(agent, now):  # after a closing, live work still waits (sim.workforce.days)
                return
            agent.group.log_off(agent, now)
            return
        self._next_for(agent, now)

    def _next_for(self, agent, now: float) -> None:
        """A free agent takes the next contact its routing chooses, or goes idle (or rests, if its
        occupancy is above its group's cap)."""
        group = agent.group
        if group.fatigue is not None and group.fatigue.occupancy_cap is not None:
            until = agent.load.rest_until(now, group.fatigue.window_s, group.fatigue.occupancy_cap)
            if until > now:
                agent.resting = True
                self.env.call_at(until, self._on_rest_end, agent)
                return
        contact = group.pick_contact(group)
        if contact is None:
            agent.idle_since = now
            group.idle.append(agent)
            return
        queue = contact.queue
        queue.waiting.popleft()
        queue.n -= 1
        t0 = contact.t_queue  # add its wait to the queue-length integral (fast path of _leave_queue)
        if t0 >= self.seg_start:
            self.queue_area[self.seg * self.n_channels + queue.channel] += now - t0
        else:
            self._add_span(self.queue_area, self.n_channels, queue.channel, t0, now)
        if contact.state:  # holds a callback (sim.journeys.callbacks); waiting contacts are 0
            self._place_callback(agent, contact, now)
            return
        self._start(agent, contact, now)

    def _on_abandon(self, ev) -> None:
        contact = ev.arg
        if contact.state != WAITING or contact.leg != ev.tag:
            return
        now = self.env._now
        contact.queue.n -= 1
        contact.state = GONE
        self._out_of_queue(contact, now, ABANDONED)

    def _on_staffing(self, ev) -> None:
        k = ev.arg
        now = self.env._now
        for group in self.table_groups:
            for agent in group.set_staffing(group.staffing[k], now, self._agent_ids.__next__):
                self._next_for(agent, now)


def simulate(scenario: Scenario, run: RunSpec, replication: int, *, keep_contacts: bool = False,
             sink: Callable[[tuple], None] | None = None) -> ReplicationResult:
    """Run replication ``replication`` of ``scenario`` (``run.horizon_s`` must be resolved).

    ``keep_contacts`` keeps the per-contact log in memory (``result.contacts``);
    ``sink`` receives each contact's row as it leaves (e.g. to stream it to disk).
    """
    rows: list[tuple] = []
    if keep_contacts:
        if sink is None:
            sink = rows.append
        else:
            outer = sink

            def sink(row: tuple) -> None:
                rows.append(row)
                outer(row)
    model = CentreModel(scenario, run, replication, sink)
    result = model.run()
    if keep_contacts:
        result.contacts = ContactRecords.from_rows(rows)
    return result
