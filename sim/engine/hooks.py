"""Mechanisms and the hooks through which they plug into the engine.

The engine (:class:`~sim.engine.core.Engine`) runs what every centre has: arrivals,
offering a contact to its queue, routing, service, escalation, abandonment,
staffing tables and the tallies.  Everything a scenario may turn on (self-service,
callbacks, overflow, VIP classes, deferrable work, shifts and shrinkage, agents who
differ, multi-day runs, ...) is a :class:`Mechanism`: one class in one module that
owns its state and changes the engine's behaviour only through the hook slots below.
The model (:mod:`sim.model.centre`) decides from the scenario which mechanisms a run
needs and registers them in a fixed order; adding one means writing its module and
registering it there, not editing the engine.

Hook slots (``None`` or the engine's default when no mechanism sets them, so a
scenario without a mechanism pays nothing for it):

- per queue (:class:`~sim.engine.routing.Queue`):

  - ``enter(contact, queue, now, first)``: an arrival reaches the queue (default:
    the engine's :meth:`~sim.engine.core.Engine.offer`);
  - ``on_wait(contact, queue, now, first)``: a contact starts to wait; returns
    :data:`HELD` (it stays in the queue but does not abandon) or :data:`LEFT` (it
    left the queue) to take it over, else 0;
  - ``pick_agent(queue)``: agent selection;
  - ``on_take(agent, contact, now)``: an agent takes a contact that a mechanism
    holds in the queue (``contact.state`` < 0);

- per agent group (:class:`~sim.engine.agents.AgentGroup`):

  - ``pick_contact(group)``: queue selection;
  - ``adjust(agent, contact, handle, now)``: the handle time as this agent works it (s);
  - ``rest(agent, now)``: ``True`` if the agent rests before taking more work (the
    mechanism schedules its return);
  - ``new_load(experience)``: an agent's load history when it logs in;

- engine-wide:

  - ``finish(contact, outcome, end)``: a contact leaves (default: the tally,
    :meth:`~sim.engine.tallies.TallyModel.finish_contact`);
  - ``when_open(t)``: a time (s) moved past closed hours;
  - ``keep_on(agent, now)``: after a closing, ``True`` if a leaving agent stays for
    live work (set only while closed);
  - ``service_end(ev)``: an agent's service ends (``ev.arg`` is the agent; default: the engine's,
    with the one-escalation path inlined); a mechanism that decides where contacts go after a
    service replaces it for its run (:mod:`sim.journeys.transfers`) and, like the default, ends
    with the ``wrap_up`` hook and :meth:`~sim.engine.core.Engine.work_done` unless it holds the agent;
  - ``wrap_up(agent, contact, queue, now)``: a service on ``queue`` has ended (the contact
    has left or moved on); ``True`` if the agent stays busy for after-call work (the
    mechanism then logs it off or frees it when that ends);
  - ``Contact``: the contact class (mechanisms that need more per contact subclass it);
  - in a run with customer journeys (:class:`~sim.journeys.flow.Journeys`, whose ``finish``
    calls them), ``on_leave`` and ``on_offered_leave``: lists of ``count(contact, first_queue,
    outcome, acc)`` that add a mechanism's counts to the tally row ``acc`` of a leaving contact
    (every one; or those that did not end in self-service or a callback).

Lifecycle calls, each on every registered mechanism in registration order:
:meth:`Mechanism.start` (before any arrival), :meth:`Mechanism.day` (each day of a
multi-day run), :meth:`Mechanism.held` (contacts held outside the queues),
:meth:`Mechanism.stop` (when the run stops) and :meth:`Mechanism.report` (its part of
the replication's result).  Interval boundaries are the engine's segment flushes;
a mechanism that needs its own times schedules them on the calendar
(``engine.env.call_at``).
"""

from __future__ import annotations

from typing import Iterable

__all__ = ["Mechanism", "HELD", "LEFT"]

HELD = 1  # on_wait: the contact stays in its queue but will not abandon (e.g. a virtual-hold callback)
LEFT = 2  # on_wait: the contact left its queue (e.g. a callback booked for later)


class Mechanism:
    """A mechanism of the model: built for one replication, attached to its engine.

    ``__init__(engine, scenario)`` sets the hook slots it needs (queues, groups and
    samplers exist by then); the methods below are called by the engine and do
    nothing by default.
    """

    @staticmethod
    def needed(scenario, run) -> bool:
        """Whether a run of ``scenario`` with ``run`` needs this mechanism (the model builds only those)."""
        return True

    def __init__(self, engine, scenario) -> None:
        self.engine = engine

    def start(self, horizon_s: float) -> None:
        """Schedule the mechanism's own events of a run (called once, before the arrivals)."""

    def day(self, d: int, base_s: float) -> None:
        """Schedule day ``d``'s events of a multi-day run (the day opens at ``base_s``)."""

    def held(self) -> Iterable:
        """Contacts the mechanism holds outside the queues (waiting at a closing, in system at the end)."""
        return ()

    def stop(self, end_s: float) -> None:
        """The run stopped at ``end_s``: close open spans."""

    def report(self, result: dict) -> None:
        """Add the mechanism's part to the replication's result fields (e.g. ``workforce``)."""
