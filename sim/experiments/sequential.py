"""Warm-up detection (MSER-5) and sequential replications.

**Warm-up.**  :func:`detect_warmup_s` takes pilot replications (as returned
by :func:`sim.model.centre.simulate`), builds one series per segment (the model's
time cuts: intervals, warm-up, horizon) of the time-average queue length, or
of the mean wait of contacts arriving in the segment, averaged over the pilots,
and applies :func:`sim.experiments.stats.mser5` to it.  The warm-up is the start of the
first segment kept, in seconds.  Segments are as long as the scenario's
intervals, which is coarse for MSER (it wants dozens of batches of 5), so
:func:`pilot_replications` runs the pilots on a copy of the scenario whose
interval tables are split into ``k`` equal sub-intervals (the same model:
rates and staffing are constant within each original interval) so that the
horizon holds at least ``min_segments`` segments.  :func:`resolve_warmup` does
both for a config with ``run.warmup_hours: auto`` and returns the config with
the detected warm-up, and a report.  Pilots use replication numbers from
:data:`PILOT_OFFSET` on, so they are independent of the measured replications.

**Sequential replications.**  :func:`run_until_precise` runs replications in
batches (``min_replications`` first, then ``batch`` at a time) until the
t-interval of one KPI is at most ``half_width`` wide on each side (absolute,
or relative to the mean), or ``max_replications`` are done.  Replication ``r``
draws from streams of ``(seed, r)`` only, so the result equals
``run_experiment`` with ``run.replications`` set to the number used.
:func:`run_configured` dispatches on the run keys (``run.target_half_width``,
``run.target_metric``, ``run.max_replications``).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable, Sequence

import numpy as np

from sim.engine.records import TALLY_FIELDS, ReplicationResult
from sim.experiments.executors import map_replications
from sim.experiments.replications import ExperimentResult, assemble, run_experiment
from sim.experiments.stats import mser_statistic, t_interval
from sim.model.centre import simulate
from sim.model.config import Scenario, SimConfig, resolve_run
from sim.model.metrics import offered_count

__all__ = ["PILOT_OFFSET", "WARMUP_METRICS", "warmup_series", "detect_warmup", "detect_warmup_s",
           "refine_scenario", "pilot_replications", "resolve_warmup", "run_until_precise", "run_configured"]

#: pilot replication ``i`` uses the streams of replication ``PILOT_OFFSET + i``
PILOT_OFFSET = 1_000_000
WARMUP_METRICS = ("mean_queue_length", "mean_wait_s")


# ----------------------------------------------------------------- warm-up


def warmup_series(results: Sequence[ReplicationResult], metric: str = "mean_queue_length",
                  channel: str = "all", horizon_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(segment_starts_s, values)``: one value per segment before the horizon, averaged over ``results``.

    ``mean_queue_length``: time-average number waiting (queue area / segment
    length); ``mean_wait_s``: total wait of offered contacts arriving in the
    segment / their number, pooled over the replications (segments where no
    contact arrived are left out).  ``channel``: a channel name or ``all``.
    ``horizon_s`` defaults to the end of the last closed segment.
    """
    if not results:
        raise ValueError("need at least one pilot replication")
    if metric not in WARMUP_METRICS:
        raise ValueError(f"metric must be one of {', '.join(WARMUP_METRICS)}, got {metric!r}")
    first = results[0]
    bounds = first.segments.bounds_s
    for res in results[1:]:
        b = res.segments.bounds_s
        if b.shape != bounds.shape or not np.allclose(b[:-1], bounds[:-1]):
            raise ValueError("pilot replications must come from the same scenario and run (same segment bounds)")
    lo, hi = bounds[:-1], bounds[1:]
    end = bounds[-2] if horizon_s is None else horizon_s  # the last segment runs until the run stopped
    keep = (hi <= end + 1e-9) & (hi > lo)
    if channel == "all":
        cols = slice(None)
    elif channel in first.channel_names:
        cols = [first.channel_names.index(channel)]
    else:
        raise ValueError(f"channel must be 'all' or one of {', '.join(first.channel_names)}, got {channel!r}")
    if metric == "mean_queue_length":
        area = sum(res.segments.queue_area[:, cols].sum(axis=1) for res in results)
        values = area / (len(results) * np.where(hi > lo, hi - lo, 1.0))
    else:
        tally = sum(res.segments.tally[:, cols, :].sum(axis=1) for res in results)
        offered = offered_count(tally)
        wait = tally[:, TALLY_FIELDS.index("wait_offered_s")]
        keep &= offered > 0
        values = np.divide(wait, offered, out=np.full(offered.shape, math.nan), where=offered > 0)
    return lo[keep], values[keep]


def detect_warmup(results: Sequence[ReplicationResult], metric: str = "mean_queue_length", channel: str = "all",
                  batch_size: int = 5, horizon_s: float | None = None) -> dict[str, Any]:
    """MSER on the pilots' segment series (:func:`warmup_series`); a report dict.

    Keys: ``warmup_s`` (start of the first segment kept), ``truncated_segments``,
    ``n_segments``, ``segment_s`` (typical segment length), ``metric``,
    ``channel``, ``batch_size``, ``pilot_replications``, ``at_limit`` (the
    minimum is at the largest truncation allowed, half the series: the run is
    too short to see the end of the transient; run a longer horizon).
    """
    starts, values = warmup_series(results, metric, channel, horizon_s)
    stat = mser_statistic(values, batch_size)
    d = int(np.argmin(stat))
    cut = d * batch_size
    return {
        "warmup_s": float(starts[cut]) if cut else 0.0,
        "truncated_segments": cut,
        "n_segments": int(values.size),
        "segment_s": float(np.median(np.diff(starts))) if starts.size > 1 else math.nan,
        "metric": metric,
        "channel": channel,
        "batch_size": batch_size,
        "pilot_replications": len(results),
        "at_limit": bool(d == stat.size - 1 and d > 0),
    }


def detect_warmup_s(results: Sequence[ReplicationResult], metric: str = "mean_queue_length", channel: str = "all",
                    batch_size: int = 5, horizon_s: float | None = None) -> float:
    """Warm-up (seconds, at a segment bound) detected by MSER-5 on the pilots' averaged segment series."""
    return detect_warmup(results, metric, channel, batch_size, horizon_s)["warmup_s"]


def refine_scenario(scenario: Scenario, k: int) -> Scenario:
    """The same scenario with every interval split into ``k`` equal sub-intervals (tables repeated)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if k == 1:
        return scenario

    def split(values):
        return None if values is None else tuple(v for v in values for _ in range(k))

    types = {name: replace(ct, rate_per_hour=split(ct.rate_per_hour)) for name, ct in scenario.contact_types.items()}
    groups = {name: replace(g, staffing=split(g.staffing)) for name, g in scenario.agent_groups.items()}
    return replace(scenario, interval_s=scenario.interval_s / k, n_intervals=scenario.n_intervals * k,
                   contact_types=types, agent_groups=groups)


def pilot_replications(config: SimConfig, replications: int = 5, min_segments: int = 100) -> list[ReplicationResult]:
    """``replications`` pilot runs of ``config`` without warm-up, with at least ``min_segments`` segments.

    Pilot ``i`` uses the streams of replication ``PILOT_OFFSET + i``.
    """
    run = replace(config.run, warmup_s=0.0, save_contacts=False)
    scenario = config.scenario
    per_interval = run.horizon_s / scenario.interval_s
    k = max(1, math.ceil(min_segments / per_interval - 1e-9))
    fine = refine_scenario(scenario, k)
    run = resolve_run(run, fine)
    return [simulate(fine, run, PILOT_OFFSET + i) for i in range(replications)]


def resolve_warmup(config: SimConfig, pilot_reps: int = 5, metric: str = "mean_queue_length", channel: str = "all",
                   min_segments: int = 100) -> tuple[SimConfig, dict[str, Any]]:
    """Detect the warm-up on pilot runs (MSER-5) and return ``(config with it, report)``.

    The returned config has ``run.warmup_s`` set to the detected value and
    ``run.warmup_auto`` cleared.  The report is that of :func:`detect_warmup`.
    """
    pilots = pilot_replications(config, pilot_reps, min_segments)
    report = detect_warmup(pilots, metric, channel, 5, config.run.horizon_s)
    run = resolve_run(replace(config.run, warmup_s=report["warmup_s"], warmup_auto=False), config.scenario)
    return replace(config, run=run), report


# --------------------------------------------------- sequential replications


def _values(outputs: list[dict], channel: str, metric: str) -> np.ndarray:
    return np.asarray([row["value"] for out in outputs for row in out["summary"]
                       if row["channel"] == channel and row["metric"] == metric], dtype=float)


def run_until_precise(config: SimConfig, metric: tuple[str, str] | str = ("all", "service_level"),
                      half_width: float = 0.01, relative: bool = False, min_replications: int = 5,
                      max_replications: int = 200, batch: int = 5,
                      progress: Callable[[int, float], None] | None = None) -> tuple[ExperimentResult, dict[str, Any]]:
    """Add replications until the t-interval of ``metric`` is at most ``half_width`` on each side.

    ``metric``: ``(channel, metric)`` or ``"channel.metric"`` (channel ``all``
    = the whole centre).  ``relative``: the target is ``half_width * |mean|``.
    Runs ``min_replications`` first, then ``batch`` more at a time, never more
    than ``max_replications`` in all, each batch on ``run.executor``.  Returns the
    :class:`ExperimentResult` of the replications run (``config.run.replications``
    set to their number; identical to :func:`~sim.experiments.replications.run_experiment`
    with that many) and a report: ``channel``, ``metric``, ``target_half_width``,
    ``relative``, ``replications``, ``mean``, ``half_width`` (achieved, absolute),
    ``relative_half_width``, ``met`` (target reached), ``max_replications``
    and ``history`` (``[(replications, half_width), ...]`` after each batch).
    ``progress(replications, half_width)`` is called after each batch.
    """
    channel, name = metric.rpartition(".")[::2] if isinstance(metric, str) else metric
    if not (half_width > 0):
        raise ValueError(f"half_width must be positive, got {half_width}")
    if min_replications < 2 or max_replications < min_replications or batch < 1:
        raise ValueError("need 2 <= min_replications <= max_replications and batch >= 1")
    conf = config.run.confidence
    outputs: list[dict] = []
    history: list[tuple[int, float]] = []
    want = min_replications
    while True:  # each batch runs on run.executor (processes or Dask), like run_experiment
        outputs.extend(map_replications(config, range(len(outputs), want)))
        values = _values(outputs, channel, name)
        if values.size == 0:
            raise ValueError(f"metric {channel}.{name} is not reported by this scenario")
        est = t_interval(values, conf)
        target = half_width * abs(est.mean) if relative else half_width
        met = math.isfinite(est.half_width) and est.half_width <= target
        history.append((len(outputs), est.half_width))
        if progress:
            progress(len(outputs), est.half_width)
        if met or len(outputs) >= max_replications:
            break
        want = min(len(outputs) + batch, max_replications)
    report = {
        "channel": channel, "metric": name, "target_half_width": half_width, "relative": relative,
        "replications": len(outputs), "mean": est.mean, "half_width": est.half_width,
        "relative_half_width": est.half_width / abs(est.mean) if est.mean else math.nan,
        "met": met, "max_replications": max_replications, "history": history,
    }
    return assemble(config, outputs), report


def run_configured(config: SimConfig, batch: int = 5, contact_log=None,
                   progress: Callable[[int, int], None] | None = None) -> tuple[ExperimentResult, dict[str, Any] | None]:
    """:func:`run_until_precise` from the run keys when ``run.target_half_width`` is set, else ``run_experiment``.

    ``run.replications`` is the first batch (at least 2), ``run.max_replications``
    the cap, ``run.target_metric`` the KPI; the report is ``None`` without a target.
    """
    run = config.run
    if run.target_half_width is None:
        return run_experiment(config, contact_log=contact_log, progress=progress), None
    cap = max(run.max_replications, max(2, run.replications))
    return run_until_precise(config, run.target, run.target_half_width, False, max(2, run.replications), cap, batch,
                             progress=(lambda done, _half_width: progress(done, cap)) if progress else None)
