"""Workforce in the model: shifts and shrinkage (duty timelines), agents who differ, overtime.

:class:`OnDuty` is a mechanism (:mod:`sim.engine.hooks`).  Groups with ``shifts`` (or
roster rows) follow their duty timeline (:mod:`sim.workforce.duty`: change points of the agents on duty, drawn
per replication from the streams ``absence:<group>`` and ``unavailable:<group>``); the others follow
their staffing table at interval boundaries (the engine's staffing-table events).  Groups with
``proficiency``, skill levels, ``learning`` or ``fatigue`` (:mod:`sim.workforce.proficiency`) have their handle times adjusted
per agent at service start, an occupancy cap makes agents rest, and time above the fatigue threshold
is sampled every :data:`~sim.workforce.proficiency.SAMPLE_S` seconds.
"""

from __future__ import annotations

from simpy.core import URGENT

from sim.engine.hooks import Mechanism
from sim.engine.streams import stream
from sim.workforce.days import join_days
from sim.workforce.duty import duty_timeline, planned_shrinkage
from sim.workforce.proficiency import SAMPLE_S, AgentLoad, handle_multipliers

__all__ = ["OnDuty"]


class OnDuty(Mechanism):
    """Shift timelines, agent traits and workforce totals of the groups that have them."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return any(spec.shifts or spec.learning is not None or spec.fatigue is not None or handle_multipliers(scenario, g)
                   for g, spec in scenario.agent_groups.items())

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        for group, spec in zip(engine.groups, scenario.agent_groups.values()):
            self._setup_traits(group, spec, handle_multipliers(scenario, group.name))
        seed, replication = engine.run_spec.seed, engine.replication
        self.duty = {}
        self.duty_days = {}  # multi-day runs: each day's timeline, and how to draw the next (sim.workforce.days)
        for group, (name, spec) in zip(engine.groups, scenario.agent_groups.items()):
            if spec.shifts:
                draw = (spec, scenario.open_time_s, stream(seed, replication, f"absence:{name}"),
                        stream(seed, replication, f"unavailable:{name}"))
                days = [duty_timeline(*draw) for _ in range(engine.run_spec.days)]  # drawn afresh each day
                self.duty[group.index] = days[0] if len(days) == 1 else join_days(days)
                self.duty_days[group.index] = (days, draw)
        engine.table_groups = [g for g in engine.groups if g.index not in self.duty]

    def _setup_traits(self, group, spec, multipliers: dict[str, float]) -> None:
        """Copy a group's handle-time multipliers (proficiency x skill level), learning and fatigue onto its
        runtime object, and set its hooks."""
        if multipliers:
            group.prof = {self.engine.queues[t].index: m for t, m in multipliers.items()}
        group.learning, group.fatigue = spec.learning, spec.fatigue
        if spec.learning is not None or spec.fatigue is not None:
            group.new_load = AgentLoad
        if bool(multipliers) or spec.learning is not None or spec.fatigue is not None:
            group.adjust = self._adjust
        if spec.fatigue is not None and spec.fatigue.occupancy_cap is not None:
            group.rest = self._rest

    def start(self, horizon_s: float) -> None:
        """Schedule the fatigue sampling and (one-day runs) the duty timelines' change points."""
        engine = self.engine
        env = engine.env
        if any(g.fatigue is not None for g in engine.groups):
            t = 0.0
            while t < horizon_s:
                env.call_at(t, self._on_sample, None)
                t += SAMPLE_S
        if engine.run_spec.days > 1:
            return  # each day's timeline is scheduled with the day (day())
        for index, timeline in self.duty.items():
            group = engine.groups[index]
            for size, steps in timeline.pools.items():  # pools of agents holding `size` contacts at once
                if not steps.times or steps.times[0] > 0:
                    env.call_at(0.0, self._on_duty, (group, size, 0, False), priority=URGENT)
                for t, count, shift_end in zip(steps.times, steps.counts, steps.shift_end):
                    if t < horizon_s:
                        env.call_at(max(t, 0.0), self._on_duty, (group, size, count, shift_end), priority=URGENT)

    def day(self, d: int, base_s: float) -> None:
        """Day ``d``'s duty timelines of a multi-day run (drawn afresh each day)."""
        engine = self.engine
        for index in self.duty_days:
            group, timeline = engine.groups[index], self._duty_day(index, d)
            for size, steps in timeline.pools.items():  # pools of agents holding `size` contacts at once
                for t, count, shift_end in zip(steps.times, steps.counts, steps.shift_end):
                    engine.env.call_at(base_s + max(t, 0.0), self._on_duty, (group, size, count, shift_end),
                                       priority=URGENT)

    def _duty_day(self, index: int, day: int):
        """A group's duty timeline of day ``day`` of a multi-day run (days of the drain drawn when needed)."""
        days, draw = self.duty_days[index]
        while len(days) <= day:
            days.append(duty_timeline(*draw))
        return days[day]

    def _on_duty(self, ev) -> None:
        """A change point of a pool's duty timeline (shifts, breaks, shrinkage)."""
        group, size, count, shift_end = ev.arg
        engine = self.engine
        now = engine.env._now
        for agent in group.set_staffing(count, now, engine._agent_ids.__next__, shift_end, size):
            engine.next_for(agent, now)

    @staticmethod
    def _adjust(agent, contact, handle: float, now: float) -> float:
        """The handle time as this agent works it: proficiency x skill level, learning curve, fatigue
        (sim.workforce.proficiency)."""
        group = agent.group
        if group.prof is not None:
            handle *= group.prof.get(contact.queue.index, 1.0)
        load = agent.load
        if load is not None:
            if group.learning is not None:
                handle *= group.learning.multiplier(load.handled)
            fatigue = group.fatigue
            if fatigue is not None and load.occupancy(now, fatigue.window_s) > fatigue.occupancy_threshold:
                handle *= fatigue.aht_multiplier
            load.handled += 1
            load.spans.append((now, now + handle))
        return handle

    def _rest(self, agent, now: float) -> bool:
        """An agent above its group's occupancy cap rests until back at the cap (``True``), else works on."""
        fatigue = agent.group.fatigue
        until = agent.load.rest_until(now, fatigue.window_s, fatigue.occupancy_cap)
        if until > now:
            agent.resting = True
            self.engine.env.call_at(until, self._on_rest_end, agent)
            return True
        return False

    def _on_rest_end(self, ev) -> None:
        """An agent held back by the occupancy cap is available again."""
        agent = ev.arg
        agent.resting = False
        now = self.engine.env._now
        if agent.leaving:
            agent.group.log_off(agent, now)
            return
        self.engine.next_for(agent, now)

    def _on_sample(self, ev) -> None:
        """Count logged-in agents above their group's fatigue threshold (the burnout-risk indicator)."""
        now = self.engine.env._now
        for group in self.engine.groups:
            fatigue = group.fatigue
            if fatigue is None:
                continue
            for agent in group.members.values():
                group.samples += 1
                if agent.load.occupancy(now, fatigue.window_s) > fatigue.occupancy_threshold:
                    group.above += 1

    def report(self, result: dict) -> None:
        result["workforce"] = self._workforce()
        result["wellbeing"] = {g.name: g.above / g.samples for g in self.engine.groups
                               if g.fatigue is not None and g.samples}

    def _workforce(self) -> dict[str, dict[str, float]]:
        """Per group with shifts: the day's scheduled, shrinkage and overtime agent-seconds.  Agents kept
        past the horizon by the drain work overtime until their last service ends when their shifts
        are over by then."""
        out = {}
        engine = self.engine
        run = engine.run_spec
        horizon = run.horizon_s
        for index, tl in self.duty.items():
            group = engine.groups[index]
            overtime = group.overtime_s
            if run.days > 1 and group.overtime_in_window_s is not None:  # not the drain's extra days' shifts
                overtime = group.overtime_in_window_s
            after = [c for t, c in zip(tl.times, tl.counts) if t <= horizon + 1e-9]
            if run.drain and run.days == 1 and (not after or after[-1] == 0):
                if group.seated:  # an agent holding several contacts works until its last ends
                    overtime += sum(max(0.0, max(a.last_end for a in seat.slots) - horizon) for seat in group.seats)
                else:
                    overtime += sum(max(0.0, a.last_end - horizon) for a in group.members.values())
            spec = engine.scenario.agent_groups[group.name]
            out[group.name] = {"scheduled_s": tl.scheduled_s, "breaks_s": tl.breaks_s, "blocks_s": tl.blocks_s,
                               "absent_s": tl.absent_s, "unavailable_s": tl.unavailable_s, "overtime_s": overtime,
                               "shrinkage_realised": tl.realised_shrinkage,
                               "shrinkage_planned": planned_shrinkage(spec, engine.scenario.open_time_s)}
        return out
