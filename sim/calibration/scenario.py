"""From an imported log to a scenario: :func:`calibrate` gathers the estimates of
:mod:`.estimate` into a :class:`Calibration`, whose :meth:`~Calibration.scenario` is a ``centre``
scenario mapping that ``python -m sim scenario=<name>`` runs once written to ``configs/scenario/``
(:func:`write_scenario`).

How each part of the scenario is made (the README's calibration section says the same):

- **Opening hours**: the longest run of consecutive intervals whose mean volume per day is at least
  :data:`OPEN_SHARE` of the busiest interval's (night-time stragglers do not stretch the day); contacts offered outside it are left out and
  counted (``Calibration.outside_hours``).
- **Arrivals**: one contact type per ``contact_type`` of the log, on one ``phone`` channel, with a
  Poisson rate per interval = the mean count per day over the selected days (``rate_per_hour``).
- **Handle times**: the family chosen by AIC per contact type (:func:`~.estimate.fit_handle_times`);
  types with fewer than ``min_n`` answered contacts take the fit of all types pooled.
- **Patience**: exponential with the censored-data MLE per type; types with fewer than
  ``min_abandonments`` abandonments take the pooled estimate.
- **Staffing**: one agent group with every skill, staffed in each interval with the mean over the
  selected days of the agents *available to answer* (:func:`~.estimate.available_agents`: in
  service, or between services while nobody waits), kept fractional as shifts averaging exactly that
  mean (:func:`fractional_shifts`; ``staffing_mode="whole"``: rounded to the nearest whole agent, at
  least 1 while contacts are expected). With ``clusters`` (:func:`~.estimate.agent_clusters`), one
  group per cluster, each staffed from its own agents, routed by ``skill_rank``. This is fewer than the agents seen serving
  (:func:`~.estimate.staffing_from_activity`): an agent idle while customers wait was not available.
- **Routing**: ``longest_idle`` and ``fcfs`` across contact types (first come, first served).
- **Day-to-day variability**: ``busyness_cv`` from :func:`~.estimate.day_variability` within
  weekdays; when no weekday has two days, across all the selected days (``busyness_basis``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import yaml

from sim.engine.errors import ConfigError
from sim.model.config import load_config

from .estimate import (BREAK_S, AgentClusters, ArrivalRates, DayVariability, HandleTimeFit, PatienceEstimate,
                       arrival_rates, available_agents, break_threshold, day_variability, fit_handle_times, patience)

__all__ = ["Calibration", "calibrate", "select_days", "write_scenario", "scenario_yaml", "check_scenario", "OPEN_SHARE", "CHANNEL", "GROUP"]

OPEN_SHARE = 0.05  # an interval is inside the opening hours if its volume is >= 5% of the busiest one's
CHANNEL = "phone"
GROUP = "agents"
POOLED = "all"
STAFFING_MODES = ("fractional", "whole")


@dataclass
class Calibration:
    """The estimates behind a calibrated scenario, and the scenario itself (:meth:`scenario`)."""

    name: str
    source: str  # the log file
    dates: list[str]  # ISO dates of the days used
    interval_s: float
    open_s: float  # seconds after midnight
    close_s: float
    service_level_threshold_s: float
    service_level_target: float
    rates: dict[str, ArrivalRates]  # per contact type (all intervals of the day)
    volumes: dict[str, float]  # mean contacts offered per day inside the opening hours, per type
    handle_times: dict[str, HandleTimeFit]  # per type, and POOLED
    handle_source: dict[str, str]  # type -> its own type, or POOLED
    patience: dict[str, PatienceEstimate]  # per type, and POOLED
    patience_source: dict[str, str]
    staffing: pd.DataFrame  # interval_start_s (after midnight), available, busy (means), agents (whole, used)
    variability: DayVariability
    busyness_basis: str  # "within weekdays", "across days" or "not estimable"
    outside_hours: int  # contacts offered outside the opening hours (left out)
    break_s: float = BREAK_S  # a gap between an agent's services at least this long is a break
    notes: list[str] = field(default_factory=list)
    #: ``fractional`` (default): each group's mean available agents as they are (:func:`fractional_shifts`);
    #: ``whole``: rounded to whole agents in a staffing table (at least 1 while contacts are expected)
    staffing_mode: str = "fractional"
    break_rule: str = "length"  # how a gap is told a break (:func:`~.estimate.available_agents`)
    break_choice: Any = None  # the BreakThreshold behind break_s when chosen from the data
    #: agent groups: name -> skills in order of preference (default: one group GROUP with every type)
    groups: dict[str, list[str]] = field(default_factory=dict)
    group_agents: dict[str, list[str]] = field(default_factory=dict)  # name -> the log's agents (empty: all)
    #: name -> mean available agents per interval of the opening hours (fractional)
    group_staffing: dict[str, list[float]] = field(default_factory=dict)
    group_report: Any = None  # the clustering behind the groups (a table), if any

    @property
    def n_intervals(self) -> int:
        return int(round((self.close_s - self.open_s) / self.interval_s))

    @property
    def types(self) -> list[str]:
        """Contact types, busiest first."""
        return sorted(self.volumes, key=lambda t: (-self.volumes[t], t))

    def _open_slice(self, table: pd.DataFrame) -> pd.DataFrame:
        start = table["interval_start_s"]
        return table[(start >= self.open_s - 1e-9) & (start < self.close_s - 1e-9)]

    def rate_per_hour(self, contact_type: str) -> list[float]:
        """The type's Poisson rate in each interval of the opening hours."""
        table = self._open_slice(self.rates[contact_type].table)
        return [round(float(v), 4) for v in table.loc[table["weekday"] == POOLED, "rate_per_hour"]]

    def scenario(self) -> dict[str, Any]:
        """The calibrated ``centre`` scenario as a plain mapping (YAML-ready)."""
        types = {}
        for t in self.types:
            types[t] = {
                "channel": CHANNEL,
                "arrivals": {"rate_per_hour": self.rate_per_hour(t)},
                "handle_time": self.handle_times[self.handle_source[t]].distribution,
                "patience": self.patience[self.patience_source[t]].distribution,
                "priority": 0,
            }
        return {
            "name": self.name,
            "preset": "centre",
            "open_time": _Quoted(_clock(self.open_s)),
            "close_time": _Quoted(_clock(self.close_s)),
            "interval_minutes": _number(self.interval_s / 60.0),
            "trace": None,
            "busyness_cv": round(float(self.variability.busyness_cv), 4)
            if math.isfinite(self.variability.busyness_cv) else 0.0,
            "channels": {CHANNEL: {"service_level_threshold_s": self.service_level_threshold_s,
                                   "service_level_target": self.service_level_target}},
            "contact_types": types,
            "agent_groups": self.agent_groups(),
            "routing": {"agent_selection": "longest_idle" if len(self.group_names) == 1 else "skill_rank",
                        "queue_selection": "fcfs"},
        }

    @property
    def group_names(self) -> list[str]:
        return list(self.groups) or [GROUP]

    def skills(self, group: str) -> list[str]:
        return list(self.groups.get(group, self.types))

    def agent_groups(self, available: dict[str, Sequence[float]] | None = None,
                     expected: Sequence[bool] | None = None) -> dict[str, Any]:
        """The scenario's ``agent_groups``: each group's skills and staffing from ``available`` (group ->
        mean available agents per interval of the opening hours; default the calibration's): shifts
        averaging exactly those means (``fractional``) or a table of whole agents (``whole``, at least 1
        where ``expected`` says contacts are expected)."""
        available = self.group_staffing if available is None else available
        if expected is None:
            expected = np.ones(self.n_intervals, dtype=bool)
        out = {}
        for g in self.group_names:
            values = np.asarray(available[g], dtype=float)
            entry: dict[str, Any] = {"skills": self.skills(g)}
            if self.staffing_mode == "fractional" and values.max(initial=0.0) > 0:
                entry["shifts"] = fractional_shifts(values, self.interval_s, self.open_s)
            elif self.staffing_mode == "fractional":
                entry["staffing"] = 0
            else:
                entry["staffing"] = [int(v) for v in whole_agents(values, np.asarray(expected, dtype=bool))]
            out[g] = entry
        return out

    def summary(self) -> pd.DataFrame:
        """One row per contact type: volume, handle-time fit and patience, with where each came from."""
        rows = []
        for t in self.types:
            h = self.handle_times[self.handle_source[t]]
            p = self.patience[self.patience_source[t]]
            best = h.fits.iloc[0]
            rows.append({
                "contact_type": t, "contacts_per_day": round(self.volumes[t], 1),
                "handle_time": h.best, "aht_s": round(h.mean_s, 1),
                "aht_ci_s": f"{h.mean_ci[0]:.1f}-{h.mean_ci[1]:.1f}", "sample_cv": round(h.cv, 3),
                "fitted_cv": round(float(best["cv"]), 3),
                "handle_ks": round(float(best["ks_stat"]), 4), "handle_n": h.n,
                "handle_from": self.handle_source[t],
                "patience_mean_s": round(p.mean_s, 1), "patience_ci_s": f"{p.mean_ci[0]:.1f}-{p.mean_ci[1]:.1f}",
                "abandonments": p.abandonments, "patience_from": self.patience_source[t],
            })
        return pd.DataFrame(rows)


class _Quoted(str):
    """A string written with quotes in YAML (clock times, which YAML 1.1 may otherwise read as numbers)."""


class _Dumper(yaml.SafeDumper):
    """Safe YAML with :class:`_Quoted` strings in double quotes."""


_Dumper.add_representer(_Quoted, lambda dumper, v: dumper.represent_scalar("tag:yaml.org,2002:str", v, '"'))


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 6)


def _longest_run(flags: np.ndarray) -> tuple[int, int]:
    """First and last index of the longest run of True (the earliest of equally long runs)."""
    best, start = (0, -1), None
    for i, flag in enumerate(list(flags) + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start > best[1] - best[0] + 1:
                best = (start, i - 1)
            start = None
    return best


def whole_agents(available: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Agents per interval for the scenario: ``available`` rounded half up, at least 1 where contacts are
    ``expected``."""
    agents = np.floor(np.asarray(available, dtype=float) + 0.5).astype(int)
    return np.where(expected, np.maximum(agents, 1), agents)


def fractional_shifts(available: Sequence[float], interval_s: float, open_s: float) -> list[dict[str, Any]]:
    """Shifts whose agents on duty average exactly ``available[k]`` over interval ``k`` (fractional).

    In interval ``k`` (starting ``open_s + k * interval_s``), ``floor(a_k)`` agents are on duty for the
    whole interval and one more for the first ``a_k - floor(a_k)`` of it: agent-seconds
    ``a_k * interval_s`` exactly (to the 10^-6 h the lengths are written with).  Built as stacked
    levels: level ``j`` (the ``j``-th agent) is on duty in interval ``k`` for
    ``clip(a_k - (j - 1), 0, 1)`` of it, from its start; each run of a level is one shift (starting at
    an interval start), and equal shifts are merged (``agents``)."""
    a = np.maximum(np.asarray(available, dtype=float), 0.0)
    n = len(a)
    shifts: dict[tuple[float, float], int] = {}
    for j in range(int(math.ceil(a.max() - 1e-9)) if n else 0):
        share = np.clip(a - j, 0.0, 1.0)
        k = 0
        while k < n:
            if share[k] <= 1e-9:
                k += 1
                continue
            start = k
            while k < n and share[k] >= 1.0 - 1e-9:
                k += 1
            if k < n and share[k] > 1e-9:  # the run ends part-way into interval k
                length = (k - start + float(share[k])) * interval_s
                k += 1
            else:
                length = (k - start) * interval_s
            key = (open_s + start * interval_s, round(length / 3600.0, 6))
            shifts[key] = shifts.get(key, 0) + 1
    return [{"start": _Quoted(_clock(start)), "length_hours": _number(hours), "agents": count}
            for (start, hours), count in sorted(shifts.items())]


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}" + (f":{s % 60:02d}" if s % 60 else "")


def select_days(log: pd.DataFrame, weekdays: Sequence[str] | None = None,
                dates: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of the chosen weekdays (names such as ``Sunday``) and/or dates (``YYYY-MM-DD``)."""
    if log.empty:
        raise ConfigError("log", "has no contacts; nothing to choose days from")
    keep = np.ones(len(log), dtype=bool)
    if weekdays:
        known = set(log["weekday"].astype(str))
        for w in weekdays:
            if w not in known:
                raise ConfigError("weekdays", f"no day of the log is a {w!r}; the log has {', '.join(sorted(known))}")
        keep &= log["weekday"].astype(str).isin(list(weekdays)).to_numpy()
    if dates:
        iso = log["date"].dt.strftime("%Y-%m-%d")
        for d in dates:
            if not (iso == d).any():
                raise ConfigError("dates", f"no contact of the log is on {d!r}; expected YYYY-MM-DD between "
                                           f"{iso.min()} and {iso.max()}")
        keep &= iso.isin(list(dates)).to_numpy()
    out = log[keep]
    if out.empty:  # only with both: every weekday and every date is in the log, but no date is on those weekdays
        raise ConfigError("dates", f"none of {', '.join(dates or ())} is a {' or '.join(weekdays or ())}; "
                                   "no contact of the log is on the chosen days")
    return out


def calibrate(log: pd.DataFrame, *, name: str, source: str = "", interval_minutes: float = 30,
              service_level_threshold_s: float = 20.0, service_level_target: float = 0.8, min_n: int = 30,
              min_abandonments: int = 20, break_s: float | None = BREAK_S, confidence: float = 0.95,
              staffing_mode: str = "fractional", break_rule: str = "length",
              clusters: AgentClusters | None = None) -> Calibration:
    """Estimate a scenario from the canonical log table (:func:`~.logs.read_log`), every day in it.

    ``break_s`` None: chosen from the log's idle gaps (:func:`~.estimate.break_threshold`);
    ``staffing_mode``: ``fractional`` or ``whole`` (see :class:`Calibration`); ``clusters``: agent
    groups (:func:`~.estimate.agent_clusters`), each staffed by its own agents' availability; None:
    one group with every skill."""
    if staffing_mode not in STAFFING_MODES:
        raise ConfigError("staffing_mode", f"expected one of {', '.join(STAFFING_MODES)}, got {staffing_mode!r}")
    break_choice = None
    if break_s is None:
        break_choice = break_threshold(log)
        break_s = break_choice.threshold_s
    if not 0 < interval_minutes <= 1440 or (1440 / interval_minutes) % 1:
        raise ConfigError("interval_minutes", f"expected a number of minutes dividing 24 h, got {interval_minutes:g}")
    offered = log[log["queue_entry_s"].notna()]
    if offered.empty:
        raise ConfigError("log", "no contact reached a queue or an agent; nothing to calibrate")
    interval_s = 60.0 * interval_minutes
    everything = arrival_rates(log, interval_minutes=interval_minutes, by_weekday=False, confidence=confidence)
    per_interval = everything.table["mean_count"].to_numpy()
    first, last = _longest_run(per_interval >= OPEN_SHARE * per_interval.max())
    open_s, close_s = first * interval_s, (last + 1) * interval_s
    inside = offered["queue_entry_s"].between(open_s, close_s, inclusive="left")
    n_days = everything.daily.shape[0]
    types = sorted(offered["contact_type"].dropna().astype(str).unique())
    rates = {t: arrival_rates(log, interval_minutes=interval_minutes, by_weekday=False, contact_type=t,
                              confidence=confidence) for t in types}
    volumes = {t: float(inside[offered["contact_type"] == t].sum()) / n_days for t in types}
    types = [t for t in types if volumes[t] > 0]

    handle = fit_handle_times(log, min_n=min_n, confidence=confidence)
    handle[POOLED] = fit_handle_times(log, by_type=False, min_n=2, confidence=confidence)[POOLED]
    handle_source = {t: t if t in handle else POOLED for t in types}
    pat = {POOLED: patience(log, confidence=confidence)}
    patience_source = {}
    for t in types:
        est = patience(log, contact_type=t, confidence=confidence)
        if est.abandonments >= min_abandonments:
            pat[t] = est
        patience_source[t] = t if t in pat else POOLED

    expected = per_interval[first:last + 1] > 0
    groups = {g: [t for t in skills if t in types] for g, skills in clusters.groups.items()} if clusters else {}
    members = dict(clusters.members) if clusters else {}
    group_staffing, tables = {}, []
    for g in (list(groups) or [GROUP]):
        avail = available_agents(log, interval_minutes=interval_minutes, break_s=break_s, break_rule=break_rule,
                                 agents=members.get(g), types=groups.get(g))
        staff_g = avail.groupby("interval_start_s")[["available", "busy"]].mean().reset_index()
        staff_g = staff_g[(staff_g["interval_start_s"] >= open_s - 1e-9)
                          & (staff_g["interval_start_s"] < close_s - 1e-9)].reset_index(drop=True)
        group_staffing[g] = [float(v) for v in staff_g["available"]]
        tables.append(staff_g.set_index("interval_start_s"))
    staff = sum(tables[1:], tables[0]).reset_index()
    if staffing_mode == "whole" and len(tables) == 1:
        agents = whole_agents(staff["available"].to_numpy(), expected)
    elif staffing_mode == "whole":
        agents = sum(whole_agents(np.asarray(v), expected) for v in group_staffing.values())
    else:
        agents = staff["available"].to_numpy()
    staff = staff.assign(agents=agents)

    variability = day_variability(log)
    basis = "within weekdays"
    if not math.isfinite(variability.busyness_cv):
        variability = day_variability(log.assign(weekday=pd.Categorical(["all days"] * len(log))))
        basis = "across days" if math.isfinite(variability.busyness_cv) else "not estimable"
    notes = []
    if basis == "across days":
        notes.append("busyness_cv is estimated across all the selected days (no weekday has two days), so it "
                     "includes differences between weekdays")
    elif basis == "not estimable":
        notes.append("busyness_cv could not be estimated (fewer than two days) and is set to 0")
    dates = sorted(pd.to_datetime(log["date"]).dt.strftime("%Y-%m-%d").unique())
    return Calibration(
        name=name, source=source, dates=dates, interval_s=interval_s, open_s=float(open_s), close_s=float(close_s),
        service_level_threshold_s=float(service_level_threshold_s), service_level_target=float(service_level_target),
        rates=rates, volumes=volumes, handle_times=handle, handle_source=handle_source, patience=pat,
        patience_source=patience_source, staffing=staff, variability=variability, busyness_basis=basis,
        outside_hours=int((~inside).sum()), break_s=float(break_s), notes=notes, staffing_mode=staffing_mode,
        break_rule=break_rule, break_choice=break_choice, groups=groups, group_agents=members,
        group_staffing=group_staffing, group_report=clusters)


def scenario_yaml(calibration: Calibration, command: str = "") -> str:
    """The scenario as YAML text with a header saying where it came from."""
    c = calibration
    head = [f"# Calibrated from {c.source or 'a contact log'}: {len(c.dates)} day(s), {c.dates[0]} to {c.dates[-1]}."]
    if command:
        head.append(f"# Written by: {command}")
    head += ["# Rates: mean contacts per day in each interval; handle times: family by AIC; patience: exponential",
             "# MLE from censored waits; staffing: agents available to answer (in service, or idle while nobody",
             "# waits). calibration.md, written with it, shows the fits and how the scenario replays the log."]
    body = yaml.dump(calibration.scenario(), Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=120)
    return "\n".join(head) + "\n" + body


def write_scenario(calibration: Calibration, path: str | Path, command: str = "") -> Path:
    """Write the scenario YAML to ``path`` after checking that it loads as a valid scenario."""
    check_scenario(calibration.scenario())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(scenario_yaml(calibration, command), encoding="utf-8")
    return path


def check_scenario(raw: dict[str, Any]):
    """Load ``raw`` as the scenario of a config (raises :class:`ConfigError` if it is not valid)."""
    return load_config({"scenario": raw, "run": {"replications": 1}}).scenario

