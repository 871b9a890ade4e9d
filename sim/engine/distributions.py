"""Duration distributions, parametrised by mean (and coefficient of variation).

A :class:`~sim.config.Distribution` says what to draw; a :class:`Sampler` draws
it from one named stream in blocks of :data:`BLOCK` variates, handed out one at
a time as Python floats (seconds).  Blocks keep memory flat and cost the same
as drawing everything up front.

Parametrisation by mean ``m`` and CV ``c``:

- exponential: scale ``m`` (CV 1);
- lognormal: ``sigma^2 = ln(1 + c^2)``, ``mu = ln(m) - sigma^2 / 2``;
- gamma: shape ``1 / c^2``, scale ``m c^2``;
- deterministic: always ``m``;
- empirical: resampled uniformly, with replacement, from the given samples.
"""

from __future__ import annotations

import math

import numpy as np

from .config import Distribution

__all__ = ["BLOCK", "UNIFORM", "Sampler", "draw"]

BLOCK = 4096
UNIFORM = Distribution("uniform", 0.5)  # U(0, 1), for Bernoulli decisions; not a duration kind


def draw(dist: Distribution, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` variates of ``dist`` (seconds) from ``rng``."""
    if dist.kind == "exponential":
        return rng.exponential(dist.mean_s, size)
    if dist.kind == "lognormal":
        sigma2 = math.log1p(dist.cv**2)
        return rng.lognormal(math.log(dist.mean_s) - sigma2 / 2.0, math.sqrt(sigma2), size)
    if dist.kind == "gamma":
        shape = 1.0 / dist.cv**2
        return rng.gamma(shape, dist.mean_s / shape, size)
    if dist.kind == "deterministic":
        return np.full(size, dist.mean_s)
    if dist.kind == "uniform":
        return rng.random(size)
    if dist.kind == "empirical":
        return rng.choice(np.asarray(dist.samples_s, dtype=float), size)
    raise ValueError(f"unknown distribution kind {dist.kind!r}")


class Sampler:
    """Draws one variate at a time from ``dist``, refilling in blocks."""

    __slots__ = ("dist", "rng", "_buf", "_i")

    def __init__(self, dist: Distribution, rng: np.random.Generator) -> None:
        self.dist = dist
        self.rng = rng
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        i = self._i
        if i == len(self._buf):
            self._buf = draw(self.dist, self.rng, BLOCK).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]
