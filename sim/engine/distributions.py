"""Duration distributions, parametrised by mean (and coefficient of variation).

A :class:`~sim.engine.distributions.Distribution` says what to draw; a :class:`Sampler` draws
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
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.engine.checks import check_keys, choice, join, mapping, number, show
from sim.engine.errors import ConfigError

__all__ = ["DISTRIBUTION_KINDS", "DISTRIBUTION_KEYS", "Distribution", "parse_distribution", "BLOCK", "UNIFORM",
           "Sampler", "draw", "residual"]

DISTRIBUTION_KINDS = ("exponential", "lognormal", "gamma", "deterministic", "empirical")


DISTRIBUTION_KEYS = ("dist", "mean_s", "cv", "samples_s")


@dataclass(frozen=True)
class Distribution:
    """A non-negative duration distribution, parametrised by its mean (seconds).

    ``kind`` is one of :data:`DISTRIBUTION_KINDS`.  ``cv`` (standard deviation /
    mean) is required for lognormal and gamma; ``samples_s`` for empirical, whose
    mean is the mean of the samples.
    """

    kind: str
    mean_s: float
    cv: float | None = None
    samples_s: tuple[float, ...] | None = None


def parse_distribution(value: Any, path: str) -> Distribution:
    """``{dist: lognormal, mean_s: 300, cv: 0.8}`` and friends -> :class:`Distribution`."""
    spec = mapping(value, path)
    check_keys(spec, path, DISTRIBUTION_KEYS, required=("dist",))
    kind = choice(spec["dist"], join(path, "dist"), DISTRIBUTION_KINDS)
    if kind == "empirical":
        check_keys(spec, path, ("dist", "samples_s"), required=("samples_s",))
        raw = spec["samples_s"]
        if not isinstance(raw, (list, tuple)) or not raw:
            raise ConfigError(join(path, "samples_s"), f"expected a non-empty list of durations in seconds, got {show(raw)}")
        samples = tuple(number(v, f"{path}.samples_s[{i}]", unit="seconds") for i, v in enumerate(raw))
        mean = sum(samples) / len(samples)
        if mean <= 0:
            raise ConfigError(join(path, "samples_s"), "expected at least one positive duration")
        return Distribution(kind, mean, None, samples)
    if "mean_s" not in spec:
        raise ConfigError(join(path, "mean_s"), f"required for a {kind} distribution (mean in seconds)")
    mean = number(spec["mean_s"], join(path, "mean_s"), positive=True, unit="seconds")
    if kind in ("lognormal", "gamma"):
        if "cv" not in spec:
            raise ConfigError(join(path, "cv"), f"required for a {kind} distribution (standard deviation / mean)")
        cv = number(spec["cv"], join(path, "cv"), positive=True)
        return Distribution(kind, mean, cv)
    if "cv" in spec:
        raise ConfigError(join(path, "cv"), f"not used by the {kind} distribution; remove it")
    if "samples_s" in spec:
        raise ConfigError(join(path, "samples_s"), "only used by an empirical distribution")
    return Distribution(kind, mean)



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


def residual(dist: Distribution, elapsed_s: float, rng: np.random.Generator, size: int | None = None):
    """What is left of a duration of law ``dist`` known to have lasted ``elapsed_s`` already (s).

    Exact inversion of the conditional law: with survival function ``S``, the total
    duration ``X`` given ``X > e`` is ``S^{-1}(U S(e))`` for ``U`` uniform on (0, 1], and the
    residual is ``X - e``.  Exponential: memoryless (a fresh draw); lognormal: ``S^{-1}(p) =
    exp(mu - sigma Phi^{-1}(p))``; gamma: ``S^{-1}(p) = scale Q^{-1}(shape, p)`` (the inverse
    regularised upper incomplete gamma); deterministic: ``max(mean - e, 0)``; empirical: a
    sample above ``e`` drawn uniformly, minus ``e`` (0 if none is).  Far in a tail whose
    survival underflows, the residual is 0.  One float (``size`` ``None``) or an array.
    """
    from scipy.special import gammaincc, gammainccinv, ndtr, ndtri

    n = 1 if size is None else size
    e = float(elapsed_s)
    if dist.kind == "exponential" or e <= 0.0:
        out = draw(dist, rng, n)
    elif dist.kind == "deterministic":
        out = np.full(n, max(dist.mean_s - e, 0.0))
    elif dist.kind == "empirical":
        above = np.asarray([s for s in dist.samples_s if s > e], dtype=float)
        out = rng.choice(above, n) - e if above.size else np.zeros(n)
    elif dist.kind in ("lognormal", "gamma"):
        u = 1.0 - rng.random(n)  # (0, 1]
        if dist.kind == "lognormal":
            sigma = math.sqrt(math.log1p(dist.cv**2))
            mu = math.log(dist.mean_s) - sigma * sigma / 2.0
            tail = float(ndtr(-(math.log(e) - mu) / sigma))
            total = np.exp(mu - sigma * ndtri(u * tail)) if tail > 0 else np.full(n, e)
        else:
            shape = 1.0 / dist.cv**2
            scale = dist.mean_s / shape
            tail = float(gammaincc(shape, e / scale))
            total = scale * gammainccinv(shape, u * tail) if tail > 0 else np.full(n, e)
        out = np.maximum(np.asarray(total, dtype=float) - e, 0.0)
    else:
        raise ValueError(f"unknown distribution kind {dist.kind!r}")
    return float(out[0]) if size is None else out
