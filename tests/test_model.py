"""The model's mechanics: exact traces, conservation, Little's law, routing, staffing, escalation."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import run_experiment, simulate, single_queue_scenario
from sim.engine.records import ABANDONED, ANSWERED, BLOCKED, IN_SYSTEM, OUTCOMES
from sim.experiments.stats import t_interval

from .conftest import centre_config, resolved


def _write_trace(path, rows, header=("arrival_time_s", "contact_type", "handle_time_s", "patience_s")):
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def fcfs_recursion(arrivals, handles, servers):
    """Waits of a FCFS multi-server queue: each contact starts when the earliest agent is free."""
    free = [0.0] * servers
    waits = []
    for a, h in zip(arrivals, handles):
        earliest = heapq.heappop(free)
        start = max(a, earliest)
        waits.append(start - a)
        heapq.heappush(free, start + h)
    return np.asarray(waits)


# ----------------------------------------------------------------- trace replay


def test_trace_replay_reproduces_the_fcfs_recursion_exactly(tmp_path):
    rng = np.random.default_rng(7)
    n, servers = 3000, 5
    arrivals = np.cumsum(rng.exponential(60.0, n))  # rho ~ 0.93 with mean handle 280 s on 5 agents
    handles = rng.gamma(2.0, 140.0, n)
    trace = _write_trace(tmp_path / "trace.csv", [(repr(float(a)), "calls", repr(float(h)), None) for a, h in zip(arrivals, handles)])
    scenario = single_queue_scenario(1.0, 1.0, servers, horizon_s=float(arrivals[-1]) + 1.0, trace=trace)
    result = simulate(scenario, resolved(scenario).run, 0, keep_contacts=True)
    c = result.contacts
    assert len(c) == n
    np.testing.assert_array_equal(c.arrival_time_s, arrivals)
    np.testing.assert_array_equal(c.handle_time_s, handles)
    expected = fcfs_recursion(arrivals.tolist(), handles.tolist(), servers)
    assert (expected > 0).mean() > 0.3, "the trace should make contacts wait"
    np.testing.assert_array_equal(c.wait_s, expected)


def test_trace_patience_makes_contacts_abandon_exactly_when_it_runs_out(tmp_path):
    # one agent busy 0-100; second contact (patience 30) leaves at 40; third (patience 200) waits 90
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (10, "calls", 5, 30), (10, "calls", 5, 200)])
    scenario = single_queue_scenario(1.0, 1.0, 1, horizon_s=1000.0, trace=trace)
    c = simulate(scenario, resolved(scenario).run, 0, keep_contacts=True).contacts
    assert [OUTCOMES[o] for o in c.outcome] == ["answered", "abandoned", "answered"]
    assert c.wait_s.tolist() == [0.0, 30.0, 90.0]
    assert c.end_time_s.tolist() == [100.0, 40.0, 105.0]


# ------------------------------------------------------------------ conservation


@st.composite
def small_queues(draw):
    agents = draw(st.integers(1, 6))
    return dict(
        rate=draw(st.floats(5.0, 120.0)),
        aht=draw(st.floats(30.0, 600.0)),
        agents=agents,
        patience=draw(st.one_of(st.none(), st.floats(10.0, 600.0))),
        capacity=draw(st.one_of(st.none(), st.integers(0, 5))),
        drain=draw(st.booleans()),
        seed=draw(st.integers(0, 10_000)),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_queues())
def test_every_arrival_ends_exactly_once(q):
    scenario = single_queue_scenario(q["rate"], q["aht"], q["agents"], horizon_s=4 * 3600.0,
                                     mean_patience_s=q["patience"], queue_capacity=q["capacity"])
    config = resolved(scenario, seed=q["seed"], drain=q["drain"])
    result = simulate(scenario, config.run, 0, keep_contacts=True)
    c = result.contacts
    assert c.contact_id.tolist() == list(range(len(c))), "each arrival recorded once"
    counts = np.bincount(c.outcome, minlength=4)
    assert counts.sum() == len(c)
    if q["drain"]:
        assert counts[IN_SYSTEM] == 0, "draining serves or loses everyone"
    if q["patience"] is None:
        assert counts[ABANDONED] == 0
    if q["capacity"] is None:
        assert counts[BLOCKED] == 0
    blocked = c.outcome == BLOCKED
    assert np.isnan(c.wait_s[blocked]).all() and not c.answered[blocked].any()
    assert (c.wait_s[~blocked] >= 0).all()
    answered = c.outcome == ANSWERED
    np.testing.assert_allclose(c.end_time_s[answered], c.arrival_time_s[answered] + c.wait_s[answered]
                               + c.handle_time_s[answered], rtol=1e-12, atol=1e-9)
    if q["drain"]:
        # Little's law on the sample path: area under the queue-length curve = sum of waits
        area = result.segments.queue_area.sum()
        assert area == pytest.approx(np.nansum(c.wait_s), rel=1e-9, abs=1e-6)


def test_conservation_holds_in_the_default_centre_with_escalation_and_journeys():
    from .conftest import REPO
    import yaml

    raw = yaml.safe_load((REPO / "configs/scenario/default.yaml").read_text())
    raw.pop("preset")
    config = centre_config(raw, replications=1, seed=3, drain=False)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    c = result.contacts
    assert c.contact_id.tolist() == list(range(len(c)))
    counts = np.bincount(c.outcome, minlength=4)
    assert counts.sum() == len(c) and counts[IN_SYSTEM] >= 0
    assert c.escalated.any(), "the default centre escalates technical calls"
    # escalated contacts were answered first; their second wait is recorded
    assert c.answered[c.escalated].all()
    assert (~np.isnan(c.transfer_wait_s[c.escalated & (c.outcome == ANSWERED)])).all()
    # customer journeys: deflected, retried and repeat contacts are arrivals that end exactly once too
    assert (c.outcome == OUTCOMES.index("deflected")).any()
    assert (c.attempt == 1).any() and (c.attempt == 2).any()
    first = c.attempt == 0
    assert np.isin(c.customer_id[~first], c.contact_id[first]).all()


# ------------------------------------------------------------------- Little's law


def test_littles_law_queue_length_equals_arrival_rate_times_mean_wait():
    scenario = single_queue_scenario(540.0, 300.0, 50, horizon_s=26 * 3600.0, mean_patience_s=400.0)
    reps = run_experiment(resolved(scenario, replications=8, seed=11, warmup_s=2 * 3600.0, confidence=0.99)).replications
    window_s = 24 * 3600.0

    def per_rep(metric):
        return reps[(reps.channel == "all") & (reps.metric == metric)].sort_values("replication")["value"].to_numpy()

    queue = per_rep("mean_queue_length")
    little = per_rep("offered") / window_s * per_rep("mean_wait_s")
    diff = t_interval(queue - little, 0.99)
    assert diff.contains(0.0), f"L - lambda W = {diff.mean:.4f}, CI [{diff.low:.4f}, {diff.high:.4f}]"
    # and for the agents: busy agents = throughput x mean handle time
    busy = per_rep("occupancy") * 50
    served = per_rep("answered") / window_s * per_rep("aht_s")
    diff = t_interval(busy - served, 0.99)
    assert diff.contains(0.0), f"busy - lambda_served * AHT = {diff.mean:.4f}, CI [{diff.low:.4f}, {diff.high:.4f}]"


# ------------------------------------------------------------------------ routing


def _two_type_centre(trace, *, queue_selection="priority_fcfs", agent_selection="longest_idle",
                     skills=("a", "b"), priorities=(2, 1)):
    return centre_config({
        "open_time": "00:00", "close_time": "01:00", "interval_minutes": 60, "trace": str(trace),
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {
            "a": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "priority": priorities[0],
                  "handle_time": {"dist": "deterministic", "mean_s": 10}},
            "b": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "priority": priorities[1],
                  "handle_time": {"dist": "deterministic", "mean_s": 10}},
        },
        "agent_groups": {"solo": {"skills": list(skills), "staffing": 1}},
        "routing": {"queue_selection": queue_selection, "agent_selection": agent_selection},
    })


@pytest.mark.parametrize("selection, skills, expected_waits", [
    # agent busy 0-10; b arrives at 1, a at 2: who is served at 10?
    ("priority_fcfs", ("a", "b"), [0.0, 19.0, 8.0]),  # a has the higher priority
    ("fcfs", ("a", "b"), [0.0, 9.0, 18.0]),  # b came first
    ("skill_order", ("b", "a"), [0.0, 9.0, 18.0]),  # the agent prefers b
    ("skill_order", ("a", "b"), [0.0, 19.0, 8.0]),  # the agent prefers a
])
def test_queue_selection_policies_pick_the_documented_contact(tmp_path, selection, skills, expected_waits):
    trace = _write_trace(tmp_path / "t.csv", [(0, "a", 10, None), (1, "b", 10, None), (2, "a", 10, None)])
    config = _two_type_centre(trace, queue_selection=selection, skills=skills)
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    assert c.wait_s.tolist() == expected_waits


def _two_group_centre(trace, agent_selection):
    return centre_config({
        "open_time": "00:00", "close_time": "01:00", "interval_minutes": 60, "trace": str(trace),
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {
            "x": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": {"dist": "deterministic", "mean_s": 10}},
            "y": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": {"dist": "deterministic", "mean_s": 10}},
        },
        "agent_groups": {
            "generalist": {"skills": ["y", "x"], "staffing": 1},  # x is its second skill
            "specialist": {"skills": ["x"], "staffing": 1},  # x is its first skill
        },
        "routing": {"agent_selection": agent_selection},
    })


@pytest.mark.parametrize("selection, expected_groups", [
    ("longest_idle", ["generalist", "specialist", "generalist"]),  # tie at 0 -> group listed first
    ("skill_rank", ["specialist", "specialist", "specialist"]),
])
def test_agent_selection_policies_pick_the_documented_agent(tmp_path, selection, expected_groups):
    # both idle since 0 at the first contact; later the one idle longer differs from the best-ranked
    trace = _write_trace(tmp_path / "t.csv", [(0, "x", 10, None), (20, "x", 10, None), (40, "x", 10, None)])
    config = _two_group_centre(trace, selection)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    names = [result.group_names[g] for g in result.contacts.agent_group]
    assert names == expected_groups


# --------------------------------------------------------------------- escalation


def test_escalated_contact_waits_again_and_end_to_end_time_spans_both_services(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "tech", 100, None), (10, "tech", 100, None)])
    config = centre_config({
        "open_time": "00:00", "close_time": "01:00", "interval_minutes": 60, "trace": str(trace),
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {
            "tech": {"channel": "phone", "arrivals": {"rate_per_hour": 0},
                     "handle_time": {"dist": "deterministic", "mean_s": 100},
                     "escalation": {"probability": 1.0, "to": "tier2"}},
            "tier2": {"channel": "phone", "arrivals": None, "handle_time": {"dist": "deterministic", "mean_s": 300}},
        },
        "agent_groups": {"t1": {"skills": ["tech"], "staffing": 1}, "t2": {"skills": ["tier2"], "staffing": 1}},
    })
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    # contact 0: t1 0-100, t2 100-400.  contact 1: waits 90 at t1 (100-200), waits 200 at t2 (200-400), t2 400-700
    assert c.wait_s.tolist() == [0.0, 90.0]
    assert c.escalated.tolist() == [True, True]
    assert c.transfer_wait_s.tolist() == [0.0, 200.0]
    assert c.transfer_handle_time_s.tolist() == [300.0, 300.0]
    assert (c.end_time_s - c.arrival_time_s).tolist() == [400.0, 690.0]
    assert [OUTCOMES[o] for o in c.outcome] == ["answered", "answered"]


def test_escalation_share_matches_the_configured_probability():
    config = centre_config({
        "open_time": "00:00", "close_time": "10:00", "interval_minutes": 60,
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {
            "tech": {"channel": "phone", "arrivals": {"rate_per_hour": 100},
                     "handle_time": {"dist": "exponential", "mean_s": 60},
                     "escalation": {"probability": 0.25, "to": "tier2"}},
            "tier2": {"channel": "phone", "handle_time": {"dist": "exponential", "mean_s": 60}},
        },
        "agent_groups": {"t1": {"skills": ["tech"], "staffing": 4}, "t2": {"skills": ["tier2"], "staffing": 2}},
    }, replications=10, seed=5)
    reps = run_experiment(config).replications
    rates = reps[(reps.channel == "all") & (reps.metric == "escalation_rate")]["value"]
    est = t_interval(rates.to_numpy(), 0.99)
    assert est.contains(0.25), est


# ----------------------------------------------------------------------- staffing


def test_staffing_table_sets_logged_in_agents_per_interval_and_counts_overtime(tmp_path):
    # one contact in service across the 10-minute boundary where staffing drops from 2 to 0
    trace = _write_trace(tmp_path / "t.csv", [(500, "calls", 300, None)])
    config = centre_config({
        "open_time": "00:00", "close_time": "00:30", "interval_minutes": 10, "trace": str(trace),
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0},
                                    "handle_time": {"dist": "deterministic", "mean_s": 1}}},
        "agent_groups": {"g": {"skills": ["calls"], "staffing": [2, 0, 3]}},
    })
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    seg = result.segments
    # three intervals, then the (empty) time after the horizon
    assert seg.bounds_s.tolist() == [0.0, 600.0, 1200.0, 1800.0, 1800.0]
    # interval 1: 2 agents; interval 2: the busy agent stays until 800 (200 s overtime); interval 3: 3 agents
    assert seg.staffed_area[:, 0].tolist() == [1200.0, 200.0, 1800.0, 0.0]
    assert seg.busy_area[:, 0].tolist() == [100.0, 200.0, 0.0, 0.0]


def test_contacts_wait_through_a_closed_interval_until_agents_log_in(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(700, "calls", 50, None)])
    config = centre_config({
        "open_time": "00:00", "close_time": "00:30", "interval_minutes": 10, "trace": str(trace),
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0},
                                    "handle_time": {"dist": "deterministic", "mean_s": 1}}},
        "agent_groups": {"g": {"skills": ["calls"], "staffing": [1, 0, 1]}},
    })
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    assert c.wait_s.tolist() == [500.0]


# ------------------------------------------------------------------ reproducibility


def test_same_seed_gives_identical_tables_and_another_seed_does_not():
    scenario = single_queue_scenario(300.0, 200.0, 18, horizon_s=6 * 3600.0, mean_patience_s=120.0)
    a = run_experiment(resolved(scenario, replications=3, seed=1))
    b = run_experiment(resolved(scenario, replications=3, seed=1))
    c = run_experiment(resolved(scenario, replications=3, seed=2))
    assert a.summary.equals(b.summary) and a.intervals.equals(b.intervals)
    assert not a.summary.equals(c.summary)


def test_handle_time_distributions_have_the_configured_mean_and_cv():
    from sim.engine.distributions import Distribution
    from sim.engine.distributions import draw

    rng = np.random.default_rng(0)
    for kind, cv in (("exponential", 1.0), ("lognormal", 0.6), ("gamma", 1.5)):
        x = draw(Distribution(kind, 200.0, None if kind == "exponential" else cv), rng, 400_000)
        assert x.mean() == pytest.approx(200.0, rel=0.01), kind
        assert x.std() / x.mean() == pytest.approx(cv, rel=0.03), kind
    assert (draw(Distribution("deterministic", 42.0), rng, 10) == 42.0).all()
    emp = draw(Distribution("empirical", 2.0, None, (1.0, 3.0)), rng, 1000)
    assert set(np.unique(emp)) == {1.0, 3.0}


def test_piecewise_poisson_arrivals_follow_the_rate_of_each_interval():
    from sim.engine.arrivals import poisson_arrival_times

    rates = (0.0, 3600.0, 0.0, 7200.0)  # per hour, 1 h intervals
    t = np.fromiter(poisson_arrival_times(rates, 3600.0, 4 * 3600.0, np.random.default_rng(1)), float)
    counts = np.bincount((t // 3600).astype(int), minlength=4)
    assert counts[0] == 0 and counts[2] == 0
    assert abs(counts[1] - 3600) < 5 * math.sqrt(3600)
    assert abs(counts[3] - 7200) < 5 * math.sqrt(7200)
    assert (np.diff(t) >= 0).all() and t.max() < 4 * 3600.0
