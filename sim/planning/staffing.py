"""Staffing optimiser: the fewest agents per group and interval that meet the targets, found by
simulation with common random numbers, seeded by Erlang.

The targets (:class:`Targets`) hold in every interval and channel where contacts are offered: the
channel's service level at least its ``service_level_target`` (and optionally ASA at most
``max_asa_s``, abandonment at most ``max_abandon_rate``), judged on the mean over the replications
of each candidate staffing.  Every candidate runs with the same seed, so two staffings see the same
customers (common random numbers) and their difference is the staffing's, not the noise's.

The search (:func:`optimise_staffing`):

1. **Seed** (:func:`erlang_seed`): each contact type's offered load per interval (arrival rate x
   mean handle time; escalation queues get the escalated share of their source, transfer graphs the
   rates of their traffic equations) goes to the groups
   that rank the type highest in their skills, split evenly; each group gets, per interval, the
   Erlang A staffing (Erlang C for channels without patience) of its pooled load, at the goal of its
   strictest channel (shortest service-level threshold) and that channel's mean handle time.
2. **Up**: while some interval misses a target, add one agent, in each missing interval, to the
   group carrying most of the missing channel's load there; simulate again.
3. **Down**: for each group, remove one agent in every other interval at once (even intervals, then
   odd ones); an interval whose removal makes it or the next interval (which inherits its backlog)
   miss a target keeps its agent and becomes *binding* for the group; the others lose theirs if the
   whole day still meets the targets.  Repeat until no agent can go.  Removing agents never helps
   another interval, so a binding interval stays binding.

:func:`erlang_c_requirement` (per channel, the fewest agents meeting the channel's goal in an Erlang
C model of the interval, summed over channels) is what a spreadsheet would give, for comparison.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from sim.engine.distributions import Distribution
from sim.erlang import agents_for_service_level
from sim.experiments.executors import map_replications
from sim.experiments.stats import share_interval, t_interval
from sim.model.config import SimConfig

__all__ = ["Targets", "Evaluation", "StaffingResult", "Plan", "erlang_seed", "erlang_c_requirement", "offered_load",
           "evaluate", "optimise_staffing", "plan_staffing", "verify", "with_staffing", "load_by_group"]

KPIS = ("service_level", "asa_s", "abandon_rate")
MAX_ROUNDS = 60


@dataclass(frozen=True)
class Targets:
    """Per channel: the service-level goal of the scenario's channel (``service_level``), and optional
    caps on ASA (s) and abandonment rate.  ``channels``: the channels held to targets (default all)."""

    service_level: bool = True
    max_asa_s: Mapping[str, float] = field(default_factory=dict)
    max_abandon_rate: Mapping[str, float] = field(default_factory=dict)
    channels: tuple[str, ...] | None = None


def _mean_s(d: Distribution) -> float:
    return float(np.mean(d.samples_s)) if d.kind == "empirical" else float(d.mean_s)


def _rates(config: SimConfig) -> dict[str, np.ndarray]:
    s = config.scenario
    rates = {t: np.asarray(ct.rate_per_hour, float) if ct.rate_per_hour is not None else np.zeros(s.n_intervals)
             for t, ct in s.contact_types.items()}
    if any(ct.transfers is not None for ct in s.contact_types.values()):
        return _transfer_rates(config, rates)
    for t, ct in s.contact_types.items():
        if ct.escalation is not None and ct.escalation.probability > 0:
            rates[ct.escalation.to] = rates[ct.escalation.to] + rates[t] * ct.escalation.probability
    return rates


def _transfer_rates(config: SimConfig, own: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The rates of a scenario with transfer graphs (:mod:`sim.journeys.transfers`): each type's own
    arrivals plus the contacts transferred to it, in the same interval, hop by hop (a type transfers
    on only contacts transferred fewer than its ``max_hops`` times; default probabilities, not per
    group): the traffic equations of the graph, cut at the hop limits."""
    types = config.scenario.contact_types
    total = {t: r.copy() for t, r in own.items()}
    level = own  # arrivals at each type of contacts transferred h times so far
    for h in range(max((ct.transfers.max_hops for ct in types.values() if ct.transfers is not None), default=1)):
        nxt = {t: np.zeros_like(r) for t, r in own.items()}
        for t, ct in types.items():
            if ct.transfers is not None:
                if h < ct.transfers.max_hops:
                    for d in ct.transfers.destinations:
                        nxt[d.to] += level[t] * d.probability
            elif ct.escalation is not None and h == 0:
                nxt[ct.escalation.to] += level[t] * ct.escalation.probability
        for t in total:
            total[t] += nxt[t]
        level = nxt
    return total


def offered_load(config: SimConfig) -> dict[str, np.ndarray]:
    """Offered load (Erlangs) per contact type and interval: arrival rate x mean handle time; an
    escalation queue gets its sources' rates x escalation probability (with transfer graphs, the
    rates of the graph's traffic equations)."""
    return {t: r * _mean_s(config.scenario.contact_types[t].handle_time) / 3600.0
            for t, r in _rates(config).items()}


def _channel_stats(config: SimConfig, channel: str, i: int) -> tuple[float, float, float | None]:
    """(rate per hour, mean handle time s, mean patience s or None) of a channel in interval ``i``."""
    s = config.scenario
    rates = _rates(config)
    types = [t for t, ct in s.contact_types.items() if ct.channel == channel]
    rate = sum(rates[t][i] for t in types)
    if rate <= 0:
        return 0.0, 1.0, None
    aht = sum(rates[t][i] * _mean_s(s.contact_types[t].handle_time) for t in types) / rate
    patient = [t for t in types if s.contact_types[t].patience is not None and rates[t][i] > 0]
    patience = (sum(rates[t][i] * _mean_s(s.contact_types[t].patience) for t in patient)
                / sum(rates[t][i] for t in patient)) if patient else None
    return rate, aht, patience


def _erlang(rate: float, aht: float, threshold_s: float, target: float, patience: float | None) -> int:
    if rate <= 0:
        return 0
    return agents_for_service_level(rate, aht, threshold_s, min(max(target, 1e-6), 0.999), patience)


def _primary_groups(config: SimConfig) -> dict[str, list[str]]:
    """Contact type -> the groups ranking it highest in their skills."""
    out = {}
    for t in config.scenario.contact_types:
        ranks = {g: spec.skills.index(t) for g, spec in config.scenario.agent_groups.items() if t in spec.skills}
        best = min(ranks.values())
        out[t] = [g for g, r in ranks.items() if r == best]
    return out


def load_by_group(config: SimConfig) -> dict[str, dict[str, np.ndarray]]:
    """Group -> channel -> load (Erlangs per interval) the seed rule assigns to the group."""
    load = offered_load(config)
    s = config.scenario
    out = {g: {c: np.zeros(s.n_intervals) for c in s.channels} for g in s.agent_groups}
    for t, groups in _primary_groups(config).items():
        for g in groups:
            out[g][s.contact_types[t].channel] += load[t] / len(groups)
    return out


def erlang_seed(config: SimConfig) -> dict[str, list[int]]:
    """Seed staffing per group and interval (see the module docstring); 0 where the group has no load."""
    s = config.scenario
    seed = {}
    for g, by_channel in load_by_group(config).items():
        counts = []
        for i in range(s.n_intervals):
            channels = [c for c in s.channels if by_channel[c][i] > 0]
            if not channels:
                counts.append(0)
                continue
            goal = min(channels, key=lambda c: s.channels[c].service_level_threshold_s)
            _, aht, patience = _channel_stats(config, goal, i)
            load = sum(by_channel[c][i] for c in channels)
            spec = s.channels[goal]
            counts.append(_erlang(load * 3600.0 / aht, aht, spec.service_level_threshold_s,
                                  spec.service_level_target, patience))
        seed[g] = counts
    return seed


def erlang_c_requirement(config: SimConfig) -> list[int]:
    """Per interval: the sum over channels of the Erlang C agents meeting each channel's goal
    (no abandonment, no skills, no pooling between channels)."""
    s = config.scenario
    out = []
    for i in range(s.n_intervals):
        total = 0
        for c, spec in s.channels.items():
            rate, aht, _ = _channel_stats(config, c, i)
            total += _erlang(rate, aht, spec.service_level_threshold_s, spec.service_level_target, None)
        out.append(total)
    return out


def with_staffing(config: SimConfig, staffing: Mapping[str, list[int]]) -> SimConfig:
    """``config`` with the given groups' staffing tables replaced (their shifts, if any, dropped)."""
    groups = dict(config.scenario.agent_groups)
    for g, counts in staffing.items():
        groups[g] = replace(groups[g], staffing=tuple(int(n) for n in counts), shifts=(), shrinkage=None)
    return replace(config, scenario=replace(config.scenario, agent_groups=groups))


@dataclass
class Evaluation:
    """KPIs of one staffing per reported interval and channel over the replications: ``values[kpi]``
    has shape (replications, intervals, channels); ``offered`` the mean offered; ``met`` whether every
    target holds (intervals x channels; True where nothing is offered)."""

    staffing: dict[str, list[int]]
    channels: tuple[str, ...]
    interval_start_s: np.ndarray
    values: dict[str, np.ndarray]
    offered: np.ndarray
    met: np.ndarray

    targets_sl: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per channel; NaN if not held
    caps_asa: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per channel: ASA cap (s); NaN if none
    caps_abandon: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per channel: abandonment cap; NaN

    @property
    def interval_met(self) -> np.ndarray:
        return self.met.all(axis=1)

    def interval_index(self, interval_s: float) -> np.ndarray:
        """The scenario interval of each reported interval (they start at the warm-up, end at the horizon)."""
        return np.rint(self.interval_start_s / interval_s).astype(int)

    def margin(self) -> np.ndarray:
        """Per interval: the smallest mean service level minus its target over the held channels with
        contacts offered (NaN where none)."""
        sl = _nanmean(self.values["service_level"]) - self.targets_sl[None, :]
        sl = np.where(self.offered > 0, sl, np.nan)
        out = np.full(sl.shape[0], np.nan)
        rows = np.isfinite(sl).any(axis=1)
        out[rows] = np.nanmin(sl[rows], axis=1)
        return out

    def meet_probability(self) -> np.ndarray:
        """Per interval and channel: how likely the staffing meets the channel's targets there, given the
        replications used (probability 1 where nothing is offered or no target is held).

        For each held target, the one-sided t probability that the true mean is on the right side of it:
        ``P = F_{n-1}((mean - target) / (s / sqrt(n)))`` for a service-level floor (``(cap - mean)`` for a
        cap), ``n`` the replications where the KPI is defined, ``s`` their standard deviation (the
        posterior of the mean under a flat prior).  With ``s = 0`` it is 1 or 0.  A channel with several
        targets takes the smallest."""
        from scipy.stats import t as student

        n_int, n_ch = self.offered.shape
        out = np.ones((n_int, n_ch))
        checks = [("service_level", self.targets_sl, 1.0)]
        checks += [("asa_s", self.caps_asa, -1.0), ("abandon_rate", self.caps_abandon, -1.0)]
        for kpi_name, bounds, sign in checks:
            if len(bounds) != n_ch:
                continue
            for i in range(n_int):
                for j in range(n_ch):
                    if not (np.isfinite(bounds[j]) and self.offered[i, j] > 0):
                        continue
                    x = self.values[kpi_name][:, i, j]
                    x = x[np.isfinite(x)]
                    if len(x) == 0:
                        continue
                    gap = sign * (float(np.mean(x)) - bounds[j])
                    sd = float(np.std(x, ddof=1)) if len(x) > 1 else 0.0
                    if sd == 0.0:
                        p = 1.0 if gap >= -1e-12 else 0.0
                    else:
                        p = float(student.cdf(gap / (sd / np.sqrt(len(x))), len(x) - 1))
                    out[i, j] = min(out[i, j], p)
        return out

    def interval_table(self, confidence: float = 0.95) -> pd.DataFrame:
        """One row per interval and channel: mean and t-interval of each KPI, offered, met, and the
        probability of meeting the targets given the replications (:meth:`meet_probability`)."""
        rows = []
        probability = self.meet_probability()
        for i, start in enumerate(self.interval_start_s):
            for j, ch in enumerate(self.channels):
                row = {"interval_start_s": start, "channel": ch, "offered": self.offered[i, j],
                       "met": bool(self.met[i, j]), "p_meets_target": probability[i, j]}
                for k in KPIS:  # shares with an interval inside 0-1, waits with the t-interval
                    e = (t_interval if k == "asa_s" else share_interval)(self.values[k][:, i, j], confidence)
                    row.update({k: e.mean, f"{k}_low": e.low, f"{k}_high": e.high})
                rows.append(row)
        return pd.DataFrame(rows)


def evaluate(config: SimConfig, staffing: Mapping[str, list[int]], targets: Targets = Targets()) -> Evaluation:
    """Simulate ``config`` with ``staffing`` (``run.replications``, ``run.seed``, ``run.workers``) and
    judge every interval and channel against ``targets``."""
    cfg = with_staffing(config, staffing)
    outputs = map_replications(cfg, range(cfg.run.replications))
    first = outputs[0]["intervals"]
    names = [c for c in cfg.scenario.channels]
    n_rows = len(set(first["channel"]))  # the channels, then the centre-wide rows (live, all)
    starts = first["interval_start_s"][::n_rows]
    n_int = len(starts)

    def cube(metric: str) -> np.ndarray:
        return np.stack([np.asarray(o["intervals"][metric], float).reshape(n_int, n_rows)[:, :len(names)]
                         for o in outputs])

    values = {k: cube(k) for k in KPIS}
    offered = cube("offered").mean(axis=0)
    met = np.ones((n_int, len(names)), dtype=bool)
    held = targets.channels or tuple(names)
    mean = {k: _nanmean(v) for k, v in values.items()}
    for j, ch in enumerate(names):
        if ch not in held:
            continue
        live = offered[:, j] > 0
        ok = np.ones(n_int, dtype=bool)
        if targets.service_level:
            ok &= mean["service_level"][:, j] >= cfg.scenario.channels[ch].service_level_target - 1e-12
        if ch in targets.max_asa_s:
            ok &= ~(mean["asa_s"][:, j] > targets.max_asa_s[ch])
        if ch in targets.max_abandon_rate:
            ok &= mean["abandon_rate"][:, j] <= targets.max_abandon_rate[ch] + 1e-12
        met[:, j] = ok | ~live
    sl_targets = np.asarray([cfg.scenario.channels[c].service_level_target if c in held and targets.service_level
                             else np.nan for c in names])
    asa = np.asarray([targets.max_asa_s.get(c, np.nan) if c in held else np.nan for c in names], float)
    abandon = np.asarray([targets.max_abandon_rate.get(c, np.nan) if c in held else np.nan for c in names], float)
    return Evaluation({g: list(v) for g, v in staffing.items()}, tuple(names), np.asarray(starts, float), values,
                      offered, met, sl_targets, asa, abandon)


@dataclass
class StaffingResult:
    """The optimiser's answer: ``staffing`` per group and interval, the Erlang ``seed``, the
    ``erlang_c`` requirement, the ``binding`` intervals per group, the final :class:`Evaluation`, and
    how many staffings were simulated."""

    staffing: dict[str, list[int]]
    seed: dict[str, list[int]]
    erlang_c: list[int]
    binding: dict[str, list[bool]]
    shortfall: dict[str, list[float]]  # worst margin (KPI - target, target-relative) with one agent fewer; NaN if not measured
    evaluation: Evaluation
    evaluations: int
    feasible: bool
    interval_s: float

    def requirements_table(self, open_time_s: float = 0.0, check: Evaluation | None = None,
                           staffing: Mapping[str, list[int]] | None = None) -> pd.DataFrame:
        """One row per reported interval: the staffing of each group (and whether the interval is binding
        for it), the total, the Erlang seed's total and the Erlang C requirement, whether every
        target is met, and the probability that it is given the search's replications
        (``p_meets_target``, the smallest over channels; :meth:`Evaluation.meet_probability`) and, with
        ``check`` (a fresh simulation of the plan, :func:`verify`), whether and how likely the targets
        are met there.  ``staffing``: the plan to show, if not the search's (e.g. topped up,
        :func:`plan_staffing`).  Intervals outside the measurement window keep the Erlang seed."""
        from sim.model.metrics import clock_label

        ev = self.evaluation
        shown = self.staffing if staffing is None else staffing
        p_search = ev.meet_probability().min(axis=1)
        p_check = check.meet_probability().min(axis=1) if check is not None else None
        rows = []
        for i, start in enumerate(ev.interval_start_s):
            k = int(round(start / self.interval_s))
            row = {"interval_start_s": start, "interval": clock_label(open_time_s + start)}
            for g, counts in shown.items():
                row[g] = counts[k]
                row[f"{g}_binding"] = self.binding[g][k]
            row["total"] = sum(c[k] for c in shown.values())
            row["erlang_seed_total"] = sum(c[k] for c in self.seed.values())
            row["erlang_c"] = self.erlang_c[k]
            row["targets_met"] = bool(ev.interval_met[i])  # in the search (its own customers)
            row["p_meets_target"] = float(p_search[i])
            if check is not None:
                row["check_targets_met"] = bool(check.interval_met[i])
                row["check_p_meets_target"] = float(p_check[i])
            rows.append(row)
        return pd.DataFrame(rows)


def _owner(config: SimConfig) -> dict[str, np.ndarray]:
    """Channel -> index of the group with most of the channel's seed load, per interval."""
    share = load_by_group(config)
    groups = list(config.scenario.agent_groups)
    return {c: np.argmax(np.stack([share[g][c] for g in groups]), axis=0) for c in config.scenario.channels}


def optimise_staffing(config: SimConfig, targets: Targets = Targets(), *,
                      progress: Callable[[str], None] | None = None,
                      start: Mapping[str, list[int]] | None = None) -> StaffingResult:
    """Search as in the module docstring; every evaluation uses ``config.run`` (replications, seed).
    ``start``: begin from this staffing instead of the Erlang seed (e.g. a plan judged again with more
    replications; the seed is still reported)."""
    s = config.scenario
    groups = list(s.agent_groups)
    say = progress or (lambda message: None)
    count = 0

    def run(staffing: dict[str, list[int]]) -> Evaluation:
        nonlocal count
        count += 1
        return evaluate(config, staffing, targets)

    seed = erlang_seed(config)
    n = len(next(iter(seed.values())))
    owner = _owner(config)
    staffing = {g: list(v) for g, v in (start or seed).items()}
    ev = run(staffing)
    ks = ev.interval_index(s.interval_s)  # reported interval (position) -> scenario interval
    m = len(ks)
    rounds = 0
    while not ev.interval_met.all() and rounds < MAX_ROUNDS:
        rounds += 1
        _add_where_missed(staffing, ev, owner, groups, ks)
        ev = run(staffing)
        say(f"up {rounds}: {int((~ev.interval_met).sum())} intervals miss, total {_total(staffing)} agent-intervals")
    feasible = bool(ev.interval_met.all())
    fixed = {g: set() for g in groups}  # reported intervals (positions) where g keeps its agents
    binding = {g: [False] * n for g in groups}  # ... because one agent fewer there missed a target
    shortfall = {g: [float("nan")] * n for g in groups}  # by how much (worst KPI margin) when measured
    while feasible and rounds < 6 * MAX_ROUNDS:
        progress_made = False
        for g in groups:
            for parity in (0, 1):
                chosen = {i for i in range(parity, m, 2) if staffing[g][ks[i]] > 0} - fixed[g]
                if not chosen:
                    continue
                rounds += 1
                trial = _minus(staffing, g, {ks[i] for i in chosen})
                tev = run(trial)
                ok = {i for i in chosen if tev.interval_met[i] and (i + 1 == m or tev.interval_met[i + 1])}
                margin = tev.margin()
                for i in chosen - ok:
                    shortfall[g][ks[i]] = float(np.nanmin(margin[i:i + 2]))
                    binding[g][ks[i]] = True
                fixed[g] |= chosen - ok
                if ok and ok != chosen:
                    trial = _minus(staffing, g, {ks[i] for i in ok})
                    tev = run(trial)
                if ok and tev.interval_met.all():
                    staffing, ev, progress_made = trial, tev, True
                    say(f"down: {g} -1 in {len(ok)} intervals, total {_total(staffing)}")
                elif ok:
                    fixed[g] |= ok  # removals that only failed together: keep them, stay on the safe side
        if not progress_made:
            break
    return StaffingResult(staffing=staffing, seed=seed, erlang_c=erlang_c_requirement(config), binding=binding,
                          shortfall=shortfall, evaluation=ev, evaluations=count, feasible=feasible,
                          interval_s=s.interval_s)


def _add_where_missed(staffing: dict[str, list[int]], ev: Evaluation, owner: dict[str, np.ndarray], groups: list[str],
                      ks: np.ndarray) -> None:
    """One agent more, in each interval where ``ev`` misses a target, for the group carrying most of each
    missing channel's load there (in place)."""
    for i in np.flatnonzero(~ev.interval_met):
        k = ks[i]
        for g in sorted({groups[owner[c][k]] for j, c in enumerate(ev.channels) if not ev.met[i, j]}):
            staffing[g][k] += 1


def _minus(staffing: Mapping[str, list[int]], group: str, intervals: set[int]) -> dict[str, list[int]]:
    """A copy of ``staffing`` with one agent fewer for ``group`` in ``intervals``."""
    out = {k: list(v) for k, v in staffing.items()}
    for i in intervals:
        out[group][i] -= 1
    return out


def _nanmean(values: np.ndarray) -> np.ndarray:
    """Mean over replications (axis 0) of the finite values; NaN where there are none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=0)


def _total(staffing: Mapping[str, list[int]]) -> int:
    return int(sum(sum(v) for v in staffing.values()))



@dataclass
class Plan:
    """A staffing plan and its fresh checks: the search (``result``), the ``staffing`` finally planned
    (the search's, topped up where fresh checks missed), the last fresh check (``check``), each check
    as ``(replications, seed, intervals missed)`` (``rounds``), and whether the last one missed a
    target (its mean over the replications) in at most ``max_missed`` intervals (``accepted``)."""

    result: StaffingResult
    staffing: dict[str, list[int]]
    check: Evaluation
    rounds: list[tuple[int, int, int]]
    max_missed: int

    @property
    def missed(self) -> int:
        return int((~self.check.interval_met).sum())

    @property
    def accepted(self) -> bool:
        return self.missed <= self.max_missed

    @property
    def added(self) -> int:
        """Agent-intervals added to the search's answer by the top-ups."""
        return _total(self.staffing) - _total(self.result.staffing)


def plan_staffing(config: SimConfig, targets: Targets = Targets(), *, verify_replications: int | None = None,
                  max_missed: int = 0, max_replications: int = 320,
                  progress: Callable[[str], None] | None = None) -> Plan:
    """:func:`optimise_staffing`, then :func:`verify` in a fresh simulation (seed ``run.seed + 1``).

    The search stops at the fewest agents whose mean meets the targets on its own customers, so an
    interval it left at the edge may miss on others: the search was too noisy to decide it.  While the
    check misses a target in more than ``max_missed`` intervals, those intervals get one agent more
    (for the group carrying the missing channel's load) and the plan is checked again on customers not
    seen yet (the next seed) with twice the replications, until it passes or the check would need more
    than ``max_replications``.  The plan is then :attr:`Plan.accepted` or not; the caller refuses an
    unaccepted one.  The last check's :meth:`Evaluation.meet_probability` says how sure each interval is."""
    say = progress or (lambda message: None)
    result = optimise_staffing(config, targets, progress=progress)
    staffing = {g: list(v) for g, v in result.staffing.items()}
    groups = list(config.scenario.agent_groups)
    owner = _owner(config)
    n_check = verify_replications or 2 * config.run.replications
    seed = config.run.seed + 1
    rounds: list[tuple[int, int, int]] = []
    while True:
        check = verify(config, staffing, targets, replications=n_check, seed=seed)
        plan = Plan(result, {g: list(v) for g, v in staffing.items()}, check, rounds, max_missed)
        rounds.append((n_check, seed, plan.missed))
        say(f"fresh check ({n_check} replications, seed {seed}): targets missed in {plan.missed} interval(s), "
            f"{max_missed} allowed")
        if plan.accepted or 2 * n_check > max_replications:
            return plan
        _add_where_missed(staffing, check, owner, groups, check.interval_index(config.scenario.interval_s))
        n_check, seed = 2 * n_check, seed + 1
        say(f"too noisy to decide: one agent more where the check missed; checking again with {n_check} "
            f"replications on new customers")


def verify(config: SimConfig, staffing: Mapping[str, list[int]], targets: Targets = Targets(), *,
           replications: int | None = None, seed: int | None = None) -> Evaluation:
    """:func:`evaluate` in a fresh simulation: another seed (default ``run.seed + 1``) and, by default,
    twice the replications, so the answer is checked on customers the search never saw."""
    run = replace(config.run, replications=replications or 2 * config.run.replications,
                  seed=config.run.seed + 1 if seed is None else seed)
    return evaluate(replace(config, run=run), staffing, targets)
