"""The composed model of a contact centre: one replication of a :class:`Scenario`.

:class:`CentreModel` builds the engine (:class:`~sim.engine.core.Engine`) for a
scenario: a queue per contact type with its samplers (handle time, per group if
given, patience, escalation), the agent groups with their skills and routing
policies, the measurement segments and tallies.  Then it registers the
mechanisms the scenario turns on (:data:`MECHANISMS`, in that order; each
decides from the scenario whether it is needed) and runs the replication:
segment flushes, staffing tables, the mechanisms' own events, the arrival
streams (sampled, or a trace replayed), until the horizon or, with
``run.drain``, until nothing is left.

What is measured is aggregated as it goes (:mod:`sim.engine.tallies`, into the
structures of :mod:`sim.engine.records`); the per-contact rows go to an
optional ``sink`` (kept in memory for tests, streamed to Parquet for
``run.save_contacts``).  The order in which mechanisms are registered is part
of the model: it fixes the order of simultaneous events, so a seed gives the
same numbers every time.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable

from simpy.core import URGENT

from sim.engine.agents import AgentGroup
from sim.engine.arrivals import (daily_arrival_times, day_factors, days_covered, poisson_arrival_times, read_trace,
                                 scale_by_day)
from sim.engine.calendar import Calendar, Timer
from sim.engine.contacts import Contact
from sim.engine.core import Engine
from sim.engine.distributions import UNIFORM, Sampler
from sim.engine.records import N_TALLY, ContactRecords, ReplicationResult
from sim.engine.routing import Queue, agent_selector, queue_selector
from sim.engine.streams import stream
from sim.journeys.after_call_work import AfterCallWork
from sim.journeys.balking import Balking
from sim.journeys.concurrency import Concurrency
from sim.journeys.conditions import Conditions
from sim.journeys.deferrable import Deferrable
from sim.journeys.expected_delay import ExpectedDelay
from sim.journeys.flow import Journeys
from sim.journeys.outbound import Outbound
from sim.journeys.overflow import Overflow
from sim.journeys.transfers import Transfers
from sim.journeys.sites import Sites
from sim.journeys.trunk_lines import TrunkLines
from sim.journeys.vip import Vip
from sim.model.config import RunSpec, Scenario, inbound_types
from sim.model.state import State, snapshot, start_from_state
from sim.workforce.days import Days, segment_bounds
from sim.workforce.on_duty import OnDuty

__all__ = ["CentreModel", "MECHANISMS", "simulate", "snapshot_at"]

#: The mechanisms, in the order they are built and called.  Each class's ``needed(scenario, run)``
#: says whether a run needs it; a new mechanism is one module with one class, added here.
MECHANISMS = (Days, OnDuty, Concurrency, Journeys, Vip, Overflow, Sites, Balking, Deferrable, AfterCallWork,
              TrunkLines, Conditions, ExpectedDelay, Transfers, Outbound)


class CentreModel(Engine):
    """Builds the queues, groups, mechanisms and arrival streams of one replication and runs it.

    ``sink``, if given, receives one tuple per contact in
    :data:`~sim.engine.records.CONTACT_COLUMNS` order when the contact leaves.
    """

    def __init__(self, scenario: Scenario, run: RunSpec, replication: int,
                 sink: Callable[[tuple], None] | None = None, state: State | None = None) -> None:
        self.scenario = scenario
        self.state = state
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
            q.enter = self.offer
            routing = scenario.routing
            q.pick_agent = agent_selector(routing.agent_selection, self.env, routing.idle_weight)
            q.base_score, q.weight = routing.contact_scores.get(name, (0.0, routing.wait_weights.get(name, 1.0)))
            q.transfer_bonus = routing.transfer_bonus
            levels = scenario.skill_levels  # a group's skill level gives its score where agent_scores gives none
            q.agent_scores = tuple(routing.agent_scores.get(g, {}).get(
                name, 0.0 if levels is None else levels.of(g, name).agent_score) for g in self.group_names)
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
        for group in self.groups:
            group.pick_contact = queue_selector(scenario.routing.queue_selection, group, self.env)
        self.table_groups = list(self.groups)  # groups following their staffing tables (shifts take theirs away)
        #: the queues of each contact type: its own, then those of its classes (e.g. VIP)
        self.type_queues: dict[str, list[Queue]] = {name: [q] for name, q in self.queues.items()}
        self.all_queues: list[Queue] = list(self.queues.values())
        # segments: [0, ends[0]), [ends[0], ends[1]), ..., the last one open until the run stops
        self.ends = segment_bounds(scenario.interval_s, scenario.n_intervals, run.days, run.horizon_s,
                                   run.warmup_s) + [math.inf]
        n_seg, n_ch, n_g = len(self.ends), len(self.channel_names), len(self.groups)
        self.n_channels, self.n_groups, self.n_types = n_ch, n_g, len(self.type_names)
        self.seg = 0
        self.seg_start = 0.0
        self.seg_end = self.ends[0]
        # [segment * n_types + contact type][field]: per contact type; _result sums them per channel
        self.tally = [[0.0] * N_TALLY for _ in range(n_seg * self.n_types)]
        self.queue_area = [0.0] * (n_seg * n_ch)
        self.busy_area = [0.0] * (n_seg * n_g)
        self.staffed_area = [0.0] * (n_seg * n_g)
        self.offered_work = [0.0] * (n_seg * self.n_types)  # handle seconds offered to agent queues, per type
        self.whole_spans: dict = {}  # whole segments inside long spans, folded into the areas at the end
        self.backlog_end = [0.0] * (n_seg * n_ch)  # contacts waiting at each segment's end
        self.thresholds = [scenario.channels[c].service_level_threshold_s for c in self.channel_names]
        #: each contact type's service-level threshold (its channel's), by queue index
        self.type_thresholds = [self.thresholds[q.channel] for q in self.queues.values()]
        self.short_abandon_s = run.short_abandon_s
        self.day_factors = None  # the busyness factors drawn by run() (None: busyness_cv 0 or a trace)
        self.mechanisms = tuple(kind(self, scenario) for kind in MECHANISMS if kind.needed(scenario, run))
        self.days = next((m for m in self.mechanisms if isinstance(m, Days)), None)

    def schedule_staffing_table(self, base_s: float, until_s: float = math.inf) -> None:
        """The staffing tables' changes of the day opening at ``base_s`` (those before ``until_s``)."""
        scenario = self.scenario
        for k in range(scenario.n_intervals):
            t = base_s + k * scenario.interval_s
            if t < until_s:
                self.env.call_at(t, self._on_staffing, k, priority=URGENT)

    # ------------------------------------------------------------- the run

    def prepare(self) -> None:
        """Schedule the replication's first events: segment flushes, staffing tables, the mechanisms'
        schedules, the arrival streams and, from a state, the state's contacts and agents."""
        env = self.env
        scenario, run = self.scenario, self.run_spec
        state = self.state
        for t in self.ends[:-1]:
            env.call_at(t, self._on_flush, None, priority=URGENT)
        if self.days is None and self.table_groups:
            self.schedule_staffing_table(0.0, run.horizon_s)
        for mechanism in self.mechanisms:
            mechanism.start(run.horizon_s)  # multi-day runs schedule their days here (sim.workforce.days)
        if scenario.trace is not None:
            rows = read_trace(scenario.trace, inbound_types(scenario.contact_types))
            self._schedule_trace(iter([r for r in rows if r.arrival_time_s < run.horizon_s]))
        else:
            factors = None  # busyness: one factor per simulated day, shared by every contact type
            if scenario.busyness_cv > 0:
                n_days = run.days if run.days > 1 else days_covered(scenario.interval_s, scenario.n_intervals,
                                                                    run.horizon_s)
                factors = day_factors(scenario.busyness_cv, n_days, stream(run.seed, self.replication, "busyness"))
            self.day_factors = factors
            plain = self.Contact is Contact
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
                    if state is not None:  # the rest of the day: arrivals from the state's time on
                        times = itertools.dropwhile(state.clock_s.__gt__, times)
                    timer = Timer(env, self._on_arrival if plain else self._on_entering_arrival, self.queues[name])
                    timer.tag = times
                    self._schedule_next(timer)
        if state is not None:
            start_from_state(self, state)

    def run(self) -> ReplicationResult:
        """Run the replication to its end and return what it measured."""
        env = self.env
        run = self.run_spec
        self.prepare()
        if run.drain:
            env.run()
        else:
            env.run(until=run.horizon_s)
        end = env.now if run.drain else run.horizon_s
        self._note_backlog()
        self._record_in_system(end)
        self.close_seats(end)
        for mechanism in self.mechanisms:
            mechanism.stop(end)
        self._flush_staffed(end)
        result = self._result(end)
        if self.state is not None:  # the morning before the state is not the rest of the day's to pay
            result.costs_from_s = self.state.clock_s
        return result


def simulate(scenario: Scenario, run: RunSpec, replication: int, *, keep_contacts: bool = False,
             sink: Callable[[tuple], None] | None = None, state: State | None = None) -> ReplicationResult:
    """Run replication ``replication`` of ``scenario`` (``run.horizon_s`` must be resolved).

    ``state`` (:mod:`sim.model.state`): run the rest of the day from that state (``run.warmup_s``
    should be the state's time, :func:`sim.model.state.state_run`).

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
    model = CentreModel(scenario, run, replication, sink, state)
    result = model.run()
    if keep_contacts:
        result.contacts = ContactRecords.from_rows(rows)
    return result


def snapshot_at(scenario: Scenario, run: RunSpec, replication: int, clock_s: float) -> State:
    """Run replication ``replication`` of ``scenario`` up to ``clock_s`` seconds after opening and return
    its state then (:func:`sim.model.state.snapshot`; the events at that very time that set staffing have
    run, services and arrivals have not).  Continue it with ``simulate(..., state=...)``."""
    model = CentreModel(scenario, run, replication)
    model.prepare()
    model.env.run(until=clock_s)
    return snapshot(model)
