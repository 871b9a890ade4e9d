"""The blend calculator (sim.erlang.blend_metrics): inbound first, outbound while more than R agents idle.

Exact limits to 1e-9 (R = agents is Erlang C / A; R = 0 keeps every agent busy and gives the
outbound line all the spare capacity), a brute-force solve on tiny cases (states found by
search from the empty centre, a dense generator and its null space; the tagged wait by a dense
matrix exponential), conservation, and monotonicity in R (hypothesis).  A comparison with the
simulator needs outbound dialling in the engine, which it does not have yet.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm, null_space

from sim.erlang import blend_metrics, blend_table, erlang_a_metrics, erlang_c_metrics

FIELDS = ("p_wait", "service_level", "asa_s", "mean_wait_s", "abandon_rate", "mean_queue_length", "occupancy")


@pytest.mark.parametrize("rate, aht, agents, patience", [(200.0, 180.0, 14, None), (200.0, 180.0, 12, 120.0),
                                                         (45.0, 240.0, 4, None), (144.0, 300.0, 10, 200.0)])
def test_reserve_equal_to_the_agents_is_pure_inbound_to_1e_9(rate, aht, agents, patience):
    m = blend_metrics(rate, aht, agents, 300.0, agents, 20.0, mean_patience_s=patience)
    e = erlang_c_metrics(rate, aht, agents, 20.0) if patience is None else \
        erlang_a_metrics(rate, aht, agents, patience, 20.0)
    for field in FIELDS:
        assert getattr(m, field) == pytest.approx(getattr(e, field), rel=1e-9, abs=1e-12), field
    assert m.outbound_per_hour == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("patience", [None, 120.0])
def test_reserve_zero_keeps_every_agent_busy_and_outbound_takes_the_spare_capacity(patience):
    rate, aht, c, out = 200.0, 180.0, 14, 300.0
    m = blend_metrics(rate, aht, c, out, 0, 20.0, mean_patience_s=patience)
    carried = rate * aht / 3600 * (1 - m.abandon_rate)
    assert m.occupancy == pytest.approx(1.0, rel=1e-12)
    assert m.outbound_agents == pytest.approx(c - carried, rel=1e-9)
    assert m.outbound_per_hour == pytest.approx((c - carried) * 3600 / out, rel=1e-9)
    assert m.p_wait == pytest.approx(1.0, rel=1e-12)  # nobody is ever idle


def _brute_force(lam, mu, mu_out, theta, c, reserve, t, top):
    """Agent-level blend chain: state (waiting, agents on inbound, agents on outbound), explored from the empty
    centre, with outbound calls dialled at once while more than ``reserve`` agents are idle."""
    def settle(w, b, o):  # dial out while idle > reserve (only with nobody waiting)
        while w == 0 and c - b - o > reserve:
            o += 1
        return w, b, o

    def moves(w, b, o):
        out = []
        if w + b < top:  # an arrival: to an idle agent, else the queue
            out.append((settle(w, b + 1, o) if b + o < c else (w + 1, b, o), lam))
        if b:  # an inbound call ends: its agent takes the next waiting call or idles
            out.append((settle(*((w - 1, b, o) if w else (0, b - 1, o))), b * mu))
        if o:
            out.append((settle(*((w - 1, b + 1, o - 1) if w else (0, b, o - 1))), o * mu_out))
        if w:
            out.append(((w - 1, b, o), w * theta))
        return out

    start = settle(0, 0, 0)
    states, todo = {start: 0}, [start]
    while todo:
        for nxt, _ in moves(*todo.pop()):
            if nxt not in states:
                states[nxt] = len(states)
                todo.append(nxt)
    q = np.zeros((len(states), len(states)))
    for s, a in states.items():
        for nxt, rate in moves(*s):
            if rate and nxt != s:
                q[a, states[nxt]] += rate
        q[a, a] = -q[a].sum()
    p = null_space(q.T)[:, 0]
    p /= p.sum()
    # tagged arrival finding (w, b, o) with b + o = c waits behind w; chain (w ahead, o) with absorbing answered/gone
    tag = {}
    for (w, b, o), a in states.items():
        if b + o == c and w + b < top:
            tag[(w, o)] = len(tag)
    n = len(tag)
    m = np.zeros((n + 2, n + 2))  # n: answered, n + 1: abandoned
    for (w, o), a in tag.items():
        done = (c - o) * mu + o * mu_out
        if w == 0:
            m[a, n] += done
        else:
            m[a, tag[(w - 1, o)]] += (c - o) * mu + w * theta
            if o:
                m[a, tag[(w - 1, o - 1)]] += o * mu_out
        m[a, n + 1] += theta
        m[a, a] = -m[a].sum()
    init = np.zeros(n + 2)
    wait = 0.0
    for (w, b, o), a in states.items():
        if b + o == c and w + b < top:
            init[tag[(w, o)]] += p[a]
            wait += p[a]
    at_t = init @ expm(m * t)
    no_wait = sum(p[a] for (w, b, o), a in states.items() if b + o < c)
    forever = init @ expm(m * 1e6)
    return {"p_wait": wait, "service_level": no_wait + at_t[n], "abandon_rate": forever[n + 1],
            "outbound_agents": sum(p[a] * o for (w, b, o), a in states.items()),
            "mean_queue_length": sum(p[a] * w for (w, b, o), a in states.items())}


@pytest.mark.parametrize("c, reserve, patience", [(2, 0, 60.0), (2, 1, 60.0), (3, 1, 120.0), (3, 2, 30.0),
                                                  (3, 0, None), (4, 2, None)])
def test_tiny_cases_match_a_brute_force_agent_level_solve(c, reserve, patience):
    lam, mu, mu_out = 1 / 90, 1 / 150, 1 / 240
    theta = 0.0 if patience is None else 1 / patience
    want = _brute_force(lam, mu, mu_out, theta, c, reserve, 20.0, top=80)
    got = blend_metrics(lam * 3600, 150.0, c, 240.0, reserve, 20.0, mean_patience_s=patience)
    for field, value in want.items():
        assert getattr(got, field) == pytest.approx(value, rel=1e-6, abs=1e-10), field


def test_abandonment_is_patience_times_the_queue_and_the_agents_add_up():
    m = blend_metrics(200.0, 180.0, 12, 300.0, 3, 20.0, mean_patience_s=120.0)
    lam = 200.0 / 3600
    assert m.abandon_rate * lam == pytest.approx(m.mean_queue_length / 120.0, rel=1e-8)
    inbound_busy = lam * (1 - m.abandon_rate) * 180.0
    assert m.occupancy * 12 == pytest.approx(inbound_busy + m.outbound_agents, rel=1e-8)


@settings(max_examples=15, deadline=None)
@given(rate=st.floats(20, 200), agents=st.integers(1, 8), patience=st.one_of(st.none(), st.floats(30, 600)),
       out=st.floats(60, 900))
def test_a_larger_reserve_raises_inbound_service_and_lowers_outbound(rate, agents, patience, out):
    if patience is None and rate * 180.0 / 3600 >= agents * 0.95:
        rate = agents * 0.9 * 3600 / 180.0
    rows = blend_table(rate, 180.0, agents, out, 20.0, mean_patience_s=patience)
    for lo, hi in zip(rows, rows[1:]):
        assert hi.service_level >= lo.service_level - 1e-9
        assert hi.abandon_rate <= lo.abandon_rate + 1e-9
        assert hi.outbound_per_hour <= lo.outbound_per_hour + 1e-9
        assert hi.occupancy <= lo.occupancy + 1e-9


@pytest.mark.parametrize("kwargs, message", [
    ({"reserve": -1}, "reserve must be >= 0"),
    ({"outbound_handle_time_s": 0.0}, "outbound_handle_time_s must be > 0"),
])
def test_bad_arguments_raise_one_line_value_errors(kwargs, message):
    args = {"arrival_rate_per_hour": 200.0, "mean_handle_time_s": 180.0, "agents": 14,
            "outbound_handle_time_s": 300.0, "reserve": 2, "threshold_s": 20.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        blend_metrics(**args)
