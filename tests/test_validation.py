"""Validation against queueing theory: the single-queue preset against Erlang B, C and A.

Each analytic value must lie inside the confidence interval built from
independent replications (99% level, so that a correct model fails a check
about once in a hundred).  Replications start empty and are measured after a
warm-up.  Reduced sizes run in CI; ``SIM_VALIDATION=full`` runs longer ones.
"""

from __future__ import annotations

import pytest

from sim import run_experiment, single_queue_scenario
from sim.erlang import erlang_a_metrics, erlang_b, erlang_c_metrics
from sim.experiments.stats import t_interval

from .conftest import resolved, validation_size

pytestmark = pytest.mark.validation

CONFIDENCE = 0.99


def _simulate(rate, aht, agents, *, patience=None, capacity=None, threshold=20.0, hours_reduced=24,
              hours_full=400, reps_reduced=20, reps_full=40, seed=2024):
    hours = validation_size(hours_reduced, hours_full)
    scenario = single_queue_scenario(rate, aht, agents, horizon_s=hours * 3600.0, mean_patience_s=patience,
                                     queue_capacity=capacity, service_level_threshold_s=threshold)
    config = resolved(scenario, replications=validation_size(reps_reduced, reps_full), seed=seed,
                      warmup_s=2 * 3600.0, confidence=CONFIDENCE)
    return run_experiment(config).replications


def _ci(reps, metric, channel="all"):
    values = reps[(reps.channel == channel) & (reps.metric == metric)]["value"].to_numpy()
    return t_interval(values, CONFIDENCE)


def _assert_inside(reps, metric, expected):
    est = _ci(reps, metric)
    assert est.contains(expected), (
        f"{metric}: analytic {expected:.5g} outside the {CONFIDENCE:.0%} CI "
        f"[{est.low:.5g}, {est.high:.5g}] (mean {est.mean:.5g}, {est.n} replications)")


ERLANG_C_CASES = {
    # id: (arrivals per hour, mean handle s, agents)
    "small_c4_rho075": (45.0, 240.0, 4),
    "large_c60_rho092": (1104.0, 180.0, 60),
}


@pytest.mark.parametrize("case", list(ERLANG_C_CASES), ids=list(ERLANG_C_CASES))
def test_infinite_patience_matches_erlang_c(case):
    rate, aht, agents = ERLANG_C_CASES[case]
    expected = erlang_c_metrics(rate, aht, agents, 20.0)
    reps = _simulate(rate, aht, agents)
    _assert_inside(reps, "p_wait", expected.p_wait)
    _assert_inside(reps, "service_level", expected.service_level)
    _assert_inside(reps, "asa_s", expected.asa_s)
    _assert_inside(reps, "mean_queue_length", expected.mean_queue_length)
    _assert_inside(reps, "occupancy", expected.occupancy)


ERLANG_A_CASES = {
    # id: (arrivals per hour, mean handle s, agents, mean patience s)
    "small_c3": (30.0, 300.0, 3, 180.0),
    "large_c50_rho095": (570.0, 300.0, 50, 300.0),
    "overloaded_c10_load12": (144.0, 300.0, 10, 200.0),
}


@pytest.mark.parametrize("case", list(ERLANG_A_CASES), ids=list(ERLANG_A_CASES))
def test_exponential_patience_matches_erlang_a(case):
    rate, aht, agents, patience = ERLANG_A_CASES[case]
    expected = erlang_a_metrics(rate, aht, agents, patience, 20.0)
    reps = _simulate(rate, aht, agents, patience=patience)
    _assert_inside(reps, "p_wait", expected.p_wait)
    _assert_inside(reps, "service_level", expected.service_level)
    _assert_inside(reps, "abandon_rate", expected.abandon_rate)
    _assert_inside(reps, "asa_s", expected.asa_s)
    _assert_inside(reps, "mean_wait_s", expected.mean_wait_s)
    _assert_inside(reps, "mean_queue_length", expected.mean_queue_length)


def test_no_waiting_room_blocks_as_erlang_b():
    rate, aht, agents = 96.0, 300.0, 10  # 8 Erlangs on 10 agents
    reps = _simulate(rate, aht, agents, capacity=0)
    _assert_inside(reps, "block_rate", erlang_b(agents, rate * aht / 3600.0))
    est = _ci(reps, "p_wait")
    assert est.high == 0.0, "with no waiting room nobody waits"


def test_more_agents_give_shorter_waits_with_the_same_seed():
    base = _ci(_simulate(200.0, 180.0, 11, hours_reduced=24, hours_full=100), "asa_s")
    more = _ci(_simulate(200.0, 180.0, 12, hours_reduced=24, hours_full=100), "asa_s")
    assert more.high < base.low, f"ASA with 12 agents {more} not below 11 agents {base}"


def test_multi_day_runs_match_erlang_c_after_the_first_day():
    """A 12-hour centre over 3 days (``run.days``), measured from day 2: the overnight closings and
    the day-by-day staffing leave each day's waits those of the M/M/c queue (Erlang C)."""
    from .conftest import centre_config

    rate, aht, agents = ERLANG_C_CASES["small_c4_rho075"]
    scenario = {
        "open_time": "08:00", "close_time": "20:00", "interval_minutes": 60,
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {"calls": {"channel": "phone", "arrivals": {"rate_per_hour": rate},
                                    "handle_time": {"dist": "exponential", "mean_s": aht}}},
        "agent_groups": {"agents": {"skills": ["calls"], "staffing": agents}},
    }
    config = centre_config(scenario, days=validation_size(3, 10), warmup_hours=24,
                           replications=validation_size(20, 40), seed=77, confidence=CONFIDENCE)
    reps = run_experiment(config).replications
    expected = erlang_c_metrics(rate, aht, agents, 20.0)
    _assert_inside(reps, "p_wait", expected.p_wait)
    _assert_inside(reps, "service_level", expected.service_level)
    _assert_inside(reps, "asa_s", expected.asa_s)
