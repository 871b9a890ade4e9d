"""Analytic queueing formulas: an Erlang calculator and the simulator's oracle.

Models (Poisson arrivals at rate λ, exponential handle times with mean 1/μ,
``c`` identical agents, offered load ``a = λ/μ`` in Erlangs):

* **Erlang B**, M/M/c/c: no queue; a contact finding all agents busy is lost.
* **Erlang C**, M/M/c: infinite FCFS queue, nobody leaves; stable only if a < c.
* **Erlang A** (Palm), M/M/c+M: as Erlang C, but each waiting contact abandons
  after an exponential patience with mean 1/θ.  Always stable, even if a > c.

Metric definitions (all times in seconds; "offered" = every arriving contact):

* ``service_level`` = P(answered with wait <= threshold) over all offered;
  abandons count as misses, whenever they happen.
* ``asa_s`` = mean wait of the contacts that are answered.
* ``mean_wait_s`` = mean wait over all offered, abandoners counted up to the
  moment they leave (equals mean queue length / λ by Little's law).
* ``p_wait`` = P(wait > 0), i.e. all agents busy on arrival (PASTA).
* ``abandon_rate`` = abandoned / offered.
* ``occupancy`` = mean busy agents / agents.
* ``mean_queue_length`` = time-average number of contacts waiting.

Public functions take arrival rates per hour and durations in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.special import betainc, gammainc, gammaln

__all__ = [
    "QueueMetrics",
    "agents_for_service_level",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_b_blocking",
    "erlang_c",
    "erlang_c_metrics",
    "square_root_staffing",
]

_MAX_STATES = 2_000_000  # birth-death truncation limit for Erlang A
_LOG_TAIL = 45.0  # truncate once a state's weight is below e^-45 of the mode
_MAX_AGENTS = 10_000_000  # staffing search limit


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state performance of one queue; see the module docstring."""

    p_wait: float
    service_level: float
    asa_s: float
    mean_wait_s: float
    abandon_rate: float
    occupancy: float
    mean_queue_length: float


def _real(name: str, value: object, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    x = float(value)
    if positive and x <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if not positive and x < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return x


def _agents(value: object, minimum: int = 1, name: str = "agents") -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def erlang_b(agents: int, load_erlangs: float) -> float:
    """Blocking probability of M/M/c/c with ``agents`` servers and load in Erlangs.

    Uses the recursion B(k) = a·B(k-1) / (k + a·B(k-1)), stable for any size.
    """
    c = _agents(agents, minimum=0)
    a = _real("load_erlangs", load_erlangs, positive=False)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(agents: int, load_erlangs: float) -> float:
    """Probability of waiting in M/M/c (1.0 when load >= agents)."""
    c = _agents(agents)
    a = _real("load_erlangs", load_erlangs, positive=False)
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def erlang_b_blocking(arrival_rate_per_hour: float, mean_handle_time_s: float, agents: int) -> float:
    """Fraction of contacts lost in M/M/c/c (rates per hour, handle time in s)."""
    lam = _real("arrival_rate_per_hour", arrival_rate_per_hour, positive=True)
    aht = _real("mean_handle_time_s", mean_handle_time_s, positive=True)
    return erlang_b(_agents(agents), lam * aht / 3600.0)


def erlang_c_metrics(
    arrival_rate_per_hour: float, mean_handle_time_s: float, agents: int, threshold_s: float
) -> QueueMetrics:
    """M/M/c metrics; service level measured at ``threshold_s`` seconds.

    Raises ValueError when load >= agents (no steady state).
    """
    lam = _real("arrival_rate_per_hour", arrival_rate_per_hour, positive=True) / 3600.0
    aht = _real("mean_handle_time_s", mean_handle_time_s, positive=True)
    c = _agents(agents)
    t = _real("threshold_s", threshold_s, positive=False)
    a = lam * aht
    if a >= c:
        raise ValueError(
            f"unstable Erlang C queue: load {a:.4g} Erlangs >= agents {c}; "
            "add agents or use erlang_a_metrics (abandonment)"
        )
    pw = erlang_c(c, a)
    drain = (c - a) / aht  # c·μ - λ, per second
    wait = pw / drain
    return QueueMetrics(
        p_wait=pw,
        service_level=1.0 - pw * math.exp(-drain * t),
        asa_s=wait,
        mean_wait_s=wait,
        abandon_rate=0.0,
        occupancy=a / c,
        mean_queue_length=lam * wait,
    )


def _erlang_a_log_weights(lam: float, mu: float, theta: float, c: int) -> np.ndarray:
    """Unnormalised log stationary weights of the M/M/c+M number-in-system chain."""
    peak = max(float(c), c + (lam - c * mu) / theta)  # beyond this, weights fall
    n = int(peak) + 64
    while True:
        if n > _MAX_STATES:
            raise ValueError(
                "Erlang A state space too large (mean_patience_s very long for this "
                "overload); shorten patience or add agents"
            )
        j = np.arange(1, n + 1, dtype=float)
        death = np.minimum(j, c) * mu + np.maximum(j - c, 0.0) * theta
        lw = np.concatenate(([0.0], np.cumsum(math.log(lam) - np.log(death))))
        if lw[-1] < lw.max() - _LOG_TAIL and death[-1] > lam:
            return lw
        n = c + 2 * (n - c)


def _mz_p_wait(lam: float, mu: float, theta: float, c: int) -> float | None:
    """Mandelbaum–Zeltyn closed form of P(wait > 0) via the incomplete gamma function.

    With x = cμ/θ, y = λ/θ, A = x·e^y·γ(x, y) / y^x and B = Erlang B(c, λ/μ):
    P(W > 0) = A·B / (1 + (A - 1)·B).  None where it is numerically unusable
    (regularised γ underflows, or x, y so large that the logs cancel badly).
    """
    x, y = c * mu / theta, lam / theta
    g = float(gammainc(x, y))
    b = erlang_b(c, lam / mu)
    if g < 1e-250 or max(x, y) > 1e9 or not 0.0 < b < 1.0:
        return None
    log_a = math.log(x) + y - x * math.log(y) + float(gammaln(x)) + math.log(g)
    z = math.log1p(-b) - log_a - math.log(b)  # log((1 - B) / (A·B))
    return 0.0 if z > 700.0 else 1.0 / (1.0 + math.exp(z))


def erlang_a_metrics(
    arrival_rate_per_hour: float,
    mean_handle_time_s: float,
    agents: int,
    mean_patience_s: float,
    threshold_s: float,
) -> QueueMetrics:
    """M/M/c+M (Erlang A) metrics with exponential patience of mean ``mean_patience_s``.

    Valid for any load, including load > agents.  Stationary law of the
    birth-death chain (truncated where the tail is below e^-45, in log space),
    then the tagged-customer chain solved in closed form (incomplete beta).
    Raises ValueError if the truncated chain would exceed 2 million states, and
    RuntimeError if the internal consistency checks disagree (should not happen).
    """
    lam = _real("arrival_rate_per_hour", arrival_rate_per_hour, positive=True) / 3600.0
    aht = _real("mean_handle_time_s", mean_handle_time_s, positive=True)
    c = _agents(agents)
    theta = 1.0 / _real("mean_patience_s", mean_patience_s, positive=True)
    t = _real("threshold_s", threshold_s, positive=False)
    mu = 1.0 / aht

    lw = _erlang_a_log_weights(lam, mu, theta, c)
    p = np.exp(lw - lw.max())
    p /= p.sum()
    n = np.arange(p.size)
    pq = p[c:]  # arrival finds c + k in system, k = 0.. contacts ahead (PASTA)
    k = np.arange(pq.size, dtype=float)
    p_wait = float(pq.sum())
    queue_len = float(k @ pq)
    busy = float(np.minimum(n, c) @ p)

    # Tagged contact with k ahead: its position falls k -> k-1 at rate r_k = cμ + kθ
    # (k = 0 -> answered at cμ) and it abandons at rate θ throughout.  Its virtual
    # wait V_k = sum_{j<=k} Exp(r_j) has E[e^{-sV}] = prod r_j/(r_j+s), which makes
    # X = e^{-θV_k} ~ Beta(α, k+1), α = cμ/θ.  Hence, exactly:
    #   P(answered | k)           = E[X]            = α/(α+k+1)
    #   P(answered by T | k)      = E[X; X >= e^-θT] = α/(α+k+1)·I_{1-e^-θT}(k+1, α+1)
    #   E[W; answered | k]        = E[V e^{-θV}]     = α/(α+k+1)·sum_{j<=k} 1/(r_j+θ)
    #   E[min(V, patience) | k]   = (1 - E[X])/θ
    alpha = c * mu / theta
    served_k = alpha / (alpha + k + 1.0)
    abandon = float(pq @ ((k + 1.0) / (alpha + k + 1.0)))
    asa_num = float(pq @ (served_k * np.cumsum(1.0 / (c * mu + (k + 1.0) * theta))))
    mean_wait = abandon / theta
    in_time = float(pq @ (served_k * betainc(k + 1.0, alpha + 1.0, -math.expm1(-theta * t))))
    service_level = (1.0 - p_wait) + in_time

    # Internal cross-checks: closed-form P(wait), abandonment = θ·E[Q]/λ, throughput.
    mz = _mz_p_wait(lam, mu, theta, c)
    checks = {
        "p_wait vs Mandelbaum-Zeltyn": (p_wait, p_wait if mz is None else mz),
        "abandon_rate vs theta*E[Q]/lambda": (abandon, theta * queue_len / lam),
        "occupancy vs throughput": (busy / c, lam * (1.0 - abandon) / (c * mu)),
    }
    for label, (got, want) in checks.items():
        if not math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
            raise RuntimeError(f"Erlang A self-check failed ({label}): {got!r} != {want!r}")

    p_served = 1.0 - abandon
    return QueueMetrics(
        p_wait=min(p_wait, 1.0),
        service_level=min(max(service_level, 0.0), 1.0),
        asa_s=asa_num / p_served if p_served > 0 else math.inf,
        mean_wait_s=mean_wait,
        abandon_rate=abandon,
        occupancy=busy / c,
        mean_queue_length=queue_len,
    )


def agents_for_service_level(
    arrival_rate_per_hour: float,
    mean_handle_time_s: float,
    threshold_s: float,
    target: float,
    mean_patience_s: float | None = None,
) -> int:
    """Fewest agents whose service level at ``threshold_s`` reaches ``target``.

    Erlang C when ``mean_patience_s`` is None (only stable staffings count),
    Erlang A otherwise.  ``target`` is a fraction in (0, 1).
    """
    lam = _real("arrival_rate_per_hour", arrival_rate_per_hour, positive=True)
    aht = _real("mean_handle_time_s", mean_handle_time_s, positive=True)
    t = _real("threshold_s", threshold_s, positive=False)
    goal = _real("target", target, positive=True)
    if goal >= 1.0:
        raise ValueError(f"target must be a fraction in (0, 1), got {target!r}")
    load = lam * aht / 3600.0
    if mean_patience_s is None:
        lo = math.floor(load) + 1  # smallest stable staffing

        def ok(c: int) -> bool:
            return erlang_c_metrics(lam, aht, c, t).service_level >= goal
    else:
        patience = _real("mean_patience_s", mean_patience_s, positive=True)
        lo = max(1, math.ceil(goal * load - 1e-9))  # SL <= answered share <= c/load

        def ok(c: int) -> bool:
            return erlang_a_metrics(lam, aht, c, patience, t).service_level >= goal

    if ok(lo):
        return lo
    # Service level increases with agents: gallop to a feasible count, then bisect.
    step = max(1, math.ceil(math.sqrt(load)))
    hi = lo + step
    while not ok(hi):
        lo, step = hi, 2 * step
        hi = lo + step
        if hi > _MAX_AGENTS:
            raise ValueError("no staffing up to 10 million agents meets the target")
    while hi - lo > 1:  # invariant: lo fails, hi meets the target
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def square_root_staffing(arrival_rate_per_hour: float, mean_handle_time_s: float, beta: float) -> int:
    """Square-root staffing rule ceil(R + beta·sqrt(R)), R = offered load in Erlangs (>= 1)."""
    lam = _real("arrival_rate_per_hour", arrival_rate_per_hour, positive=True)
    aht = _real("mean_handle_time_s", mean_handle_time_s, positive=True)
    if isinstance(beta, bool) or not isinstance(beta, Real) or not math.isfinite(beta):
        raise ValueError(f"beta must be a finite number, got {beta!r}")
    load = lam * aht / 3600.0
    return max(1, math.ceil(load + float(beta) * math.sqrt(load) - 1e-9))
