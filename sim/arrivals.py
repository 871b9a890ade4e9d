"""Arrival processes: piecewise-constant Poisson by interval, and trace replay.

A non-homogeneous Poisson process with rate ``r_i`` (per hour) in interval
``i`` is sampled exactly by inverting its cumulative rate: unit-rate
exponential gaps are summed to ``E_1 < E_2 < ...`` and mapped through
``Lambda^{-1}``, which is piecewise linear.  Intervals with rate 0 get no
arrivals.  Times come out in blocks, sorted, in seconds from time 0.

A trace is a CSV of given contacts (``arrival_time_s``, ``contact_type``,
``handle_time_s``, optional ``patience_s``) replayed exactly as written.
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np

from .errors import ConfigError

__all__ = ["poisson_arrival_times", "TraceContact", "read_trace"]


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
    stat = Path(path).stat()
    return _read_trace(str(path), stat.st_mtime_ns, stat.st_size, tuple(contact_types))


@functools.lru_cache(maxsize=4)
def _read_trace(path: str, mtime_ns: int, size: int, names: tuple[str, ...]) -> tuple[TraceContact, ...]:
    rows: list[TraceContact] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        for needed in ("arrival_time_s", "handle_time_s"):
            if needed not in header:
                raise ConfigError(f"{path}:1", f"missing column '{needed}'; expected columns arrival_time_s, "
                                               f"contact_type, handle_time_s and optionally patience_s")
        if "contact_type" not in header and len(names) != 1:
            raise ConfigError(f"{path}:1", "missing column 'contact_type' (required when the scenario has "
                                           f"several contact types: {', '.join(names)})")
        unknown = [c for c in header if c not in ("arrival_time_s", "contact_type", "handle_time_s", "patience_s")]
        if unknown:
            raise ConfigError(f"{path}:1", f"unknown column '{unknown[0]}'; expected arrival_time_s, contact_type, "
                                           "handle_time_s, patience_s")
        previous = -math.inf
        for row in reader:
            where = f"{path}:{reader.line_num}"  # the file's line, even after blank lines (which are skipped)
            if None in row or any(v is None for v in row.values()):
                raise ConfigError(where, f"expected {len(header)} fields, got a row of a different length")
            arrival = _field(row, "arrival_time_s", where)
            handle = _field(row, "handle_time_s", where)
            patience_text = (row.get("patience_s") or "").strip()
            patience = None if patience_text in ("", "inf", "None", "null") else _field(row, "patience_s", where)
            ctype = (row.get("contact_type") or "").strip() or (names[0] if len(names) == 1 else "")
            if ctype not in names:
                raise ConfigError(where, f"unknown contact_type {ctype!r}; expected one of {', '.join(names)}")
            if arrival < previous:
                raise ConfigError(where, f"arrival_time_s {arrival:g} is earlier than the row before; "
                                         "expected rows sorted by arrival time")
            previous = arrival
            rows.append(TraceContact(arrival, ctype, handle, patience))
    return tuple(rows)


def _field(row: Mapping[str, str], key: str, where: str) -> float:
    text = (row.get(key) or "").strip()
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(where, f"{key}: expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ConfigError(where, f"{key}: expected a non-negative number of seconds, got {text!r}")
    return value
