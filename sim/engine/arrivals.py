"""Arrival processes: piecewise-constant Poisson by interval, and trace replay.

A non-homogeneous Poisson process with rate ``r_i`` (per hour) in interval
``i`` is sampled exactly by inverting its cumulative rate: unit-rate
exponential gaps are summed to ``E_1 < E_2 < ...`` and mapped through
``Lambda^{-1}``, which is piecewise linear.  Intervals with rate 0 get no
arrivals.  Times come out in blocks, sorted, in seconds from time 0.

Forecast uncertainty (``scenario.busyness_cv``): each simulated day (each 24 h
of simulation time) of a replication draws one busyness factor ``B`` with mean
1 and coefficient of variation ``cv`` from a gamma distribution, and every
arrival rate of that day is multiplied by it (:func:`day_factors`,
:func:`scale_by_day`), so all contact types share the day's factor.  A day's
count is then Poisson-gamma (negative binomial): variance ``m + (m cv)^2`` for
mean ``m``.

A trace is a CSV of given contacts (``arrival_time_s``, ``contact_type``,
``handle_time_s``, optional ``patience_s``) replayed exactly as written.  It is read
by :func:`sim.engine.inputs.read_text` (missing, binary or not UTF-8: one line naming
the file); its header names each column once, and every time is a finite number
written in ASCII digits, at least 0 and at most :data:`TRACE_MAX_S` for its column
(arrivals and patience within 366 days of time 0, handle times at most 7 days), so
that no sum of them overflows.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np
from scipy.special import gammaincinv

from sim.engine.checks import show
from sim.engine.errors import ConfigError
from sim.engine.inputs import MAX_FIELD_CHARS, finite, read_text

__all__ = ["poisson_arrival_times", "daily_arrival_times", "day_factors", "scale_by_day", "days_covered", "TraceContact", "read_trace"]

DAY_S = 86400.0
TRACE_COLUMNS = ("arrival_time_s", "contact_type", "handle_time_s", "patience_s")
#: the largest value of each time column of a trace (s): arrivals within 366 days of time 0, a handle
#: time of at most 7 days, a patience of at most 366 days (empty or ``inf``: never abandons)
TRACE_MAX_S = {"arrival_time_s": 366 * DAY_S, "handle_time_s": 7 * DAY_S, "patience_s": 366 * DAY_S}
TRACE_FILE = "a trace CSV (arrival_time_s, contact_type, handle_time_s, patience_s)"


def days_covered(interval_s: float, n_intervals: int, horizon_s: float) -> int:
    """Simulated days (24 h each, from time 0) in which an interval starts before the horizon."""
    starts = [k * interval_s for k in range(n_intervals) if k * interval_s < horizon_s]
    return int(max(starts, default=0.0) // DAY_S) + 1


def day_factors(cv: float, n_days: int, rng: np.random.Generator) -> np.ndarray:
    """``n_days`` busyness factors ``B ~ Gamma(shape 1/cv^2, scale cv^2)`` (mean 1, CV ``cv``).

    Drawn by inverting the gamma CDF at one uniform per day, so day ``d`` uses the
    ``d``-th uniform of ``rng`` whatever ``n_days`` is, and runs with different
    ``cv`` but the same seed get the same quantile each day (common random
    numbers: a busier-than-forecast day stays busier when ``cv`` grows).
    ``cv`` 0 gives ones and draws nothing.
    """
    if cv < 0 or not math.isfinite(cv):
        raise ValueError(f"busyness cv must be a finite number >= 0, got {cv!r}")
    if cv == 0 or n_days <= 0:
        return np.ones(max(n_days, 0))
    shape = 1.0 / (cv * cv)
    u = rng.random(n_days)
    return gammaincinv(shape, u) / shape  # scale cv^2 = 1 / shape


def scale_by_day(rate_per_hour: tuple[float, ...], interval_s: float, factors: np.ndarray) -> tuple[float, ...]:
    """``rate_per_hour`` with interval ``k`` multiplied by the factor of the day it starts in."""
    if not len(factors):
        return tuple(rate_per_hour)
    last = len(factors) - 1
    return tuple(r * float(factors[min(int(k * interval_s // DAY_S), last)]) for k, r in enumerate(rate_per_hour))


def poisson_arrival_times(rate_per_hour: tuple[float, ...], interval_s: float, horizon_s: float,
                          rng: np.random.Generator, block: int = 4096) -> Iterator[float]:
    """Arrival times (s) in ``[0, horizon_s)`` of a piecewise-constant Poisson process."""
    n = min(len(rate_per_hour), math.ceil(horizon_s / interval_s - 1e-12))
    if n <= 0:
        return
    knots_t = np.minimum(np.arange(n + 1, dtype=float) * interval_s, horizon_s)
    rates = np.asarray(rate_per_hour[:n], dtype=float) / 3600.0
    cum = np.concatenate(([0.0], np.cumsum(rates * np.diff(knots_t))))
    total = cum[-1]
    if total <= 0:
        return
    e = 0.0
    while True:
        gaps = rng.exponential(1.0, block)
        hazard = e + np.cumsum(gaps)
        e = float(hazard[-1])
        inside = hazard[hazard < total]
        idx = np.searchsorted(cum, inside, side="right") - 1
        times = knots_t[idx] + (inside - cum[idx]) / rates[idx]
        yield from times.tolist()
        if inside.size < block:
            return


def daily_arrival_times(rate_per_hour: tuple[float, ...], interval_s: float, day_open_s: float, days: int,
                        rng: np.random.Generator, factors: np.ndarray | None = None,
                        weekly: tuple[float, ...] = (), overnight: float = 0.0) -> Iterator[float]:
    """Arrival times (s) of a multi-day run, from one generator in sequence: each day ``d`` the day's
    rate table times ``factors[d]`` (busyness) and ``weekly[d mod len]`` over its opening hours
    ``[d x 86400, d x 86400 + day_open_s)``, then ``overnight`` contacts (times the same factors) on
    average spread uniformly over the night before day ``d + 1`` (none after the last day)."""
    night = DAY_S - day_open_s
    for d in range(days):
        f = (1.0 if factors is None else float(factors[d])) * (weekly[d % len(weekly)] if weekly else 1.0)
        rates = rate_per_hour if f == 1.0 else tuple(r * f for r in rate_per_hour)
        base = d * DAY_S
        for t in poisson_arrival_times(rates, interval_s, day_open_s, rng):
            yield base + t
        if overnight > 0 and night > 0 and d < days - 1:
            for t in poisson_arrival_times((overnight * f * 3600.0 / night,), night, night, rng):
                yield base + day_open_s + t


@dataclass(frozen=True)
class TraceContact:
    """One row of a trace: times in seconds; ``patience_s`` ``None`` = never abandons."""

    arrival_time_s: float
    contact_type: str
    handle_time_s: float
    patience_s: float | None


def read_trace(path: Path, contact_types: Mapping[str, object]) -> tuple[TraceContact, ...]:
    """Read and check a trace CSV; errors name the file and line.

    The config check and every replication read the same file: the parsed rows
    are cached for as long as the file's size and modification time stay the same.
    """
    path = Path(path)
    if not path.is_file():
        read_text(path, TRACE_FILE)  # raises the one-line error: no such file, a folder, ...
    stat = path.stat()
    return _read_trace(str(path), stat.st_mtime_ns, stat.st_size, tuple(contact_types))


@functools.lru_cache(maxsize=4)
def _read_trace(path: str, mtime_ns: int, size: int, names: tuple[str, ...]) -> tuple[TraceContact, ...]:
    rows: list[TraceContact] = []
    reader = csv.reader(io.StringIO(read_text(path, TRACE_FILE), newline=""))
    limit = csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        try:
            header = [h.strip() for h in next(reader, [])]
        except csv.Error as exc:
            raise ConfigError(f"{path}:1", f"not a readable CSV header: {exc} (expected {TRACE_FILE})") from None
        for column in header:
            if header.count(column) > 1:
                raise ConfigError(f"{path}:1", f"column {column!r} appears twice in the header; expected each of "
                                               f"{', '.join(TRACE_COLUMNS)} at most once")
        for needed in ("arrival_time_s", "handle_time_s"):
            if needed not in header:
                raise ConfigError(f"{path}:1", f"missing column '{needed}'; expected columns arrival_time_s, "
                                               f"contact_type, handle_time_s and optionally patience_s")
        if "contact_type" not in header and len(names) != 1:
            raise ConfigError(f"{path}:1", "missing column 'contact_type' (required when the scenario has "
                                           f"several contact types: {', '.join(names)})")
        unknown = [c for c in header if c not in TRACE_COLUMNS]
        if unknown:
            raise ConfigError(f"{path}:1", f"unknown column {show(unknown[0])}; expected arrival_time_s, contact_type, "
                                           "handle_time_s, patience_s")
        previous = -math.inf
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                why = f"a field longer than {MAX_FIELD_CHARS:,} characters" if "field limit" in str(exc) else str(exc)
                raise ConfigError(f"{path}:{reader.line_num}", f"not readable as CSV: {why}") from None
            where = f"{path}:{reader.line_num}"  # the file's line, even after blank lines (which are skipped)
            if not cells:
                continue
            if len(cells) != len(header):
                raise ConfigError(where, f"expected {len(header)} fields, got {len(cells)}")
            row = dict(zip(header, cells))
            arrival = _field(row, "arrival_time_s", where)
            handle = _field(row, "handle_time_s", where)
            patience_text = row.get("patience_s", "").strip()
            patience = None if patience_text in ("", "inf", "None", "null") else _field(row, "patience_s", where)
            ctype = row.get("contact_type", "").strip() or (names[0] if len(names) == 1 else "")
            if ctype not in names:
                raise ConfigError(where, f"unknown contact_type {show(ctype)}; expected one of {', '.join(names)}")
            if arrival < previous:
                raise ConfigError(where, f"arrival_time_s {arrival:g} is earlier than the row before; "
                                         "expected rows sorted by arrival time")
            previous = arrival
            rows.append(TraceContact(arrival, ctype, handle, patience))
    finally:
        csv.field_size_limit(limit)
    return tuple(rows)


def _field(row: Mapping[str, str], key: str, where: str) -> float:
    """A time cell: a finite ASCII number of seconds from 0 to ``TRACE_MAX_S[key]``."""
    text = row.get(key, "").strip()
    try:
        value = finite(text, where, unit="seconds")
    except ConfigError as err:
        raise ConfigError(where, f"{key}: {err.message}") from None
    if value < 0:
        raise ConfigError(where, f"{key}: expected a non-negative number of seconds, got {text!r}")
    limit = TRACE_MAX_S[key]
    if value > limit:
        raise ConfigError(where, f"{key}: expected at most {limit:,.0f} s ({limit / DAY_S:g} days), got {text!r}")
    return value
