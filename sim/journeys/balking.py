"""Balking: an arrival that would have to wait may leave at once, for contact types with a ``balking`` rule.

Balking is the customer's decision, on reaching a queue where no agent is free,
not to join it: it hears how long the queue is (or the announced expected wait)
and hangs up at once.  Unlike abandonment it costs no waiting time and unlike
blocking the queue had room.  :class:`Balking` is a mechanism
(:mod:`sim.engine.hooks`) that wraps each queue's ``on_wait`` hook of the types
with a rule (the type's VIP queue too, :mod:`sim.journeys.vip`); it is built
after the journeys, VIP classes and overflow, so it decides first.

- **Who.**  Arrivals (first contacts, retrials, repeat contacts, self-service
  hand-offs) that find no idle eligible agent and are not blocked by the
  queue's capacity.  Escalated contacts (already in the centre) do not balk.
- **Probability.**  ``by: queue_length``: a step function of ``n``, the
  contacts already waiting in the queue it would join (holding a callback
  included): the probability of the table row with the largest length <= n,
  0 below the first row.  ``by: expected_wait``: ``max / (1 + exp(-k x (w -
  midpoint)))`` of the announced expected wait ``w = (n + 1) x mean handle
  time of the type / m``, ``m`` the agents logged in whose groups have the
  skill (``m`` = 0: infinite, so ``max``).  It is the position-in-queue
  estimate ACDs announce ("your expected wait is ..."), the same one the
  callback offer uses (:mod:`sim.journeys.callbacks`).
- **Draws.**  One uniform per arrival that would wait, in that order, from the
  type's stream ``balking:<type>`` (:mod:`sim.engine.streams`): turning
  balking on changes no other draw of the same seed.
- **Outcome.**  A balking contact never joins the queue: it is not waiting,
  not offered to agents (nor in the offered work of the load check), never
  abandons and is offered no callback.  It ends at once with outcome
  ``balked`` (wait NaN, like a blocked contact), is counted in the tally field
  ``balked`` and may come back under the type's retrial rule like a blocked
  one.  Like blocked contacts it is not in ``offered``, so service level,
  ASA, abandonment rate and the waits (every ``run.service_level_variant``)
  are over the contacts that joined the queue; ``balk_rate`` = balked /
  arrivals reports the lost ones beside them.
"""

from __future__ import annotations

import math
from bisect import bisect_right

from sim.engine.distributions import UNIFORM, Sampler
from sim.engine.hooks import LEFT, Mechanism
from sim.engine.records import BALKED
from sim.engine.streams import stream

__all__ = ["BalkRule", "Balking"]


class BalkRule:
    """The balking rule of one contact type: ``probability(n, queue)`` for an arrival finding ``n``
    contacts waiting, and its uniform draws."""

    __slots__ = ("by_length", "lengths", "probabilities", "midpoint", "steepness", "top", "mean_handle", "draw")

    def __init__(self, spec, mean_handle_s: float, draw) -> None:
        self.by_length = spec.by == "queue_length"
        self.lengths = [n for n, _ in spec.table]
        self.probabilities = [p for _, p in spec.table]
        self.midpoint, self.steepness, self.top = spec.midpoint_s, spec.steepness_per_s, spec.max
        self.mean_handle = mean_handle_s
        self.draw = draw

    def probability(self, n: int, queue) -> float:
        """The probability that an arrival finding ``n`` contacts waiting in ``queue`` balks."""
        if self.by_length:
            k = bisect_right(self.lengths, n) - 1
            return self.probabilities[k] if k >= 0 else 0.0
        return self.curve(expected_wait(n, self.mean_handle, queue))

    def curve(self, wait: float) -> float:
        """The logistic curve at an announced expected wait ``wait`` (s)."""
        if wait == math.inf:
            return self.top
        x = -self.steepness * (wait - self.midpoint)
        return 0.0 if x > 700.0 else self.top / (1.0 + math.exp(x))  # exp(700) is near the float limit


def expected_wait(n: int, mean_handle_s: float, queue) -> float:
    """The announced expected wait (s) of an arrival finding ``n`` waiting: ``(n + 1) x mean handle /
    agents logged in with the skill`` (infinite with none)."""
    staffed = 0
    for group in queue.groups:
        staffed += group.n_staffed
    return (n + 1) * mean_handle_s / staffed if staffed else math.inf


class Balking(Mechanism):
    """Arrivals that would have to wait may leave at once (balk), per contact type."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return any(ct.balking is not None for ct in scenario.contact_types.values())

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        seed, replication = engine.run_spec.seed, engine.replication
        for name, ct in scenario.contact_types.items():
            if ct.balking is None:
                continue
            rule = BalkRule(ct.balking, ct.handle_time.mean_s, Sampler(UNIFORM, stream(seed, replication,
                                                                                      f"balking:{name}")))
            for queue in engine.type_queues[name]:  # its own queue, and its VIP class's
                queue.on_wait = self._balking(rule, queue.on_wait)

    def _balking(self, rule: BalkRule, before):
        """The queue's wait hook: an arrival may balk; one that stays goes on to ``before`` (a callback
        offer, the overflow's timer), if any."""
        engine = self.engine

        def on_wait(contact, queue, now: float, first: bool) -> int:
            if first:
                found = queue.n - 1  # offer() has just counted this contact in
                if rule.draw() < rule.probability(found, queue):
                    queue.waiting.pop()
                    queue.n = found
                    queue.work -= contact.handle  # never offered to the agents
                    engine.finish(contact, BALKED, now)
                    return LEFT
            return before(contact, queue, now, first) if before is not None else 0
        return on_wait
