"""Paired comparisons of two scenarios run with common random numbers.

Replication ``r`` of a scenario draws its arrivals, handle times, patience and
escalation decisions from streams derived from ``(seed, r, name)`` only
(:mod:`sim.engine.streams`).  Two scenarios run with the same seed therefore see the
same customers in replication ``r``: their KPIs are *paired* by construction,
and the difference ``alternative[r] - baseline[r]`` varies much less from one
replication to the next than either KPI does.  :func:`compare` reports, for
every KPI of the summary, the paired t-interval of those differences next to
the half-width an unpaired (Welch) interval would have had from the same
replications, and the variance-reduction factor between the two.

:func:`with_verdicts` adds a verdict per KPI ("significantly better / worse / no detectable
difference", :func:`sim.experiments.kpis.verdict`); ``python -m sim.compare`` (:mod:`sim.compare`)
runs it on two run folders (:func:`compare_folders`, which checks what it reads: each folder's
``replications.csv`` with its columns and numbers, ``config.yaml`` as YAML with a valid
``run.confidence``; a fault is one :class:`~sim.engine.errors.ConfigError` naming the file).  From
Python::

    from sim import run_experiment
    from sim.compare import compare

    base = run_experiment(config)                      # same run.seed in both
    alt = run_experiment(alternative_config)
    table = compare(base, alt)                         # one row per channel x metric
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine.errors import ConfigError
from sim.engine.inputs import load_yaml
from sim.experiments.files import csv_frame
from sim.experiments.kpis import verdict
from sim.experiments.replications import ExperimentResult
from sim.experiments.stats import paired_difference, welch_half_width

__all__ = ["COMPARE_COLUMNS", "MECHANISM_OFF", "REPLICATION_TABLE", "compare", "compare_replications", "compare_folders",
           "read_replications", "unique_replications", "with_verdicts"]

COMPARE_COLUMNS = ["channel", "metric", "baseline_mean", "alternative_mean", "diff_mean", "diff_ci_low",
                   "diff_ci_high", "n_reps", "independent_half_width", "variance_reduction", "note"]
#: A mechanism's KPIs and their exact value in a run without the mechanism: ``metric -> (mechanism,
#: value)``, the value a number or the KPI of that run it equals (without after-call work the talk
#: time is the whole handle time).  A run that lacks one of them is compared at that value.
MECHANISM_OFF = {
    "balked": ("balking", 0.0), "balk_rate": ("balking", 0.0),
    "line_blocked": ("trunk lines", 0.0), "line_block_rate": ("trunk lines", 0.0),
    "wrap_up_s": ("after-call work", 0.0), "talk_time_s": ("after-call work", "aht_s"),
}
#: ``replications.csv`` of a run folder: (its columns, those holding numbers, those with no empty cell)
REPLICATION_TABLE = (("replication", "channel", "metric", "value"), ("replication", "value"),
                     ("replication", "channel", "metric"))


def compare(baseline: ExperimentResult, alternative: ExperimentResult, confidence: float | None = None) -> pd.DataFrame:
    """Paired differences ``alternative - baseline`` of every KPI both runs report.

    Columns (:data:`COMPARE_COLUMNS`): ``baseline_mean`` / ``alternative_mean``
    over the replications where the KPI is defined in both runs (``n_reps``
    pairs, matched by replication number); ``diff_mean``, ``diff_ci_low``,
    ``diff_ci_high``: the paired Student-t interval of the per-replication
    differences; ``independent_half_width``: the Welch half-width of the same
    difference treating the two runs as independent samples (what it would
    have been without common random numbers); ``variance_reduction``: the
    estimated variance of the difference of means if independent
    (``s_b^2/n + s_a^2/n``) over that of the paired difference (``s_d^2/n``).
    A factor ``k`` means an independent comparison needs about ``k`` times as
    many replications for the same precision.  It is ``inf`` when the paired
    differences are all equal (e.g. a KPI the change cannot affect) and NaN
    when nothing varies.

    ``confidence`` defaults to the baseline's ``run.confidence``.  Runs with
    different seeds are not paired; the interval is then still valid (pairs of
    independent replications) but shows no variance reduction, and a warning
    says so.
    """
    if confidence is None:
        confidence = baseline.config.run.confidence
    if baseline.config.run.seed != alternative.config.run.seed:
        warnings.warn(f"baseline (seed {baseline.config.run.seed}) and alternative (seed {alternative.config.run.seed}) "
                      "do not share random numbers; differences are not paired", stacklevel=2)
    return compare_replications(baseline.replications, alternative.replications, confidence)


def compare_replications(baseline: pd.DataFrame, alternative: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """:func:`compare` on two ``replications`` tables (``replication, channel, metric, value``).

    A KPI of a mechanism (:data:`MECHANISM_OFF`: balking, trunk lines, after-call work) that one run
    reports and the other does not is compared at its exact value without the mechanism (0 balked,
    0 s of wrap-up, ...), and its ``note`` says so, e.g. "baseline without balking: 0"; every other
    row's ``note`` is empty."""
    notes: dict[tuple[str, str], str] = {}
    baseline, alternative = (_mechanism_off(baseline, alternative, "baseline", notes),
                             _mechanism_off(alternative, baseline, "alternative", notes))
    keys = ["channel", "metric", "replication"]
    base = baseline.set_index(keys)["value"]
    alt = alternative.set_index(keys)["value"]
    both = pd.concat({"baseline": base, "alternative": alt}, axis=1, join="inner").reset_index()
    order = list(dict.fromkeys(zip(baseline["channel"], baseline["metric"])))
    rows = []
    groups = dict(tuple(both.groupby(["channel", "metric"], sort=False)))
    for channel, metric in order:
        part = groups.get((channel, metric))
        if part is None:
            continue
        part = part.sort_values("replication")
        b = part["baseline"].to_numpy(dtype=float)
        a = part["alternative"].to_numpy(dtype=float)
        ok = np.isfinite(a) & np.isfinite(b)
        b, a = b[ok], a[ok]
        diff = paired_difference(b, a, confidence)
        indep_half, indep_var = welch_half_width(b, a, confidence)
        paired_var = float(np.var(a - b, ddof=1)) / a.size if a.size >= 2 else math.nan
        rows.append({
            "channel": channel, "metric": metric,
            "baseline_mean": float(b.mean()) if b.size else math.nan,
            "alternative_mean": float(a.mean()) if a.size else math.nan,
            "diff_mean": diff.mean, "diff_ci_low": diff.low, "diff_ci_high": diff.high, "n_reps": diff.n,
            "independent_half_width": indep_half,
            "variance_reduction": _ratio(indep_var, paired_var),
            "note": notes.get((channel, metric), ""),
        })
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)


def with_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (:data:`COMPARE_COLUMNS`) with a ``verdict`` column: the paired interval in words
    (:func:`sim.experiments.kpis.verdict`): "significantly better" or "significantly worse" when it excludes 0
    for a KPI with a better direction, "significantly higher/lower" for one without (occupancy,
    handle time, volumes), "no detectable difference" when it contains 0, "no practical difference"
    when it excludes 0 but the mean difference is below the KPI's practical threshold
    (:attr:`sim.experiments.kpis.KPI.practical`), "not enough data" when there is no interval
    (fewer than 2 pairs)."""
    means = table["diff_mean"] if "diff_mean" in table.columns else [None] * len(table)
    verdicts = [verdict(m, lo, hi, mean) for m, lo, hi, mean
                in zip(table["metric"], table["diff_ci_low"], table["diff_ci_high"], means)]
    return table.assign(verdict=pd.Series(verdicts, index=table.index, dtype=object))


def _mechanism_off(table: pd.DataFrame, other: pd.DataFrame, side: str,
                   notes: dict[tuple[str, str], str]) -> pd.DataFrame:
    """``table`` (a ``replications`` table) plus, for each KPI of :data:`MECHANISM_OFF` that ``other``
    reports and ``table`` does not, its value without the mechanism in each replication and channel
    of ``table`` where that value is defined (a wrap-up or talk time needs a service: ``aht_s``; a
    rate needs contacts: ``offered`` > 0); ``notes`` gets ``side``'s note per (channel, metric)."""
    missing = [m for m in MECHANISM_OFF if m in set(other["metric"]) and m not in set(table["metric"])]
    if not missing:
        return table
    cell = table.set_index(["channel", "metric", "replication"])["value"]
    keys = ["channel", "replication"]
    parts = [table]
    for metric in missing:
        mechanism, value = MECHANISM_OFF[metric]
        wanted = other.loc[other["metric"] == metric, keys].drop_duplicates()
        source = "aht_s" if metric in ("wrap_up_s", "talk_time_s") else "offered"
        rows = []
        for ch, r in zip(wanted["channel"], wanted["replication"]):
            known = cell.get((ch, source, r))
            if known is None or not np.isfinite(known) or (source == "offered" and not known > 0):
                continue
            rows.append((r, ch, metric, float(known) if value == "aht_s" else value))
            notes[(ch, metric)] = (f"{side} without {mechanism}: talk time = its aht_s" if value == "aht_s"
                                   else f"{side} without {mechanism}: {value:g}")
        if rows:
            parts.append(pd.DataFrame(rows, columns=["replication", "channel", "metric", "value"]))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else table


def _ratio(independent: float, paired: float) -> float:
    if not (math.isfinite(independent) and math.isfinite(paired)):
        return math.nan
    if paired == 0.0:
        return math.inf if independent > 0.0 else math.nan
    return independent / paired


def _run_keys(folder: Path) -> dict:
    """The ``run`` keys of a run folder's ``config.yaml`` (``{}`` without one)."""
    config = folder / "config.yaml"
    if not config.exists():
        return {}
    what = "a run folder's config.yaml written by python -m sim"
    raw = load_yaml(config, what)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(str(config), f"expected a mapping with scenario and run, got {type(raw).__name__} ({what})")
    run = raw.get("run")
    if run is not None and not isinstance(run, dict):
        raise ConfigError(f"{config}: run", f"expected a mapping, got {type(run).__name__} ({what})")
    return run or {}


def read_replications(folder: Path) -> pd.DataFrame:
    """A run folder's ``replications.csv``, checked (:data:`REPLICATION_TABLE`); a missing file, a
    folder that is not there, or a file without those columns is a :class:`ConfigError` naming it."""
    what = "a run folder's replications.csv written by python -m sim"
    if not folder.is_dir():
        raise ConfigError(str(folder), "no such folder (expected a run folder written by python -m sim)"
                          if not folder.exists() else "is a file (expected a run folder written by python -m sim)")
    path = folder / "replications.csv"
    if not path.exists():
        raise ConfigError(str(folder), "no replications.csv (expected a run folder written by python -m sim)")
    required, numeric, filled = REPLICATION_TABLE
    return unique_replications(csv_frame(path, what, required=required, numeric=numeric, filled=filled,
                                         allow_empty=False), path)


def unique_replications(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``table`` (a ``replications.csv`` read from ``path``) when no replication, channel and metric
    appears twice; else a :class:`ConfigError` naming the first repeated one."""
    twice = table[table.duplicated(["channel", "metric", "replication"])]
    if not twice.empty:
        r = twice.iloc[0]
        raise ConfigError(str(path), f"{r['metric']} of channel {r['channel']!r} in replication {r['replication']} "
                                     "appears twice (expected one row per replication, channel and metric)")
    return table


def compare_folders(baseline: Path, alternative: Path, confidence: float | None = None) -> pd.DataFrame:
    """:func:`compare` on two run folders written by ``python -m sim`` (their ``replications.csv``);
    ``confidence`` defaults to the baseline's ``run.confidence``. Raises :class:`ConfigError` (a
    ``ValueError``) naming the file for a folder or file that cannot be compared."""
    baseline, alternative = Path(baseline), Path(alternative)
    base_table, alt_table = read_replications(baseline), read_replications(alternative)
    base_run, alt_run = _run_keys(baseline), _run_keys(alternative)
    if base_run.get("seed") != alt_run.get("seed"):
        warnings.warn(f"baseline (seed {base_run.get('seed')}) and alternative (seed {alt_run.get('seed')}) "
                      "do not share random numbers; differences are not paired", stacklevel=2)
    level = confidence
    if level is None:
        level = base_run.get("confidence", 0.95)
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.0 < level < 1.0:
            raise ConfigError(f"{baseline / 'config.yaml'}: run.confidence",
                              f"expected a confidence level between 0 and 1 (e.g. 0.95), got {level!r}")
    elif not 0.0 < level < 1.0:
        raise ConfigError("confidence", f"expected a confidence level between 0 and 1 (e.g. 0.95), got {level!r}")
    keys = ["channel", "metric", "replication"]
    shared = base_table[keys].merge(alt_table[keys], on=keys)
    if shared.empty:
        raise ConfigError(str(alternative / "replications.csv"),
                          f"no KPI of any replication in common with {baseline / 'replications.csv'} "
                          "(expected two runs of python -m sim of the same centre)")
    return compare_replications(base_table, alt_table, float(level))
