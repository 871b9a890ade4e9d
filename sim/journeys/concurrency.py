"""Concurrent work in the model: agents of a group with ``concurrency`` hold several contacts at once.

:class:`ConcurrencyModel` is a mixin of :class:`~sim.model.centre.CentreModel`.  Such a
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

__all__ = ["ConcurrencyModel"]


class ConcurrencyModel:
    """Seats of concurrent groups, mixed into :class:`~sim.model.centre.CentreModel`."""

    def _setup_concurrency(self, scenario) -> None:
        for group in self.groups:
            spec = scenario.agent_groups[group.name].concurrency
            if spec is not None:
                sizes = scenario.agent_groups[group.name].pool_sizes
                group.slots = sizes[0]
                group.factors = spec.handle_time_factors
                group.seated = max(sizes) > 1

    def _concurrent_start(self, agent, handle: float, now: float) -> float:
        """A slot of a seat starts a contact: the inflated handle time (s); the seat may turn busy."""
        seat = agent.parent
        factor = agent.group.factors[seat.n]
        if seat.n == 0:
            seat.since = now
        seat.n += 1
        return handle * factor

    def _on_concurrent_end(self, ev) -> None:
        """A slot's contact ends: the seat's busy span closes when it holds nothing, then as usual."""
        agent = ev.arg
        seat = agent.parent
        seat.n -= 1
        if seat.n == 0:
            self._add_span(self.busy_area, self.n_groups, agent.group.index, seat.since, self.env._now)
        self._on_service_end(ev)

    def _close_concurrent(self, end: float) -> None:
        """Busy spans of seats still holding contacts when the run stopped."""
        for group in self.groups:
            for seat in group.seats:
                if seat.n:
                    self._add_span(self.busy_area, self.n_groups, group.index, seat.since, end)
                    seat.since = end
