"""Agents and agent groups: who is logged in, who is idle, who is busy.

A group follows its staffing table: at each interval boundary it logs agents
in (idle at once) or out.  Idle agents leave first, the most recently idle
first; if that is not enough, busy agents are marked to log off when they
finish their contact (the time past the boundary is overtime and counts as
logged-in time).  Idle agents wait in a deque ordered by the time they became
idle, so the longest-idle agent of a group is at its left end.

Each group integrates its number of logged-in agents over time; the model
flushes that area into per-segment totals (agent-seconds) at segment bounds.
Busy time is added by the model when a service starts.

Concurrent work (a group with ``concurrency``, e.g. chat): each logged-in
agent is a :class:`Seat` of ``size`` slot-agents; routing sees the slots, and
the model counts the seat busy while any of its slots is (:mod:`sim.journeys.concurrency`).
Staffing counts seats: an agent logs in as ``size`` new slots and logs off as a
whole (its idle slots at once, its busy ones when their contacts end; agents
holding nothing leave first, the most recently idle first), and logged-in time
integrates the number of seats.  Seats may differ in size (per-agent
``concurrency`` of shifts or roster rows): staffing then works per size (a pool
of interchangeable agents), each with its own target.
"""

from __future__ import annotations

from collections import deque

__all__ = ["Agent", "AgentGroup", "Seat"]


class Seat:
    """One agent of a concurrent group, holding up to ``size`` contacts: its slot-agents still logged in
    (``slots``), how many of them are busy (``n``) and since when (s).  ``leaving`` and ``leave_at``
    as for an :class:`Agent`: the seat logs off when its last busy slot is free."""

    __slots__ = ("size", "slots", "n", "since", "leaving", "leave_at")

    def __init__(self, size: int) -> None:
        self.size = size
        self.slots: list[Agent] = []
        self.n = 0
        self.since = 0.0
        self.leaving = False
        self.leave_at = None


class Agent:
    """One agent.  ``contact`` is the contact in service, or ``None`` when idle;
    ``timer`` is the model's reusable service-end event for this agent;
    ``parent`` the :class:`Seat` it is a slot of (concurrent groups), else ``None``."""

    __slots__ = ("id", "group", "idle_since", "contact", "leaving", "timer", "leave_at", "last_end", "load", "resting",
                 "parent")

    def __init__(self, agent_id: int, group: "AgentGroup", now: float) -> None:
        self.id = agent_id
        self.group = group
        self.idle_since = now
        self.contact = None
        self.leaving = False
        self.timer = None
        self.leave_at = None  # when its shift ended, if it is finishing a contact past the end (overtime)
        self.last_end = now  # end of its last service
        self.load = None  # AgentLoad (sim.workforce.proficiency) in groups with learning or fatigue
        self.resting = False  # held back without a contact: the occupancy cap, or after-call work
        self.parent = None


class AgentGroup:
    """Agents sharing skills (queues in order of preference) and a staffing table."""

    __slots__ = ("name", "index", "skills", "staffing", "idle", "members", "n_staffed", "staffed_area", "last_t",
                 "pick_contact", "overtime_s", "prof", "learning", "fatigue", "new_load", "experience", "above", "samples",
                 "adjust", "rest", "overtime_in_window_s", "served", "slots", "factors", "seats", "seated", "n_seats")

    def __init__(self, name: str, index: int, staffing: tuple[int, ...]) -> None:
        self.name = name
        self.index = index
        self.skills: list = []  # the queues (sim.engine.routing.Queue) it takes, in order of preference
        self.pick_contact = None  # the routing's queue-selection function, set by the model
        self.staffing = staffing
        self.idle: deque[Agent] = deque()
        self.members: dict[int, Agent] = {}
        self.n_staffed = 0
        self.staffed_area = 0.0
        self.last_t = 0.0
        self.overtime_s = 0.0  # agent-seconds worked past shift ends (agents finishing a contact)
        self.overtime_in_window_s = None  # overtime_s when a multi-day run's drain went past its last day
        self.prof = None  # queue index -> handle-time multiplier (sim.workforce.proficiency), or None
        self.learning = None
        self.fatigue = None
        self.new_load = None  # experience -> an agent's load history; set by the workforce with learning or fatigue
        self.adjust = None  # hook: adjust(agent, contact, handle, now) -> the handle time as this agent works it (s)
        self.rest = None  # hook: rest(agent, now) -> True if the agent rests before taking more work
        self.experience: list[float] = []  # contacts handled by agents who logged off, for the next ones
        self.served = 0  # services started by the group's agents (first and escalation)
        self.above = 0  # samples of logged-in agents above the fatigue occupancy threshold
        self.samples = 0
        self.slots = 1  # contacts an agent holds at once (sim.journeys.concurrency)
        self.factors: tuple[float, ...] = (1.0,)  # handle-time factor by number of contacts held
        self.seated = False  # agents are seats of slots (sim.journeys.concurrency)
        self.seats: list[Seat] = []  # logged in
        self.n_seats = 0

    def accrue(self, now: float) -> None:
        """Add logged-in agent-seconds (seats in a concurrent group) since the last change."""
        self.staffed_area += (self.n_seats if self.seated else self.n_staffed) * (now - self.last_t)
        self.last_t = now

    def flush(self, now: float) -> float:
        """Logged-in agent-seconds since the last flush; resets."""
        self.accrue(now)
        out, self.staffed_area = self.staffed_area, 0.0
        return out

    def set_staffing(self, target: int, now: float, next_id, shift_end: bool = False,
                     size: int | None = None) -> list[Agent]:
        """Log agents in or out to reach ``target``; returns new agents, not yet idle or busy.
        ``shift_end``: the drop is a shift ending, so busy agents who stay on work overtime.
        In a concurrent group the agents are seats (:meth:`_staff_seats`): ``target`` counts those
        holding up to ``size`` contacts at once (a pool; default: the group's own ``slots``)."""
        self.accrue(now)
        if self.seated:
            return self._staff_seats(target, size or self.slots, now, next_id, shift_end)
        active = [a for a in self.members.values() if not a.leaving]
        added: list[Agent] = []
        if target > len(active):
            need = target - len(active)
            for agent in self.members.values():  # cancel pending log-offs first (not of ended shifts)
                if need and agent.leaving and agent.leave_at is None:
                    agent.leaving = False
                    agent.leave_at = None
                    need -= 1
            for _ in range(need):
                added.append(self._new_agent(now, next_id))
        elif target < len(active):
            excess = len(active) - target
            while excess and self.idle:
                agent = self.idle.pop()  # most recently idle
                self._remove(agent)
                excess -= 1
            for agent in reversed(active):
                if not excess:
                    break
                if (agent.contact is not None or agent.resting) and not agent.leaving:
                    agent.leaving = True
                    agent.leave_at = now if shift_end else None
                    excess -= 1
        return added

    def _staff_seats(self, target: int, size: int, now: float, next_id, shift_end: bool) -> list[Agent]:
        """``target`` seats of ``size`` slot-agents (the other seats are left alone).  Pending log-offs are
        cancelled first (not of ended shifts; the seat gets back the idle slots it gave up); seats holding
        nothing leave first, the most recently idle first, then the most recently logged in."""
        active = [s for s in self.seats if s.size == size and not s.leaving]
        added: list[Agent] = []
        if target > len(active):
            need = target - len(active)
            for seat in self.seats:
                if need and seat.size == size and seat.leaving and seat.leave_at is None:
                    seat.leaving = False
                    for agent in seat.slots:
                        agent.leaving = False
                    added += [self._new_slot(seat, now, next_id) for _ in range(seat.size - len(seat.slots))]
                    need -= 1
            for _ in range(need):
                seat = Seat(size)
                self.seats.append(seat)
                self.n_seats += 1
                added += [self._new_slot(seat, now, next_id) for _ in range(size)]
        elif target < len(active):
            free: dict[Seat, None] = {}
            for agent in reversed(self.idle):  # seats holding nothing, the most recently idle first
                seat = agent.parent
                if seat.size == size and seat.n == 0 and not seat.leaving and not any(a.resting for a in seat.slots):
                    free[seat] = None
            order = list(free) + [s for s in reversed(active) if s not in free]
            for seat in order[:len(active) - target]:
                self._seat_off(seat, now, shift_end)
        return added

    def _seat_off(self, seat: Seat, now: float, shift_end: bool) -> None:
        """Log a seat off: its idle slots at once, its busy (or resting) ones when free."""
        seat.leaving = True
        seat.leave_at = now if shift_end else None
        for agent in [a for a in self.idle if a.parent is seat]:
            self.idle.remove(agent)
            self._remove(agent)
            seat.slots.remove(agent)
        for agent in seat.slots:
            agent.leaving = True
        if not seat.slots:
            self._seat_gone(seat, now)

    def _seat_gone(self, seat: Seat, now: float) -> None:
        self.seats.remove(seat)
        self.n_seats -= 1
        if seat.leave_at is not None:
            self.overtime_s += now - seat.leave_at

    def _new_agent(self, now: float, next_id) -> Agent:
        agent = Agent(next_id(), self, now)
        if self.new_load is not None:  # learning or fatigue: the agent's load history (sim.workforce.proficiency)
            base = self.learning.experience_contacts if self.learning is not None else 0.0
            agent.load = self.new_load(self._take_experience(base))
        self.members[agent.id] = agent
        self.n_staffed += 1
        return agent

    def _new_slot(self, seat: Seat, now: float, next_id) -> Agent:
        agent = self._new_agent(now, next_id)
        agent.parent = seat
        seat.slots.append(agent)
        return agent

    def log_off(self, agent: Agent, now: float) -> None:
        """A leaving agent has finished its contact (a slot of a leaving seat: the seat goes with its last)."""
        self.accrue(now)
        seat = agent.parent
        if seat is None:
            if agent.leave_at is not None:
                self.overtime_s += now - agent.leave_at
            self._remove(agent)
            return
        self._remove(agent)
        seat.slots.remove(agent)
        if not seat.slots:
            self._seat_gone(seat, now)

    def _remove(self, agent: Agent) -> None:
        del self.members[agent.id]
        self.n_staffed -= 1
        if agent.load is not None:  # its experience stays with the group for the next agent logging in
            self.experience.append(agent.load.handled)

    def _take_experience(self, base: float) -> float:
        """The most experienced count handed back by an agent who logged off, else ``base``."""
        if not self.experience:
            return base
        best = max(range(len(self.experience)), key=self.experience.__getitem__)
        return self.experience.pop(best)
