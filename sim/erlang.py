"""Analytic queueing formulas: an Erlang calculator and the simulator's oracle.

Models (Poisson arrivals at rate λ, exponential handle times with mean 1/μ,
``c`` identical agents, offered load ``a = λ/μ`` in Erlangs):

* **Erlang B**, M/M/c/c: no queue; a contact finding all agents busy is lost.
* **Erlang C**, M/M/c: infinite FCFS queue, nobody leaves; stable only if a < c.
* **Erlang A** (Palm), M/M/c+M: as Erlang C, but each waiting contact abandons
  after an exponential patience with mean 1/θ.  Always stable, even if a > c.
* **Erlang X** (:func:`erlang_x_metrics`), M/M/c/N+M with redials: N trunk lines
  (a call holds one while it waits and is served; blocked when all are busy),
  exponential patience, and a share r of the blocked and abandoned attempts
  redialling (redials taken as Poisson: the standard Erlang X approximation).
* **Chat** (:func:`chat_metrics`): agents hold up to k chats at once and each
  chat's handle time is inflated by a factor of how many the agent holds (the
  simulator's ``handle_time_factors``); a birth-death approximation with chats
  spread evenly over agents.
* **Blend** (:func:`blend_metrics`, :func:`blend_table`): agents answer inbound
  calls first and start outbound calls while more than R agents are idle; an
  exact 2-D CTMC.

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
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.special import betainc, gammainc, gammaln

__all__ = [
    "BlendMetrics",
    "ChatMetrics",
    "ErlangXMetrics",
    "QueueMetrics",
    "blend_metrics",
    "blend_table",
    "chat_metrics",
    "default_inflation",
    "erlang_x_metrics",
    "SPREADS",
    "UnstableQueue",
    "agents_for_service_level",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_b_blocking",
    "erlang_c",
    "erlang_c_metrics",
    "fewest_agents",
    "square_root_staffing",
]

_MAX_STATES = 2_000_000  # birth-death truncation limit for Erlang A
_LOG_TAIL = 45.0  # truncate once a state's weight is below e^-45 of the mode
_MAX_AGENTS = 10_000_000  # staffing search limit


class UnstableQueue(ValueError):
    """No steady state: more work arrives than the agents can finish and nobody leaves."""


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


# --------------------------------------------------------------------------- Erlang X, chat, blend


@dataclass(frozen=True)
class ErlangXMetrics:
    """Steady state of the Erlang X model (:func:`erlang_x_metrics`); per attempt unless named per customer.

    ``attempts_per_hour`` = fresh calls + redials (the effective arrival rate λ_eff);
    ``block_rate`` = attempts finding every line busy / attempts; ``p_wait``,
    ``service_level``, ``asa_s``, ``mean_wait_s``, ``abandon_rate`` as in the module
    docstring, over the attempts that got a line (the simulator's ``offered``);
    ``lines_busy`` = time-average lines in use; ``retrial_rate`` = redials / attempts;
    ``customers_lost`` = share of fresh callers never answered (they gave up after
    a block or an abandonment instead of redialling); ``mean_redialling`` = mean
    callers between a lost attempt and their redial (Little: redial rate × delay).
    """

    attempts_per_hour: float
    redials_per_hour: float
    block_rate: float
    p_wait: float
    service_level: float
    asa_s: float
    mean_wait_s: float
    abandon_rate: float
    occupancy: float
    mean_queue_length: float
    lines_busy: float
    retrial_rate: float
    customers_lost: float
    mean_redialling: float


@dataclass(frozen=True)
class ChatMetrics:
    """Steady state of the chat model (:func:`chat_metrics`).

    ``p_wait``, ``service_level``, ``asa_s``, ``mean_wait_s``, ``abandon_rate``,
    ``mean_queue_length`` as in the module docstring; ``occupancy`` = mean agents
    holding at least one chat / agents (the simulator's definition);
    ``chats_per_agent`` = mean chats held per agent; ``slot_utilisation`` = mean chats
    held / (agents × concurrency); ``aht_s`` = mean time a chat is held (handle time
    with the inflation, by Little's law).
    """

    p_wait: float
    service_level: float
    asa_s: float
    mean_wait_s: float
    abandon_rate: float
    occupancy: float
    mean_queue_length: float
    chats_per_agent: float
    slot_utilisation: float
    aht_s: float


@dataclass(frozen=True)
class BlendMetrics:
    """Steady state of the blend model (:func:`blend_metrics`) for one reserve.

    ``reserve``: an outbound call starts only while more than this many agents are
    idle.  Inbound ``p_wait``, ``service_level``, ``asa_s``, ``mean_wait_s``,
    ``abandon_rate``, ``mean_queue_length`` as in the module docstring;
    ``outbound_per_hour`` = outbound calls completed per hour; ``outbound_agents`` =
    mean agents on outbound calls; ``occupancy`` = mean busy agents (inbound and
    outbound) / agents.
    """

    reserve: int
    p_wait: float
    service_level: float
    asa_s: float
    mean_wait_s: float
    abandon_rate: float
    mean_queue_length: float
    outbound_per_hour: float
    outbound_agents: float
    occupancy: float


def _log_weights(lam: float, service: np.ndarray, theta: float, lines: int | None) -> np.ndarray:
    """Log stationary weights of a birth-death chain over the number in system, n = 0, 1, ...

    Births at ``lam`` while n < ``lines``; deaths ``service[n]`` for n <= S = len(service) - 1
    (the rate at which contacts in service finish with n in system), ``service[S] + (n - S)·θ``
    above (S servers busy, n - S waiting, each abandoning at θ).  Unlimited lines: the chain
    is truncated once the weights are below e^-45 of their peak and falling.
    """
    s = service.size - 1
    full = float(service[-1])

    def deaths(n: int) -> np.ndarray:
        j = np.arange(1, n + 1)
        return np.where(j <= s, service[np.minimum(j, s)], full + np.maximum(j - s, 0) * theta)

    if lines is not None:
        return np.concatenate(([0.0], np.cumsum(math.log(lam) - np.log(deaths(lines)))))
    if theta == 0.0 and lam >= full * (1.0 - 1e-12):
        raise UnstableQueue(
            f"unstable queue: arrivals {lam * 3600:.4g}/h >= the {full * 3600:.4g}/h the agents can "
            "finish; add agents, lines or patience")
    if theta > 0.0:
        n = int(max(float(s), s + (lam - full) / theta)) + 64
    else:
        n = s + int(_LOG_TAIL / -math.log(lam / full)) + 64
    while True:
        if n > _MAX_STATES:
            raise ValueError("state space too large (patience very long for this overload); "
                             "shorten patience, add agents or limit the lines")
        d = deaths(n)
        lw = np.concatenate(([0.0], np.cumsum(math.log(lam) - np.log(d))))
        if lw[-1] < lw.max() - _LOG_TAIL and d[-1] > lam:
            return lw
        n = s + 2 * (n - s)


def _birth_death(lam: float, service: np.ndarray, theta: float, lines: int | None, t: float) -> dict:
    """Exact steady state of the FCFS birth-death queue of :func:`_log_weights` (rates per second).

    A tagged arrival that finds S + k in system (k ahead of it, PASTA) moves up at rate
    D + kθ (D = ``service[S]``) and abandons at θ, exactly as in Erlang A with cμ -> D,
    so the closed forms of :func:`erlang_a_metrics` hold (θ = 0: its wait is Erlang(k+1, D)).
    Returns the per-arrival block share and, over the arrivals that get in, the module's
    metrics, plus the time averages of n and of the number in service.
    """
    lw = _log_weights(lam, service, theta, lines)
    p = np.exp(lw - lw.max())
    p /= p.sum()
    s = service.size - 1
    full = float(service[-1])
    n = np.arange(p.size)
    block = float(p[-1]) if lines is not None else 0.0
    waits = p[s:-1] if lines is not None else p[s:]  # arrivals that get in and find k = 0.. ahead
    k = np.arange(waits.size, dtype=float)
    enter = 1.0 - block
    if theta > 0.0:
        alpha = full / theta
        served_k = alpha / (alpha + k + 1.0)
        in_time_k = served_k * betainc(k + 1.0, alpha + 1.0, -math.expm1(-theta * t))
        answered_wait_k = served_k * np.cumsum(1.0 / (full + (k + 1.0) * theta))
        wait_k = (1.0 - served_k) / theta
    else:
        served_k = np.ones_like(k)
        in_time_k = gammainc(k + 1.0, full * t)
        answered_wait_k = wait_k = (k + 1.0) / full
    abandon = min(float(waits @ (1.0 - served_k)) / enter, 1.0) if enter > 0 else 0.0
    answered = 1.0 - abandon
    return {
        "block": block,
        "p_wait": min(float(waits.sum()) / enter, 1.0) if enter > 0 else 1.0,
        "service_level": float(p[:s].sum() + waits @ in_time_k) / enter if enter > 0 else 0.0,
        "asa_s": float(waits @ answered_wait_k) / enter / answered if enter > 0 and answered > 0 else math.inf,
        "mean_wait_s": float(waits @ wait_k) / enter if enter > 0 else 0.0,
        "abandon": abandon,
        "queue": float(np.maximum(n - s, 0) @ p),
        "in_system": float(n @ p),
        "in_service": float(np.minimum(n, s) @ p),
        "p": p,
    }


def erlang_x_metrics(
    arrival_rate_per_hour: float,
    mean_handle_time_s: float,
    agents: int,
    threshold_s: float,
    *,
    mean_patience_s: float | None = None,
    lines: int | None = None,
    redial_probability: float = 0.0,
    mean_redial_delay_s: float = 600.0,
) -> ErlangXMetrics:
    """Erlang X: M/M/c/N+M with redials; ``arrival_rate_per_hour`` counts fresh calls only.

    The M/M/c/N+M part is exact: ``agents`` = c, ``lines`` = N trunk lines (a call holds a
    line while it waits and while it is served; None = unlimited; N < c leaves c - N agents
    without calls), exponential patience of mean ``mean_patience_s`` (None = nobody abandons).
    Redials: an attempt that is blocked or abandons is tried again with
    ``redial_probability`` r (each time, without limit) after a delay of mean
    ``mean_redial_delay_s``.  **Approximation** (the standard Erlang X one): attempts are
    Poisson at the rate λ_eff solving λ_eff = λ + r·λ_eff·L(λ_eff), L = the share of attempts
    lost (blocked, or abandoned after getting a line) in M/M/c/N+M at λ_eff.  The delay
    then does not change the queue, only ``mean_redialling``.  r = 0 is exact.
    """
    lam = _real("arrival_rate_per_hour", arrival_rate_per_hour, positive=True) / 3600.0
    aht = _real("mean_handle_time_s", mean_handle_time_s, positive=True)
    c = _agents(agents)
    t = _real("threshold_s", threshold_s, positive=False)
    theta = 0.0 if mean_patience_s is None else 1.0 / _real("mean_patience_s", mean_patience_s, positive=True)
    n_lines = None if lines is None else _agents(lines, name="lines")
    if n_lines is not None and n_lines > _MAX_STATES:
        raise ValueError(f"lines must be at most {_MAX_STATES:,} (the chain has a state per busy line), got {lines!r}")
    r = _real("redial_probability", redial_probability, positive=False)
    if r >= 1.0:
        raise ValueError(f"redial_probability must be < 1, got {redial_probability!r}")
    delay = _real("mean_redial_delay_s", mean_redial_delay_s, positive=False)
    mu = 1.0 / aht
    s = c if n_lines is None else min(c, n_lines)
    service = np.arange(s + 1, dtype=float) * mu

    def solve(rate: float) -> dict:
        return _birth_death(rate, service, theta, n_lines, t)

    def lost(m: dict) -> float:
        return m["block"] + (1.0 - m["block"]) * m["abandon"]

    rate, m = lam, solve(lam)
    if r > 0.0 and lost(m) > 0.0:
        # x(1 - r·L(x)) - λ is <= 0 at x = λ and >= 0 at x = λ/(1 - r): a root in between.
        from scipy.optimize import brentq
        rate = brentq(lambda x: x * (1.0 - r * lost(solve(x))) - lam, lam, lam / (1.0 - r),
                      xtol=1e-13 * lam, rtol=4 * np.finfo(float).eps)
        m = solve(rate)
    loss = lost(m)
    redials = r * rate * loss
    return ErlangXMetrics(
        attempts_per_hour=rate * 3600.0,
        redials_per_hour=redials * 3600.0,
        block_rate=m["block"],
        p_wait=m["p_wait"],
        service_level=min(max(m["service_level"], 0.0), 1.0),
        asa_s=m["asa_s"],
        mean_wait_s=m["mean_wait_s"],
        abandon_rate=m["abandon"],
        occupancy=min(m["in_service"] / c, 1.0),
        mean_queue_length=m["queue"],
        lines_busy=m["in_system"],
        retrial_rate=r * loss,
        customers_lost=1.0 - (1.0 - loss) / (1.0 - r * loss),
        mean_redialling=redials * delay,
    )


def default_inflation(concurrency: int) -> tuple[float, ...]:
    """The simulator's default handle-time factors 1 + 0.3 (n - 1), n = 1..``concurrency``."""
    return tuple(1.0 + 0.3 * i for i in range(_agents(concurrency, name="concurrency")))


#: how the chats in service are spread over the agents (:func:`chat_metrics`)
SPREADS = ("random", "even")


def _chat_spread(c: int, k: int, spread: str) -> np.ndarray:
    """P(an agent holds n chats | s in service), rows s = 0..c·k, columns n = 0..k.

    ``random``: the s busy slots are a uniformly random s of the c·k (hypergeometric), as when
    each chat goes to a random idle slot; ``even``: as evenly as possible (s // c each, s mod c
    agents one more), as when each goes to the least loaded agent.
    """
    s = np.arange(c * k + 1)[:, None]
    n = np.arange(k + 1)[None, :]
    if spread == "random":
        from scipy.stats import hypergeom
        return hypergeom.pmf(n, c * k, k, s)
    q, extra = s // c, s % c
    return ((n == q) * (c - extra) + (n == np.minimum(q + 1, k)) * extra) / c


def _chat_service(c: int, k: int, factors: tuple[float, ...], mu: float, spread: str = "even") -> np.ndarray:
    """Finish rate with s = 0..c·k chats in service: sum over agents of n·μ / factor of the n-th chat."""
    f = np.concatenate(([1.0], np.asarray(factors[:k], dtype=float)))  # f[n]: factor of an agent's n-th chat
    n = np.arange(k + 1)
    return c * (_chat_spread(c, k, spread) @ (n / f[n])) * mu


def chat_metrics(
    arrival_rate_per_hour: float,
    mean_handle_time_s: float,
    agents: int,
    concurrency: int,
    threshold_s: float,
    *,
    handle_time_factors: tuple[float, ...] | None = None,
    mean_patience_s: float | None = None,
    spread: str = "random",
) -> ChatMetrics:
    """Chat: ``agents`` each hold up to ``concurrency`` chats; handle time inflates with the load.

    ``handle_time_factors[n - 1]`` multiplies the handle time of an agent's n-th chat at once,
    the definition of ``agent_groups.<g>.concurrency.handle_time_factors`` in the simulator
    (default :func:`default_inflation`: 1 + 0.3 (n - 1)).  **Approximation**: a birth-death
    chain over the chats in the centre, FCFS queue, exponential handle time (mean
    ``mean_handle_time_s`` at one chat) and patience.  With s chats in service, an agent
    holding n finishes each of them at rate μ / factor[n - 1], re-evaluated as n changes, and
    the agents' n follow ``spread``: ``random`` (the default; a uniformly random s of the c·k
    slots busy: the simulator hands a chat to the longest-idle slot, which is close to a random
    idle slot) or ``even`` (as evenly as possible: routing to the least loaded agent; the
    least inflation, so an optimistic bound).  The simulator fixes a chat's factor at its start
    instead.  Concurrency 1 is exactly Erlang C / A; with no inflation the spread does not
    matter and it is Erlang C / A with c·k servers.
    """
    lam = _real("arrival_rate_per_hour", arrival_rate_per_hour, positive=True) / 3600.0
    aht = _real("mean_handle_time_s", mean_handle_time_s, positive=True)
    c = _agents(agents)
    k = _agents(concurrency, name="concurrency")
    t = _real("threshold_s", threshold_s, positive=False)
    factors = default_inflation(k) if handle_time_factors is None else tuple(handle_time_factors)
    if len(factors) < k:
        raise ValueError(f"handle_time_factors needs {k} factors (one per chat held, 1 to concurrency), "
                         f"got {len(factors)}")
    for i, f in enumerate(factors[:k]):
        _real(f"handle_time_factors[{i}]", f, positive=True)
    if (c * k + 1) * (k + 1) > _MAX_STATES * 8:
        raise ValueError(f"agents x concurrency too large ({c} x {k}): the spread table would not fit; "
                         "use fewer agents or a lower concurrency")
    theta = 0.0 if mean_patience_s is None else 1.0 / _real("mean_patience_s", mean_patience_s, positive=True)
    if spread not in SPREADS:
        raise ValueError(f"spread must be one of {', '.join(SPREADS)}, got {spread!r}")
    service = _chat_service(c, k, factors, 1.0 / aht, spread)
    m = _birth_death(lam, service, theta, None, t)
    p = m["p"]
    held = np.minimum(np.arange(p.size), c * k)
    busy_agents = c * (1.0 - _chat_spread(c, k, spread)[:, 0])  # agents holding at least one chat, per s
    throughput = lam * (1.0 - m["abandon"])
    return ChatMetrics(
        p_wait=m["p_wait"],
        service_level=min(max(m["service_level"], 0.0), 1.0),
        asa_s=m["asa_s"],
        mean_wait_s=m["mean_wait_s"],
        abandon_rate=m["abandon"],
        occupancy=min(float(busy_agents[held] @ p) / c, 1.0),
        mean_queue_length=m["queue"],
        chats_per_agent=m["in_service"] / c,
        slot_utilisation=min(m["in_service"] / (c * k), 1.0),
        aht_s=m["in_service"] / throughput,
    )


def _blend_chain(lam: float, mu: float, mu_out: float, theta: float, c: int, reserve: int,
                 top: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stationary law of the blend CTMC truncated at ``top`` inbound (arrivals beyond are refused).

    States (i inbound in the centre, o outbound calls) with at most ``reserve`` idle agents;
    returns i, o, the index grid (-1: no such state) and the probabilities.
    """
    from scipy.sparse import csc_matrix, coo_matrix
    from scipy.sparse.linalg import spsolve

    ii, oo = np.meshgrid(np.arange(top + 1), np.arange(c + 1), indexing="ij")
    valid = np.maximum(c - oo - ii, 0) <= reserve
    grid = np.full(valid.shape, -1)
    i, o = ii[valid], oo[valid]
    grid[valid] = np.arange(i.size)
    size = i.size
    src = np.arange(size)
    busy_in = np.minimum(i, c - o)
    queue = i - busy_in
    moves = []  # (from, to, rate); to = -1 or the state itself: no move
    up = i < top
    moves.append((src[up], grid[i[up] + 1, o[up]], np.full(up.sum(), lam)))
    # an inbound call ends: the agent takes the next waiting call, or idles, or dials out (idle > reserve)
    e = busy_in > 0
    dial = e & (queue == 0) & (c - o - (i - 1) > reserve)
    moves.append((src[e], grid[i[e] - 1, np.where(dial, o + 1, o)[e]], busy_in[e] * mu))
    w = queue > 0
    moves.append((src[w], grid[i[w] - 1, o[w]], queue[w] * theta))
    # an outbound call ends: the agent takes a waiting call, idles, or dials again (no change)
    d = (o > 0) & ((queue > 0) | (c - (o - 1) - i <= reserve))
    moves.append((src[d], grid[i[d], o[d] - 1], o[d] * mu_out))
    frm = np.concatenate([m[0] for m in moves])
    to = np.concatenate([m[1] for m in moves])
    rate = np.concatenate([m[2] for m in moves]).astype(float)
    keep = (rate > 0) & (to >= 0) & (to != frm)
    frm, to, rate = frm[keep], to[keep], rate[keep]
    out_rate = np.bincount(frm, weights=rate, minlength=size)
    # Q transposed without the row and column of a reference state: its probability is fixed at 1,
    # the rest solved (sparse), then all normalised.  The reference is a likely state (about the
    # offered load inbound), and the most likely one found if that one is far less likely.
    q = csc_matrix(coo_matrix((np.concatenate((rate, -out_rate)), (np.concatenate((to, src)),
                                                                     np.concatenate((frm, src)))), shape=(size, size)))
    busy = min(int(lam / mu), top)
    ref = grid[busy, max(c - reserve - busy, 0)]
    for _ in range(2):
        rest = np.flatnonzero(src != ref)
        p = np.zeros(size)
        p[ref] = 1.0
        p[rest] = spsolve(q[rest][:, rest], -q[rest][:, [ref]].toarray().ravel())
        p = np.maximum(p, 0.0)
        if p.max() < 1e6:
            break
        ref = int(np.argmax(p))
    return i, o, grid, p / p.sum()


def blend_metrics(
    arrival_rate_per_hour: float,
    mean_handle_time_s: float,
    agents: int,
    outbound_handle_time_s: float,
    reserve: int,
    threshold_s: float,
    *,
    mean_patience_s: float | None = None,
) -> BlendMetrics:
    """Blend: ``agents`` answer inbound calls first and dial out while more than ``reserve`` are idle.

    **Model** (exact, no approximation beyond truncating the inbound queue where its mass is
    below 1e-12): Poisson inbound calls, exponential inbound and outbound handle times,
    exponential patience (None: nobody abandons), FCFS inbound queue, and an unlimited supply
    of outbound calls.  The moment more than ``reserve`` agents are idle, one of them starts an
    outbound call, which is never interrupted; an agent that ends a call takes a waiting
    inbound call first.  The state is (inbound in the centre, outbound calls in progress),
    a 2-D CTMC solved exactly; a waiting inbound call's wait comes from its own absorbing
    chain (calls ahead, outbound in progress): while anyone waits no outbound call starts, and
    each inbound or outbound call that ends moves the queue.  ``reserve`` >= ``agents`` is
    pure inbound (Erlang C, or A with patience).
    """
    lam = _real("arrival_rate_per_hour", arrival_rate_per_hour, positive=True) / 3600.0
    aht = _real("mean_handle_time_s", mean_handle_time_s, positive=True)
    c = _agents(agents)
    out = _real("outbound_handle_time_s", outbound_handle_time_s, positive=True)
    r = _agents(reserve, minimum=0, name="reserve")
    t = _real("threshold_s", threshold_s, positive=False)
    theta = 0.0 if mean_patience_s is None else 1.0 / _real("mean_patience_s", mean_patience_s, positive=True)
    mu, mu_out = 1.0 / aht, 1.0 / out
    r = min(r, c)
    # Truncation: from the inbound-only chain's own, doubled until the edge holds no mass.
    top = _log_weights(lam, np.arange(c + 1, dtype=float) * mu, theta, None).size + c
    while True:
        if (top + 1) * (c + 1) > _MAX_STATES:
            raise ValueError(f"blend state space too large ({top + 1:,} inbound x {c + 1} outbound states); "
                             "add agents or shorten the patience")
        i, o, grid, p = _blend_chain(lam, mu, mu_out, theta, c, r, top)
        if p[i == top].sum() < 1e-12:
            break
        top *= 2
    busy_in = np.minimum(i, c - o)
    queue_len = float(p @ (i - busy_in))
    outbound = float(p @ o)
    busy = float(p @ (busy_in + o))
    no_wait = float(p[i < c - o].sum())

    # A waiting inbound arrival (PASTA: it finds i >= c - o, k = i - (c - o) ahead, o outbound): its
    # own absorbing chain; while anyone waits no outbound call starts, and every call that ends moves it up.
    sel = (i >= c - o) & (i < top)
    k, ko, start = i[sel] - (c - o[sel]), o[sel], p[sel]
    n = k.size
    at = np.full((top + 1, c + 1), -1)
    at[k, ko] = np.arange(n)
    inbound_end, outbound_end = (c - ko) * mu, ko * mu_out
    front = k == 0
    served = np.where(front, inbound_end + outbound_end, 0.0)
    back = ~front
    frm = np.concatenate((np.flatnonzero(back), np.flatnonzero(back & (ko > 0))))
    to = np.concatenate((at[k[back] - 1, ko[back]], at[k[back & (ko > 0)] - 1, ko[back & (ko > 0)] - 1]))
    rate = np.concatenate(((inbound_end + k * theta)[back], outbound_end[back & (ko > 0)]))
    diag = -(inbound_end + outbound_end + k * theta + theta)
    if n:
        from scipy.sparse import coo_matrix
        from scipy.sparse.linalg import expm_multiply, spsolve

        idx = np.arange(n)
        q_t = coo_matrix((np.concatenate((rate, diag)), (np.concatenate((frm, idx)), np.concatenate((to, idx)))),
                         shape=(n, n)).tocsc()
        h = spsolve(-q_t, served)  # P(answered | state)
        answered_wait_sum = float(start @ spsolve(-q_t, h))  # E[W; answered]
        mean_wait = float(start @ spsolve(-q_t, np.ones(n)))  # E[min(W, patience)]
        p_answered_waiting = float(start @ h)
        if t > 0:  # P(answered by t): the mass of an absorbing "answered" state at t
            f = np.flatnonzero(front)
            aug = coo_matrix((np.concatenate((rate, diag, served[f])),
                              (np.concatenate((frm, idx, f)), np.concatenate((to, idx, np.full(f.size, n))))),
                             shape=(n + 1, n + 1)).tocsc()
            in_time = float(expm_multiply((aug.T * t).tocsc(), np.concatenate((start, [0.0])))[-1])
        else:
            in_time = 0.0
    else:
        in_time = p_answered_waiting = answered_wait_sum = mean_wait = 0.0
    wait_mass = float(start.sum())
    total = no_wait + wait_mass  # 1 up to the truncated edge
    abandon = min(max((wait_mass - p_answered_waiting) / total, 0.0), 1.0) if theta > 0.0 else 0.0
    return BlendMetrics(
        reserve=r,
        p_wait=wait_mass / total,
        service_level=min(max((no_wait + in_time) / total, 0.0), 1.0),
        asa_s=answered_wait_sum / total / (1.0 - abandon) if abandon < 1.0 else math.inf,
        mean_wait_s=mean_wait / total,
        abandon_rate=abandon,
        mean_queue_length=queue_len,
        outbound_per_hour=outbound * mu_out * 3600.0,
        outbound_agents=outbound,
        occupancy=min(busy / c, 1.0),
    )


def blend_table(
    arrival_rate_per_hour: float,
    mean_handle_time_s: float,
    agents: int,
    outbound_handle_time_s: float,
    threshold_s: float,
    *,
    mean_patience_s: float | None = None,
    reserves: range | None = None,
) -> list[BlendMetrics]:
    """:func:`blend_metrics` for each reserve (default 0..``agents``: from all idle time dialling out to none)."""
    c = _agents(agents)
    return [blend_metrics(arrival_rate_per_hour, mean_handle_time_s, c, outbound_handle_time_s, r, threshold_s,
                          mean_patience_s=mean_patience_s)
            for r in (range(c + 1) if reserves is None else reserves)]


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

    return fewest_agents(ok, lo, step=max(1, math.ceil(math.sqrt(load))))


def fewest_agents(ok: Callable[[int], bool], lowest: int = 1, *, step: int = 1) -> int:
    """The fewest agents ``c >= lowest`` with ``ok(c)``, for ``ok`` false then true as agents grow
    (service level rising with agents): gallop up from ``lowest`` by doubling steps, then bisect."""
    lo = _agents(lowest)
    if ok(lo):
        return lo
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
