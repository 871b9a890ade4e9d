"""Statistics across replications: means with Student-t confidence intervals.

Replications are independent (each has its own random streams), so for a KPI
with values ``x_1..x_n`` the interval is ``mean ± t_{n-1, (1+level)/2} · s / sqrt(n)``.
Replications where a KPI is undefined (NaN, e.g. ASA with nothing answered)
are left out and ``n`` says how many were used; with ``n < 2`` the bounds are NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.special import stdtrit

__all__ = ["Estimate", "t_interval"]


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
