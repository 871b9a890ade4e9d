"""Schedule optimiser: how many agents on each shift pattern cover a staffing requirement at least
cost, as a mixed-integer programme (``scipy.optimize.milp``).

A :class:`ShiftPlan` (YAML, e.g. ``configs/workforce/default.yaml``; :func:`load_shift_plan`) lists
shift *families*: a paid length, start times (``from``/``to``/``every_minutes``) and breaks at fixed
offsets from the start; which families each agent group may work; wages per hour; and optional limits
(headcount per group, agents per pattern).  Each family expands into one pattern per start time.

The programme (:func:`schedule`), over integer agents ``x[p] >= 0`` per (group, pattern) and
continuous shortfalls ``u[g, t] >= 0``::

    minimise   sum_p wage[g(p)] * paid_hours[p] * x[p]  +  PENALTY * sum_{g,t} u[g, t]
    subject to sum_{p of g} cover[p, t] * x[p] + u[g, t] >= required[g, t]    for every group and interval
               sum_{p of g} x[p] <= max_headcount[g];   sum_{p of g in family f} x[p] <= max_agents[f];
               x[p] <= max_per_pattern

``cover[p, t]`` is the share of interval ``t`` the pattern is on duty (breaks excluded).  The
shortfalls make the programme always feasible: with no limits binding they are 0 and the roster
covers the requirement; otherwise the intervals with ``u > 0`` are reported as uncovered instead of
failing.  The roster's staffing for simulation is the on-duty time-average per interval rounded
down (:attr:`Roster.staffing`), so it never claims more agents than the roster has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from sim.engine.checks import check_keys, clock, hhmm, integer, join, mapping, number
from sim.engine.errors import ConfigError
from sim.engine.inputs import load_yaml
from sim.engine.options import LIMITS
from sim.model.config import Scenario
from sim.workforce.config import Break, parse_breaks

__all__ = ["Break", "ShiftFamily", "ShiftPlan", "Pattern", "Roster", "load_shift_plan", "expand_patterns",
           "coverage_matrix", "schedule", "PENALTY"]

PENALTY = 1e6  # cost of one agent-interval not covered: far above any wage, so coverage comes first
PLAN_KEYS = ("families", "groups", "wage_per_hour", "max_headcount", "max_per_pattern")
FAMILY_KEYS = ("length_hours", "starts", "breaks", "max_agents")
START_KEYS = ("from", "to", "every_minutes")


@dataclass(frozen=True)
class ShiftFamily:
    """Shifts of one paid length and break pattern, at several start times (clock seconds)."""

    name: str
    length_hours: float
    starts_s: tuple[float, ...]
    breaks: tuple[Break, ...] = ()
    max_agents: int | None = None  # agents of one group on this family, all starts together


@dataclass(frozen=True)
class ShiftPlan:
    families: Mapping[str, ShiftFamily]
    groups: Mapping[str, tuple[str, ...]]  # agent group -> families it may work
    wage_per_hour: Mapping[str, float]
    max_headcount: Mapping[str, int] = field(default_factory=dict)
    max_per_pattern: int | None = None


@dataclass(frozen=True)
class Pattern:
    """One family at one start: ``group``, ``name`` (``family@hh:mm``), start (clock s), paid hours."""

    group: str
    family: str
    name: str
    start_s: float
    paid_hours: float
    breaks: tuple[Break, ...]


def _clock(value: Any, where: str) -> float:
    return clock(value, where)


def load_shift_plan(source: str | Path | Mapping[str, Any], scenario: Scenario) -> ShiftPlan:
    """Read and check a shift plan against ``scenario`` (groups, opening hours); errors name the key
    (``shifts.families.full_time.length_hours``), after the file's name when read from a file. The file
    is read by :func:`sim.engine.inputs.load_yaml` (plain YAML data only; faults named ``file:line``)."""
    if not isinstance(source, (str, Path)):
        return _shift_plan(source, scenario)
    raw = load_yaml(source, "a shift plan YAML (families, groups, wage_per_hour)")
    try:
        return _shift_plan(raw, scenario)
    except ConfigError as err:
        raise ConfigError(f"{source}: {err.where}", err.message) from None


def _headcount(value: Any, where: str) -> int:
    """A limit on agents: a whole number from 0 to ``LIMITS["agents"]``."""
    n = integer(value, where, minimum=0)
    if n > LIMITS["agents"]:
        raise ConfigError(where, f"expected at most {LIMITS['agents']:,} agents, got {n:,}")
    return n


def _shift_plan(raw: Any, scenario: Scenario) -> ShiftPlan:
    raw = mapping(raw, "shifts")
    check_keys(raw, "shifts", PLAN_KEYS, required=("families", "groups", "wage_per_hour"))
    open_s, close_s = scenario.open_time_s, scenario.open_time_s + scenario.length_s
    families = {}
    for name, spec in mapping(raw["families"], "shifts.families").items():
        where = join("shifts.families", str(name))
        spec = mapping(spec, where)
        check_keys(spec, where, FAMILY_KEYS, required=("length_hours", "starts"))
        length = number(spec["length_hours"], join(where, "length_hours"), positive=True)
        starts = mapping(spec["starts"], join(where, "starts"))
        check_keys(starts, join(where, "starts"), START_KEYS, required=("from",))
        first = _clock(starts["from"], join(where, "starts.from"))
        last = _clock(starts.get("to", starts["from"]), join(where, "starts.to"))
        every = number(starts.get("every_minutes", 30), join(where, "starts.every_minutes"), minimum=1.0,
                       unit="minutes")
        if last < first:
            raise ConfigError(join(where, "starts.to"), "expected a time no earlier than starts.from")
        times = tuple(first + k * every * 60 for k in range(int(math.floor((last - first) / (every * 60) + 1e-9)) + 1))
        for t in times:
            if t < open_s - 1e-9 or t + length * 3600 > close_s + 1e-9:
                raise ConfigError(where, f"a shift starting at {hhmm(t)} for {length:g} h falls outside the opening "
                                         f"hours {hhmm(open_s)}-{hhmm(close_s)}")
        breaks = parse_breaks(spec.get("breaks"), join(where, "breaks"), length)
        cap = spec.get("max_agents")
        cap = None if cap is None else _headcount(cap, join(where, "max_agents"))
        families[str(name)] = ShiftFamily(str(name), float(length), times, tuple(breaks), cap)
    groups = {}
    for g, names in mapping(raw["groups"], "shifts.groups").items():
        where = join("shifts.groups", str(g))
        if g not in scenario.agent_groups:
            raise ConfigError(where, f"unknown agent group; expected one of {', '.join(scenario.agent_groups)}")
        if not isinstance(names, (list, tuple)) or not names:
            raise ConfigError(where, f"expected a non-empty list of shift families, got {names!r}")
        for n in names:
            if n not in families:
                raise ConfigError(where, f"unknown shift family {n!r}; expected one of {', '.join(families)}")
        groups[str(g)] = tuple(str(n) for n in names)
    wages = {}
    for g, w in mapping(raw["wage_per_hour"], "shifts.wage_per_hour").items():
        where = join("shifts.wage_per_hour", str(g))
        if g not in scenario.agent_groups:
            raise ConfigError(where, f"unknown agent group; expected one of {', '.join(scenario.agent_groups)}")
        wages[str(g)] = number(w, where, minimum=0)
    for g in groups:
        if g not in wages:
            raise ConfigError(join("shifts.wage_per_hour", g), "missing: every scheduled group needs a wage")
    heads = {}
    for g, h in mapping(raw.get("max_headcount") or {}, "shifts.max_headcount").items():
        if g not in groups:
            raise ConfigError(join("shifts.max_headcount", str(g)), f"not a scheduled group ({', '.join(groups)})")
        heads[str(g)] = _headcount(h, join("shifts.max_headcount", str(g)))
    per = raw.get("max_per_pattern")
    per = None if per is None else _headcount(per, "shifts.max_per_pattern")
    return ShiftPlan(families, groups, wages, heads, per)


def expand_patterns(plan: ShiftPlan) -> list[Pattern]:
    """Every (group, family, start) the plan allows, in a fixed order."""
    out = []
    for g, names in plan.groups.items():
        for n in names:
            f = plan.families[n]
            for start in f.starts_s:
                out.append(Pattern(g, n, f"{n}@{hhmm(start)}", start, f.length_hours, f.breaks))
    return out


def coverage_matrix(patterns: Sequence[Pattern], scenario: Scenario) -> np.ndarray:
    """(patterns, intervals): share of each interval a pattern's agent is on duty, breaks excluded."""
    n, dt = scenario.n_intervals, scenario.interval_s
    lo = scenario.open_time_s + dt * np.arange(n)
    hi = lo + dt
    out = np.zeros((len(patterns), n))
    for k, p in enumerate(patterns):
        spans = [(p.start_s, p.start_s + p.paid_hours * 3600)]
        off = [(p.start_s + b.after_hours * 3600, p.start_s + b.after_hours * 3600 + b.minutes * 60) for b in p.breaks]
        on = np.zeros(n)
        for a, b in spans:
            on += np.clip(np.minimum(hi, b) - np.maximum(lo, a), 0, None)
        for a, b in off:
            on -= np.clip(np.minimum(hi, b) - np.maximum(lo, a), 0, None)
        out[k] = on / dt
    return out


@dataclass
class Roster:
    """The MILP's answer: agents per pattern, what they cover, the cost and what is left uncovered."""

    patterns: list[Pattern]
    agents: np.ndarray  # per pattern
    cover: np.ndarray  # (patterns, intervals)
    required: dict[str, np.ndarray]
    groups: tuple[str, ...]
    wage_per_hour: Mapping[str, float]
    status: str

    def covered(self, group: str) -> np.ndarray:
        """Time-average agents on duty per interval (breaks excluded)."""
        rows = [k for k, p in enumerate(self.patterns) if p.group == group]
        return self.agents[rows] @ self.cover[rows] if rows else np.zeros(self.cover.shape[1])

    @property
    def staffing(self) -> dict[str, list[int]]:
        """Whole agents per interval for the simulation: the on-duty average rounded down."""
        return {g: [int(math.floor(v + 1e-9)) for v in self.covered(g)] for g in self.groups}

    @property
    def cost(self) -> float:
        return float(sum(self.wage_per_hour[p.group] * p.paid_hours * a for p, a in zip(self.patterns, self.agents)))

    def shifts_table(self) -> pd.DataFrame:
        rows = [{"group": p.group, "family": p.family, "pattern": p.name, "start": hhmm(p.start_s),
                 "paid_hours": p.paid_hours, "agents": int(a), "cost": self.wage_per_hour[p.group] * p.paid_hours * a}
                for p, a in zip(self.patterns, self.agents) if a > 0]
        return pd.DataFrame(rows, columns=["group", "family", "pattern", "start", "paid_hours", "agents", "cost"])

    def coverage_table(self, scenario: Scenario) -> pd.DataFrame:
        """One row per group and interval: required, covered (on-duty average), staffing (whole), gap."""
        rows = []
        for g in self.groups:
            cov = self.covered(g)
            for t in range(scenario.n_intervals):
                rows.append({"group": g, "interval": hhmm(scenario.open_time_s + t * scenario.interval_s),
                             "required": int(self.required[g][t]), "covered": round(float(cov[t]), 4),
                             "staffing": int(math.floor(cov[t] + 1e-9)),
                             "gap": round(max(0.0, float(self.required[g][t] - cov[t])), 4)})
        return pd.DataFrame(rows)

    def uncovered(self, scenario: Scenario) -> pd.DataFrame:
        table = self.coverage_table(scenario)
        return table[table["gap"] > 1e-6].reset_index(drop=True)


def _requirement(values: Any, where: str, n: int) -> np.ndarray:
    """A group's requirement: ``n`` whole numbers of agents from 0 to ``LIMITS["agents"]``."""
    if not isinstance(values, (list, tuple, np.ndarray)):
        raise ConfigError(where, f"expected a list of {n} whole numbers of agents, got {type(values).__name__}")
    if len(values) != n:
        raise ConfigError(where, f"expected {n} intervals, got {len(values)}")
    for t, v in enumerate(values):
        if (isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v)
                or v != int(v) or not 0 <= v <= LIMITS["agents"]):
            raise ConfigError(f"{where}[{t}]", f"expected a whole number of agents from 0 to {LIMITS['agents']:,}, "
                                               f"got {v!r}")
    return np.asarray(values, dtype=float)


def schedule(plan: ShiftPlan, required: Mapping[str, Sequence[int]], scenario: Scenario, *,
             time_limit_s: float = 60.0) -> Roster:
    """Least-cost roster covering ``required`` (agents per group and interval), or as much of it as the
    limits allow (see the module docstring)."""
    groups = tuple(g for g in plan.groups if g in required)
    for g in required:
        if g not in plan.groups:
            raise ConfigError(join("shifts.groups", g), "missing: the requirement staffs this group but the plan "
                                                        "gives it no shift families")
    patterns = [p for p in expand_patterns(plan) if p.group in groups]
    cover = coverage_matrix(patterns, scenario)
    n_p, n_t = len(patterns), scenario.n_intervals
    n_u = len(groups) * n_t
    cost = np.array([plan.wage_per_hour[p.group] * p.paid_hours for p in patterns] + [PENALTY] * n_u)
    rows, lower = [], []
    for gi, g in enumerate(groups):
        req = _requirement(required[g], f"required.{g}", n_t)
        for t in range(n_t):
            row = np.zeros(n_p + n_u)
            for k, p in enumerate(patterns):
                if p.group == g:
                    row[k] = cover[k, t]
            row[n_p + gi * n_t + t] = 1.0
            rows.append(row)
            lower.append(req[t])
    constraints = [LinearConstraint(np.array(rows), np.array(lower), np.inf)]
    for g, cap in plan.max_headcount.items():
        if g in groups:
            row = np.array([1.0 if p.group == g else 0.0 for p in patterns] + [0.0] * n_u)
            constraints.append(LinearConstraint(row[None, :], -np.inf, cap))
    for g in groups:
        for name in plan.groups[g]:
            cap = plan.families[name].max_agents
            if cap is not None:
                row = np.array([1.0 if (p.group == g and p.family == name) else 0.0 for p in patterns] + [0.0] * n_u)
                constraints.append(LinearConstraint(row[None, :], -np.inf, cap))
    upper = np.full(n_p + n_u, np.inf)
    if plan.max_per_pattern is not None:
        upper[:n_p] = plan.max_per_pattern
    integrality = np.array([1] * n_p + [0] * n_u)
    res = milp(cost, integrality=integrality, bounds=Bounds(0, upper), constraints=constraints,
               options={"time_limit": time_limit_s})
    if res.x is None:
        raise RuntimeError(f"the schedule programme found no solution: {res.message}")
    agents = np.round(res.x[:n_p]).astype(int)
    return Roster(patterns, agents, cover, {g: np.asarray(required[g], dtype=float) for g in groups}, groups,
                  plan.wage_per_hour, "optimal" if res.status == 0 else str(res.message))

