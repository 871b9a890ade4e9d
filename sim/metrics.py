"""KPIs of one replication: pure functions from records to numbers.

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
from typing import Iterable

import numpy as np

from .config import RunSpec, Scenario
from .records import ABANDONED, ANSWERED, BLOCKED, IN_SYSTEM, ReplicationResult

__all__ = ["SUMMARY_METRICS", "INTERVAL_METRICS", "CENTRE_ONLY", "replication_summary", "replication_intervals",
           "group_summary", "contact_kpis", "clock_label"]

SUMMARY_METRICS = (
    "arrivals", "offered", "answered", "abandoned", "blocked", "in_system", "service_level", "asa_s",
    "mean_wait_s", "abandon_rate", "block_rate", "p_wait", "aht_s", "escalation_rate", "transfer_asa_s",
    "end_to_end_time_s", "mean_queue_length", "occupancy", "agents_staffed",
)
INTERVAL_METRICS = ("offered", "answered", "abandoned", "service_level", "asa_s", "abandon_rate",
                    "mean_queue_length", "occupancy", "agents_staffed")
CENTRE_ONLY = ("occupancy", "agents_staffed")


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else math.nan


def contact_kpis(result: ReplicationResult, mask: np.ndarray, thresholds: np.ndarray, run: RunSpec) -> dict[str, float]:
    """Contact-based KPIs of the contacts selected by ``mask``.

    ``thresholds`` is the service-level threshold (s) of each contact's channel.
    """
    c = result.contacts
    outcome = c.outcome[mask]
    wait = c.wait_s[mask]
    answered = c.answered[mask]
    t = thresholds[mask]
    arrivals = int(mask.sum())
    blocked_m = outcome == BLOCKED
    offered_m = ~blocked_m
    abandoned_m = (outcome == ABANDONED) & ~answered
    offered = arrivals - int(blocked_m.sum())
    n_answered = int(answered.sum())
    n_abandoned = int(abandoned_m.sum())
    within = int((answered & (wait <= t)).sum())
    variant = run.service_level_variant
    if variant == "offered":
        sl_den = offered
    elif variant == "answered":
        sl_den = n_answered
    else:
        sl_den = offered - int((abandoned_m & (wait < run.short_abandon_s)).sum())
    left = outcome != IN_SYSTEM
    handles = np.concatenate((c.handle_time_s[mask][left], c.transfer_handle_time_s[mask][left]))
    handles = handles[~np.isnan(handles)]
    escalated = c.escalated[mask]
    served_t2 = escalated & ~np.isnan(c.transfer_handle_time_s[mask])
    done = outcome == ANSWERED
    return {
        "arrivals": float(arrivals),
        "offered": float(offered),
        "answered": float(n_answered),
        "abandoned": float(n_abandoned),
        "blocked": float(blocked_m.sum()),
        "in_system": float((outcome == IN_SYSTEM).sum()),
        "service_level": _ratio(within, sl_den),
        "asa_s": _mean(wait[answered]),
        "mean_wait_s": _mean(wait[offered_m]),
        "abandon_rate": _ratio(n_abandoned, offered),
        "block_rate": _ratio(float(blocked_m.sum()), arrivals),
        "p_wait": _ratio(int((wait[offered_m] > 0).sum()), offered),
        "aht_s": _mean(handles),
        "escalation_rate": _ratio(int((escalated & answered).sum()), n_answered),
        "transfer_asa_s": _mean(c.transfer_wait_s[mask][served_t2]),
        "end_to_end_time_s": _mean((c.end_time_s[mask] - c.arrival_time_s[mask])[done]),
    }


def _thresholds(result: ReplicationResult, scenario: Scenario) -> np.ndarray:
    per_channel = np.asarray([scenario.channels[ch].service_level_threshold_s for ch in result.channel_names])
    return per_channel[result.contacts.channel.astype(np.intp)] if len(result.contacts) else np.zeros(0)


def _segment_weights(bounds: np.ndarray, start: float, end: float) -> np.ndarray:
    """Share of each segment inside ``[start, end)`` (segments never straddle window edges)."""
    lo, hi = bounds[:-1], bounds[1:]
    return ((lo >= start - 1e-9) & (hi <= end + 1e-9) & (hi > lo)).astype(float)


def _time_kpis(result: ReplicationResult, start: float, end: float) -> tuple[dict[str, float], np.ndarray]:
    seg = result.segments
    w = _segment_weights(seg.bounds_s, start, end)
    length = end - start
    busy = float((seg.busy_area @ w).sum()) if seg.busy_area.size else 0.0
    staffed = float((seg.staffed_area @ w).sum()) if seg.staffed_area.size else 0.0
    queue_area = seg.queue_area @ w if seg.queue_area.size else np.zeros(len(result.queue_channel))
    per_channel = np.bincount(result.queue_channel.astype(np.intp), weights=queue_area,
                              minlength=len(result.channel_names))
    centre = {
        "mean_queue_length": float(per_channel.sum()) / length,
        "occupancy": _ratio(busy, staffed),
        "agents_staffed": staffed / length,
    }
    return centre, per_channel / length


def replication_summary(result: ReplicationResult, scenario: Scenario, run: RunSpec) -> dict[tuple[str, str], float]:
    """``{(channel, metric): value}`` for each channel and ``all`` over the window."""
    start, end = run.warmup_s, run.horizon_s
    c = result.contacts
    thresholds = _thresholds(result, scenario)
    in_window = (c.arrival_time_s >= start) & (c.arrival_time_s < end)
    centre_time, channel_queue = _time_kpis(result, start, end)
    out: dict[tuple[str, str], float] = {}
    for idx, channel in enumerate(result.channel_names):
        kpis = contact_kpis(result, in_window & (c.channel == idx), thresholds, run)
        kpis["mean_queue_length"] = float(channel_queue[idx])
        out.update({(channel, k): v for k, v in kpis.items()})
    kpis = contact_kpis(result, in_window, thresholds, run)
    kpis.update(centre_time)
    out.update({("all", k): v for k, v in kpis.items()})
    return out


def group_summary(result: ReplicationResult, run: RunSpec) -> dict[tuple[str, str], float]:
    """``{(group, metric): value}``: occupancy and agents staffed per agent group."""
    seg = result.segments
    w = _segment_weights(seg.bounds_s, run.warmup_s, run.horizon_s)
    length = run.horizon_s - run.warmup_s
    out: dict[tuple[str, str], float] = {}
    for i, name in enumerate(result.group_names):
        busy = float(seg.busy_area[i] @ w)
        staffed = float(seg.staffed_area[i] @ w)
        out[(name, "occupancy")] = _ratio(busy, staffed)
        out[(name, "agents_staffed")] = staffed / length
    return out


def interval_starts(scenario: Scenario, run: RunSpec) -> list[tuple[float, float]]:
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
    c = result.contacts
    thresholds = _thresholds(result, scenario)
    rows = []
    for lo, hi in interval_starts(scenario, run):
        in_interval = (c.arrival_time_s >= lo) & (c.arrival_time_s < hi)
        centre_time, channel_queue = _time_kpis(result, lo, hi)
        channels: Iterable[tuple[str, np.ndarray, float]] = [
            (name, in_interval & (c.channel == idx), float(channel_queue[idx]))
            for idx, name in enumerate(result.channel_names)]
        for name, mask, queue_len in list(channels) + [("all", in_interval, centre_time["mean_queue_length"])]:
            kpis = contact_kpis(result, mask, thresholds, run)
            row = {"interval_start_s": lo, "interval": clock_label(scenario.open_time_s + lo), "channel": name}
            row.update({k: kpis[k] for k in INTERVAL_METRICS if k in kpis})
            row["mean_queue_length"] = queue_len
            for key in CENTRE_ONLY:
                row[key] = centre_time[key] if name == "all" else math.nan
            rows.append(row)
    return rows


def clock_label(seconds_after_midnight: float) -> str:
    """``30600.0`` -> ``'08:30'`` (days roll over past 24:00 as ``+1d``)."""
    total = int(round(seconds_after_midnight))
    days, rest = divmod(total, 86400)
    label = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return label if days == 0 else f"{label}+{days}d"
