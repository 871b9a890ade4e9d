"""Expected-delay routing: a contact that must wait is committed to the group with the smallest predicted wait.

ContactCenters' *expected delay* router sends an arrival to the agent group where it is
predicted to wait least.  Here (``scenario.routing.agent_selection: expected_delay``) an arrival
that finds an eligible agent idle goes to the longest idle one, as under ``longest_idle``.
Otherwise it is committed, once, to the eligible group ``g`` (a group with its type among its
skills) with the smallest predicted delay::

    d(g) = (contacts committed to g and waiting, of any type, + 1) x h(type, g) / agents logged in in g

where ``h`` is the configured mean handle time of the type in that group (``handle_time_by_group``
if given, else the type's ``handle_time``; times the group's ``proficiency`` for the type), in
seconds, and the agents logged in are ``n_staffed`` (in a group with concurrency, its slots: an
agent holding up to k contacts counts k).  A group with no agent logged in predicts an infinite delay; ties (infinite ones
included) go to the group listed first in ``scenario.agent_groups``.  An escalated contact that
must wait is committed in its new queue the same way.

The committed contact waits in a sub-queue of its type for that group (:class:`SubQueue`: the
type's index, channel, priority and samplers, so it is tallied under its type and channel as
before); only that group takes from it, by the scenario's queue selection among its sub-queues.
It never moves to another group, even if that group frees up first (the price of committing:
waits are longer than with one shared queue, but a fast or large group is not left to contacts
that a slow group took).  A contact committed to a group whose agents all log off waits until
the group has agents again, or abandons.  ``queue_capacity`` counts the contacts of the type
waiting in all its sub-queues; balking hears the same count.

:class:`ExpectedDelay` is a mechanism (:mod:`sim.engine.hooks`) built only for such a scenario.
Not supported (refused when the config is read, :func:`sim.journeys.config.check_routing_rules`):
overflow, VIP classes, callbacks, deferrable work and group ``conditions``.
"""

from __future__ import annotations

import math

from sim.engine.hooks import LEFT, Mechanism
from sim.engine.records import BLOCKED
from sim.engine.routing import Queue, queue_selector

__all__ = ["SubQueue", "ExpectedDelay"]

INF = math.inf
NAN = math.nan

#: what a sub-queue shares with its contact type's queue
SHARED = ("handle", "handle_by_group", "patience", "escalate_p", "escalate_to", "escalate_draw", "bot", "retrial",
          "repeat", "callback", "on_take", "handle_again", "patience_again", "enter", "pick_agent", "weight",
          "base_score", "transfer_bonus", "agent_scores", "klass")


class SubQueue(Queue):
    """The contacts of a type (``main``) committed to one agent group: only that group takes from it."""

    __slots__ = ("main",)

    def __init__(self, main: Queue, group) -> None:
        super().__init__(f"{main.name}:{group.name}", main.index, main.channel, main.priority, None)
        self.main = main
        for attr in SHARED:
            setattr(self, attr, getattr(main, attr))
        self.groups = [group]
        self.tiers = [[group]]


class ExpectedDelay(Mechanism):
    """Commits each contact that must wait to the eligible group with the smallest predicted delay."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return scenario.routing.agent_selection == "expected_delay"

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        specs = list(scenario.agent_groups.values())
        types = scenario.contact_types
        #: queue index -> [(group, its sub-queue, mean handle time (s) of the type in the group)], config order
        self.choices: list[list] = []
        subs: dict[tuple[int, int], SubQueue] = {}
        for name, main in engine.queues.items():
            ct = types[name]
            row = []
            for group in main.groups:
                spec = specs[group.index]
                dist = ct.handle_time_by_group.get(group.name, ct.handle_time)
                mean = dist.mean_s * spec.proficiency.get(name, 1.0)
                sub = subs[main.index, group.index] = SubQueue(main, group)
                row.append((group, sub, mean))
            self.choices.append(row)
            main.on_wait = self._committing(main.on_wait, main.capacity)
            main.capacity = None  # checked by the wait hook, over the type's sub-queues
        policy = scenario.routing.queue_selection
        for group in engine.groups:
            group.skills = [subs[q.index, group.index] for q in group.skills]
            group.pick_contact = queue_selector(policy, group, engine.env)
        engine.all_queues.extend(subs.values())

    @staticmethod
    def predicted_delay(group, mean_s: float) -> float:
        """The predicted wait (s) of one more contact committed to ``group`` with mean handle ``mean_s``."""
        staffed = group.n_staffed
        if not staffed:
            return INF
        committed = 0
        for sub in group.skills:
            committed += sub.n
        return (committed + 1) * mean_s / staffed

    def _committing(self, before, capacity):
        """The type's wait hook: the queue's capacity over its sub-queues, then ``before`` (balking) with the
        type's waiting count, then the contact is committed to a group's sub-queue."""
        engine = self.engine
        choices = self.choices
        delay = self.predicted_delay

        def on_wait(contact, queue, now: float, first: bool) -> int:
            row = choices[queue.index]
            found = 0
            for _, sub, _ in row:
                found += sub.n
            if first and capacity is not None and found >= capacity:
                queue.waiting.pop()
                queue.n -= 1
                engine.finish(contact, BLOCKED, NAN)
                return LEFT
            if before is not None:
                queue.n = found + 1  # what the type's queue holds, this contact included
                took = before(contact, queue, now, first)
                if took == LEFT:
                    queue.n = 0
                    return took
            queue.waiting.pop()
            queue.n = 0
            best = best_sub = None
            for group, sub, mean in row:
                d = delay(group, mean)
                if best_sub is None or d < best:
                    best, best_sub = d, sub
            best_sub.waiting.append(contact)
            best_sub.n += 1
            contact.queue = best_sub
            return 0
        return on_wait
