"""After-call work (wrap-up): the agent stays busy for a while after the customer has left.

When a service ends (first or after an escalation), the contact leaves or moves on to its
escalation queue at once: its end, end-to-end time and next wait are the customer's and do
not include the wrap-up.  The agent who served it then spends an ``after_call_work`` draw of
the contact type whose service ended (per agent group with ``after_call_work_by_group``, else
the type's own; a type or group with neither wraps up nothing) on notes and dispositions, and
takes no new contact meanwhile.

:class:`AfterCallWork` is a mechanism (:mod:`sim.engine.hooks`): it sets the engine's
``wrap_up`` hook, which draws the duration from the named stream
``after_call_work:<type>`` (``after_call_work:<type>:<group>`` for a group's own), so
turning after-call work on leaves the arrivals, handle times and patience drawn for a seed
unchanged (common random numbers).  Unreached callback attempts have no wrap-up (the
``attempt_time`` is all the agent spends).

- **Busy time.**  The wrap-up counts as busy agent-seconds (occupancy, and through it the
  costs: an agent finishing it past the end of its shift works overtime).  In groups with
  fatigue it counts in the agent's trailing occupancy too.
- **Logging off.**  A wrapping agent is neither idle nor holding a contact, like an agent
  resting under an occupancy cap (``agent.resting``): staffing drops mark it to log off, and it
  logs off (or, after a closing, takes more live work) when the wrap-up ends, like an agent
  finishing a contact.
- **Concurrent work** (:mod:`sim.journeys.concurrency`).  The wrap-up occupies the slot the
  contact held: the slot takes no new contact until it ends, and the agent counts as holding
  it (its other chats' handle-time factor and the seat's busy time include it).
- **Contact log** (``run.save_contacts``).  A contact's row has ``wrap_up_s``, the wrap-up of its
  last service (0 for a type or group without any; NaN when it was not served).  The row is handed
  on when that wrap-up is drawn, right after the contact left, so the log changes no draw.
- **Measured.**  Each service's wrap-up (0 for a type or group without any) is added to the
  tally of the contact's arrival segment and contact type (``wrap_up_s``, ``wrap_ups``); the
  KPIs are ``talk_time_s`` (the mean handle time proper), ``wrap_up_s`` (the mean wrap-up per
  service) and ``aht_s`` = their sum (:mod:`sim.model.metrics`).  The load check
  (:mod:`sim.model.capacity`) counts it as work offered to the agents, when it is done.
"""

from __future__ import annotations

import math

from sim.engine.distributions import Sampler
from sim.engine.hooks import Mechanism
from sim.engine.records import ANSWERED, TALLY_FIELDS
from sim.engine.streams import stream

__all__ = ["AfterCallWork", "after_call_work_on"]

WRAP_S, WRAPS = TALLY_FIELDS.index("wrap_up_s"), TALLY_FIELDS.index("wrap_ups")


def after_call_work_on(scenario) -> bool:
    """Whether any inbound contact type of ``scenario`` has after-call work (its KPIs are then reported; an
    outbound campaign's wrap-up is its own, :mod:`sim.journeys.outbound`)."""
    return any((ct.after_call_work is not None or ct.after_call_work_by_group) and ct.outbound is None
               for ct in scenario.contact_types.values())


class AfterCallWork(Mechanism):
    """Wrap-up after each service: the agent stays busy, the customer is gone."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return after_call_work_on(scenario)

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        seed, replication = engine.run_spec.seed, engine.replication
        #: contact-type index -> per agent-group index: the wrap-up sampler, or None (no wrap-up)
        self.samplers: list[list[Sampler | None]] = []
        for name, ct in scenario.contact_types.items():
            own = None if ct.after_call_work is None else Sampler(
                ct.after_call_work, stream(seed, replication, f"after_call_work:{name}"))
            self.samplers.append([
                Sampler(ct.after_call_work_by_group[g.name],
                        stream(seed, replication, f"after_call_work:{name}:{g.name}"))
                if g.name in ct.after_call_work_by_group else own
                for g in engine.groups])
        engine.wrap_up = self._wrap_up
        #: with a contact log: the row of the contact that just left answered, until its wrap-up is drawn
        self.pending = None
        if engine.sink is not None:
            self._log = engine.log_contact
            engine.log_contact = self._log_contact

    def _log_contact(self, contact, outcome: int, end: float) -> None:
        """The engine's ``log_contact`` in a run with a contact log: an answered contact's row waits for
        the wrap-up of the service that just ended (:meth:`_wrap_up`, in the same event)."""
        if self.pending is not None:  # no wrap-up followed (should not happen): hand it on as it is
            self._flush()
        if outcome == ANSWERED:
            self.pending = (contact, outcome, end)
        else:
            self._log(contact, outcome, end)

    def _flush(self, wrap: float = math.nan) -> None:
        contact, outcome, end = self.pending
        self.pending = None
        engine = self.engine
        engine.sink(engine.contact_row(contact, outcome, end, wrap))

    def stop(self, end_s: float) -> None:
        if self.pending is not None:
            self._flush()

    def _wrap_up(self, agent, contact, queue, now: float) -> bool:
        """The engine's ``wrap_up`` hook: a service on ``queue`` ended now; ``True`` if ``agent`` wraps up."""
        if contact.leg == 0:  # an unreached callback attempt: no conversation, no wrap-up
            return False
        engine = self.engine
        group = agent.group
        sampler = self.samplers[queue.index][group.index]
        wrap = sampler() if sampler is not None else 0.0
        first = contact.origin if contact.leg > 1 else contact.queue  # the type it arrived as
        acc = engine.tally[contact.seg * engine.n_types + first.index]
        acc[WRAP_S] += wrap
        acc[WRAPS] += 1.0
        pending = self.pending
        if pending is not None and pending[0] is contact:  # the contact log's row of a contact that left
            self._flush(wrap)
        if wrap <= 0.0:
            return False
        queue.work += wrap  # work offered to the agents, for the load check (sim.model.capacity)
        end = now + wrap
        seat = agent.parent
        if seat is not None:  # the slot stays taken: the seat holds it as a contact
            if seat.n == 0:
                seat.since = now
            seat.n += 1
        elif end <= engine.seg_end:
            engine.busy_area[engine.seg * engine.n_groups + group.index] += wrap
        else:
            engine.add_span(engine.busy_area, engine.n_groups, group.index, now, end)
        if agent.load is not None:  # fatigue and the occupancy cap count it as busy
            agent.load.spans.append((now, end))
        agent.resting = True  # neither idle nor holding a contact: a staffing drop marks it to log off
        engine.env.call_at(end, self._on_wrap_end, agent)
        return True

    def _on_wrap_end(self, ev) -> None:
        """The wrap-up ends: the agent logs off if it must, else takes its next contact (or goes idle)."""
        agent = ev.arg
        engine = self.engine
        now = engine.env._now
        agent.resting = False
        agent.last_end = now
        seat = agent.parent
        if seat is not None:
            seat.n -= 1
            if seat.n == 0:
                engine.add_span(engine.busy_area, engine.n_groups, agent.group.index, seat.since, now)
        engine.work_done(agent, now)
