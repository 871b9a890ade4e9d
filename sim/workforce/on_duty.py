"""Workforce in the model: shifts and shrinkage (duty timelines), agents who differ, overtime.

:class:`WorkforceModel` is a mixin of :class:`~sim.model.centre.CentreModel`.  Groups with ``shifts`` (or
roster rows) follow their duty timeline (:mod:`sim.workforce.duty`: change points of the agents on duty, drawn
per replication from the streams ``absence:<group>`` and ``unavailable:<group>``); the others follow
their staffing table at interval boundaries (the model's ``_on_staffing``).  Groups with
``proficiency``, ``learning`` or ``fatigue`` (:mod:`sim.workforce.proficiency`) have their handle times adjusted
per agent at service start, an occupancy cap makes agents rest, and time above the fatigue threshold
is sampled every :data:`~sim.workforce.proficiency.SAMPLE_S` seconds.
"""

from __future__ import annotations

from simpy.core import URGENT

from sim.engine.streams import stream
from sim.workforce.days import join_days
from sim.workforce.duty import duty_timeline, planned_shrinkage
from sim.workforce.proficiency import SAMPLE_S, AgentLoad

__all__ = ["WorkforceModel"]


class WorkforceModel:
    """Shift timelines, agent traits and workforce totals, mixed into :class:`~sim.model.centre.CentreModel`."""

    def _setup_traits(self, group, spec) -> None:
        """Copy a group's proficiency, learning and fatigue onto its runtime object."""
        if spec.proficiency:
            group.prof = {self.queues[t].index: m for t, m in spec.proficiency.items()}
        group.learning, group.fatigue = spec.learning, spec.fatigue
        if spec.learning is not None or spec.fatigue is not None:
            group.new_load = AgentLoad
        group.adjusts = bool(spec.proficiency) or spec.learning is not None or spec.fatigue is not None

    def _setup_duty(self, scenario, seed: int, replication: int) -> None:
        """Duty timelines of the groups with shifts; ``table_groups`` follow their staffing tables."""
        self.duty = {}
        self.duty_days = {}  # multi-day runs: each day's timeline, and how to draw the next (sim.workforce.days)
        for group, (name, spec) in zip(self.groups, scenario.agent_groups.items()):
            if spec.shifts:
                draw = (spec, scenario.open_time_s, stream(seed, replication, f"absence:{name}"),
                        stream(seed, replication, f"unavailable:{name}"))
                days = [duty_timeline(*draw) for _ in range(self.run_spec.days)]  # drawn afresh each day
                self.duty[group.index] = days[0] if len(days) == 1 else join_days(days)
                self.duty_days[group.index] = (days, draw)
        self.table_groups = [g for g in self.groups if g.index not in self.duty]

    def _schedule_workforce(self, horizon_s: float) -> None:
        """Schedule the duty timelines' change points and the fatigue sampling, before the horizon."""
        env = self.env
        if any(g.fatigue is not None for g in self.groups):
            t = 0.0
            while t < horizon_s:
                env.call_at(t, self._on_sample, None)
                t += SAMPLE_S
        if self.run_spec.days > 1:
            return  # each day's timeline is scheduled with the day (sim.workforce.days)
        for index, timeline in self.duty.items():
            group = self.groups[index]
            for size, steps in timeline.pools.items():  # pools of agents holding `size` contacts at once
                if not steps.times or steps.times[0] > 0:
                    env.call_at(0.0, self._on_duty, (group, size, 0, False), priority=URGENT)
                for t, count, shift_end in zip(steps.times, steps.counts, steps.shift_end):
                    if t < horizon_s:
                        env.call_at(max(t, 0.0), self._on_duty, (group, size, count, shift_end), priority=URGENT)

    def _duty_day(self, index: int, day: int):
        """A group's duty timeline of day ``day`` of a multi-day run (days of the drain drawn when needed)."""
        days, draw = self.duty_days[index]
        while len(days) <= day:
            days.append(duty_timeline(*draw))
        return days[day]

    def _on_duty(self, ev) -> None:
        """A change point of a pool's duty timeline (shifts, breaks, shrinkage)."""
        group, size, count, shift_end = ev.arg
        now = self.env._now
        for agent in group.set_staffing(count, now, self._agent_ids.__next__, shift_end, size):
            self._next_for(agent, now)

    @staticmethod
    def _adjust(agent, contact, handle: float, now: float) -> float:
        """The handle time as this agent works it: proficiency, learning curve, fatigue (sim.workforce.proficiency)."""
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

    def _on_rest_end(self, ev) -> None:
        """An agent held back by the occupancy cap is available again."""
        agent = ev.arg
        agent.resting = False
        now = self.env._now
        if agent.leaving:
            agent.group.log_off(agent, now)
            return
        self._next_for(agent, now)

    def _on_sample(self, ev) -> None:
        """Count logged-in agents above their group's fatigue threshold (the burnout-risk indicator)."""
        now = self.env._now
        for group in self.groups:
            fatigue = group.fatigue
            if fatigue is None:
                continue
            for agent in group.members.values():
                group.samples += 1
                if agent.load.occupancy(now, fatigue.window_s) > fatigue.occupancy_threshold:
                    group.above += 1

    def _workforce(self) -> dict[str, dict[str, float]]:
        """Per group with shifts: the day's scheduled, shrinkage and overtime agent-seconds.  Agents kept
        past the horizon by the drain work overtime until their last service ends when their shifts
        are over by then."""
        out = {}
        horizon = self.run_spec.horizon_s
        for index, tl in self.duty.items():
            group = self.groups[index]
            overtime = group.overtime_s
            if self.run_spec.days > 1:  # not the shifts of the drain's extra days (sim.workforce.days)
                overtime = self.overtime_at_drain.get(index, overtime)
            after = [c for t, c in zip(tl.times, tl.counts) if t <= horizon + 1e-9]
            if self.run_spec.drain and self.run_spec.days == 1 and (not after or after[-1] == 0):
                if group.seated:  # an agent holding several contacts works until its last ends
                    overtime += sum(max(0.0, max(a.last_end for a in seat.slots) - horizon) for seat in group.seats)
                else:
                    overtime += sum(max(0.0, a.last_end - horizon) for a in group.members.values())
            spec = self.scenario.agent_groups[group.name]
            out[group.name] = {"scheduled_s": tl.scheduled_s, "breaks_s": tl.breaks_s, "blocks_s": tl.blocks_s,
                               "absent_s": tl.absent_s, "unavailable_s": tl.unavailable_s, "overtime_s": overtime,
                               "shrinkage_realised": tl.realised_shrinkage,
                               "shrinkage_planned": planned_shrinkage(spec, self.scenario.open_time_s)}
        return out
