"""The chat calculator (sim.erlang.chat_metrics): agents holding several chats with handle-time inflation.

Its limits to 1e-9 (concurrency 1 is Erlang C / A; no inflation is Erlang C / A with agents x
concurrency servers), the inflation is the simulator's own definition (same default factors),
the service rates of both spreads (random slots, even) by hand, random inflating more than even,
conservation, monotonicity (hypothesis) and bad input.
The comparison with the simulator is in tests/test_validation_calculators.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.erlang import _chat_service, chat_metrics, default_inflation, erlang_a_metrics, erlang_c_metrics
from sim.journeys.config import parse_concurrency

FIELDS = ("p_wait", "service_level", "asa_s", "mean_wait_s", "abandon_rate", "mean_queue_length")


@pytest.mark.parametrize("patience", [None, 120.0])
def test_concurrency_one_is_erlang_c_or_a_to_1e_9(patience):
    m = chat_metrics(200.0, 180.0, 14, 1, 20.0, mean_patience_s=patience)
    e = erlang_c_metrics(200.0, 180.0, 14, 20.0) if patience is None else erlang_a_metrics(200, 180, 14, patience, 20)
    for field in FIELDS + ("occupancy",):
        assert getattr(m, field) == pytest.approx(getattr(e, field), rel=1e-9, abs=1e-12), field
    assert m.aht_s == pytest.approx(180.0, rel=1e-9)


@pytest.mark.parametrize("patience", [None, 300.0])
def test_no_inflation_is_erlang_with_one_server_per_slot(patience):
    m = chat_metrics(120.0, 600.0, 7, 3, 20.0, handle_time_factors=(1.0, 1.0, 1.0), mean_patience_s=patience)
    e = erlang_c_metrics(120.0, 600.0, 21, 20.0) if patience is None else erlang_a_metrics(120, 600, 21, patience, 20)
    for field in FIELDS:
        assert getattr(m, field) == pytest.approx(getattr(e, field), rel=1e-9, abs=1e-12), field
    assert m.slot_utilisation == pytest.approx(e.occupancy, rel=1e-9)


def test_default_inflation_is_the_simulators_default():
    for k in (1, 2, 3, 5):
        assert default_inflation(k) == parse_concurrency({"max": k}, "x").handle_time_factors


def test_even_spread_service_rate_by_hand():
    # 2 agents, up to 3 chats, factors 1, 1.5, 2 and μ = 1: with s chats spread as evenly as possible
    # (q = s // 2 each, s mod 2 agents one more), an agent holding n finishes at n / factor[n - 1].
    rates = _chat_service(2, 3, (1.0, 1.5, 2.0), 1.0, "even")
    per_agent = {0: 0.0, 1: 1.0, 2: 2 / 1.5, 3: 3 / 2.0}
    expected = [per_agent[s // 2] + per_agent[s - s // 2] for s in range(7)]
    assert rates == pytest.approx(expected, rel=1e-15)


def test_random_spread_service_rate_by_hand():
    # 2 agents, up to 2 chats, factors 1, 1.5: with s busy slots a uniformly random s of the 4. s = 1: one
    # agent holds 1 (rate 1); s = 2: both on one agent (1/6: rate 2/1.5) or one each (4/6: rate 2) or the
    # other agent (1/6); s = 3: one agent holds 2, the other 1 (rate 2/1.5 + 1); s = 4: 2 x 2/1.5.
    rates = _chat_service(2, 2, (1.0, 1.5), 1.0, "random")
    assert rates == pytest.approx([0.0, 1.0, 2 / 6 * (2 / 1.5) + 4 / 6 * 2, 2 / 1.5 + 1, 4 / 1.5], rel=1e-12)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_random_spread_inflates_more_than_even_spread(k):
    even = chat_metrics(40.0 * k, 600.0, 8, k, 20.0, mean_patience_s=300.0, spread="even")
    rand = chat_metrics(40.0 * k, 600.0, 8, k, 20.0, mean_patience_s=300.0, spread="random")
    assert rand.aht_s > even.aht_s and rand.occupancy < even.occupancy and rand.service_level <= even.service_level


def test_conservation_little_and_abandonment():
    m = chat_metrics(90.0, 600.0, 7, 3, 20.0, mean_patience_s=300.0)
    lam = 90.0 / 3600
    assert m.abandon_rate * lam == pytest.approx(m.mean_queue_length / 300.0, rel=1e-9)  # θ·E[queue]
    assert m.chats_per_agent * 7 == pytest.approx(lam * (1 - m.abandon_rate) * m.aht_s, rel=1e-12)  # Little
    assert 600.0 <= m.aht_s <= 600.0 * 1.6


@settings(max_examples=40, deadline=None)
@given(rate=st.floats(10, 300), agents=st.integers(1, 15), k=st.integers(1, 4), patience=st.floats(30, 900),
       step=st.floats(0.0, 0.6))
def test_more_agents_or_less_inflation_never_lower_the_service_level(rate, agents, k, patience, step):
    factors = tuple(1.0 + step * i for i in range(k))
    base = chat_metrics(rate, 600.0, agents, k, 20.0, handle_time_factors=factors, mean_patience_s=patience)
    more = chat_metrics(rate, 600.0, agents + 1, k, 20.0, handle_time_factors=factors, mean_patience_s=patience)
    flat = chat_metrics(rate, 600.0, agents, k, 20.0, handle_time_factors=(1.0,) * k, mean_patience_s=patience)
    assert more.service_level >= base.service_level - 1e-9
    assert flat.service_level >= base.service_level - 1e-9
    assert more.abandon_rate <= base.abandon_rate + 1e-12
    for m in (base, more, flat):
        assert 0 <= m.service_level <= 1 and 0 <= m.occupancy <= 1 and 0 <= m.slot_utilisation <= 1
        assert np.isfinite(m.aht_s)


@pytest.mark.parametrize("kwargs, message", [
    ({"handle_time_factors": (1.0,)}, "needs 3 factors"),
    ({"handle_time_factors": (1.0, 0.0, 1.2)}, r"handle_time_factors\[1\] must be > 0"),
    ({"mean_patience_s": -1.0}, "mean_patience_s must be > 0"),
    ({"spread": "lumpy"}, "spread must be one of random, even"),
])
def test_bad_arguments_raise_one_line_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        chat_metrics(90.0, 600.0, 7, 3, 20.0, **kwargs)


def test_too_few_agents_without_patience_is_unstable():
    with pytest.raises(ValueError, match="unstable"):
        chat_metrics(60.0, 600.0, 5, 2, 20.0)
