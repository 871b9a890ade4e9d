"""KPIs of one replication: pure functions from its tallies to numbers.

Contacts are measured when they *arrive* inside the window ``[warmup, horizon)``;
time averages (queue length, occupancy) integrate over the same window.  The
definitions, per channel and for the whole centre (``all``):

- ``arrivals``: contacts that arrived; ``blocked``: turned away (queue full);
  ``offered`` = arrivals - blocked (they reached a queue);
- ``answered`` / ``abandoned``: answered / abandoned in the first queue;
  ``in_system``: still waiting or in service when the run stopped;
- ``service_level``: answered within the channel's threshold T / offered
  (abandons count as misses); variants (``run.service_level_variant``):
  ``answered`` divides by answered, ``offered_excl_short_abandons`` leaves out of
  the denominator contacts that abandoned within ``run.short_abandon_s``;
- ``asa_s``: mean wait of answered contacts; ``mean_wait_s``: mean wait of all
  offered, abandoners up to the moment they left;
- ``abandon_rate`` = abandoned / offered; ``block_rate`` = blocked / arrivals;
  ``p_wait``: share of offered that waited more than 0 s;
- ``aht_s``: mean handle time of services (first and escalation) of contacts
  that left the system;
- ``escalation_rate`` = escalated / answered; ``transfer_asa_s``: mean wait in
  the escalation queue of escalated contacts answered there;
- ``end_to_end_time_s``: first arrival to end of last service, of contacts
  served to the end;
- ``mean_queue_length``: time-average number waiting in the channel's queues;
- ``occupancy`` (``all`` only) = busy agent-seconds / logged-in agent-seconds;
  ``agents_staffed`` (``all`` only): time-average agents logged in.
"""

from __future__ import annotations

import math

import numpy as np

from .config import RunSpec, Scenario
from .records import TALLY_FIELDS, ReplicationResult

__all__ = ["SUMMARY_METRICS", "INTERVAL_METRICS", "CENTRE_ONLY", "replication_summary", "replication_intervals",
           "group_summary", "kpis_from_tally", "interval_bounds", "clock_label"]

SUMMARY_METRICS = (
    "arrivals", "offered", "answered", "abandoned", "blocked", "in_system", "service_level", "asa_s",
    "mean_wait_s", "abandon_rate", "block_rate", "p_wait", "aht_s", "escalation_rate", "transfer_asa_s",
    "end_to_end_time_s", "mean_queue_length", "occupancy", "agents_staffed",
)
INTERVAL_METRICS = ("offered", "answered", "abandoned", "service_level", "asa_s", "abandon_rate",
                    "mean_queue_length", "occupancy", "agents_staffed")
CENTRE_ONLY = ("occupancy", "agents_staffed")
_F = {name: i for i, name in enumerate(TALLY_FIELDS)}


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else math.nan


def kpis_from_tally(t: np.ndarray, run: RunSpec) -> dict[str, float]:
    """Contact KPIs from one tally vector (:data:`~sim.records.TALLY_FIELDS` order)."""
    g = {name: float(t[i]) for name, i in _F.items()}
    offered = g["arrivals"] - g["blocked"]
    variant = run.service_level_variant
    if variant == "offered":
        sl_den = offered
    elif variant == "answered":
        sl_den = g["answered"]
    else:
        sl_den = offered - g["short_abandons"]
    return {
        "arrivals": g["arrivals"],
        "offered": offered,
        "answered": g["answered"],
        "abandoned": g["abandoned"],
        "blocked": g["blocked"],
        "in_system": g["in_system"],
        "service_level": _ratio(g["answered_within_threshold"], sl_den),
        "asa_s": _ratio(g["wait_answered_s"], g["answered"]),
        "mean_wait_s": _ratio(g["wait_offered_s"], offered),
        "abandon_rate": _ratio(g["abandoned"], offered),
        "block_rate": _ratio(g["blocked"], g["arrivals"]),
        "p_wait": _ratio(g["waited"], offered),
        "aht_s": _ratio(g["handle_s"], g["handles"]),
        "escalation_rate": _ratio(g["escalated"], g["answered"]),
        "transfer_asa_s": _ratio(g["transfer_wait_s"], g["transfers_answered"]),
        "end_to_end_time_s": _ratio(g["end_to_end_s"], g["completed"]),
    }


def _inside(result: ReplicationResult, start: float, end: float) -> np.ndarray:
    """Mask of the segments inside ``[start, end)`` (segments never straddle those edges)."""
    b = result.segments.bounds_s
    lo, hi = b[:-1], b[1:]
    return (lo >= start - 1e-9) & (hi <= end + 1e-9) & (hi > lo)


def _window_kpis(result: ReplicationResult, run: RunSpec, start: float, end: float) -> dict[str, dict[str, float]]:
    """``{channel or 'all': {metric: value}}`` over the segments in ``[start, end)``."""
    seg = result.segments
    inside = _inside(result, start, end)
    length = end - start
    tally = seg.tally[inside].sum(axis=0)  # (n_channels, N_TALLY)
    queue = seg.queue_area[inside].sum(axis=0)  # (n_channels,)
    busy = float(seg.busy_area[inside].sum())
    staffed = float(seg.staffed_area[inside].sum())
    out = {}
    for idx, channel in enumerate(result.channel_names):
        kpis = kpis_from_tally(tally[idx], run)
        kpis["mean_queue_length"] = float(queue[idx]) / length
        out[channel] = kpis
    kpis = kpis_from_tally(tally.sum(axis=0), run)
    kpis["mean_queue_length"] = float(queue.sum()) / length
    kpis["occupancy"] = _ratio(busy, staffed)
    kpis["agents_staffed"] = staffed / length
    out["all"] = kpis
    return out


def replication_summary(result: ReplicationResult, scenario: Scenario, run: RunSpec) -> dict[tuple[str, str], float]:
    """``{(channel, metric): value}`` for each channel and ``all`` over the window."""
    per = _window_kpis(result, run, run.warmup_s, run.horizon_s)
    return {(channel, metric): value for channel, kpis in per.items() for metric, value in kpis.items()}


def group_summary(result: ReplicationResult, run: RunSpec) -> dict[tuple[str, str], float]:
    """``{(group, metric): value}``: occupancy and agents staffed per agent group."""
    seg = result.segments
    inside = _inside(result, run.warmup_s, run.horizon_s)
    busy = seg.busy_area[inside].sum(axis=0)
    staffed = seg.staffed_area[inside].sum(axis=0)
    length = run.horizon_s - run.warmup_s
    out: dict[tuple[str, str], float] = {}
    for i, name in enumerate(result.group_names):
        out[(name, "occupancy")] = _ratio(busy[i], staffed[i])
        out[(name, "agents_staffed")] = float(staffed[i]) / length
    return out


def interval_bounds(scenario: Scenario, run: RunSpec) -> list[tuple[float, float]]:
    """Reported intervals ``(start, end)`` in seconds: those starting inside the window."""
    out = []
    for k in range(scenario.n_intervals):
        lo = k * scenario.interval_s
        if lo >= run.horizon_s:
            break
        if lo + 1e-9 >= run.warmup_s:
            out.append((lo, min(lo + scenario.interval_s, run.horizon_s)))
    return out


def replication_intervals(result: ReplicationResult, scenario: Scenario, run: RunSpec) -> list[dict]:
    """One row per reported interval and channel (plus ``all``) with :data:`INTERVAL_METRICS`."""
    rows = []
    for lo, hi in interval_bounds(scenario, run):
        label = clock_label(scenario.open_time_s + lo)
        for channel, kpis in _window_kpis(result, run, lo, hi).items():
            row = {"interval_start_s": lo, "interval": label, "channel": channel}
            row.update({k: kpis.get(k, math.nan) for k in INTERVAL_METRICS})
            rows.append(row)
    return rows


def clock_label(seconds_after_midnight: float) -> str:
    """``30600.0`` -> ``'08:30'`` (days roll over past 24:00 as ``+1d``)."""
    total = int(round(seconds_after_midnight))
    days, rest = divmod(total, 86400)
    label = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return label if days == 0 else f"{label}+{days}d"
