"""Concurrent work in the model: agents of a group with ``concurrency`` hold several contacts at once.

:class:`Concurrency` is a mechanism (:mod:`sim.engine.hooks`) that configures the groups; the
engine serves seats (:meth:`sim.engine.core.Engine.start_service`).  Such a
group's agents are ``max`` slot-agents each, sharing a :class:`~sim.engine.agents.Seat`
(:mod:`sim.engine.agents`): routing hands a contact to an idle slot like to an idle
agent (longest idle first), so an agent takes up to ``max`` contacts.  The
handle time of a contact that starts while its agent already holds ``n - 1``
others is multiplied by ``handle_time_factors[n - 1]``, fixed at its start
(the curve that says how much slower each chat gets when an agent juggles
``n``).  Occupancy counts an agent busy while it holds at least one contact,
not once per contact, so it stays a share of logged-in time; staffing and
``agents_staffed`` count agents (seats), not slots, and an agent logs in and
off as a whole.

**Per agent.**  A shift or roster row may give its agents a ``concurrency`` of
their own (:mod:`sim.workforce.config`): seats then differ in size.  Agents of
one size form a pool (:attr:`~sim.model.config.AgentGroupSpec.pool_sizes`, the group's
own ``max`` first) with its own duty timeline (:mod:`sim.workforce.duty`), and the model
logs seats of that size in and off to follow it.  The curve is the group's
(long enough for its largest seat), so an agent of size 1 in a concurrent group
takes ``handle_time_factors[0]``.  In a group where every pool has size 1 (no
``max`` above 1 anywhere) agents are plain agents, as without ``concurrency``.
"""

from __future__ import annotations

from sim.engine.hooks import Mechanism

__all__ = ["Concurrency"]


class Concurrency(Mechanism):
    """Groups whose agents hold several contacts at once (``concurrency``): seats of slot-agents."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return any(spec.concurrency is not None for spec in scenario.agent_groups.values())

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        for group in engine.groups:
            spec = scenario.agent_groups[group.name]
            if spec.concurrency is not None:
                sizes = spec.pool_sizes
                group.slots = sizes[0]
                group.factors = spec.concurrency.handle_time_factors
                group.seated = max(sizes) > 1
