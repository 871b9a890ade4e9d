"""Statistics across replications: t-intervals, paired and Welch differences, MSER-5.

Replications are independent (each has its own random streams), so for a KPI
with values ``x_1..x_n`` the interval is ``mean ± t_{n-1, (1+level)/2} · s / sqrt(n)``.
Replications where a KPI is undefined (NaN, e.g. ASA with nothing answered)
are left out and ``n`` says how many were used; with ``n < 2`` the bounds are NaN.
A share (service level, abandonment, occupancy) gets :func:`share_interval` instead, the
t-interval on the logit scale, so that its bounds stay inside [0, 1].

Two scenarios run with the same seed are *paired*: replication ``r`` of both
draws the same arrivals, handle times and patience (common random numbers,
:mod:`sim.engine.streams`).  :func:`paired_difference` is the t-interval of the
per-replication differences; :func:`welch_half_width` is the half-width the
difference would have had from two independent samples (Welch), for comparison.

:func:`mser` / :func:`mser5` pick a warm-up truncation point of one series by
the marginal standard error rule (White 1997; White, Cobb and Spratt 2000).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.special import expit, ndtri, stdtrit

__all__ = ["Estimate", "t_interval", "share_interval", "t_quantile", "wilson_interval", "paired_difference", "welch_half_width", "mser_statistic",
           "mser", "mser5"]


@dataclass(frozen=True)
class Estimate:
    """A mean with its confidence interval over ``n`` replications."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def t_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Estimate:
    """Mean and two-sided Student-t interval of the finite values."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n < 2:
        return Estimate(mean, math.nan, math.nan, n)
    sd = float(x.std(ddof=1))
    half = float(stdtrit(n - 1, (1.0 + confidence) / 2.0)) * sd / math.sqrt(n)  # Student-t quantile
    return Estimate(mean, mean - half, mean + half, n)


def share_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Estimate:
    """Mean of per-replication shares (service level, abandonment, occupancy: each in [0, 1]) with
    an interval that stays inside [0, 1]: the Student-t interval on the logit scale by the delta
    method, ``logit(m) ± t_{n-1} · s / (sqrt(n) · m (1 - m))``, mapped back with the logistic function.

    Away from 0 and 1 it is the t-interval of :func:`t_interval` to within a few per cent of its
    width; near them it is asymmetric (92.6% ± 9 would reach past 100%; this gives about
    [78, 98]). When every replication gives the same share the interval is that share; with
    fewer than two values the bounds are NaN.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n < 2:
        return Estimate(mean, math.nan, math.nan, n)
    sd = float(x.std(ddof=1))
    if sd == 0.0 or mean <= 0.0 or mean >= 1.0:
        return Estimate(mean, mean, mean, n)
    half = t_quantile(n - 1, confidence) * sd / math.sqrt(n) / (mean * (1.0 - mean))
    centre = math.log(mean / (1.0 - mean))
    # min/max: a spread of a few ULPs (identical shares whose mean rounds) must not put the mean outside
    return Estimate(mean, min(float(expit(centre - half)), mean), max(float(expit(centre + half)), mean), n)


def t_quantile(df: float, confidence: float) -> float:
    """The two-sided Student-t quantile ``t_{df, (1+confidence)/2}``."""
    return float(stdtrit(df, (1.0 + confidence) / 2.0))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """A proportion ``successes / n`` with its Wilson score interval (Wilson 1927).

    Unlike the t-interval it stays inside [0, 1] and is not empty when every
    trial (or none) succeeded.  ``n`` 0 gives NaN throughout.
    """
    if n <= 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    p = successes / n
    z = float(ndtri((1.0 + confidence) / 2.0))
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return Estimate(p, low, high, n)


def paired_difference(baseline: Sequence[float] | np.ndarray, alternative: Sequence[float] | np.ndarray,
                      confidence: float = 0.95) -> Estimate:
    """t-interval of ``alternative[r] - baseline[r]`` over the pairs where both are finite."""
    a = np.asarray(baseline, dtype=float)
    b = np.asarray(alternative, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples must have the same length, got {a.size} and {b.size}")
    both = np.isfinite(a) & np.isfinite(b)
    return t_interval(b[both] - a[both], confidence)


def welch_half_width(baseline: Sequence[float] | np.ndarray, alternative: Sequence[float] | np.ndarray,
                     confidence: float = 0.95) -> tuple[float, float]:
    """``(half_width, variance)`` of ``mean(alternative) - mean(baseline)`` from independent samples.

    ``variance`` = ``s_a^2/n_a + s_b^2/n_b`` (the estimated variance of the
    difference of means); the half-width uses the Welch-Satterthwaite degrees
    of freedom.  NaN when either sample has fewer than two finite values.
    """
    a = np.asarray(baseline, dtype=float)
    b = np.asarray(alternative, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        return math.nan, math.nan
    va, vb = float(a.var(ddof=1)) / a.size, float(b.var(ddof=1)) / b.size
    var = va + vb
    if var == 0.0:
        return 0.0, 0.0
    df = var**2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return t_quantile(df, confidence) * math.sqrt(var), var


def mser_statistic(series: Sequence[float] | np.ndarray, batch_size: int = 5) -> np.ndarray:
    """MSER of the batch means for every truncation ``d = 0 .. m // 2`` (``m`` batches).

    The series (NaN-free) is cut into ``m = len // batch_size`` batches of
    ``batch_size`` consecutive observations (a remainder at the end is dropped)
    and ``Z_1..Z_m`` are their means.  Deleting the first ``d`` batches gives
    ``MSER(d) = sum_{j>d} (Z_j - mean_{j>d} Z)^2 / (m - d)^2``, the squared
    standard error of the truncated mean, up to a constant.
    """
    x = np.asarray(series, dtype=float)
    if x.ndim != 1:
        raise ValueError("expected a one-dimensional series")
    if not np.all(np.isfinite(x)):
        raise ValueError("the series must not contain NaN or infinite values")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    m = x.size // batch_size
    if m < 2:
        raise ValueError(f"need at least {2 * batch_size} observations (two batches of {batch_size}), got {x.size}")
    z = x[: m * batch_size].reshape(m, batch_size).mean(axis=1)
    # suffix sums: for d, the batches z[d:] (count m - d)
    tail_sum = np.cumsum(z[::-1])[::-1]
    tail_sq = np.cumsum((z * z)[::-1])[::-1]
    d = np.arange(m // 2 + 1)
    k = (m - d).astype(float)
    ss = tail_sq[d] - tail_sum[d] ** 2 / k  # sum of squared deviations from the truncated mean
    return np.maximum(ss, 0.0) / k**2


def mser(series: Sequence[float] | np.ndarray, batch_size: int = 5) -> int:
    """Warm-up truncation point of ``series``, in **observations** (a multiple of ``batch_size``).

    The number of batches ``d*`` in ``0 .. m // 2`` minimising :func:`mser_statistic`
    (the first minimum on ties), times ``batch_size``: delete ``series[:mser(series)]``.
    A minimum at ``d* = m // 2`` (the largest allowed) means the series is too
    short to show where the transient ends; run longer.
    """
    stat = mser_statistic(series, batch_size)
    return int(np.argmin(stat)) * batch_size


def mser5(series: Sequence[float] | np.ndarray) -> int:
    """MSER-5 (White 1997): :func:`mser` with batches of 5 observations.

    Returns the number of leading observations to delete (``5 d*``, where
    ``d*`` is the number of batches of 5 minimising MSER over the first half).
    """
    return mser(series, 5)
