"""Staged (conditional) routing: an agent group takes a contact type only under a condition.

A centre often keeps a group as a second line for a contact type: it helps with that type only
after the contact has waited a while, only while the type's queue is long, or only while the
group keeps some agents free for its own work.  This generalises overflow (:mod:`sim.journeys.overflow`)
and the reserve of deferrable work (:mod:`sim.journeys.deferrable`), and gives ContactCenters'
*agents' preference with delays* router: ``later_skills_after_s: T`` is ``after_s: T`` on every
skill of the group but the first.

``scenario.agent_groups.<group>.conditions.<type>`` (the type is one of the group's skills) sets,
all of them to hold at once:

- ``after_s`` T: the contact has waited at least T seconds in the type's queue (since it entered
  it; an escalated contact since its transfer);
- ``queue_above`` N: more than N contacts of the type wait, the one taken included (N = 2: the
  group helps when three or more wait);
- ``keep_idle`` R: at least R other agents of the group stay idle after one takes the contact.

:class:`Conditions` is a mechanism (:mod:`sim.engine.hooks`).  The conditions are checked at
each routing decision of the group: an arrival looks for an idle agent (the queue's
``pick_agent``: a conditioned group is eligible only if no contact of the type is waiting yet
and its conditions hold for the arrival, so ``after_s`` > 0 or ``queue_above`` > 0 keep it out;
among the eligible agents the scenario's agent selection decides), and a freed agent picks a
contact (the group's ``pick_contact``: a conditioned queue is skipped unless its conditions hold
for its head, the contact that waited longest, so that the group's queue selection then decides
among the others).  Because a condition can become true while an agent of the group is idle,
idle agents of conditioned groups are woken (the longest idle first, each taking what its queue
selection picks) when a contact starts to wait in a conditioned queue (a longer queue) and at
one event per contact and distinct ``after_s`` when its wait reaches T.  ``keep_idle`` becomes
true only when another agent of the group frees up, and that agent then takes the contact.

Not supported (refused when the config is read, :func:`sim.journeys.config.check_routing_rules`):
conditions on a type with overflow, a VIP class, callbacks or deferrable work, in a group with
concurrency, or with ``routing.agent_selection: expected_delay``.  A scenario without conditions
does not build this mechanism and pays nothing.
"""

from __future__ import annotations

from sim.engine.hooks import LEFT, Mechanism
from sim.engine.routing import WAITING, pick_among

__all__ = ["Condition", "Conditions"]


class Condition:
    """The condition of one agent group on one contact type: ``after`` (s), ``above`` (contacts), ``keep`` (agents)."""

    __slots__ = ("after", "above", "keep")

    def __init__(self, spec) -> None:
        self.after = spec.after_s
        self.above = spec.queue_above
        self.keep = spec.keep_idle

    def holds(self, queue, head, idle_others: int, now: float) -> bool:
        """Whether the group may take ``head`` (the first contact waiting in ``queue``) now, with
        ``idle_others`` of its other agents idle."""
        return head.t_queue + self.after <= now and queue.n > self.above and idle_others >= self.keep

    def admits_arrival(self, idle: int) -> bool:
        """Whether an arrival finding its queue empty may go to one of the group's ``idle`` agents."""
        return self.after <= 0.0 and self.above < 1 and idle - 1 >= self.keep


def _conditioned_contact(pick, conds: dict, env):
    """The group's queue selection ``pick``, skipping each queue in ``conds`` whose condition does not
    hold for its head."""

    def pick_contact(group):
        now = env._now
        idle = len(group.idle)  # the agent choosing is not among them
        skills = group.skills
        allowed = None
        for i, queue in enumerate(skills):
            cond = conds.get(queue)
            if cond is not None and queue.n and not cond.holds(queue, queue.head(), idle, now):
                if allowed is None:
                    allowed = skills[:i]
                continue
            if allowed is not None:
                allowed.append(queue)
        if allowed is None:
            return pick(group)
        return pick_among(pick, group, allowed)
    return pick_contact


def _conditioned_agent(pick, conds: dict):
    """The queue's agent selection ``pick`` among the groups eligible for an arrival: the unconditioned
    ones, and the conditioned ones (``conds``: group -> condition) whose condition admits it."""

    def pick_agent(queue):
        groups = queue.groups
        allowed = [g for g in groups
                   if g not in conds or not g.idle or (not queue.n and conds[g].admits_arrival(len(g.idle)))]
        if len(allowed) == len(groups):
            return pick(queue)
        if not allowed:
            return None
        tiers = queue.tiers
        queue.groups = allowed
        queue.tiers = [[g for g in tier if g in allowed] for tier in tiers]
        try:
            return pick(queue)
        finally:
            queue.groups, queue.tiers = groups, tiers
    return pick_agent


class Conditions(Mechanism):
    """Per agent group and contact type, the condition under which the group takes the type."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return any(g.conditions for g in scenario.agent_groups.values())

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        env = engine.env
        by_queue: dict = {}  # queue -> {group: condition}
        for group, spec in zip(engine.groups, scenario.agent_groups.values()):
            if not spec.conditions:
                continue
            conds = {engine.queues[t]: Condition(c) for t, c in spec.conditions.items()}
            group.pick_contact = _conditioned_contact(group.pick_contact, conds, env)
            for queue, cond in conds.items():
                by_queue.setdefault(queue, {})[group] = cond
        for queue, conds in by_queue.items():
            queue.pick_agent = _conditioned_agent(queue.pick_agent, conds)
            groups = [g for g in queue.groups if g in conds]  # config order
            afters = sorted({c.after for c in conds.values() if c.after > 0})
            timers = [(t, self._waited(queue, [g for g in groups if conds[g].after == t])) for t in afters]
            queue.on_wait = self._watching(queue.on_wait, groups, timers)

    def _watching(self, before, groups: list, timers: list):
        """The queue's wait hook: ``before`` (e.g. balking) first; then, unless the contact left, one event
        per distinct ``after_s`` when its wait reaches it, and the idle agents of the conditioned groups
        are woken (the queue is longer now)."""
        engine = self.engine
        env, wake = engine.env, self._wake

        def on_wait(contact, queue, now: float, first: bool) -> int:
            took = before(contact, queue, now, first) if before is not None else 0
            if took == LEFT:
                return took
            for t, handler in timers:
                env.call_at(now + t, handler, contact, contact.leg)
            wake(groups, now)
            return took
        return on_wait

    def _waited(self, queue, groups: list):
        """The handler of a contact's wait reaching one ``after_s``: idle agents of ``groups`` (those with
        that ``after_s`` on ``queue``) are woken if the contact is still waiting there."""

        def on_waited(ev) -> None:
            contact = ev.arg
            if contact.state > WAITING or contact.leg != ev.tag or contact.queue is not queue:
                return  # answered, gone, or moved on to another queue
            self._wake(groups, self.engine.env._now)
        return on_waited

    def _wake(self, groups: list, now: float) -> None:
        """Idle agents of ``groups`` take what they may, the longest idle first; a group whose agent finds
        nothing is not asked again (taking contacts makes no condition true)."""
        done = None
        while True:
            best = None
            for group in groups:
                idle = group.idle
                if idle and (done is None or group not in done):
                    agent = idle[0]
                    if best is None or agent.idle_since < best.idle_since:
                        best = agent
            if best is None:
                return
            group = best.group
            group.idle.popleft()
            contact = group.pick_contact(group)
            if contact is None:
                group.idle.appendleft(best)  # back at the head: still the longest idle
                done = {group} if done is None else done | {group}
                continue
            self._take(best, contact, now)

    def _take(self, agent, contact, now: float) -> None:
        """``agent`` takes ``contact``, the head of its queue (as the engine's next_for does)."""
        engine = self.engine
        queue = contact.queue
        queue.waiting.popleft()
        queue.n -= 1
        engine.leave_queue(contact, now)
        if contact.state:  # held in the queue by a mechanism
            queue.on_take(agent, contact, now)
        else:
            engine.start_service(agent, contact, now)
