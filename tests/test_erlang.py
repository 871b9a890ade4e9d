"""Tests for sim.erlang against published values and independently coded formulas.

Reference values not produced by this module:
* Erlang C classic example (100 calls / 30 min, AHT 180 s, 14 agents, 20 s):
  P(wait) 0.1741, SL 0.8884, ASA 7.84 s.
* Maxima ``erlang`` package worked example: E_c(0.2 calls/s, 240 s, 55 agents)
  = 0.2387, mean wait 8.184 s, P(wait <= 15 s) = 0.8459.
* Erlang B tables: B(10 servers, 5 E) = 0.01838, B(5, 3) = 0.1101 (both also
  confirmed by the exact rational closed form below), B(30, 25) ~= 0.05.
Erlang A is checked against an independent dense-generator solution, the
Mandelbaum-Zeltyn incomplete-gamma formula, the M/M/inf case θ = μ, Erlang C
as patience -> inf, fluid limits in overload, and Little's-law identities.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm
from scipy.special import gammainc, gammaln
from scipy.stats import poisson

from sim.erlang import (QueueMetrics, agents_for_service_level, erlang_a_metrics, erlang_b, erlang_b_blocking,
                        erlang_c, erlang_c_metrics, square_root_staffing)

# ---------------------------------------------------------------- Erlang B


def _erlang_b_exact(c: int, a: int) -> float:
    """a^c/c! / sum_k a^k/k!, in exact rational arithmetic."""
    terms = [Fraction(a**k, math.factorial(k)) for k in range(c + 1)]
    return float(terms[-1] / sum(terms))


@pytest.mark.parametrize(("c", "a", "table"), [(10, 5, 0.01838), (5, 3, 0.1101)])
def test_erlang_b_matches_published_table_values(c: int, a: float, table: float) -> None:
    assert erlang_b(c, a) == pytest.approx(table, abs=5e-5)


@pytest.mark.parametrize(("c", "a"), [(1, 1), (5, 3), (10, 5), (20, 17), (40, 30), (60, 80)])
def test_erlang_b_equals_exact_rational_closed_form(c: int, a: int) -> None:
    assert erlang_b(c, a) == pytest.approx(_erlang_b_exact(c, a), rel=1e-12)


def test_erlang_b_thirty_lines_twenty_five_erlangs_is_about_five_percent() -> None:
    assert erlang_b(30, 25) == pytest.approx(0.05, abs=0.005)


def test_erlang_b_is_stable_for_thousands_of_agents() -> None:
    # Independent: B = Poisson pmf(c; a) / Poisson cdf(c; a).
    c, a = 5000, 4900.0
    expected = poisson.pmf(c, a) / poisson.cdf(c, a)
    assert erlang_b(c, a) == pytest.approx(expected, rel=1e-9)
    assert 0.0 < erlang_b(c, a) < 1.0


def test_erlang_b_edge_cases() -> None:
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(4, 0.0) == 0.0


def test_erlang_b_blocking_converts_hourly_rate_and_seconds() -> None:
    # 100 calls/h x 180 s = 5 Erlangs.
    assert erlang_b_blocking(100, 180, 10) == pytest.approx(0.01838, abs=5e-5)


# ---------------------------------------------------------------- Erlang C


def test_erlang_c_classic_call_centre_example() -> None:
    m = erlang_c_metrics(200, 180, 14, 20)  # 100 calls per 30 min
    assert round(m.p_wait, 4) == 0.1741
    assert round(m.service_level, 4) == 0.8884
    assert round(m.asa_s, 2) == 7.84
    assert m.mean_wait_s == m.asa_s
    assert m.abandon_rate == 0.0
    assert m.occupancy == pytest.approx(10 / 14)
    assert m.mean_queue_length == pytest.approx(200 / 3600 * m.mean_wait_s)


def test_erlang_c_maxima_package_example() -> None:
    m = erlang_c_metrics(0.2 * 3600, 240, 55, 15)
    assert round(m.p_wait, 4) == 0.2387
    assert round(m.asa_s, 3) == 8.184
    assert round(m.service_level, 4) == 0.8459


def test_erlang_c_is_one_when_load_reaches_agents() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c(10, 12.5) == 1.0


def test_erlang_c_single_server_equals_utilisation() -> None:
    assert erlang_c(1, 0.7) == pytest.approx(0.7)


def test_erlang_c_metrics_rejects_unstable_load_with_clear_message() -> None:
    with pytest.raises(ValueError, match="unstable"):
        erlang_c_metrics(400, 180, 20, 20)  # 20 Erlangs on 20 agents


@settings(max_examples=60, deadline=None)
@given(c=st.integers(1, 300), a=st.floats(0.01, 400.0))
def test_erlang_b_decreases_with_agents_and_erlang_c_dominates_it(c: int, a: float) -> None:
    b_c, b_next = erlang_b(c, a), erlang_b(c + 1, a)
    assert b_next <= b_c
    if b_c > 1e-290:  # strict while not underflowing to zero
        assert b_next < b_c
    assert erlang_c(c, a) >= b_c


# ---------------------------------------------------------------- Erlang A


def _brute_force_erlang_a(lam: float, mu: float, c: int, theta: float, t: float, n_max: int):
    """Independent solution: dense generator, linear solve, augmented tagged chain."""
    q = np.zeros((n_max + 1, n_max + 1))
    for n in range(n_max + 1):
        if n < n_max:
            q[n, n + 1] = lam
        if n > 0:
            q[n, n - 1] = min(n, c) * mu + max(n - c, 0) * theta
        q[n, n] = -q[n].sum()
    lhs = q.T.copy()
    lhs[-1] = 1.0  # replace one balance equation by sum(pi) = 1
    rhs = np.zeros(n_max + 1)
    rhs[-1] = 1.0
    pi = np.linalg.solve(lhs, rhs)
    # Tagged customer: states k ahead = 0..K, then "answered" and "abandoned".
    kk = n_max - c
    g = np.zeros((kk + 3, kk + 3))
    served, ab = kk + 1, kk + 2
    for k in range(kk + 1):
        g[k, k - 1 if k > 0 else served] = c * mu + k * theta
        g[k, ab] = theta
        g[k, k] = -g[k].sum()
    start = np.zeros(kk + 3)
    start[: kk + 1] = pi[c:]
    answered_by_t = (start @ expm(g * t))[served]
    # ASA: with G the transient block and s the rate into "answered",
    # P(answered) = p (-G)^-1 s and E[W; answered] = p G^-2 s.
    g_t, s_vec, p0 = g[: kk + 1, : kk + 1], g[: kk + 1, served], pi[c:]
    x1 = np.linalg.solve(-g_t, s_vec)  # (-G)^-1 s
    x2 = np.linalg.solve(-g_t, x1)  # G^-2 s
    asa = (p0 @ x2) / ((1 - pi[c:].sum()) + p0 @ x1)
    return pi, (1 - pi[c:].sum()) + answered_by_t, asa


ERLANG_A_CASES = [  # per hour, AHT s, agents, patience s, threshold s
    (200, 180, 14, 120, 20),
    (200, 180, 8, 120, 20),  # load 10 > 8 agents
    (100, 300, 6, 60, 30),
    (50, 240, 3, 600, 60),
]


@pytest.mark.parametrize("case", ERLANG_A_CASES)
def test_erlang_a_matches_independent_dense_generator_solution(case: tuple) -> None:
    rate, aht, c, patience, t = case
    lam, mu, theta = rate / 3600, 1 / aht, 1 / patience
    pi, sl, asa = _brute_force_erlang_a(lam, mu, c, theta, t, n_max=c + 100)
    n = np.arange(pi.size)
    m = erlang_a_metrics(rate, aht, c, patience, t)
    assert m.p_wait == pytest.approx(pi[c:].sum(), rel=1e-7)
    assert m.mean_queue_length == pytest.approx(np.maximum(n - c, 0) @ pi, rel=1e-7)
    assert m.occupancy == pytest.approx(np.minimum(n, c) @ pi / c, rel=1e-7)
    assert m.service_level == pytest.approx(sl, rel=1e-7)
    assert m.asa_s == pytest.approx(asa, rel=1e-7)


def _mz_p_wait(load: int, c: int, patience_over_aht: float) -> float:
    """Mandelbaum & Zeltyn: P(W>0) = A·E1 / (1 + (A-1)·E1), A = x e^y γ(x,y) / y^x,
    x = cμ/θ, y = λ/θ, E1 = Erlang B (exact rational form here)."""
    x, y = c * patience_over_aht, load * patience_over_aht
    big_a = math.exp(math.log(x) + y - x * math.log(y) + gammaln(x) + math.log(gammainc(x, y)))
    e1 = _erlang_b_exact(c, load)
    return big_a * e1 / (1 + (big_a - 1) * e1)


@pytest.mark.parametrize(("c", "patience"), [(12, 60.0), (14, 300.0), (9, 90.0), (20, 30.0)])
def test_erlang_a_p_wait_matches_incomplete_gamma_closed_form(c: int, patience: float) -> None:
    m = erlang_a_metrics(200, 180, c, patience, 20)  # load 10 Erlangs
    assert m.p_wait == pytest.approx(_mz_p_wait(10, c, patience / 180), rel=1e-8)


def test_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    m = erlang_a_metrics(200, 180, 14, 1e8, 20)
    assert round(m.p_wait, 4) == 0.1741
    assert round(m.service_level, 4) == 0.8884
    assert round(m.asa_s, 2) == 7.84
    assert m.abandon_rate < 1e-6


def test_erlang_a_near_critical_with_huge_patience_matches_erlang_c_formula() -> None:
    # ρ = 10/11: slow geometric tail, so the truncation must reach far enough.
    a_m = erlang_a_metrics(200, 180, 11, 1e12, 20)
    c_m = erlang_c_metrics(200, 180, 11, 20)
    assert a_m.p_wait == pytest.approx(c_m.p_wait, rel=1e-6)
    assert a_m.service_level == pytest.approx(c_m.service_level, rel=1e-6)
    assert a_m.asa_s == pytest.approx(c_m.asa_s, rel=1e-5)
    assert a_m.mean_queue_length == pytest.approx(c_m.mean_queue_length, rel=1e-5)


def test_erlang_a_with_patience_equal_to_handle_time_is_poisson_like_m_m_inf() -> None:
    # θ = μ: the number in system is Poisson(a) whatever c is.
    a, c = 10.0, 9
    m = erlang_a_metrics(200, 180, c, 180, 20)
    assert m.p_wait == pytest.approx(poisson.sf(c - 1, a), rel=1e-9)
    n = np.arange(200)
    pmf = poisson.pmf(n, a)
    assert m.mean_queue_length == pytest.approx(np.maximum(n - c, 0) @ pmf, rel=1e-9)
    assert m.occupancy == pytest.approx(np.minimum(n, c) @ pmf / c, rel=1e-9)


@pytest.mark.parametrize("case", ERLANG_A_CASES)
def test_erlang_a_littles_law_and_abandonment_identities(case: tuple) -> None:
    rate, aht, c, patience, t = case
    lam = rate / 3600
    m = erlang_a_metrics(rate, aht, c, patience, t)
    assert m.abandon_rate == pytest.approx(m.mean_queue_length / patience / lam, rel=1e-9)
    assert m.mean_wait_s == pytest.approx(m.mean_queue_length / lam, rel=1e-9)
    assert m.abandon_rate == pytest.approx(m.mean_wait_s / patience, rel=1e-9)
    assert m.occupancy * c / aht == pytest.approx(lam * (1 - m.abandon_rate), rel=1e-9)
    assert 0 < m.asa_s < math.inf
    assert 1 - m.p_wait <= m.service_level <= 1 - m.abandon_rate


def test_erlang_a_service_level_limits_in_threshold() -> None:
    at_zero = erlang_a_metrics(200, 180, 10, 120, 0)
    assert at_zero.service_level == pytest.approx(1 - at_zero.p_wait)
    long_t = erlang_a_metrics(200, 180, 10, 120, 36_000)
    assert long_t.service_level == pytest.approx(1 - long_t.abandon_rate, rel=1e-12)
    sls = [erlang_a_metrics(200, 180, 10, 120, t).service_level for t in (0, 10, 20, 60, 300)]
    assert all(x < y for x, y in zip(sls, sls[1:]))


def test_erlang_a_overloaded_is_finite_and_near_fluid_limit() -> None:
    # 20 Erlangs on 10 agents, patience 60 s: fluid model says half abandon,
    # agents always busy and queue ≈ (λ - cμ)/θ = (400/3600 - 10/180) * 60 = 3.33.
    m = erlang_a_metrics(400, 180, 10, 60, 20)
    for value in (m.p_wait, m.service_level, m.asa_s, m.mean_wait_s, m.abandon_rate):
        assert math.isfinite(value)
    assert m.abandon_rate == pytest.approx(0.5, abs=0.05)
    assert m.occupancy == pytest.approx(1.0, abs=0.02)
    assert m.mean_queue_length == pytest.approx(10 / 3, rel=0.15)
    assert m.p_wait > 0.9  # nearly every arrival finds all agents busy


def test_erlang_a_heavy_overload_many_agents_runs_fast_and_is_consistent() -> None:
    # 2500 Erlangs on 2400 agents; fluid abandonment fraction (a - c)/a = 4 %.
    m = erlang_a_metrics(30_000, 300, 2400, 180, 20)
    assert m.abandon_rate == pytest.approx(0.04, abs=0.005)
    assert 0 < m.service_level < 1
    assert erlang_a_metrics(30_000, 300, 3000, 180, 20).service_level == pytest.approx(1.0)


def test_erlang_a_service_level_increases_with_agents() -> None:
    sls = [erlang_a_metrics(200, 180, c, 120, 20).service_level for c in range(1, 20)]
    assert all(x < y for x, y in zip(sls, sls[1:]))


# ---------------------------------------------------------------- staffing


def test_agents_for_service_level_classic_example_needs_fourteen_agents() -> None:
    # 14 agents give 88.8 % (published); 13 fall just short of 80/20.
    assert agents_for_service_level(200, 180, 20, 0.80) == 14
    assert erlang_c_metrics(200, 180, 13, 20).service_level < 0.80


@pytest.mark.parametrize(("rate", "aht", "t", "target", "patience"), [
    (200, 180, 20, 0.80, 120.0),
    (200, 180, 20, 0.95, 600.0),
    (3000, 240, 30, 0.90, 90.0),
    (30, 600, 60, 0.80, 300.0),
])
def test_agents_for_service_level_erlang_a_is_the_minimum(rate, aht, t, target, patience) -> None:
    n = agents_for_service_level(rate, aht, t, target, mean_patience_s=patience)
    assert erlang_a_metrics(rate, aht, n, patience, t).service_level >= target
    if n > 1:
        assert erlang_a_metrics(rate, aht, n - 1, patience, t).service_level < target
    assert n <= agents_for_service_level(rate, aht, t, target)  # abandonment helps


@pytest.mark.parametrize(("rate", "aht", "t", "target"), [(720, 240, 15, 0.9), (36_000, 300, 20, 0.8)])
def test_agents_for_service_level_erlang_c_minimum_large(rate, aht, t, target) -> None:
    n = agents_for_service_level(rate, aht, t, target)
    assert erlang_c_metrics(rate, aht, n, t).service_level >= target
    load = rate * aht / 3600
    if n - 1 > load:
        assert erlang_c_metrics(rate, aht, n - 1, t).service_level < target


def test_square_root_staffing_formula() -> None:
    assert square_root_staffing(200, 180, 1.0) == math.ceil(10 + math.sqrt(10))  # 14
    assert square_root_staffing(1000, 360, 1.0) == 110  # R = 100 exactly, no rounding up
    assert square_root_staffing(1000, 360, 0.5) == 105
    assert square_root_staffing(1000, 360, -0.5) == 95


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(("call", "name"), [
    (lambda: erlang_b(-1, 5.0), "agents"),
    (lambda: erlang_b(2.5, 5.0), "agents"),
    (lambda: erlang_b(True, 5.0), "agents"),
    (lambda: erlang_b(5, -1.0), "load_erlangs"),
    (lambda: erlang_c(0, 1.0), "agents"),
    (lambda: erlang_c_metrics(0, 180, 14, 20), "arrival_rate_per_hour"),
    (lambda: erlang_c_metrics(-5, 180, 14, 20), "arrival_rate_per_hour"),
    (lambda: erlang_c_metrics(200, 0, 14, 20), "mean_handle_time_s"),
    (lambda: erlang_c_metrics(200, 180, 14.0, 20), "agents"),
    (lambda: erlang_c_metrics(200, 180, 14, -1), "threshold_s"),
    (lambda: erlang_c_metrics(200, float("nan"), 14, 20), "mean_handle_time_s"),
    (lambda: erlang_a_metrics(200, 180, 14, 0, 20), "mean_patience_s"),
    (lambda: erlang_a_metrics(200, 180, -3, 60, 20), "agents"),
    (lambda: erlang_b_blocking(200, 180, 1.5), "agents"),
    (lambda: agents_for_service_level(200, 180, 20, 1.0), "target"),
    (lambda: agents_for_service_level(200, 180, 20, 0.0), "target"),
    (lambda: agents_for_service_level(200, 180, 20, 0.8, mean_patience_s=-1), "mean_patience_s"),
    (lambda: square_root_staffing(0, 180, 1.0), "arrival_rate_per_hour"),
    (lambda: square_root_staffing(200, 180, float("inf")), "beta"),
])
def test_bad_arguments_raise_value_error_naming_the_argument(call, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()


def test_queue_metrics_is_frozen() -> None:
    m = erlang_c_metrics(200, 180, 14, 20)
    assert isinstance(m, QueueMetrics)
    with pytest.raises(AttributeError):
        m.p_wait = 0.5  # type: ignore[misc]
