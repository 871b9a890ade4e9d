"""Erlang X (sim.erlang.erlang_x_metrics): M/M/c/N+M with redials.

Its limits to 1e-9 (Erlang A with unlimited lines and no redials, Erlang C without patience, Erlang B
with as many lines as agents), the stationary law against a dense brute-force generator, the
redial fixed point and the customer identities, monotonicity (hypothesis), and bad input.
The comparison with the simulator is in tests/test_validation_calculators.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import null_space
from scipy.special import gammaincc

from sim.erlang import erlang_a_metrics, erlang_b, erlang_c_metrics, erlang_x_metrics

CASES = [(200.0, 180.0, 12, 120.0), (30.0, 300.0, 3, 180.0), (144.0, 300.0, 10, 200.0), (570.0, 300.0, 50, 300.0)]


@pytest.mark.parametrize("rate, aht, agents, patience", CASES)
def test_unlimited_lines_and_no_redials_is_erlang_a_to_1e_9(rate, aht, agents, patience):
    a = erlang_a_metrics(rate, aht, agents, patience, 20.0)
    x = erlang_x_metrics(rate, aht, agents, 20.0, mean_patience_s=patience)
    for field in ("p_wait", "service_level", "asa_s", "mean_wait_s", "abandon_rate", "occupancy", "mean_queue_length"):
        assert getattr(x, field) == pytest.approx(getattr(a, field), rel=1e-9, abs=1e-12), field
    assert x.block_rate == 0.0 and x.attempts_per_hour == rate and x.customers_lost == pytest.approx(a.abandon_rate)


@pytest.mark.parametrize("rate, aht, agents", [(200.0, 180.0, 14), (45.0, 240.0, 4), (1104.0, 180.0, 60)])
def test_unlimited_lines_without_patience_is_erlang_c_to_1e_9(rate, aht, agents):
    c = erlang_c_metrics(rate, aht, agents, 20.0)
    x = erlang_x_metrics(rate, aht, agents, 20.0, redial_probability=0.4)  # nobody is lost: redials change nothing
    for field in ("p_wait", "service_level", "asa_s", "mean_wait_s", "occupancy", "mean_queue_length"):
        assert getattr(x, field) == pytest.approx(getattr(c, field), rel=1e-9, abs=1e-12), field
    assert x.abandon_rate == 0.0 and x.attempts_per_hour == rate


@pytest.mark.parametrize("agents, load", [(1, 0.5), (6, 6.0), (12, 10.0), (40, 45.0)])
@pytest.mark.parametrize("patience", [None, 60.0])
def test_as_many_lines_as_agents_blocks_as_erlang_b(agents, load, patience):
    x = erlang_x_metrics(load * 3600.0 / 300.0, 300.0, agents, 20.0, mean_patience_s=patience, lines=agents)
    assert x.block_rate == pytest.approx(erlang_b(agents, load), rel=1e-9)
    assert x.p_wait == 0.0 and x.abandon_rate == 0.0 and x.service_level == pytest.approx(1.0)


def _brute_force(lam, mu, theta, c, lines, t):
    """Dense generator of M/M/c/N+M, its null space, and the tagged wait by summing Erlang phases."""
    q = np.zeros((lines + 1, lines + 1))
    for n in range(lines + 1):
        if n < lines:
            q[n, n + 1] = lam
        if n:
            q[n, n - 1] = min(n, c) * mu + max(n - c, 0) * theta
        q[n, n] = -q[n].sum()
    p = null_space(q.T)[:, 0]
    p /= p.sum()
    enter = 1.0 - p[lines]
    served_in_time = p[:c].sum()
    for k in range(lines - c):  # k ahead: answered by t = sum over the path of phases (no abandonment: Erlang)
        if theta == 0.0:
            served_in_time += p[c + k] * (1.0 - gammaincc(k + 1, c * mu * t))
    return p, enter, served_in_time / enter


@pytest.mark.parametrize("lam, mu, c, lines", [(1 / 30, 1 / 120, 3, 7), (0.05, 1 / 180, 12, 16), (0.2, 0.01, 5, 5)])
def test_finite_lines_stationary_law_and_service_level_match_a_dense_solve(lam, mu, c, lines):
    p, enter, sl = _brute_force(lam, mu, 0.0, c, lines, 20.0)
    x = erlang_x_metrics(lam * 3600, 1 / mu, c, 20.0, lines=lines)
    assert x.block_rate == pytest.approx(p[lines], rel=1e-9)
    assert x.lines_busy == pytest.approx(float(np.arange(lines + 1) @ p), rel=1e-9)
    assert x.p_wait == pytest.approx(p[c:lines].sum() / enter, rel=1e-9, abs=1e-15)
    assert x.service_level == pytest.approx(sl, rel=1e-9)
    # with patience: conservation, the abandonment rate is θ·E[queue]
    theta = 1 / 90
    x = erlang_x_metrics(lam * 3600, 1 / mu, c, 20.0, lines=lines, mean_patience_s=90.0)
    p, enter, _ = _brute_force(lam, mu, theta, c, lines, 20.0)
    queue = float(np.maximum(np.arange(lines + 1) - c, 0) @ p)
    assert x.abandon_rate * lam * enter == pytest.approx(theta * queue, rel=1e-9)
    assert x.occupancy * c * mu == pytest.approx(lam * enter * (1 - x.abandon_rate), rel=1e-9)


@pytest.mark.parametrize("redial", [0.3, 0.7, 0.95])
def test_redials_solve_the_fixed_point_and_the_customer_identities(redial):
    rate, aht, c = 200.0, 180.0, 10
    x = erlang_x_metrics(rate, aht, c, 20.0, mean_patience_s=60.0, lines=12, redial_probability=redial,
                         mean_redial_delay_s=300.0)
    base = erlang_x_metrics(x.attempts_per_hour, aht, c, 20.0, mean_patience_s=60.0, lines=12)  # M/M/c/N+M at λ_eff
    lost = base.block_rate + (1 - base.block_rate) * base.abandon_rate
    assert x.attempts_per_hour == pytest.approx(rate + redial * x.attempts_per_hour * lost, rel=1e-9)
    assert x.block_rate == pytest.approx(base.block_rate, rel=1e-12)
    assert x.redials_per_hour == pytest.approx(x.attempts_per_hour - rate, rel=1e-9)
    assert x.retrial_rate == pytest.approx(redial * lost, rel=1e-12)
    # fresh callers: answered ones are the attempts answered; the rest gave up
    answered = x.attempts_per_hour * (1 - lost)
    assert answered == pytest.approx(rate * (1 - x.customers_lost), rel=1e-9)
    assert x.mean_redialling == pytest.approx(x.redials_per_hour / 3600 * 300.0, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(rate=st.floats(20, 400), agents=st.integers(1, 20), extra=st.integers(0, 10),
       patience=st.floats(20, 600), redial=st.floats(0, 0.9))
def test_more_lines_block_less_and_more_redials_add_attempts_and_lose_fewer_customers(rate, agents, extra, patience,
                                                                                   redial):
    kw = {"mean_patience_s": patience, "redial_probability": redial}
    fewer = erlang_x_metrics(rate, 180.0, agents, 20.0, lines=agents + extra, **kw)
    more = erlang_x_metrics(rate, 180.0, agents, 20.0, lines=agents + extra + 1, **kw)
    assert more.block_rate <= fewer.block_rate + 1e-12
    base = erlang_x_metrics(rate, 180.0, agents, 20.0, lines=agents + extra, mean_patience_s=patience)
    assert fewer.attempts_per_hour >= base.attempts_per_hour - 1e-9
    assert fewer.customers_lost <= base.customers_lost + 1e-12
    for m in (fewer, more):
        assert 0.0 <= m.service_level <= 1.0 and 0.0 <= m.block_rate <= 1.0 and 0.0 <= m.occupancy <= 1.0


def test_fewer_lines_than_agents_leave_agents_idle():
    x = erlang_x_metrics(200.0, 180.0, 12, 20.0, lines=8)
    assert x.block_rate == pytest.approx(erlang_b(8, 10.0), rel=1e-9)
    assert x.occupancy * 12 == pytest.approx(10.0 * (1 - erlang_b(8, 10.0)), rel=1e-9)


@pytest.mark.parametrize("kwargs, message", [
    ({"redial_probability": 1.0}, "redial_probability must be < 1"),
    ({"redial_probability": -0.1}, "redial_probability must be >= 0"),
    ({"lines": 0}, "lines must be >= 1"),
    ({"mean_patience_s": 0.0}, "mean_patience_s must be > 0"),
    ({"mean_redial_delay_s": math.nan}, "mean_redial_delay_s must be a finite number"),
])
def test_bad_arguments_raise_one_line_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        erlang_x_metrics(200.0, 180.0, 12, 20.0, **kwargs)


def test_no_lines_no_patience_and_overload_is_unstable():
    with pytest.raises(ValueError, match="unstable"):
        erlang_x_metrics(200.0, 180.0, 10, 20.0)
