"""Outbound campaigns and blending: agents dial a calling list between inbound contacts.

A contact type with ``outbound`` (:class:`~sim.journeys.config.OutboundSpec`) is a campaign: a list
of ``list_size`` records (customers to collect from, to sell to, to call back) dialled in its window
of each day, not arrivals.  Each record is dialled at most ``attempts.max`` times, ``retry_delay_s``
after the previous attempt ended without a right-party conversation.  A dial rings for a
``dial_time`` draw; it is answered (a *connect*) with probability ``connect``, and an answered call
reaches the right party with probability ``right_party``.  The right party talks with an agent for
a ``handle_time`` draw of the type (per group, proficiency and fatigue as for any service), then the
agent wraps up for an ``after_call_work`` draw; a wrong party takes a ``wrong_party_time`` draw of
the agent's time and the record is tried again.  The agents are those of the groups with the type
among their skills.  Three dialing modes, as in the dialers of UdeM's ContactCenters library:

- ``preview``: an agent with nothing else to do reserves the next record, reviews it for a
  ``preview_time`` draw, then dials and stays on the line while it rings: no call is ever
  answered without an agent;
- ``progressive``: one dial per such agent, the agent reserved while it rings;
- ``predictive``: dials are placed ahead of agents: ``ratio`` x the agents available for outbound
  work (idle, allowed by their group's blending rule), minus the dials already ringing and the
  connected calls waiting.  A connected callee waits ``patience_s`` for an agent, then hangs up:
  a *nuisance call* (abandoned), which counts against the nuisance rate.  The ratio starts at
  ``pacing.initial_ratio`` and every ``pacing.adjust_every_s`` moves within ``[min_ratio,
  max_ratio]`` on a *nuisance budget*, ``nuisance_target`` x the connects so far minus the nuisance
  calls so far: down by ``pacing.step`` (up to 5 steps, the further over) while the budget is spent
  or the last period's nuisance rate (nuisance / connects) is above target; up by one step while a
  whole nuisance call of budget is left and the last period's rate was below 80% of the target
  (:data:`HEADROOM`), or when it placed no dial in its window while agents were idle (a dialer that
  stopped tries again); else it holds.

Records due for a retry are dialled before fresh ones; a retry that would fall after the run's
horizon is not scheduled (the record stays open).

**Blending** (``agent_groups.<g>.blending``, :class:`~sim.journeys.config.BlendingSpec`).  When an
agent of a group with outbound skills becomes free (the group's ``rest`` hook, before it takes its
next inbound contact), it takes outbound work if its group's rule allows it now:

- without a rule, and under ``service_level_above`` and ``idle_reserve``, live inbound work keeps
  priority: outbound work only while no contact waits in the group's live inbound queues (deferrable
  work, email and social posts, is not live; see below); then
  ``service_level_above``: only while the group's inbound service level over the last interval
  (answered within the channel's threshold / answered and abandoned, of the contacts that left
  then; an interval without any counts as met) is at least ``target``; ``idle_reserve``: only
  while at least ``agents`` other agents of the group stay idle;
- ``queue_below``: while fewer than ``max_waiting`` contacts wait in the group's live inbound
  queues, even ahead of them (1: only while none waits); it matters for preview and progressive
  campaigns only (a predictive dialer counts idle agents, and an agent is idle only when nothing
  waits for it).

A predictive dialer counts only idle agents (and a free agent that will be idle: one with no inbound
contact, live or deferrable, waiting for it), as dialers count agents in the *available* state: an
agent working the email backlog is not available.  So deferrable work waits behind preview and
progressive work (the agent reserves a record instead), and goes before predictive dialling.  A
connected call of a predictive campaign is given to the longest-idle agent of a group with the
skill, whatever the rule (the callee is on the line); when none is idle it waits for the first agent
of such a group that becomes free, ahead of any inbound contact (it hangs up within ``patience_s``,
an inbound caller waits longer).  Idle agents are looked at again when the window opens, when a record becomes due for a retry, at each interval boundary
(``service_level_above``) and, for predictive campaigns, whenever a dial ends.

:class:`Outbound` is a mechanism (:mod:`sim.engine.hooks`), built last: it sets the ``rest`` hook of
the groups with outbound skills and wraps the engine's ``finish`` (a right-party conversation ends)
and ``wrap_up`` hooks; contacts of outbound types never reach the inbound tallies, so every inbound
KPI keeps its meaning.  Its draws come from its own streams (``outbound:<type>:connect``,
``:right_party``, ``:dial``, ``:preview``, ``:wrong_party``, ``:wrap``; talk from ``handle:<type>``),
so a scenario without a campaign runs exactly as before.

**Measured** (per campaign and segment of the dial; :data:`OUT_FIELDS`): ``dials``, ``connects``,
and each dial's single end: ``no_answer``, ``wrong_party``, ``right_party`` (a conversation that
ended), ``nuisance``, or ``pending`` (ringing, waiting for an agent or talking when the run
stopped); so dials = no_answer + wrong_party + right_party + nuisance + pending.  Records
``closed`` (right party reached, or out of attempts) and ``reached``; agent-seconds on outbound
work per group (preview, ringing with a reserved agent, talk, wrong party, wrap-up), which also
count as busy time (occupancy).  KPIs: :mod:`sim.model.metrics` (``replication_outbound``).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from sim.engine.arrivals import DAY_S
from sim.engine.distributions import UNIFORM, Sampler
from sim.engine.hooks import Mechanism
from sim.engine.records import ABANDONED, ANSWERED
from sim.engine.streams import stream
from sim.engine.routing import longest_idle_among

__all__ = ["Outbound", "outbound_on", "OUT_FIELDS"]

#: what each campaign counts per segment (the segment its dial was placed in)
OUT_FIELDS = ("dials", "connects", "no_answer", "wrong_party", "right_party", "nuisance", "pending",
              "records_closed", "records_reached", "talk_s", "wrap_s")
(DIALS, CONNECTS, NO_ANSWER, WRONG, RIGHT, NUISANCE, PENDING, CLOSED, REACHED, TALK_S,
 WRAP_S) = range(len(OUT_FIELDS))
N_OUT = len(OUT_FIELDS)
INF = math.inf
#: predictive pacing steps the ratio up only while the nuisance rates are below this share of the target
HEADROOM = 0.8


def outbound_on(scenario) -> bool:
    """Whether ``scenario`` has an outbound campaign."""
    return any(ct.outbound is not None for ct in scenario.contact_types.values())


class Dial:
    """One dial of a record: where it stands (``ringing``, ``waiting`` for an agent, ``talking``, ``done``)."""

    __slots__ = ("camp", "record", "seg", "agent", "connected", "right", "state")

    def __init__(self, camp: "Campaign", record: int, seg: int, agent) -> None:
        self.camp = camp
        self.record = record
        self.seg = seg
        self.agent = agent  # the reserved agent (preview, progressive), or None (predictive)
        self.connected = False
        self.right = False
        self.state = "ringing"


class Campaign:
    """The state of one outbound contact type in a replication."""

    def __init__(self, name: str, spec, queue, groups, seed: int, replication: int, n_seg: int) -> None:
        self.name = name
        self.spec = spec
        self.queue = queue
        self.groups = groups  # agent groups with the skill
        self.attempts = [0] * spec.list_size
        self.next_fresh = 0
        self.ready: deque[int] = deque()  # records due for a retry
        self.ratio = spec.pacing.initial_ratio if spec.pacing is not None else 1.0
        self.ringing = 0
        self.waiting: deque[Dial] = deque()  # connected calls waiting for an agent (predictive)
        self.counts = [0.0] * (n_seg * N_OUT)
        self.connects = 0  # running totals for the pacing
        self.nuisances = 0
        self.period = [0, 0, 0]  # connects, nuisances and dials since the last adjustment
        sub = f"outbound:{name}"
        self.u_connect = Sampler(UNIFORM, stream(seed, replication, f"{sub}:connect"))
        self.u_right = Sampler(UNIFORM, stream(seed, replication, f"{sub}:right_party"))
        self.ring = Sampler(spec.dial_time, stream(seed, replication, f"{sub}:dial"))
        self.preview = None if spec.preview_time is None else Sampler(
            spec.preview_time, stream(seed, replication, f"{sub}:preview"))
        self.wrong = Sampler(spec.wrong_party_time, stream(seed, replication, f"{sub}:wrong_party"))
        self.wrap = None

    def has_record(self) -> bool:
        return bool(self.ready) or self.next_fresh < self.spec.list_size

    def take_record(self) -> int:
        if self.ready:
            return self.ready.popleft()
        self.next_fresh += 1
        return self.next_fresh - 1


class Outbound(Mechanism):
    """Outbound campaigns dialled by the agents of the groups with their skills, under blending rules."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return outbound_on(scenario)

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        run = engine.run_spec
        seed, replication = run.seed, engine.replication
        n_seg = len(engine.ends)
        self.days = run.days
        self.horizon = run.horizon_s
        self.campaigns: list[Campaign] = []
        for name, ct in scenario.contact_types.items():
            if ct.outbound is None:
                continue
            queue = engine.queues[name]
            camp = Campaign(name, ct.outbound, queue, [g for g in engine.groups if queue in g.skills], seed,
                            replication, n_seg)
            if ct.after_call_work is not None:
                camp.wrap = Sampler(ct.after_call_work, stream(seed, replication, f"outbound:{name}:wrap"))
            w = ct.outbound.window
            camp.window = w if w is not None else (0.0, scenario.length_s)
            self.campaigns.append(camp)
        outbound_queues = {c.queue for c in self.campaigns}
        #: per contact-type index: its campaign, or None (an inbound type)
        self.camp_of: list[Campaign | None] = [None] * engine.n_types
        for camp in self.campaigns:
            self.camp_of[camp.queue.index] = camp
        #: per agent group index: its campaigns (in skill order), live inbound queues and blending rule
        self.group_campaigns: dict[int, list[Campaign]] = {}
        self.inbound: dict[int, list] = {}
        self.inbound_types: dict[int, list[int]] = {}
        self.deferred: dict[int, list] = {}  # deferrable queues (email, social)
        self.rules: dict[int, tuple[str, float]] = {}
        self.sl_ok: dict[int, bool] = {}
        # live inbound types: not deferrable work (email, social), which waits for agents with nothing else to do
        live = [ct.outbound is None and ct.deferrable is None and not scenario.channels[ct.channel].deferrable
                for ct in scenario.contact_types.values()]
        for g in engine.groups:
            camps = [self.camp_of[q.index] for q in g.skills if q in outbound_queues]
            if not camps:
                continue
            self.group_campaigns[g.index] = camps
            self.inbound[g.index] = [q for q in g.skills if live[q.index]]
            self.inbound_types[g.index] = sorted({q.index for q in self.inbound[g.index]})  # a VIP class: its type
            self.deferred[g.index] = [q for q in g.skills if not live[q.index] and q not in outbound_queues]
            spec = scenario.agent_groups[g.name].blending
            if spec is not None:
                self.rules[g.index] = (spec.rule, spec.threshold)
            g.rest = self._resting(g, g.rest)
        #: outbound agent-seconds per segment x group
        self.busy = [0.0] * (n_seg * engine.n_groups)
        self.talking: dict[int, Dial] = {}  # contact id -> its dial, while the right party talks
        self.live: set[Dial] = set()  # dials not yet ended
        # service level of the last interval, for groups with that rule: per contact type counts
        self.sl_groups = [g for g, (rule, _) in self.rules.items() if rule == "service_level_above"]
        self.sl_within = [0] * engine.n_types
        self.sl_done = [0] * engine.n_types
        for g in self.sl_groups:
            self.sl_ok[g] = True
        self.before_finish = engine.finish
        engine.finish = self._finish
        self.before_wrap = engine.wrap_up
        engine.wrap_up = self._wrap_up

    # ------------------------------------------------------------------ lifecycle

    def start(self, horizon_s: float) -> None:
        env = self.engine.env
        if self.days == 1:
            for camp in self.campaigns:
                if camp.window[0] > 0:
                    env.call_at(camp.window[0], self._on_window, camp)
        for camp in self.campaigns:
            pacing = camp.spec.pacing
            if pacing is not None and pacing.adjust_every_s < horizon_s:
                env.call_at(pacing.adjust_every_s, self._on_adjust, camp)
        if self.sl_groups:
            step = self.engine.scenario.interval_s
            if step < horizon_s:
                env.call_at(step, self._on_interval, step)

    def day(self, d: int, base_s: float) -> None:
        for camp in self.campaigns:
            self.engine.env.call_at(base_s + camp.window[0], self._on_window, camp)

    def stop(self, end_s: float) -> None:
        for dial in self.live:
            dial.camp.counts[dial.seg * N_OUT + PENDING] += 1.0
        self.live.clear()

    def report(self, result: dict) -> None:
        engine = self.engine
        n_seg = len(engine.ends)
        result["outbound"] = {
            "types": tuple(c.name for c in self.campaigns),
            "list_size": tuple(c.spec.list_size for c in self.campaigns),
            "counts": np.asarray([c.counts for c in self.campaigns], dtype=float).reshape(
                len(self.campaigns), n_seg, N_OUT).transpose(1, 0, 2),  # (n_seg, n_campaigns, N_OUT)
            "busy": np.asarray(self.busy, dtype=float).reshape(n_seg, engine.n_groups),
            "groups": tuple(sorted(self.group_campaigns)),
        }

    # ------------------------------------------------------------------ helpers

    def _in_window(self, camp: Campaign, now: float) -> bool:
        t = now % DAY_S if self.days > 1 else now
        return camp.window[0] <= t < camp.window[1] and now < self.horizon

    def _span(self, agent, now: float, end: float) -> None:
        """``agent`` works on outbound work in ``[now, end)`` without holding a contact: busy time."""
        engine = self.engine
        g = agent.group.index
        if end > now:
            engine.add_span(engine.busy_area, engine.n_groups, g, now, end)
            engine.add_span(self.busy, engine.n_groups, g, now, end)
            if agent.load is not None:  # fatigue and the occupancy cap count it as busy
                agent.load.spans.append((now, end))

    def _inbound_waiting(self, g: int) -> int:
        return sum(q.n for q in self.inbound[g])

    def _may_work(self, group, others_idle: int) -> bool:
        """Whether an agent of ``group`` may start outbound work now (``others_idle``: other idle agents)."""
        g = group.index
        waiting = self._inbound_waiting(g)
        rule = self.rules.get(g)
        if rule is None:
            return waiting == 0
        name, threshold = rule
        if name == "queue_below":
            return waiting < threshold
        if waiting:
            return False
        if name == "service_level_above":
            return self.sl_ok[g]
        return others_idle >= threshold  # idle_reserve

    # ------------------------------------------------------------------ agents

    def _resting(self, group, before):
        """The group's ``rest`` hook: a free agent takes outbound work if its rule allows it."""
        g = group.index
        camps = self.group_campaigns[g]

        def rest(agent, now: float) -> bool:
            if before is not None and before(agent, now):
                return True
            for camp in camps:  # an answered callee on the line first: it hangs up within seconds
                if camp.waiting:
                    dial = camp.waiting.popleft()
                    self._converse(agent, dial, now)
                    return True
            if not self._may_work(group, len(group.idle)):
                return False
            for camp in camps:
                if not self._in_window(camp, now) or not camp.has_record():
                    continue
                if camp.spec.mode == "predictive":  # the dialer counts the agent if it will be idle
                    if not self._inbound_waiting(g) and not any(q.n for q in self.deferred[g]):
                        self._pace(camp, now, 1)
                    continue
                self._reserve(agent, camp, now)
                return True
            return False
        return rest

    def _kick(self, camp: Campaign, now: float) -> None:
        """Idle agents take the campaign's work if their rule allows it (preview and progressive), or the
        predictive dialer paces."""
        if not self._in_window(camp, now):
            return
        if camp.spec.mode == "predictive":
            self._pace(camp, now, 0)
            return
        for group in camp.groups:
            while group.idle and camp.has_record() and self._may_work(group, len(group.idle) - 1):
                agent = group.idle.popleft()
                self._reserve(agent, camp, now)

    def _kick_all(self, now: float) -> None:
        for camp in self.campaigns:
            self._kick(camp, now)

    def _available(self, camp: Campaign) -> int:
        """Idle agents of the campaign's groups that the blending rules allow to take outbound work."""
        n = 0
        for group in camp.groups:
            idle = len(group.idle)
            if not idle:
                continue
            rule = self.rules.get(group.index)
            if rule is not None and rule[0] == "idle_reserve":
                n += max(0, idle - int(rule[1]))
            elif self._may_work(group, idle):
                n += idle
        return n

    # ------------------------------------------------------------------ dials

    def _reserve(self, agent, camp: Campaign, now: float) -> None:
        """Preview or progressive: ``agent`` takes the next record (reviews it first in preview mode)."""
        agent.resting = True  # neither idle nor holding a contact: a staffing drop marks it to log off
        record = camp.take_record()
        if camp.preview is not None:
            end = now + camp.preview()
            self._span(agent, now, end)
            self.engine.env.call_at(end, self._on_preview_end, (agent, camp, record))
        else:
            self._dial(camp, record, now, agent)

    def _on_preview_end(self, ev) -> None:
        agent, camp, record = ev.arg
        self._dial(camp, record, self.engine.env._now, agent)

    def _pace(self, camp: Campaign, now: float, extra: int) -> None:
        """Predictive: dials so that those ringing and waiting make ``ratio`` x the available agents."""
        if not self._in_window(camp, now):
            return
        target = math.floor(camp.ratio * (self._available(camp) + extra) + 0.5)
        for _ in range(target - camp.ringing - len(camp.waiting)):
            if not camp.has_record():
                break
            self._dial(camp, camp.take_record(), now, None)

    def _dial(self, camp: Campaign, record: int, now: float, agent) -> None:
        engine = self.engine
        dial = Dial(camp, record, engine.seg, agent)
        camp.attempts[record] += 1
        camp.counts[dial.seg * N_OUT + DIALS] += 1.0
        camp.period[2] += 1
        dial.connected = camp.u_connect() < camp.spec.connect
        dial.right = camp.u_right() < camp.spec.right_party
        end = now + camp.ring()
        if agent is not None:
            self._span(agent, now, end)
        camp.ringing += 1
        self.live.add(dial)
        engine.env.call_at(end, self._on_ring_end, dial)

    def _on_ring_end(self, ev) -> None:
        dial = ev.arg
        camp = dial.camp
        now = self.engine.env._now
        camp.ringing -= 1
        agent = dial.agent
        if not dial.connected:
            self._end(dial, NO_ANSWER, now)
            if agent is not None:
                self._free(agent, now)
            else:
                self._pace(camp, now, 0)
            return
        camp.counts[dial.seg * N_OUT + CONNECTS] += 1.0
        camp.connects += 1
        camp.period[0] += 1
        if agent is not None:
            self._converse(agent, dial, now)
            return
        agent = self._idle_agent(camp)
        if agent is not None:
            self._converse(agent, dial, now)
        else:
            dial.state = "waiting"
            camp.waiting.append(dial)
            self.engine.env.call_at(now + camp.spec.patience_s, self._on_patience, dial)
        self._pace(camp, now, 0)

    def _idle_agent(self, camp: Campaign):
        """The longest-idle agent of the campaign's groups (taken out of its group's idle deque), or None."""
        best = longest_idle_among(camp.groups)
        if best is not None:
            best.group.idle.popleft()
        return best

    def _on_patience(self, ev) -> None:
        """A connected callee still without an agent hangs up: a nuisance call."""
        dial = ev.arg
        if dial.state != "waiting":
            return
        camp = dial.camp
        camp.waiting.remove(dial)
        camp.nuisances += 1
        camp.period[1] += 1
        now = self.engine.env._now
        self._end(dial, NUISANCE, now)
        self._pace(camp, now, 0)

    def _converse(self, agent, dial: Dial, now: float) -> None:
        """The connected callee and ``agent`` talk: the right party for a talk time, else a wrong party."""
        engine = self.engine
        camp = dial.camp
        agent.resting = False
        if dial.right:
            dial.state = "talking"
            contact = engine.new_contact(camp.queue, now, camp.queue.handle(), INF)
            self.talking[contact.id] = dial
            engine.start_service(agent, contact, now)
            camp.counts[dial.seg * N_OUT + TALK_S] += contact.handle1
            engine.add_span(self.busy, engine.n_groups, agent.group.index, now, now + contact.handle1)
            return
        agent.resting = True
        end = now + camp.wrong()
        self._span(agent, now, end)
        self._end(dial, WRONG, now)
        engine.env.call_at(end, self._on_agent_free, agent)

    def _end(self, dial: Dial, outcome: int, now: float) -> None:
        """The dial ends (once): its outcome, and its record closed or due again after the retry delay."""
        camp = dial.camp
        dial.state = "done"
        self.live.discard(dial)
        base = dial.seg * N_OUT
        camp.counts[base + outcome] += 1.0
        record = dial.record
        if outcome == RIGHT:
            camp.counts[base + CLOSED] += 1.0
            camp.counts[base + REACHED] += 1.0
        elif camp.attempts[record] >= camp.spec.max_attempts:
            camp.counts[base + CLOSED] += 1.0
        else:
            due = now + camp.spec.retry_delay_s
            if due < self.horizon:
                self.engine.env.call_at(due, self._on_retry, (camp, record))

    def _on_retry(self, ev) -> None:
        camp, record = ev.arg
        camp.ready.append(record)
        self._kick(camp, self.engine.env._now)

    def _free(self, agent, now: float) -> None:
        agent.resting = False
        agent.last_end = now
        self.engine.work_done(agent, now)

    def _on_agent_free(self, ev) -> None:
        self._free(ev.arg, self.engine.env._now)

    # ------------------------------------------------------------------ engine hooks

    def _finish(self, contact, outcome: int, end: float) -> None:
        """The engine's ``finish`` hook: a right-party conversation ends (or is still on when the run stops,
        its dial then pending); inbound contacts go on to the tally (counted for the service-level rule)."""
        queue = contact.queue
        camp = self.camp_of[queue.index]
        if camp is not None:
            dial = self.talking.pop(contact.id)
            if outcome == ANSWERED:
                self._end(dial, RIGHT, self.engine.env._now)
            return
        if self.sl_groups and (outcome == ANSWERED or outcome == ABANDONED):
            first = contact.origin if contact.leg > 1 else queue
            self.sl_done[first.index] += 1
            if outcome == ANSWERED and contact.wait1 <= self.engine.type_thresholds[first.index]:
                self.sl_within[first.index] += 1
        self.before_finish(contact, outcome, end)

    def _wrap_up(self, agent, contact, queue, now: float) -> bool:
        """The engine's ``wrap_up`` hook: the agent's after-call work after a right-party conversation."""
        camp = self.camp_of[queue.index]
        if camp is None:
            return self.before_wrap is not None and self.before_wrap(agent, contact, queue, now)
        if camp.wrap is None:
            return False
        wrap = camp.wrap()
        if wrap <= 0.0:
            return False
        camp.counts[self.engine.seg * N_OUT + WRAP_S] += wrap
        agent.resting = True
        self._span(agent, now, now + wrap)
        self.engine.env.call_at(now + wrap, self._on_agent_free, agent)
        return True

    # ------------------------------------------------------------------ timed events

    def _on_window(self, ev) -> None:
        self._kick(ev.arg, self.engine.env._now)

    def _on_adjust(self, ev) -> None:
        """Predictive pacing on a nuisance budget: ``target`` x the connects so far, minus the nuisance calls so
        far.  The ratio steps down while the budget is spent (by ``step`` x the calls over it, 1 to 5 steps) or
        the last period's nuisance rate is above target; up by ``step`` while at least one nuisance call of
        budget is left and the last period had connects at under :data:`HEADROOM` x the target, or it placed no
        dial while records wait in the window and agents are idle now (a dialer that stopped learns nothing);
        else it holds."""
        camp = ev.arg
        pacing = camp.spec.pacing
        now = self.engine.env._now
        target = pacing.nuisance_target
        connects, nuisances, dials = camp.period
        budget = target * camp.connects - camp.nuisances
        recent = nuisances / connects if connects else 0.0
        if budget < 0 or recent > target:
            over = max(-budget, recent / target)
            camp.ratio = max(pacing.min_ratio, camp.ratio - pacing.step * min(5.0, max(1.0, over)))
        elif (budget >= 1 and connects and recent < HEADROOM * target) or (
                not dials and self._in_window(camp, now) and camp.has_record() and self._available(camp)):
            camp.ratio = min(pacing.max_ratio, camp.ratio + pacing.step)
        camp.period = [0, 0, 0]
        if now + pacing.adjust_every_s < self.horizon:
            self.engine.env.call_at(now + pacing.adjust_every_s, self._on_adjust, camp)
        self._kick(camp, now)

    def _on_interval(self, ev) -> None:
        """An interval ends: each service-level rule looks at its group's inbound service level in it."""
        now = self.engine.env._now
        for g in self.sl_groups:
            done = sum(self.sl_done[t] for t in self.inbound_types[g])
            within = sum(self.sl_within[t] for t in self.inbound_types[g])
            self.sl_ok[g] = done == 0 or within / done >= self.rules[g][1]
        self.sl_within = [0] * self.engine.n_types
        self.sl_done = [0] * self.engine.n_types
        step = self.engine.scenario.interval_s
        if now + step < self.horizon:
            self.engine.env.call_at(now + step, self._on_interval, step)
        self._kick_all(now)
