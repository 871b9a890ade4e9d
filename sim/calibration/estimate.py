"""Estimates from an imported contact log (:func:`sim.calibration.read_log`'s table): pure functions.

- :func:`arrival_rates`: offered contacts per interval (and weekday) as rates per hour, with a
  Student-t interval across days and an exact Poisson (Garwood) interval on the pooled count.
- :func:`day_variability`: day-to-day variability of daily volumes beyond Poisson, as the scenario's
  ``busyness_cv`` (method of moments, pooled within weekdays), with a chi-square interval.
- :func:`fit_handle_times`: exponential, lognormal and gamma fitted by maximum likelihood
  (scipy.stats, location fixed at 0) per contact type; the family with the smallest AIC
  (2k - 2 log L) is chosen; KS statistics are reported (their p-values ignore that the parameters
  were estimated, so they are optimistic).
- :func:`patience`: waits of abandoners are patience times, waits of answered contacts right-censored
  patience: the Kaplan-Meier survival curve (:func:`kaplan_meier`) and the exponential MLE
  (abandonments / total waiting exposure) with a chi-square interval.
- :func:`staffing_from_activity`: distinct agents seen serving in each interval, per weekday (a lower
  bound on the agents logged in: idle agents leave no trace in a call log).
- :func:`available_agents`: the time-average number of agents *available to answer* in each
  interval of each day: agents in service, plus agents between two services (a gap shorter than
  ``break_s``) while no customer waits. An agent who stays idle while customers wait is, in a
  work-conserving centre, doing something else (after-call work, other tasks, a break), so is not
  counted then. This is the staffing a simulation needs to carry the same work.
- :func:`repeat_contacts`: share of identified customers' contacts followed by another from the same
  customer within a window.

Durations come out as :class:`~sim.engine.distributions.Distribution`-compatible dicts ``{dist, mean_s, cv}``, rates
as per-interval tables per weekday, so that a scenario writer can use them directly.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["ArrivalRates", "DayVariability", "HandleTimeFit", "PatienceEstimate", "RepeatContacts",
           "arrival_rates", "day_variability", "fit_handle_times", "fit_durations", "kaplan_meier", "patience",
           "staffing_from_activity", "available_agents", "break_threshold", "BreakThreshold", "repeat_contacts", "FAMILIES", "BREAK_S",
           "AgentClusters", "agent_clusters", "MIN_SHARE", "MIN_SERVICES", "SKILL_SHARE"]

FAMILIES = ("exponential", "lognormal", "gamma")
DAY_S = 86400.0
BREAK_S = 600.0  # a gap between two services of an agent at least this long is a break (not available)


def _select(log: pd.DataFrame, contact_type: str | None) -> pd.DataFrame:
    return log if contact_type is None else log[log["contact_type"] == contact_type]


def _interval_index(seconds: np.ndarray, interval_s: float) -> np.ndarray:
    n = int(math.ceil(DAY_S / interval_s))
    return np.clip(np.floor(seconds / interval_s).astype(int), 0, n - 1)


# ------------------------------------------------------------------- arrivals


@dataclass
class ArrivalRates:
    """Offered contacts per interval: ``table`` has one row per (weekday, interval).

    Columns: ``weekday`` (``"all"`` when not by weekday), ``interval_start_s``, ``n_days``,
    ``mean_count`` (per day), ``rate_per_hour``, ``ci_low``/``ci_high`` (t across days; the Poisson
    interval when there is one day), ``poisson_low``/``poisson_high`` (exact, pooled count).
    """

    interval_s: float
    confidence: float
    table: pd.DataFrame
    daily: pd.DataFrame  # date, weekday, volume

    def rates_per_hour(self, weekday: str = "all") -> list[float]:
        """One rate per interval of the day (0:00 to 24:00), for a scenario's ``rate_per_hour``."""
        return self.table.loc[self.table["weekday"] == weekday, "rate_per_hour"].tolist()


def arrival_rates(log: pd.DataFrame, *, interval_minutes: float = 30, by_weekday: bool = True,
                  contact_type: str | None = None, confidence: float = 0.95) -> ArrivalRates:
    """Rates of contacts offered (``queue_entry_s``) per interval of the day, averaged over the log's days.

    Every date in the log counts as a day (also for a contact type with no contact that day).
    """
    interval_s = 60.0 * interval_minutes
    days = log[["date", "weekday"]].drop_duplicates().sort_values("date")
    sub = _select(log, contact_type)
    sub = sub[sub["queue_entry_s"].notna()]
    n_int = int(math.ceil(DAY_S / interval_s))
    counts = np.zeros((len(days), n_int))
    day_index = {d: i for i, d in enumerate(days["date"])}
    rows = sub["date"].map(day_index).to_numpy()
    np.add.at(counts, (rows, _interval_index(sub["queue_entry_s"].to_numpy(), interval_s)), 1)
    daily = days.assign(volume=counts.sum(axis=1)).reset_index(drop=True)
    groups = [("all", np.arange(len(days)))]
    if by_weekday:
        wd = days["weekday"].astype(str).to_numpy()
        groups = [(w, np.flatnonzero(wd == w)) for w in days["weekday"].cat.categories if (wd == w).any()]
    alpha = 1.0 - confidence
    per_hour = 3600.0 / interval_s
    out = []
    for name, idx in groups:
        c = counts[idx]
        k = len(idx)
        total = c.sum(axis=0)
        mean = total / k
        plo = np.where(total > 0, stats.chi2.ppf(alpha / 2, 2 * total) / 2, 0.0) / k
        phi = stats.chi2.ppf(1 - alpha / 2, 2 * total + 2) / 2 / k
        if k >= 2:
            half = stats.t.ppf(1 - alpha / 2, k - 1) * c.std(axis=0, ddof=1) / math.sqrt(k)
            lo, hi = np.maximum(mean - half, 0.0), mean + half
        else:
            lo, hi = plo, phi
        out.append(pd.DataFrame({
            "weekday": name, "interval_start_s": np.arange(n_int) * interval_s, "n_days": k, "mean_count": mean,
            "rate_per_hour": mean * per_hour, "ci_low": lo * per_hour, "ci_high": hi * per_hour,
            "poisson_low": plo * per_hour, "poisson_high": phi * per_hour,
        }))
    return ArrivalRates(interval_s, confidence, pd.concat(out, ignore_index=True), daily)


@dataclass
class DayVariability:
    """Daily volumes' variability beyond Poisson: Var(V) = m + (m cv)^2 within a weekday (the model of
    ``scenario.busyness_cv``).  ``busyness_cv`` = sqrt(max(0, pooled excess variance) / pooled m^2);
    ``busyness_ci``: percentile bootstrap interval (days resampled within each weekday)."""

    busyness_cv: float
    raw_cv: float  # pooled CV of daily volumes within weekdays, Poisson noise included
    poisson_cv: float  # the CV Poisson noise alone would give (pooled)
    dispersion: float  # pooled variance / mean (1 for Poisson)
    n_days: int
    by_weekday: pd.DataFrame  # weekday, n_days, mean, sd
    busyness_ci: tuple[float, float] = (math.nan, math.nan)


def _moments(groups: list[np.ndarray]) -> tuple[float, float, float]:
    """Pooled (sum of squares, sum of means, sum of squared means), each weighted by n - 1."""
    ss = sum(float(((g - g.mean()) ** 2).sum()) for g in groups)
    mean_term = sum(float(g.mean()) * (len(g) - 1) for g in groups)
    sq_term = sum(float(g.mean()) ** 2 * (len(g) - 1) for g in groups)
    return ss, mean_term, sq_term


def day_variability(log: pd.DataFrame, *, contact_type: str | None = None,
                    confidence: float = 0.95) -> DayVariability:
    """Method of moments across days of the same weekday (weekdays with one day carry no information)."""
    daily = arrival_rates(log, interval_minutes=60, by_weekday=False, contact_type=contact_type).daily
    g = daily.groupby("weekday", observed=True)["volume"]
    table = pd.DataFrame({"n_days": g.size(), "mean": g.mean(), "sd": g.std(ddof=1)}).reset_index()
    groups = [grp.to_numpy(dtype=float) for _, grp in g if len(grp) >= 2]
    ss, mean_term, sq_term = _moments(groups)
    if sq_term <= 0:
        return DayVariability(math.nan, math.nan, math.nan, math.nan, len(daily), table)
    dof = sum(len(x) - 1 for x in groups)
    alpha = 1.0 - confidence
    raw2, poisson2 = ss / sq_term, mean_term / sq_term
    raw2_low = raw2 * dof / stats.chi2.ppf(1 - alpha / 2, dof)
    raw2_high = raw2 * dof / stats.chi2.ppf(alpha / 2, dof)
    return DayVariability(
        busyness_cv=math.sqrt(max(0.0, raw2 - poisson2)), raw_cv=math.sqrt(raw2), poisson_cv=math.sqrt(poisson2),
        dispersion=ss / mean_term, n_days=len(daily), by_weekday=table,
        busyness_ci=(math.sqrt(max(0.0, raw2_low - poisson2)), math.sqrt(max(0.0, raw2_high - poisson2))))


# -------------------------------------------------------------- handle times


@dataclass
class HandleTimeFit:
    """Fits of one sample of durations.  ``fits``: family, params, log_likelihood, aic, ks_stat, ks_pvalue,
    mean_s, cv (of the fitted distribution), sorted by AIC.  ``best`` = smallest AIC."""

    n: int
    n_nonpositive: int  # zero or negative durations left out of the fits
    mean_s: float
    mean_ci: tuple[float, float]  # t interval of the sample mean
    cv: float
    median_s: float
    fits: pd.DataFrame
    best: str

    @property
    def distribution(self) -> dict:
        """The chosen family as a scenario ``handle_time`` entry: ``{dist, mean_s, cv}`` (the sample mean,
        which keeps the offered load; the CV of the fitted distribution)."""
        if self.best == "exponential":
            return {"dist": "exponential", "mean_s": round(self.mean_s, 3)}
        return {"dist": self.best, "mean_s": round(self.mean_s, 3), "cv": round(float(self.fits["cv"].iloc[0]), 4)}


def fit_durations(x: np.ndarray, *, families: tuple[str, ...] = FAMILIES, confidence: float = 0.95) -> HandleTimeFit:
    """Fit ``families`` (location 0) to positive durations ``x`` by maximum likelihood; choose by AIC."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    pos = x[x > 0]
    n = len(pos)
    if n < 2:
        raise ValueError(f"need at least 2 positive durations to fit, got {n}")
    mean, sd = pos.mean(), pos.std(ddof=1)
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    rows = []
    for fam in families:
        if fam == "exponential":
            dist, params, k = stats.expon, (0.0, mean), 1  # MLE scale = sample mean
            fmean, fcv = mean, 1.0
        elif fam == "lognormal":
            s, _, scale = stats.lognorm.fit(pos, floc=0)
            dist, params, k = stats.lognorm, (s, 0.0, scale), 2
            fmean, fcv = scale * math.exp(s * s / 2), math.sqrt(math.expm1(s * s))
        elif fam == "gamma":
            a, _, scale = stats.gamma.fit(pos, floc=0)
            dist, params, k = stats.gamma, (a, 0.0, scale), 2
            fmean, fcv = a * scale, 1 / math.sqrt(a)
        else:
            raise ValueError(f"unknown family {fam!r}; expected one of {', '.join(FAMILIES)}")
        ll = float(dist.logpdf(pos, *params).sum())
        ks = stats.kstest(pos, dist.cdf, args=params)
        rows.append({"family": fam, "params": params, "log_likelihood": ll, "aic": 2 * k - 2 * ll,
                     "ks_stat": float(ks.statistic), "ks_pvalue": float(ks.pvalue), "mean_s": fmean, "cv": fcv})
    fits = pd.DataFrame(rows).sort_values("aic", ignore_index=True)
    return HandleTimeFit(n=n, n_nonpositive=int(len(x) - n), mean_s=float(mean),
                         mean_ci=(float(mean - half), float(mean + half)), cv=float(sd / mean),
                         median_s=float(np.median(pos)), fits=fits, best=str(fits["family"].iloc[0]))


def fit_handle_times(log: pd.DataFrame, *, by_type: bool = True, min_n: int = 30,
                     families: tuple[str, ...] = FAMILIES, confidence: float = 0.95) -> dict[str, HandleTimeFit]:
    """Handle times of answered contacts, per contact type (types with fewer than ``min_n`` left out), or
    all together under the key ``"all"``."""
    ans = log[(log["outcome"] == "answered") & log["handle_time_s"].notna()]
    groups = ans.groupby("contact_type") if by_type else [("all", ans)]
    return {str(name): fit_durations(g["handle_time_s"].to_numpy(), families=families, confidence=confidence)
            for name, g in groups if (g["handle_time_s"] > 0).sum() >= min_n}


# ------------------------------------------------------------------- patience


def kaplan_meier(times: np.ndarray, events: np.ndarray, *, confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier survival at each distinct event time, with Greenwood's variance and a log(-log)
    interval.  ``events`` True = the event (abandonment) was observed, False = censored at ``times``.

    Columns: time, at_risk, events, censored, survival, ci_low, ci_high.
    """
    times = np.asarray(times, dtype=float)
    events = np.asarray(events, dtype=bool)
    order = np.argsort(times, kind="stable")
    times, events = times[order], events[order]
    uniq, first = np.unique(times, return_index=True)
    n = len(times)
    at_risk = n - first
    d = np.add.reduceat(events.astype(int), first) if n else np.zeros(0, int)
    c = np.diff(np.append(first, n)) - d
    keep = d > 0
    uniq, at_risk, d, c = uniq[keep], at_risk[keep], d[keep], c[keep]
    surv = np.cumprod(1.0 - d / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        green = np.cumsum(d / (at_risk * (at_risk - d)))
        z = stats.norm.ppf(0.5 + confidence / 2)
        se = np.sqrt(green) / np.abs(np.log(surv))
        lo = surv ** np.exp(z * se)
        hi = surv ** np.exp(-z * se)
    lo = np.where(surv > 0, lo, 0.0)
    hi = np.where(surv > 0, hi, 0.0)
    return pd.DataFrame({"time": uniq, "at_risk": at_risk, "events": d, "censored": c, "survival": surv,
                         "ci_low": lo, "ci_high": hi})


@dataclass
class PatienceEstimate:
    """Patience from censored waits.  Exponential MLE: mean = exposure / abandonments, interval from
    2 x exposure / mean ~ chi-square(2 x abandonments) (exact for an exponential observed to a fixed
    number of events, a close approximation otherwise)."""

    n: int  # contacts that waited in the queue (answered or abandoned)
    abandonments: int
    exposure_s: float  # total waiting time, abandoners and answered
    mean_s: float
    mean_ci: tuple[float, float]
    km: pd.DataFrame  # :func:`kaplan_meier` of the waits
    km_median_s: float  # NaN when survival stays above 0.5 (most customers were served first)

    @property
    def distribution(self) -> dict:
        """A scenario ``patience`` entry: ``{dist: exponential, mean_s}``."""
        return {"dist": "exponential", "mean_s": round(self.mean_s, 3)}


def patience(log: pd.DataFrame, *, contact_type: str | None = None, confidence: float = 0.95) -> PatienceEstimate:
    """From offered contacts answered or abandoned: abandoners' waits are events, answered waits censored."""
    sub = _select(log, contact_type)
    sub = sub[sub["outcome"].isin(("answered", "abandoned")) & sub["wait_s"].notna()]
    t = sub["wait_s"].to_numpy(dtype=float)
    e = (sub["outcome"] == "abandoned").to_numpy()
    d, exposure = int(e.sum()), float(t.sum())
    alpha = 1 - confidence
    if d == 0:
        mean, ci = math.inf, (2 * exposure / stats.chi2.ppf(1 - alpha, 2), math.inf)
    else:
        mean = exposure / d
        ci = (2 * exposure / stats.chi2.ppf(1 - alpha / 2, 2 * d), 2 * exposure / stats.chi2.ppf(alpha / 2, 2 * d))
    km = kaplan_meier(t, e, confidence=confidence)
    below = km.loc[km["survival"] <= 0.5, "time"]
    return PatienceEstimate(n=len(t), abandonments=d, exposure_s=exposure, mean_s=mean, mean_ci=ci, km=km,
                            km_median_s=float(below.iloc[0]) if len(below) else math.nan)


# ------------------------------------------------------------------- staffing


def staffing_from_activity(log: pd.DataFrame, *, interval_minutes: float = 30) -> pd.DataFrame:
    """Distinct agents serving at some moment of each interval, averaged over the dates of each weekday.

    Columns: weekday, interval_start_s, n_days, mean_agents, max_agents.  Services crossing midnight
    are cut at 24:00.
    """
    interval_s = 60.0 * interval_minutes
    n_int = int(math.ceil(DAY_S / interval_s))
    days = log[["date", "weekday"]].drop_duplicates().sort_values("date")
    served = log[(log["outcome"] == "answered") & log["agent_id"].notna() & log["answer_s"].notna()
                 & log["end_s"].notna()]
    first = _interval_index(served["answer_s"].to_numpy(), interval_s)
    last = _interval_index(np.maximum(served["end_s"].to_numpy() - 1e-9, served["answer_s"].to_numpy()), interval_s)
    span = last - first + 1
    rep = np.repeat(np.arange(len(served)), span)
    offset = np.arange(len(rep)) - np.repeat(np.cumsum(span) - span, span)
    busy = pd.DataFrame({"date": served["date"].to_numpy()[rep], "interval": first[rep] + offset,
                         "agent": served["agent_id"].to_numpy()[rep]})
    per_day = busy.groupby(["date", "interval"])["agent"].nunique()
    grid = pd.MultiIndex.from_product([days["date"], range(n_int)], names=["date", "interval"])
    per_day = per_day.reindex(grid, fill_value=0).reset_index(name="agents")
    per_day = per_day.merge(days, on="date")
    out = per_day.groupby(["weekday", "interval"], observed=True)["agents"].agg(
        n_days="size", mean_agents="mean", max_agents="max").reset_index()
    out.insert(1, "interval_start_s", out.pop("interval") * interval_s)
    return out


def _served(day: pd.DataFrame, agents: Collection[str] | None = None) -> pd.DataFrame:
    """Answered contacts with an agent and service times, by agent and answer time (of ``agents`` only)."""
    served = day[(day["outcome"] == "answered") & day["agent_id"].notna() & day["answer_s"].notna()
                 & day["end_s"].notna()]
    if agents is not None:
        served = served[served["agent_id"].isin(list(agents))]
    return served.sort_values(["agent_id", "answer_s"], kind="stable")


def _waiting_seconds(day: pd.DataFrame, span: int, types: Collection[str] | None = None) -> np.ndarray:
    """How many contacts (of ``types``) wait in the queue at each second of ``[0, span)``."""
    waiting = day[day["queue_entry_s"].notna() & (day["wait_s"] > 0)]
    if types is not None:
        waiting = waiting[waiting["contact_type"].isin(list(types))]
    q0 = np.clip(np.round(waiting["queue_entry_s"].to_numpy()), 0, span).astype(int)
    q1 = np.clip(np.round(waiting["queue_entry_s"].to_numpy() + waiting["wait_s"].to_numpy()), 0, span).astype(int)
    return _count_in(q0, q1, span)


@dataclass
class BreakThreshold:
    """The break threshold chosen from the idle-gap distribution (:func:`break_threshold`).

    ``table``: one row per gap-length bin (``low_s``, ``high_s``, ``gaps``, ``with_wait``: the share of
    gaps during which some customer waited).  ``floor_s``: the bin where that share is lowest."""

    threshold_s: float
    floor_s: float
    gaps: int
    table: pd.DataFrame
    basis: str = "idle gaps"


def break_threshold(log: pd.DataFrame, *, bins_per_decade: int = 10, min_gaps: int = 30,
                    majority: float = 0.5, fallback_s: float = BREAK_S) -> BreakThreshold:
    """The gap between two services of an agent from which the gap is a break, chosen from the data.

    An agent available and idle would take a waiting customer, so a gap between two of its services
    during which some customer waited (for a type it served that day) is, at least then, time off the
    phones.  Very short gaps mostly have customers waiting (the agent takes the next call a few seconds
    after the last: wrap-up); the share falls to its lowest among gaps of a minute or a few (idle
    agents waiting for calls), then rises with the gap's length (breaks).  Gaps are binned by length
    (``bins_per_decade`` log-spaced bins from 1 s; bins with fewer than ``min_gaps`` gaps skipped);
    the threshold is the lower edge of the first bin past the lowest one in which more than
    ``majority`` of the gaps had a customer waiting.  ``fallback_s`` when no bin qualifies."""
    edges = 10.0 ** (np.arange(0, 6 * bins_per_decade + 1) / bins_per_decade)
    counts = np.zeros(len(edges) - 1)
    waited = np.zeros(len(edges) - 1)
    span = int(2 * DAY_S)
    for _, day in log.groupby("date", sort=True):
        served = _served(day)
        a = np.clip(np.round(served["answer_s"].to_numpy()), 0, span).astype(int)
        e = np.clip(np.round(served["end_s"].to_numpy()), 0, span).astype(int)
        same = served["agent_id"].to_numpy()[1:] == served["agent_id"].to_numpy()[:-1]
        g0, g1 = e[:-1], a[1:]
        ok = same & (g1 > g0)
        if not ok.any():
            continue
        cum = np.concatenate([[0], np.cumsum(_waiting_seconds(day, span) > 0)])
        length = (g1 - g0)[ok]
        with_wait = (cum[g1[ok]] - cum[g0[ok]]) > 0
        k = np.clip(np.searchsorted(edges, length, side="right") - 1, 0, len(counts) - 1)
        np.add.at(counts, k, 1)
        np.add.at(waited, k, with_wait)
    keep = counts >= min_gaps
    with np.errstate(invalid="ignore", divide="ignore"):
        share = waited / counts
    table = pd.DataFrame({"low_s": edges[:-1], "high_s": edges[1:], "gaps": counts.astype(int), "with_wait": share})
    table = table[keep].reset_index(drop=True)
    if table.empty:
        return BreakThreshold(fallback_s, math.nan, int(counts.sum()), table, basis="fallback (too few gaps)")
    low = int(table["with_wait"].idxmin())
    after = table.iloc[low + 1:]
    above = after[after["with_wait"] > majority]
    if above.empty:
        return BreakThreshold(fallback_s, float(table["low_s"].iloc[low]), int(counts.sum()), table,
                              basis="fallback (no bin with most gaps waited on)")
    return BreakThreshold(float(round(above["low_s"].iloc[0])), float(table["low_s"].iloc[low]), int(counts.sum()),
                          table)


def available_agents(log: pd.DataFrame, *, interval_minutes: float = 30, break_s: float = BREAK_S,
                     agents: Collection[str] | None = None, types: Collection[str] | None = None,
                     break_rule: str = "length") -> pd.DataFrame:
    """Time-average agents available to answer, per date and interval (see the module docstring).

    At one-second resolution over the date (and the next, for services past midnight):
    ``available(t) = in_service(t) + [nobody waits at t] * in_short_gap(t)``, where a short gap is the
    time between the end of one of an agent's services and the start of its next, shorter than
    ``break_s`` (``break_rule="length"``), or, with ``break_rule="waited"``, shorter than ``break_s`` or
    with no customer waiting at any moment of it (a long gap in a quiet hour is idle time, not a
    break); waiting customers are those between queue entry and queue exit.  With ``agents`` (an
    agent group) only those agents count, and with ``types`` (its skills) only customers of those
    types waiting.  Columns: date, weekday, interval_start_s, available (mean over the interval), busy
    (agents in service, mean).  The means are fractional: a scenario uses them as they are
    (:func:`~.scenario.fractional_shifts`).
    """
    interval_s = 60.0 * interval_minutes
    n_int = int(math.ceil(DAY_S / interval_s))
    span = int(2 * DAY_S)
    rows = []
    for date, day in log.groupby("date", sort=True):
        weekday = day["weekday"].iloc[0]
        served = _served(day, agents)
        a = np.clip(np.round(served["answer_s"].to_numpy()), 0, span).astype(int)
        e = np.clip(np.round(served["end_s"].to_numpy()), 0, span).astype(int)
        busy = _count_in(a, np.maximum(a, e), span)
        same = served["agent_id"].to_numpy()[1:] == served["agent_id"].to_numpy()[:-1]
        g0, g1 = e[:-1], a[1:]
        waits = _waiting_seconds(day, span, types)
        nobody_waits = waits == 0
        short = same & (g1 > g0) & (g1 - g0 < break_s)
        if break_rule == "waited":  # a long gap is a break only if some customer waited during it
            cum = np.concatenate([[0], np.cumsum(~nobody_waits)])
            g0c, g1c = np.clip(g0, 0, span), np.clip(g1, 0, span)
            quiet = cum[np.maximum(g1c, g0c)] == cum[g0c]
            short = short | (same & (g1 > g0) & quiet)
        gap = _count_in(g0[short], g1[short], span)
        available = busy + nobody_waits * gap
        per = int(interval_s)
        seconds = n_int * per
        rows.append(pd.DataFrame({
            "date": date, "weekday": weekday, "interval_start_s": np.arange(n_int) * interval_s,
            "available": available[:seconds].reshape(n_int, per).mean(axis=1),
            "busy": busy[:seconds].reshape(n_int, per).mean(axis=1)}))
    if not rows:
        return pd.DataFrame(columns=["date", "weekday", "interval_start_s", "available", "busy"])
    return pd.concat(rows, ignore_index=True)


def _count_in(start: np.ndarray, end: np.ndarray, span: int) -> np.ndarray:
    """How many of the half-open second ranges ``[start, end)`` cover each second of ``[0, span)``."""
    diff = np.zeros(span + 1)
    np.add.at(diff, start, 1.0)
    np.add.at(diff, end, -1.0)
    return np.cumsum(diff[:-1])


# -------------------------------------------------------------- repeat calls


@dataclass
class RepeatContacts:
    """``table``: one row per window: window_days, contacts (identified contacts with the whole window
    inside the log), repeated (followed by another contact of the same customer within the window), share,
    and the Wilson interval of the share."""

    identified_contacts: int
    unidentified_contacts: int
    customers: int
    customers_with_repeat: int  # identified customers with two or more contacts in the log
    table: pd.DataFrame


def repeat_contacts(log: pd.DataFrame, *, windows_days: tuple[float, ...] = (1, 7),
                    confidence: float = 0.95) -> RepeatContacts:
    """Repeat contacts from customer ids (missing ids = unidentified, left out).  Contacts whose window
    runs past the log's last arrival are left out (their repeats could not be seen)."""
    ident = log[log["customer_id"].notna()].sort_values(["customer_id", "arrival_time"])
    t = ident["arrival_time"].to_numpy().astype("datetime64[ns]").astype(np.int64) / 1e9
    same_next = ident["customer_id"].to_numpy()[1:] == ident["customer_id"].to_numpy()[:-1]
    gap = np.append(np.where(same_next, np.diff(t), np.inf), np.inf)
    end = log["arrival_time"].max().value / 1e9 if len(log) else 0.0
    z = stats.norm.ppf(0.5 + confidence / 2)
    rows = []
    for w in windows_days:
        inside = t + w * DAY_S <= end
        n = int(inside.sum())
        k = int((gap[inside] <= w * DAY_S).sum())
        p = k / n if n else math.nan
        if n:
            centre = (p + z * z / (2 * n)) / (1 + z * z / n)
            half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
            lo, hi = centre - half, centre + half
        else:
            lo = hi = math.nan
        rows.append({"window_days": w, "contacts": n, "repeated": k, "share": p, "ci_low": lo, "ci_high": hi})
    counts = ident["customer_id"].value_counts()
    return RepeatContacts(identified_contacts=len(ident), unidentified_contacts=int(log["customer_id"].isna().sum()),
                          customers=len(counts), customers_with_repeat=int((counts >= 2).sum()),
                          table=pd.DataFrame(rows))


# ------------------------------------------------------------ agent groups

#: the clustering's defaults (mapping keys ``agent_groups.min_share``, ``min_services``, ``skill_share``)
MIN_SHARE = 0.15
MIN_SERVICES = 30
SKILL_SHARE = 0.02


@dataclass
class AgentClusters:
    """Agent groups found in a log (:func:`agent_clusters`).

    ``groups``: name -> skills, in order of the group's share of services; ``members``: name -> the
    log's agent ids; ``agents``: one row per agent (agent, services, group, core skills, and its share
    of each type); ``table``: one row per group (group, agents, services, skills, shares)."""

    groups: dict[str, list[str]]
    members: dict[str, list[str]]
    agents: pd.DataFrame
    table: pd.DataFrame
    rule: str


def agent_clusters(log: pd.DataFrame, *, min_share: float = MIN_SHARE, min_services: int = MIN_SERVICES,
                   skill_share: float = SKILL_SHARE, named: dict[str, dict] | None = None) -> AgentClusters:
    """Group the agents of a log by the contact types they served.

    The rule: an agent's *profile* is the share of each contact type among its services (answered
    contacts with its id). Its *core skills* are the types making up at least ``min_share`` of them;
    agents with the same core skills form a cluster (named after them, e.g. ``PS_NW``). Agents with
    fewer than ``min_services`` services join the cluster whose pooled profile is nearest to theirs
    (L1 distance). A group's skills are the types making up at least ``skill_share`` of its agents'
    services, in decreasing order of that share; a type in no group's skills is added, last, to the
    group that served most of it. ``named``: groups given by the user (name -> ``{agents: [...]}`` or
    ``{prefix: "Z"}``, and optionally ``skills: [...]``): their agents are taken out first; the rest are
    clustered as above."""
    served = log[(log["outcome"] == "answered") & log["agent_id"].notna()]
    counts = pd.crosstab(served["agent_id"].astype(str), served["contact_type"].astype(str))
    if counts.empty:
        raise ValueError("no answered contact names its agent; no agent groups to find")
    types = list(counts.columns)
    shares = counts.div(counts.sum(axis=1), axis=0)
    member: dict[str, str] = {}
    fixed_skills: dict[str, list[str]] = {}
    for name, spec in (named or {}).items():
        agents = [a for a in counts.index if a in set(spec.get("agents") or ())
                  or (spec.get("prefix") and a.startswith(spec["prefix"]))]
        for a in agents:
            member.setdefault(a, name)
        if spec.get("skills"):
            fixed_skills[name] = list(spec["skills"])
    rest = [a for a in counts.index if a not in member]
    big = [a for a in rest if counts.loc[a].sum() >= min_services]
    core = {a: tuple(t for t in sorted(types, key=lambda t: -shares.loc[a, t]) if shares.loc[a, t] >= min_share)
            for a in big}
    for a in big:
        member[a] = "_".join(sorted(core[a])) or "mixed"
    small = [a for a in rest if a not in member]
    if small:
        clustered = sorted(set(member[a] for a in big))
        if clustered:
            pooled = {g: counts.loc[[a for a in big if member[a] == g]].sum() for g in clustered}
            pooled = {g: v / v.sum() for g, v in pooled.items()}
            for a in small:
                member[a] = min(clustered, key=lambda g: (float((shares.loc[a] - pooled[g]).abs().sum()), g))
        else:
            for a in small:
                member[a] = "agents"
    names = list(dict.fromkeys(list(named or {}) + sorted(set(member.values()) - set(named or {}))))
    names = [g for g in names if any(member[a] == g for a in counts.index)]
    groups, members, rows = {}, {}, []
    for g in names:
        agents = sorted(a for a in counts.index if member[a] == g)
        c = counts.loc[agents].sum()
        share = c / c.sum()
        if g in fixed_skills:
            skills = fixed_skills[g]
        else:
            skills = [t for t in share.sort_values(ascending=False, kind="stable").index if share[t] >= skill_share]
        groups[g], members[g] = skills, agents
    for t in types:  # every type served by someone is some group's skill
        if not any(t in s for s in groups.values()):
            by = {g: int(counts.loc[members[g], t].sum()) for g in groups}
            groups[max(by, key=lambda g: (by[g], g))].append(t)
    for g in groups:
        c = counts.loc[members[g]].sum()
        rows.append({"group": g, "agents": len(members[g]), "services": int(c.sum()),
                     "skills": ", ".join(groups[g]),
                     "shares": ", ".join(f"{t} {c[t] / c.sum():.0%}" for t in groups[g]),
                     "agent_ids": ", ".join(members[g])})
    agents_table = shares.round(3).assign(services=counts.sum(axis=1), group=[member[a] for a in counts.index],
                                          core=[" ".join(core.get(a, ())) for a in counts.index])
    rule = (f"core skills: types >= {min_share:.0%} of an agent's services; agents with fewer than {min_services} "
            f"services join the nearest cluster; group skills: types >= {skill_share:.0%} of the group's services")
    return AgentClusters(groups, members, agents_table.reset_index(names="agent"), pd.DataFrame(rows), rule)
