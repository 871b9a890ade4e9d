"""Intraday re-forecast and intraday actions: the rest of today from the centre's state now.

A real-time manager knows the arrivals of each interval so far today and the centre's state now
(:mod:`sim.model.state`).  This module re-estimates the rest of the day's volume from them, projects
the service level of every remaining interval by simulating the rest of the day from the state, and
finds what brings every remaining interval back to target.

**Re-forecast** (:func:`reforecast`).  Over the whole intervals before the state's time, the actual
arrivals ``A`` (summed over the contact types in the actuals file) against the forecast ``F`` (the
scenario's rates over the same intervals and types).  The day's busyness factor ``B`` (every rate of
the day times ``B``, as ``scenario.busyness_cv`` models it, :mod:`sim.engine.arrivals`) has a gamma
prior: mean 1 and CV ``scenario.busyness_cv`` (when that is 0, the uninformative prior of shape 1/2 and
rate 0).  Arrivals so far are Poisson with mean ``B F``, so the posterior is gamma with shape ``a =
1/cv^2 + A`` and rate ``b = 1/cv^2 + F`` (``a = A + 1/2``, ``b = F`` without prior): mean ``a / b``,
CV ``1 / sqrt(a)``.  The ratio ``A / F`` is what the manager sees; the posterior is what is carried
into the simulation: the rest of the day's rates times its mean, and ``busyness_cv`` its CV, so each
replication draws its own day factor from the posterior (the uncertainty of the ratio).

**Projection** (:func:`project`): the rest of the day simulated from the state (``run.replications``
replications, one seed), the service level (and ASA, abandonment) per remaining interval and channel
with t-intervals (:class:`sim.planning.staffing.Evaluation`).

**Fewest extra agents** (:func:`fewest_extra_agents`): agents added to the remaining intervals of the
state's staffing, as the staffing optimiser searches (:mod:`sim.planning.staffing`): up, while an
interval misses a target (the mean over the replications), one agent more there for the group
carrying most of the missing channel's load; then down, one extra agent fewer for a group in every
other interval at once, kept where the interval and the next one still meet their targets; every
candidate with the same seed (common random numbers).

**Actions** (:func:`cheapest_action`): each of a list of actions (agents added over a span, e.g.
cancelled training or overtime; deferrable types paused, e.g. pulling agents off email; callbacks
opened on a contact type) simulated the same way; the cheapest that meets every remaining interval's
targets is chosen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from sim.engine.checks import boolean, check_keys, clock, hhmm, integer, join, mapping, number, show
from sim.engine.errors import ConfigError
from sim.engine.inputs import csv_rows, finite, load_yaml
from sim.journeys.config import parse_callback
from sim.model.config import SimConfig
from sim.model.state import GroupState, State, current_interval
from sim.planning.staffing import Evaluation, Targets, _owner, evaluate

__all__ = ["ACTUALS_COLUMNS", "Reforecast", "Action", "read_actuals", "reforecast", "reforecast_config", "project",
           "with_extra_agents", "fewest_extra_agents", "parse_actions", "load_actions", "apply_action", "action_cost",
           "cheapest_action", "ExtraAgents"]

ACTUALS_COLUMNS = ("interval", "contact_type", "arrivals")
ACTUALS_FILE = "an actuals CSV (interval, contact_type, arrivals)"
ACTION_KEYS = ("add_agents", "from", "to", "overtime", "pause", "callbacks", "cost")
MAX_ROUNDS = 40


# ------------------------------------------------------------------ actuals and re-forecast

def read_actuals(path: str | Path, config: SimConfig) -> dict[str, dict[int, float]]:
    """``{contact type: {interval index: arrivals}}`` from a CSV with columns ``interval`` (its start,
    ``HH:MM``), ``contact_type`` and ``arrivals``; only whole intervals before the state's time may be
    given.  Errors name ``file:line``."""
    scenario, state = config.scenario, config.state
    _, rows = csv_rows(path, ACTUALS_FILE, required=ACTUALS_COLUMNS)
    name = str(path)  # as csv_rows names the file
    k_now = int(state.clock_s // scenario.interval_s + 1e-9) if state is not None else scenario.n_intervals
    out: dict[str, dict[int, float]] = {}
    for row in rows:
        where = f"{name}:{row.line}"
        text = row.cells["interval"].strip()
        try:
            t = clock(text, where) - scenario.open_time_s
        except ConfigError:
            raise ConfigError(where, f"interval: expected an interval start 'HH:MM', got {text!r}") from None
        k = t / scenario.interval_s
        if t < 0 or abs(k - round(k)) > 1e-9 or round(k) >= scenario.n_intervals:
            raise ConfigError(where, f"interval: expected the start of an interval of the opening hours "
                                     f"({hhmm(scenario.open_time_s)}, {hhmm(scenario.open_time_s + scenario.interval_s)}, "
                                     f"...), got {text!r}")
        k = int(round(k))
        if k >= k_now:
            raise ConfigError(where, f"interval: {text} is not over at the state's time "
                                     f"({hhmm(scenario.open_time_s + state.clock_s)}); expected whole intervals before it")
        ctype = row.cells["contact_type"].strip()
        ct = scenario.contact_types.get(ctype)
        if ct is None:
            raise ConfigError(where, f"contact_type: unknown contact type {ctype!r}; expected one of "
                                     f"{', '.join(scenario.contact_types)}")
        if ct.rate_per_hour is None:
            raise ConfigError(where, f"contact_type: {ctype!r} has no arrivals of its own in the scenario")
        value = finite(row.cells["arrivals"], f"{where}", minimum=0, integer=True)
        if k in out.setdefault(ctype, {}):
            raise ConfigError(where, f"interval {text} of {ctype!r} given twice")
        out[ctype][k] = value
    return out


@dataclass(frozen=True)
class Reforecast:
    """Actual ``actual`` against forecast ``forecast`` arrivals so far; the day factor's posterior: mean
    ``factor``, CV ``factor_cv``, and its ``confidence`` interval ``[low, high]``."""

    actual: float
    forecast: float
    factor: float
    factor_cv: float
    low: float
    high: float
    confidence: float
    intervals: int

    @property
    def ratio(self) -> float:
        return self.actual / self.forecast if self.forecast > 0 else math.nan


def reforecast(config: SimConfig, actuals: Mapping[str, Mapping[int, float]], confidence: float = 0.95) -> Reforecast:
    """The day factor's posterior from the actuals (module docstring)."""
    from scipy.stats import gamma

    scenario = config.scenario
    hours = scenario.interval_s / 3600.0
    actual = forecast = 0.0
    intervals = set()
    for ctype, by_k in actuals.items():
        rates = scenario.contact_types[ctype].rate_per_hour
        for k, n in by_k.items():
            actual += n
            forecast += rates[k] * hours
            intervals.add(k)
    if forecast <= 0:
        raise ConfigError("actuals", "no forecast volume in the intervals given: expected actuals for intervals "
                                     "where the scenario forecasts arrivals")
    cv0 = scenario.busyness_cv
    if cv0 > 0:
        a, b = 1.0 / cv0 ** 2 + actual, 1.0 / cv0 ** 2 + forecast
    else:
        a, b = actual + 0.5, forecast
    tail = (1.0 - confidence) / 2.0
    return Reforecast(actual, forecast, a / b, 1.0 / math.sqrt(a), float(gamma.ppf(tail, a, scale=1 / b)),
                      float(gamma.ppf(1 - tail, a, scale=1 / b)), confidence, len(intervals))


def reforecast_config(config: SimConfig, ref: Reforecast) -> SimConfig:
    """``config`` with the rest of the day's rates times the posterior mean and the posterior's CV as
    ``busyness_cv`` (each replication draws its day factor from the posterior)."""
    scenario = config.scenario
    types = {name: ct if ct.rate_per_hour is None else replace(ct, rate_per_hour=tuple(r * ref.factor
                                                                                      for r in ct.rate_per_hour))
             for name, ct in scenario.contact_types.items()}
    return replace(config, scenario=replace(scenario, contact_types=types, busyness_cv=ref.factor_cv))


# ------------------------------------------------------------------ projection and extra agents

def _remaining(config: SimConfig) -> tuple[int, int]:
    k0 = current_interval(config.state, config.scenario)
    return k0, config.scenario.n_intervals - k0


def with_extra_agents(config: SimConfig, extra: Mapping[str, list[int]]) -> SimConfig:
    """``config`` whose state has ``extra[group][j]`` more agents in the ``j``-th remaining interval
    (the current one first: they log in at the state's time)."""
    state: State = config.state
    k0, n = _remaining(config)
    agents = dict(state.agents)
    for g, add in extra.items():
        if len(add) != n:
            raise ValueError(f"extra agents of {g!r}: expected {n} values (one per remaining interval), got {len(add)}")
        if not any(add):
            continue
        spec = config.scenario.agent_groups[g]
        gs = agents.get(g) or GroupState(None, 0, tuple(spec.staffing[k0:]))
        table = tuple(a + b for a, b in zip(gs.staffing, add))
        on = None if gs.on_duty is None else gs.on_duty + add[0]
        agents[g] = GroupState(on, gs.logging_off, table)
    return replace(config, state=replace(state, agents=agents))


def project(config: SimConfig, targets: Targets = Targets()) -> Evaluation:
    """The rest of the day from ``config.state``: KPIs per remaining interval and channel."""
    return evaluate(config, {}, targets)


@dataclass
class ExtraAgents:
    """The fewest extra agents found: ``extra[group][j]`` in the ``j``-th remaining interval, the
    evaluation with them, whether every remaining interval meets its targets, and the staffings simulated."""

    extra: dict[str, list[int]]
    evaluation: Evaluation
    feasible: bool
    evaluations: int
    before: Evaluation


def fewest_extra_agents(config: SimConfig, targets: Targets = Targets(), *, max_rounds: int = MAX_ROUNDS,
                        progress: Callable[[str], None] | None = None) -> ExtraAgents:
    """Add agents where the projection misses a target, one per missing interval and round, to the group
    carrying most of the missing channel's load there (as :func:`sim.planning.staffing.optimise_staffing`
    adds), until every remaining interval meets its targets or ``max_rounds`` rounds have run."""
    say = progress or (lambda message: None)
    groups = list(config.scenario.agent_groups)
    k0, n = _remaining(config)
    owner = _owner(config)
    extra = {g: [0] * n for g in groups}
    first = ev = project(config, targets)
    count, rounds = 1, 0
    while not ev.interval_met.all() and rounds < max_rounds:
        rounds += 1
        ks = ev.interval_index(config.scenario.interval_s)
        for i in np.flatnonzero(~ev.interval_met):
            k = int(ks[i])
            for g in sorted({groups[owner[c][k]] for j, c in enumerate(ev.channels) if not ev.met[i, j]}):
                extra[g][k - k0] += 1
        ev = project(with_extra_agents(config, extra), targets)
        count += 1
        say(f"round {rounds}: {int((~ev.interval_met).sum())} intervals miss, {sum(map(sum, extra.values()))} "
            f"extra agent-intervals")
    feasible = bool(ev.interval_met.all())
    # down: one extra agent fewer for a group in every other interval at once (as the staffing optimiser's
    # down phase); an interval whose removal makes it or the next one miss keeps its agent
    fixed = {g: set() for g in groups}
    changed = feasible
    while changed and rounds < 4 * max_rounds:
        changed = False
        for g in groups:
            for parity in (0, 1):
                chosen = {j for j in range(parity, n, 2) if extra[g][j] > 0} - fixed[g]
                if not chosen:
                    continue
                rounds += 1
                trial = {h: [x - (h == g and j in chosen) for j, x in enumerate(v)] for h, v in extra.items()}
                tev = project(with_extra_agents(config, trial), targets)
                count += 1
                met = _met_by_remaining(tev, config, k0, n)
                ok = {j for j in chosen if met[j] and (j + 1 == n or met[j + 1])}
                fixed[g] |= chosen - ok
                if ok and ok != chosen:
                    trial = {h: [x - (h == g and j in ok) for j, x in enumerate(v)] for h, v in extra.items()}
                    tev = project(with_extra_agents(config, trial), targets)
                    count += 1
                if ok and tev.interval_met.all():
                    extra, ev, changed = trial, tev, True
                    say(f"down: {g} -1 in {len(ok)} intervals, {sum(map(sum, extra.values()))} extra agent-intervals")
                elif ok:
                    fixed[g] |= ok
    return ExtraAgents(extra, ev, feasible, count, first)


def _met_by_remaining(ev: Evaluation, config: SimConfig, k0: int, n: int) -> np.ndarray:
    """Whether each remaining interval (the current one first) meets its targets; an interval not
    reported (the current one, when the state falls inside it) counts as met."""
    met = np.ones(n, dtype=bool)
    for i, k in enumerate(ev.interval_index(config.scenario.interval_s)):
        met[int(k) - k0] = ev.interval_met[i]
    return met


# ------------------------------------------------------------------ actions

@dataclass(frozen=True)
class Action:
    """An intraday action: ``add_agents`` (group -> agents) from ``start`` to ``end`` (clock seconds; overtime
    paid at the premium when ``overtime``), ``pause`` (contact types no group works for the rest of the
    day, e.g. email: their agents go to live work), ``callbacks`` (contact type -> callback rule turned
    on), and its ``cost`` (``None``: agent-hours x wage)."""

    name: str
    add_agents: Mapping[str, int] = field(default_factory=dict)
    start: float | None = None
    end: float | None = None
    overtime: bool = False
    pause: tuple[str, ...] = ()
    callbacks: Mapping[str, Any] = field(default_factory=dict)
    cost: float | None = None


def load_actions(path: str | Path, config: SimConfig) -> list[Action]:
    """Read and check an actions YAML; errors name the file and key path (``actions.overtime.from``)."""
    raw = load_yaml(path, "an actions YAML (name: {add_agents, from, to, overtime, pause, callbacks, cost})")
    try:
        return parse_actions(raw, config)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err.where}", err.message) from None


def parse_actions(raw: Any, config: SimConfig, path: str = "actions") -> list[Action]:
    scenario = config.scenario
    open_s, close_s = scenario.open_time_s, scenario.open_time_s + scenario.length_s
    now = open_s + (config.state.clock_s if config.state is not None else 0.0)
    spec = mapping(raw, path)
    if not spec:
        raise ConfigError(path, "expected at least one action")
    out = []
    for name, a in spec.items():
        where = join(path, str(name))
        a = mapping(a, where)
        check_keys(a, where, ACTION_KEYS)
        add = {}
        for g, v in mapping(a.get("add_agents") or {}, join(where, "add_agents")).items():
            if g not in scenario.agent_groups:
                raise ConfigError(join(join(where, "add_agents"), str(g)), f"unknown agent group {show(g)}; expected "
                                                                           f"one of {', '.join(scenario.agent_groups)}")
            if scenario.agent_groups[g].shifts:
                raise ConfigError(join(join(where, "add_agents"), str(g)), "this group follows shifts; actions add "
                                                                           "agents to groups with staffing tables")
            add[str(g)] = integer(v, join(join(where, "add_agents"), str(g)), minimum=1)
        start = clock(a["from"], join(where, "from")) if a.get("from") is not None else now
        end = clock(a["to"], join(where, "to")) if a.get("to") is not None else close_s
        if not now <= start < end <= close_s:
            raise ConfigError(join(where, "from" if a.get("from") is not None else "to"),
                              f"expected a span from the state's time {hhmm(now)} to the closing {hhmm(close_s)}, "
                              f"got {hhmm(start)}-{hhmm(end)}")
        pause = a.get("pause") or []
        if not isinstance(pause, list):
            raise ConfigError(join(where, "pause"), f"expected a list of contact types, got {show(pause)}")
        for i, t in enumerate(pause):
            if t not in scenario.contact_types:
                raise ConfigError(f"{where}.pause[{i}]", f"unknown contact type {show(t)}; expected one of "
                                                         f"{', '.join(scenario.contact_types)}")
        callbacks = {}
        for t, rule in mapping(a.get("callbacks") or {}, join(where, "callbacks")).items():
            if t not in scenario.contact_types:
                raise ConfigError(join(join(where, "callbacks"), str(t)), f"unknown contact type {show(t)}; expected "
                                                                          f"one of {', '.join(scenario.contact_types)}")
            callbacks[str(t)] = parse_callback(rule, join(join(where, "callbacks"), str(t)))
        cost = number(a["cost"], join(where, "cost")) if a.get("cost") is not None else None
        if not (add or pause or callbacks):
            raise ConfigError(where, "expected at least one of add_agents, pause, callbacks")
        out.append(Action(str(name), add, start, end,
                          boolean(a.get("overtime", False), join(where, "overtime")), tuple(pause), callbacks, cost))
    return out


def _span_agents(config: SimConfig, action: Action) -> list[float]:
    """The share of each remaining interval inside the action's span."""
    s = config.scenario
    k0, n = _remaining(config)
    out = []
    for j in range(n):
        lo = s.open_time_s + (k0 + j) * s.interval_s
        hi = lo + s.interval_s
        out.append(max(0.0, min(hi, action.end) - max(lo, action.start)) / s.interval_s)
    return out


def apply_action(config: SimConfig, action: Action) -> SimConfig:
    """``config`` with ``action`` taken (agents for each remaining interval mostly inside its span)."""
    s = config.scenario
    if action.add_agents:
        share = _span_agents(config, action)
        extra = {g: [n if x >= 0.5 else 0 for x in share] for g, n in action.add_agents.items()}
        config = with_extra_agents(config, extra)
    if action.pause or action.callbacks:
        groups = {g: replace(spec, skills=tuple(t for t in spec.skills if t not in action.pause))
                  for g, spec in s.agent_groups.items()} if action.pause else s.agent_groups
        types = {t: replace(ct, callback=action.callbacks[t]) if t in action.callbacks else ct
                 for t, ct in s.contact_types.items()}
        config = replace(config, scenario=replace(config.scenario, agent_groups=groups, contact_types=types))
    return config


def action_cost(config: SimConfig, action: Action) -> float:
    """The action's ``cost`` if given, else its added agent-hours x the group's wage (x the overtime
    premium for overtime; 1 per agent-hour without a wage)."""
    if action.cost is not None:
        return action.cost
    costs = config.scenario.costs
    share = _span_agents(config, action)
    hours = config.scenario.interval_s / 3600.0
    total = 0.0
    for g, n in action.add_agents.items():
        wage = costs.wage_per_hour.get(g, 1.0) if costs is not None else 1.0
        premium = (costs.overtime_premium if costs is not None else 1.5) if action.overtime else 1.0
        total += n * sum(1 for x in share if x >= 0.5) * hours * wage * premium
    return total


def cheapest_action(config: SimConfig, actions: list[Action], targets: Targets = Targets(), *,
                    progress: Callable[[str], None] | None = None) -> tuple[pd.DataFrame, dict[str, Evaluation]]:
    """Each action simulated (the same seed: common random numbers); a table of the actions: those meeting
    every remaining interval's targets (``meets_all``), cheapest first, then the others, fewest intervals
    missed and smallest shortfall (``worst_margin``) first; and the evaluations by action name (``"none"``:
    no action)."""
    say = progress or (lambda message: None)
    evaluations = {"none": project(config, targets)}
    rows = [{"action": "none", "cost": 0.0, "meets_all": bool(evaluations["none"].interval_met.all()),
             "intervals_missed": int((~evaluations["none"].interval_met).sum())}]
    for action in actions:
        ev = project(apply_action(config, action), targets)
        evaluations[action.name] = ev
        rows.append({"action": action.name, "cost": action_cost(config, action),
                     "meets_all": bool(ev.interval_met.all()), "intervals_missed": int((~ev.interval_met).sum())})
        say(f"{action.name}: {rows[-1]['intervals_missed']} intervals miss")
    for row in rows:
        ev = evaluations[row["action"]]
        margin = ev.margin()
        row["worst_margin"] = float(np.nanmin(margin)) if np.isfinite(margin).any() else math.nan
    table = pd.DataFrame(rows)
    meets = table[table["meets_all"]].sort_values("cost", kind="stable")
    others = table[~table["meets_all"]].sort_values(["intervals_missed", "worst_margin", "cost"],
                                                    ascending=[True, False, True], kind="stable")
    table = pd.concat([meets, others]).reset_index(drop=True)
    return table, evaluations
