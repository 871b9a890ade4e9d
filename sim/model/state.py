"""The state of a centre during the day, to simulate the rest of the day from it.

A real-time manager at 11:00 sees contacts queued (how long each has waited, which
hold a callback), contacts in service (on which agent group, for how long), agents
on duty (absences, overtime added for later) and deferrable work waiting (emails,
with their ages).  A :class:`State` holds that; a replication started from it
(:func:`sim.model.centre.simulate` with ``state``) runs the rest of the day:

- the clock starts at the state's time: no arrivals before it (the scenario's
  Poisson arrivals, sampled as usual, are kept from that time on), the staffing
  tables and the mechanisms' schedules run as on any day, with no contact, until
  then (a quiet morning: nothing is measured there, see below);
- at the state's time, in this order: each group's agents on duty are logged in
  (``on_duty``); the contacts in service are put on idle agents of their group,
  each with a **residual handle time** drawn from the handle-time law of its type
  (its group's, if the type gives one) conditional on the time already spent
  (:func:`sim.engine.distributions.residual`, exact inversion); ``logging_off`` of
  those busy agents log off when their contact ends; then the waiting contacts
  (and the deferrable backlog) are offered, longest waiting first, as if they had
  arrived ``waited_s`` ago, each with a **residual patience** drawn the same way
  (a held callback keeps its place and does not abandon);
- the rest of the day's staffing: each remaining interval's count of the
  scenario's table, minus ``absent``, plus ``overtime`` (or a whole new ``staffing``
  list for the remaining intervals).

The contacts of the state arrived before its time, so they are tallied in the
warm-up segment: the run's measurement window starts at the state's time
(``run.warmup_s``), and the KPIs per interval are those of the contacts arriving
from then on (the queue length and occupancy include the carried contacts as
time goes).  The draws for the state's contacts come from their own streams
(``state:handle:<type>``, ``state:patience:<type>``), so every other stream is
unchanged.  :func:`snapshot` (and :func:`sim.model.centre.snapshot_at`) captures
the state of a running replication, so a state taken from a simulated day at
11:00 and continued gives the same distribution of the rest of the day as the
day run through.

What a state does not carry: contacts held outside the queues by mechanisms
(in self-service, booked callbacks, retrials and repeat contacts not yet back,
after-call work), agents' load histories, and overflow timers (a carried contact
may overflow ``after_s`` after the state's time, not after its arrival).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from simpy.core import URGENT

from sim.engine.checks import boolean, check_keys, clock, hhmm, integer, join, mapping, number, show
from sim.engine.distributions import residual
from sim.engine.errors import ConfigError
from sim.engine.inputs import load_yaml
from sim.engine.routing import SERVING, WAITING
from sim.engine.streams import stream

if TYPE_CHECKING:  # sim.model.config reads a state file with this module
    from sim.model.config import RunSpec, Scenario

__all__ = ["WaitingContact", "ServiceContact", "GroupState", "State", "STATE_KEYS", "parse_state", "load_state",
           "state_run", "start_from_state", "snapshot", "state_to_dict"]

STATE_KEYS = ("time", "waiting", "in_service", "agents", "backlog")
WAITING_KEYS = ("type", "waited_s", "callback", "count")
SERVICE_KEYS = ("type", "group", "elapsed_s", "count")
BACKLOG_KEYS = ("type", "age_s", "count")
AGENT_KEYS = ("on_duty", "logging_off", "absent", "overtime", "staffing")
MAX_AGE_S = 366 * 86400.0  # the oldest contact a state may carry (s)
MAX_COUNT = 1_000_000  # contacts in one row of a state
CALLBACK_WAITING = -1  # a contact holding a callback in its queue (sim.journeys.callbacks)
STATE_FILE = "a state YAML (time, waiting, in_service, agents, backlog)"


@dataclass(frozen=True)
class WaitingContact:
    """A contact waiting now: its type, how long it has waited (s), whether it holds a callback."""

    contact_type: str
    waited_s: float
    callback: bool = False


@dataclass(frozen=True)
class ServiceContact:
    """A contact in service now: its type, the group serving it, the time already in service (s)."""

    contact_type: str
    group: str
    elapsed_s: float


@dataclass(frozen=True)
class GroupState:
    """An agent group now and for the rest of the day.

    ``on_duty``: agents logged in now (``None``: the rest-of-day count of the current interval);
    ``logging_off``: of them, busy agents who log off when their contact ends; ``staffing``: agents
    for each interval from the current one to the closing (the scenario's table minus absences plus
    overtime, or as given).
    """

    on_duty: int | None
    logging_off: int = 0
    staffing: tuple[int, ...] = ()


@dataclass(frozen=True)
class State:
    """The centre at ``clock_s`` seconds after opening (simulation time; see the module)."""

    clock_s: float
    waiting: tuple[WaitingContact, ...] = ()
    in_service: tuple[ServiceContact, ...] = ()
    agents: Mapping[str, GroupState] = field(default_factory=dict)


def current_interval(state: State, scenario: Scenario) -> int:
    """The index of the interval the state's time falls in."""
    return min(int(state.clock_s // scenario.interval_s + 1e-9), scenario.n_intervals - 1)


# ------------------------------------------------------------------------- reading

def load_state(path: str | Path, scenario: Scenario, run: RunSpec | None = None) -> State:
    """Read and check a state file against ``scenario``; errors name the file and the key path
    (``state.waiting[2].waited_s``); the file is read by :func:`sim.engine.inputs.load_yaml`."""
    raw = load_yaml(path, STATE_FILE)
    try:
        return parse_state(raw, scenario, run)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err.where}", err.message) from None


def parse_state(raw: Any, scenario: Scenario, run: RunSpec | None = None, path: str = "state") -> State:
    """A state mapping (the file's format, docs/reference/state-file.md) -> :class:`State`."""
    if run is not None and run.days > 1:
        raise ConfigError("run.days", f"a state is the rest of one day: expected 1, got {run.days}")
    if not scenario.daily:
        raise ConfigError(path, "a state needs a centre with opening hours (preset: centre), not the single_queue preset")
    if scenario.trace is not None:
        raise ConfigError(path, "a state continues sampled arrivals; a scenario replaying a trace cannot take one")
    spec = mapping(raw, path)
    check_keys(spec, path, STATE_KEYS, required=("time",))
    open_s, close_s = scenario.open_time_s, scenario.open_time_s + scenario.length_s
    at = clock(spec["time"], join(path, "time"))
    if not open_s <= at < close_s:
        raise ConfigError(join(path, "time"), f"expected a time within the opening hours {hhmm(open_s)}-"
                                              f"{hhmm(close_s)} (the rest of the day is simulated), got {show(spec['time'])}")
    clock_s = at - open_s
    types = scenario.contact_types
    k0 = min(int(clock_s // scenario.interval_s + 1e-9), scenario.n_intervals - 1)

    def rows(key: str, keys: tuple[str, ...], required: tuple[str, ...]):
        value = spec.get(key)
        if value is None:
            return
        if not isinstance(value, list):
            raise ConfigError(join(path, key), f"expected a list of contacts, got {show(value)}")
        for i, row in enumerate(value):
            where = f"{path}.{key}[{i}]"
            row = mapping(row, where)
            check_keys(row, where, keys, required=required)
            name = row["type"]
            if name not in types:
                raise ConfigError(join(where, "type"), f"unknown contact type {show(name)}; expected one of "
                                                       f"{', '.join(types)}")
            count = integer(row.get("count", 1), join(where, "count"), minimum=1)
            if count > MAX_COUNT:
                raise ConfigError(join(where, "count"), f"expected at most {MAX_COUNT:,}, got {count:,}")
            yield where, row, str(name), count

    def age(row, key: str, where: str) -> float:
        value = number(row[key], join(where, key), unit="seconds")
        if value > MAX_AGE_S:
            raise ConfigError(join(where, key), f"expected at most {MAX_AGE_S:,.0f} s (366 days), got {show(row[key])}")
        return value

    waiting: list[WaitingContact] = []
    for where, row, name, count in rows("waiting", WAITING_KEYS, ("type", "waited_s")):
        waited = age(row, "waited_s", where)
        held = boolean(row.get("callback", False), join(where, "callback"))
        rule = types[name].callback
        if held and (rule is None or rule.scheduled_after_s is not None):
            raise ConfigError(join(where, "callback"), f"contact type {name!r} has no virtual-hold callback rule "
                                                       "(scenario.contact_types.<type>.callback without scheduled_after_s)")
        waiting += [WaitingContact(name, waited, held)] * count
    for where, row, name, count in rows("backlog", BACKLOG_KEYS, ("type", "age_s")):
        waiting += [WaitingContact(name, age(row, "age_s", where))] * count

    groups = scenario.agent_groups
    serving: list[ServiceContact] = []
    busy: dict[str, tuple[int, str]] = {}
    for where, row, name, count in rows("in_service", SERVICE_KEYS, ("type", "group", "elapsed_s")):
        group = row["group"]
        if group not in groups:
            raise ConfigError(join(where, "group"), f"unknown agent group {show(group)}; expected one of "
                                                    f"{', '.join(groups)}")
        if name not in groups[group].skills:
            raise ConfigError(join(where, "group"), f"group {group!r} does not take contact type {name!r} "
                                                    f"(its skills: {', '.join(groups[group].skills)})")
        serving += [ServiceContact(name, str(group), age(row, "elapsed_s", where))] * count
        n, _ = busy.get(group, (0, where))
        busy[group] = (n + count, where)

    agents: dict[str, GroupState] = {}
    raw_agents = mapping(spec.get("agents") or {}, join(path, "agents"))
    for group in raw_agents:
        if group not in groups:
            raise ConfigError(join(join(path, "agents"), str(group)), f"unknown agent group {show(group)}; expected "
                                                                      f"one of {', '.join(groups)}")
    n_rest = scenario.n_intervals - k0
    labels = [hhmm(open_s + (k0 + j) * scenario.interval_s) for j in range(n_rest)]
    for group, gspec in groups.items():
        where = join(join(path, "agents"), group)
        given = raw_agents.get(group)
        if given is not None and gspec.shifts:
            raise ConfigError(where, "this group's agents follow shifts; a state sets agents of groups with "
                                     "staffing tables only")
        g = mapping(given if given is not None else {}, where)
        check_keys(g, where, AGENT_KEYS)
        if "staffing" in g and ("absent" in g or "overtime" in g):
            raise ConfigError(join(where, "staffing"), "give either staffing (the rest of the day) or absent and "
                                                       "overtime (changes to the scenario's table), not both")
        if "staffing" in g:
            table = _per_interval(g["staffing"], join(where, "staffing"), labels, required=True)
        else:
            absent = integer(g.get("absent", 0), join(where, "absent"))
            extra = _per_interval(g.get("overtime", 0), join(where, "overtime"), labels)
            table = tuple(max(0, n - absent) + x for n, x in zip(gspec.staffing[k0:], extra))
        on_duty = integer(g["on_duty"], join(where, "on_duty")) if g.get("on_duty") is not None else None
        off = integer(g.get("logging_off", 0), join(where, "logging_off"))
        now = table[0] if on_duty is None else on_duty
        slots = gspec.concurrency.max if gspec.concurrency is not None else 1
        n_busy, busy_where = busy.get(group, (0, where))
        if n_busy > now * slots:
            raise ConfigError(busy_where, f"{n_busy} contacts in service on group {group!r} but {now} agents on "
                                          f"duty{f' holding up to {slots} each' if slots > 1 else ''} "
                                          f"(state.agents.{group}.on_duty)")
        if off > min(now, n_busy):
            raise ConfigError(join(where, "logging_off"), f"expected at most the busy agents of the group now "
                                                          f"({min(now, n_busy)}), got {off}")
        if given is not None or n_busy:
            agents[group] = GroupState(on_duty, off, table)
    waiting.sort(key=lambda c: -c.waited_s)
    return State(clock_s, tuple(waiting), tuple(serving), agents)


def _per_interval(value: Any, where: str, labels: list[str], required: bool = False) -> tuple[int, ...]:
    """Agents per remaining interval: one number for all, a list (one per remaining interval), or a
    mapping of interval start ``'HH:MM'`` -> number (the others 0, or, for ``required``, an error)."""
    n = len(labels)
    if isinstance(value, list):
        if len(value) != n:
            raise ConfigError(where, f"expected {n} values, one per remaining interval ({labels[0]} to "
                                     f"{labels[-1]}), got {len(value)}")
        return tuple(integer(v, f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(value, Mapping):
        out = [0] * n
        for key, v in value.items():
            label = str(key)
            try:
                label = hhmm(clock(key, join(where, label)))
            except ConfigError:
                raise ConfigError(join(where, label), "expected an interval start 'HH:MM' as the key") from None
            if label not in labels:
                raise ConfigError(join(where, str(key)), f"expected the start of a remaining interval "
                                                         f"({', '.join(labels[:4])}{', ...' if n > 4 else ''})")
            out[labels.index(label)] = integer(v, join(where, str(key)))
        if required and len(value) != n:
            raise ConfigError(where, f"expected a value for every remaining interval ({labels[0]} to {labels[-1]})")
        return tuple(out)
    return (integer(value, where),) * n


def state_run(run: RunSpec, state: State) -> RunSpec:
    """``run`` measuring from the state's time (its warm-up ends there)."""
    from dataclasses import replace

    return replace(run, warmup_s=state.clock_s, warmup_auto=False)


def state_to_dict(state: State, scenario: Scenario) -> dict:
    """The state as a mapping in the file's format (counts folded; :func:`parse_state` reads it back)."""
    def fold(items, key):
        out: dict = {}
        for item in items:
            k = key(item)
            out[k] = out.get(k, 0) + 1
        return out

    out: dict = {"time": hhmm(scenario.open_time_s + state.clock_s) if state.clock_s % 60 == 0
                 else _hms(scenario.open_time_s + state.clock_s)}
    waiting = fold(state.waiting, lambda c: (c.contact_type, round(c.waited_s, 3), c.callback))
    out["waiting"] = [dict(type=t, waited_s=w, **({"callback": True} if cb else {}), **({"count": n} if n > 1 else {}))
                      for (t, w, cb), n in waiting.items()]
    serving = fold(state.in_service, lambda c: (c.contact_type, c.group, round(c.elapsed_s, 3)))
    out["in_service"] = [dict(type=t, group=g, elapsed_s=e, **({"count": n} if n > 1 else {}))
                         for (t, g, e), n in serving.items()]
    out["agents"] = {g: {"on_duty": s.on_duty, "logging_off": s.logging_off, "staffing": list(s.staffing)}
                     for g, s in state.agents.items()}
    return out


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# ------------------------------------------------------------------------- running

def start_from_state(model, state: State) -> None:
    """Prepare a built :class:`~sim.model.centre.CentreModel` to run the rest of the day from ``state``:
    the rest of the day's staffing tables, and the event that puts the state in place at its time
    (called by the model's ``run`` after the flushes, staffing tables and mechanisms are scheduled)."""
    k0 = current_interval(state, model.scenario)
    for group in model.groups:
        gs = state.agents.get(group.name)
        if gs is not None and gs.staffing:
            group.staffing = tuple(group.staffing[:k0]) + tuple(gs.staffing)
    model.env.call_at(state.clock_s, _put_in_place, (model, state), priority=URGENT)


def _put_in_place(ev) -> None:
    model, state = ev.arg
    now = model.env._now
    seed, rep = model.run_spec.seed, model.replication
    by_name = {g.name: g for g in model.groups}
    # agents on duty now
    for name, gs in state.agents.items():
        group = by_name[name]
        if gs.on_duty is not None and group in model.table_groups:
            for agent in group.set_staffing(gs.on_duty, now, model._agent_ids.__next__):
                model.next_for(agent, now)
    # contacts in service, on idle agents of their group
    rngs: dict[str, Any] = {}

    def rng(kind: str, name: str):
        key = f"state:{kind}:{name}"
        if key not in rngs:
            rngs[key] = stream(seed, rep, key)
        return rngs[key]

    handle_of = {name: ct.handle_time for name, ct in model.scenario.contact_types.items()}
    by_group = {name: ct.handle_time_by_group for name, ct in model.scenario.contact_types.items()}
    for item in state.in_service:
        queue = model.queues[item.contact_type]
        group = by_name[item.group]
        dist = by_group[item.contact_type].get(item.group, handle_of[item.contact_type])
        left = residual(dist, item.elapsed_s, rng("handle", item.contact_type))
        start = now - item.elapsed_s
        contact = model.new_contact(queue, start, item.elapsed_s + left, math.inf)
        contact.seg = _segment(model, start)
        agent = _idle_agent(group)
        if agent is None:  # the state file was checked; a group short of agents takes one more
            agent = group.set_staffing(group.n_seats + 1 if group.seated else group.n_staffed + 1, now,
                                       model._agent_ids.__next__)[0]
        _serve(model, agent, contact, now, left)
    for name, gs in state.agents.items():
        if gs.logging_off:
            group = by_name[name]
            if group.seated:  # agents holding several contacts: whole seats log off when their last ends
                for seat in [s for s in group.seats if s.n and not s.leaving][-gs.logging_off:]:
                    group._seat_off(seat, now, False)
                continue
            busy = [a for a in group.members.values() if a.contact is not None and not a.leaving]
            for agent in busy[-gs.logging_off:]:
                agent.leaving = True
    # waiting contacts and the backlog, longest waiting first
    for item in state.waiting:
        queue = model.queues[item.contact_type]
        ct = model.scenario.contact_types[item.contact_type]
        arrival = now - item.waited_s
        patience = math.inf
        if ct.patience is not None and not item.callback:
            patience = residual(ct.patience, item.waited_s, rng("patience", item.contact_type))
        contact = model.new_contact(queue, arrival, queue.handle(), patience)
        contact.seg = _segment(model, arrival)
        if item.callback:
            contact.cb = 2  # CB_WAITING (sim.journeys.callbacks)
            contact.state = CALLBACK_WAITING
            queue.work += contact.handle
            queue.n += 1
            queue.waiting.append(contact)
            continue
        model.offer(contact, queue, now, False)
    # an agent left idle while held callbacks wait takes them
    held = any(item.callback for item in state.waiting)
    for group in model.groups if held else ():
        while group.idle and any(q.n for q in group.skills):
            agent = group.idle.pop()
            model.next_for(agent, now)
            if agent.contact is None:
                break


def _segment(model, t: float) -> int:
    """The measurement segment a time falls in (times before 0: the first)."""
    return min(bisect_right(model.ends, max(t, 0.0)), len(model.ends) - 1)


def _idle_agent(group):
    while group.idle:
        agent = group.idle.popleft()
        if agent.contact is None and not agent.resting:
            return agent
    return None


def _serve(model, agent, contact, now: float, left: float) -> None:
    """``agent`` is serving ``contact`` since ``now - elapsed``; its service ends ``left`` seconds from now."""
    from heapq import heappush

    from simpy.core import NORMAL

    from sim.engine.calendar import Timer

    group = agent.group
    contact.state = SERVING
    contact.wait1 = 0.0
    contact.handle1 = contact.handle
    contact.group1 = group.index
    group.served += 1
    parent = agent.parent
    if parent is not None:
        if parent.n == 0:
            parent.since = now
        parent.n += 1
    else:
        model.add_span(model.busy_area, model.n_groups, group.index, now, now + left)
    agent.contact = contact
    timer = agent.timer
    if timer is None:
        timer = agent.timer = Timer(model.env, model.service_end if parent is None else model._on_slot_end, agent)
    timer.callbacks = timer._fns
    heappush(model._queue, (now + left, NORMAL, next(model._eid), timer))


# ------------------------------------------------------------------------- snapshots

def snapshot(model) -> State:
    """The state of a running replication now (its contacts waiting and in service, its agents)."""
    now = model.env._now
    k0 = current_interval(State(now), model.scenario)
    waiting: list[WaitingContact] = []
    names = {id(q): name for name, qs in model.type_queues.items() for q in qs}
    def type_of(queue) -> str:  # a class (VIP) or sub-queue (committed routing) counts as its type's
        return names.get(id(queue)) or names.get(id(getattr(queue, "main", None))) or queue.name

    for queue in model.all_queues:
        name = type_of(queue)
        for contact in queue.waiting:
            if contact.state <= WAITING:
                waiting.append(WaitingContact(name, now - contact.t_queue, contact.state == CALLBACK_WAITING))
    serving: list[ServiceContact] = []
    agents: dict[str, GroupState] = {}
    for group in model.groups:
        off = 0
        for agent in group.members.values():
            contact = agent.contact
            if contact is None:
                continue
            wait = contact.wait1 if contact.leg == 1 else contact.wait2
            began = contact.t_queue + (0.0 if math.isnan(wait) else wait)
            name = type_of(contact.queue)
            serving.append(ServiceContact(name, group.name, now - began))
            off += agent.leaving and not group.seated
        if group.seated:
            off = sum(1 for seat in group.seats if seat.leaving and seat.n)
        if group in model.table_groups:
            on = group.n_seats if group.seated else group.n_staffed
            agents[group.name] = GroupState(on, off, tuple(group.staffing[k0:]))
    waiting.sort(key=lambda c: -c.waited_s)
    return State(now, tuple(waiting), tuple(serving), agents)
