"""Offered load against the capacity on duty: what a run says before anyone reads its KPIs.

A plan can fail before any routing subtlety matters: in some interval the work offered to the agents
exceeds what the agents able to take it can do, or contacts arrive for a contact type that no agent
on duty can serve. Their queue then grows for as long as the run lasts, and every wait KPI measures
the run's length more than the centre. This module measures both per reported interval and words
the warnings a run prints and logs once.

- **Work offered** (erlangs): the handle seconds of the contacts that reached an agent queue in the
  interval (the engine adds each contact's drawn handle time when it is offered: first queue,
  escalation, retrial; contacts contained by a bot or blocked before the queue are not work), per
  contact type, divided by the interval's length.
- **Capacity** (agents): the agent-seconds logged in of a group over the interval's length, times
  the group's parallelism (``max / handle_time_factors[max - 1]`` for agents holding several
  contacts at once, else 1).
- **Agents able to take a type**: the groups with its skill and its overflow groups.

The check is Hall's condition, group set by group set: for the groups able to take a type, the work
of every live type that only those groups can take must fit in their capacity. It is a necessary
condition, so a warning is certain; a plan can pass it and still miss its targets. Deferrable types
(a channel with ``deferrable: true``, e.g. email) wait for idle time by design: they are checked
over the whole measured window, not interval by interval. The mean over replications is compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from sim.engine.records import ReplicationResult
from sim.model.config import RunSpec, Scenario
from sim.model.metrics import _interval_segments, _per_interval, clock_label

__all__ = ["able_groups", "parallelism", "replication_load", "load_warnings"]


def able_groups(scenario: Scenario) -> dict[str, tuple[str, ...]]:
    """Per contact type, the agent groups that can take it: its skill's groups, then its overflow groups."""
    out = {}
    for name, ct in scenario.contact_types.items():
        groups = [g for g, spec in scenario.agent_groups.items() if name in spec.skills]
        if ct.overflow is not None:
            groups += [g for g in ct.overflow.groups if g not in groups]
        out[name] = tuple(groups)
    return out


def parallelism(scenario: Scenario, group: str) -> float:
    """Contacts an agent of ``group`` handles per unit of single-contact handle time (1 without concurrency)."""
    spec = scenario.agent_groups[group].concurrency
    if spec is None or spec.max <= 1:
        return 1.0
    return spec.max / spec.handle_time_factors[spec.max - 1]


def replication_load(result: ReplicationResult, scenario: Scenario, run: RunSpec) -> dict[str, list]:
    """One replication's work offered (agent-seconds, ``[interval][type]``) and capacity
    (agent-seconds able to work, ``[interval][group]``) per reported interval."""
    starts, lengths, idx, keep = _interval_segments(result, scenario, run)
    seg = result.segments
    n_int = len(starts)
    work = _per_interval(seg.offered_work[keep], idx, n_int)
    factor = np.asarray([parallelism(scenario, g) for g in result.group_names])
    capacity = _per_interval(seg.staffed_area[keep], idx, n_int) * factor
    return {"starts": starts.tolist(), "lengths": lengths.tolist(), "work": work.tolist(),
            "capacity": capacity.tolist()}


def _clock(scenario: Scenario, start: float) -> str:
    return clock_label(scenario.open_time_s + start)


def _intervals(labels: Sequence[str], most: int = 4) -> str:
    shown = ", ".join(labels[:most])
    return shown + (f" and {len(labels) - most} more" if len(labels) > most else "")


def load_warnings(scenario: Scenario, loads: Sequence[Mapping[str, list]], type_names: Sequence[str],
                  group_names: Sequence[str]) -> list[str]:
    """The warnings of a run from its replications' :func:`replication_load` (means over them):
    intervals where the work offered exceeds the capacity of the agents able to take it, and
    contact types that arrive when nobody on duty can serve them. Empty when the plan passes."""
    if not loads:
        return []
    work = np.mean([np.asarray(x["work"], dtype=float).reshape(-1, len(type_names)) for x in loads], axis=0)
    capacity = np.mean([np.asarray(x["capacity"], dtype=float).reshape(-1, len(group_names)) for x in loads], axis=0)
    starts, lengths = np.asarray(loads[0]["starts"]), np.asarray(loads[0]["lengths"])
    if not len(starts):
        return []
    able = able_groups(scenario)
    column = {g: i for i, g in enumerate(group_names)}
    live = [not scenario.channels[scenario.contact_types[t].channel].deferrable for t in type_names]
    out: list[str] = []

    def cap_of(groups: Sequence[str]) -> np.ndarray:
        return capacity[:, [column[g] for g in groups]].sum(axis=1) if groups else np.zeros(len(starts))

    # contact types that arrive when nobody able to take them is on duty
    for j, t in enumerate(type_names):
        cap = cap_of(able[t])
        if live[j]:
            alone = [_clock(scenario, s) for s, w, c in zip(starts, work[:, j], cap) if w > 0 and c <= 0]
            if alone:
                out.append(f"contacts of type '{t}' arrive when no agent on duty can take them, at "
                           f"{_intervals(alone)} ({len(alone)} interval{'s' * (len(alone) > 1)}); agents able: "
                           f"{', '.join(able[t]) or 'none'}")
        elif work[:, j].sum() > 0 and cap.sum() <= 0:
            out.append(f"contacts of type '{t}' arrive but no agent able to take them is on duty in the measured "
                       f"window; agents able: {', '.join(able[t]) or 'none'}")

    # Hall's condition, one group set at a time
    seen: set[tuple[str, ...]] = set()
    for t in type_names:
        groups = tuple(sorted(able[t]))
        if not groups or groups in seen:
            continue
        seen.add(groups)
        inside = [j for j, u in enumerate(type_names) if able[u] and set(able[u]) <= set(groups)]
        names = [type_names[j] for j in inside]
        cap = cap_of(groups)
        live_work = work[:, [j for j in inside if live[j]]].sum(axis=1)
        over = [(live_work[k] / lengths[k], cap[k] / lengths[k], k) for k in range(len(starts))
                if cap[k] > 0 and live_work[k] > cap[k]]
        if over:
            erl, agents, k = max(over, key=lambda x: x[0] / x[1])
            labels = [_clock(scenario, starts[i]) for _, _, i in over]
            out.append(f"offered load exceeds the agents able to take it in {len(over)} interval"
                       f"{'s' * (len(over) > 1)} ({_intervals(labels)}): worst at {_clock(scenario, starts[k])}, "
                       f"{erl:.1f} erlangs of {', '.join(names)} offered to {agents:.1f} agents on duty "
                       f"({', '.join(groups)}); in those intervals the queue can only grow")
        total_work, total_cap = work[:, inside].sum(), cap.sum()
        if any(not live[j] for j in inside) and total_cap > 0 and total_work > total_cap:
            out.append(f"the work of {', '.join(names)} over the measured window ({total_work / 3600:.0f} "
                       f"agent-hours) exceeds the {total_cap / 3600:.0f} agent-hours of {', '.join(groups)} on "
                       f"duty: the deferrable backlog grows day after day")
    return out
