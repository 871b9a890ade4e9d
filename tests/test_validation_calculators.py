"""Validation of the Erlang X and chat calculators (sim.erlang) against the simulator on their assumptions.

Each analytic value must lie inside the 99% confidence interval from independent replications
(they start empty, measured after a warm-up; reduced sizes in CI, ``SIM_VALIDATION=full`` longer):

- Erlang X without redials (M/M/c/N+M: trunk lines, exponential patience) is exact: every KPI inside.
- Erlang X with redials takes them as Poisson.  The simulator's redials (``retrial``: probability,
  exponential delay, ``max_retrials`` high enough never to bind) match that when the redial delay
  is long against the queue's memory (an hour here): inside.  With short delays a lost caller
  redials into the same congestion that lost it, so the simulator blocks more than the
  approximation says: the test pins that direction (the approximation is optimistic).
- Chat (agents with ``concurrency`` and the default handle-time factors), the calculator's random
  spread (a random idle slot, as the simulator's longest-idle slot): the queue's KPIs (service
  level, abandonment, ASA, P(wait), queue length) inside.  The calculator re-evaluates a chat's
  inflation as its agent's load changes; the simulator fixes it at the chat's start, so its mean
  handle time is higher at moderate load: the calculator's is a lower bound, and the simulated
  occupancy lies between the random- and the even-spread values.  The even spread (least loaded
  agent first) inflates least and is optimistic (at ``SIM_VALIDATION=full`` its service level for
  ``heavy_c5_k3``, 61.4%, lies above the simulated CI, 58.9%-61.3%).
- Blend (inbound first, outbound started while more than ``reserve`` agents are idle) against the
  simulator's ``blending: idle_reserve`` with a progressive campaign whose dials all reach the right
  party at once: inbound KPIs and outbound calls per hour inside.
"""

from __future__ import annotations

import pytest

from sim import run_experiment
from sim.erlang import blend_metrics, chat_metrics, erlang_x_metrics
from sim.experiments.stats import t_interval

from .conftest import centre_config, validation_size

pytestmark = pytest.mark.validation

CONFIDENCE = 0.99
THRESHOLD = 20.0


def _simulate(channel: str, contact_type: dict, group: dict, *, warmup_hours: float = 2, seed: int = 11):
    scenario = {
        "open_time": "00:00", "close_time": "22:00", "interval_minutes": 60,
        "channels": {channel: dict({"service_level_threshold_s": THRESHOLD, "service_level_target": 0.8},
                                   **contact_type.pop("_channel", {}))},
        "contact_types": {"work": dict({"channel": channel}, **contact_type)},
        "agent_groups": {"agents": dict({"skills": ["work"]}, **group)},
    }
    config = centre_config(scenario, replications=validation_size(30, 120), seed=seed, warmup_hours=warmup_hours,
                           confidence=CONFIDENCE)
    return run_experiment(config).replications


def _ci(reps, metric):
    values = reps[(reps.channel != "all") & (reps.metric == metric)]["value"].to_numpy()
    if not values.size:  # centre-only KPIs (occupancy)
        values = reps[(reps.channel == "all") & (reps.metric == metric)]["value"].to_numpy()
    return t_interval(values, CONFIDENCE)


def _assert_inside(reps, metric, expected):
    est = _ci(reps, metric)
    assert est.contains(expected), (f"{metric}: analytic {expected:.5g} outside the {CONFIDENCE:.0%} CI "
                                    f"[{est.low:.5g}, {est.high:.5g}] (mean {est.mean:.5g}, {est.n} replications)")


def _call(rate, aht, patience, lines, redial=0.0, delay=600.0):
    ct = {"arrivals": {"rate_per_hour": rate}, "handle_time": {"dist": "exponential", "mean_s": aht},
          "patience": {"dist": "exponential", "mean_s": patience}, "_channel": {"lines": lines}}
    if redial:
        ct["retrial"] = {"probability": redial, "delay": {"dist": "exponential", "mean_s": delay},
                         "max_retrials": 1000}
    return ct


# 200 calls/h of 180 s (10 Erlangs) on 10 agents and 12 lines, patience 60 s: 8% blocked, 10% abandon.
RATE, AHT, AGENTS, PATIENCE, LINES = 200.0, 180.0, 10, 60.0, 12


def test_erlang_x_without_redials_matches_the_simulator_with_lines_and_patience():
    expected = erlang_x_metrics(RATE, AHT, AGENTS, THRESHOLD, mean_patience_s=PATIENCE, lines=LINES)
    reps = _simulate("phone", _call(RATE, AHT, PATIENCE, LINES), {"staffing": AGENTS})
    for metric, value in (("block_rate", expected.block_rate), ("line_block_rate", expected.block_rate),
                          ("service_level", expected.service_level), ("abandon_rate", expected.abandon_rate),
                          ("asa_s", expected.asa_s), ("mean_wait_s", expected.mean_wait_s),
                          ("p_wait", expected.p_wait), ("mean_queue_length", expected.mean_queue_length),
                          ("lines_busy", expected.lines_busy), ("occupancy", expected.occupancy)):
        _assert_inside(reps, metric, value)


def test_erlang_x_with_redials_after_a_long_delay_matches_the_simulator():
    redial, delay = 0.7, 3600.0
    expected = erlang_x_metrics(RATE, AHT, AGENTS, THRESHOLD, mean_patience_s=PATIENCE, lines=LINES,
                                redial_probability=redial, mean_redial_delay_s=delay)
    reps = _simulate("phone", _call(RATE, AHT, PATIENCE, LINES, redial, delay), {"staffing": AGENTS},
                     warmup_hours=6)  # the redialling callers build up over a few delays
    hours = 22 - 6
    for metric, value in (("block_rate", expected.block_rate), ("service_level", expected.service_level),
                          ("abandon_rate", expected.abandon_rate), ("p_wait", expected.p_wait),
                          ("lines_busy", expected.lines_busy), ("retrial_rate", expected.retrial_rate),
                          ("arrivals", expected.attempts_per_hour * hours)):
        _assert_inside(reps, metric, value)


def test_erlang_x_with_quick_redials_underestimates_the_simulators_blocking():
    redial, delay = 0.7, 20.0
    expected = erlang_x_metrics(RATE, AHT, AGENTS, THRESHOLD, mean_patience_s=PATIENCE, lines=LINES,
                                redial_probability=redial, mean_redial_delay_s=delay)
    reps = _simulate("phone", _call(RATE, AHT, PATIENCE, LINES, redial, delay), {"staffing": AGENTS})
    for metric, value in (("block_rate", expected.block_rate), ("retrial_rate", expected.retrial_rate)):
        est = _ci(reps, metric)
        assert est.low > value, f"{metric}: simulated {est} not above the Poisson-redial value {value:.4g}"


CHAT_CASES = {
    # id: (chats per hour, handle s at one chat, agents, concurrency, patience s)
    "heavy_c5_k3": (60.0, 600.0, 5, 3, 300.0),
    "heavy_c6_k2": (120.0, 300.0, 6, 2, 200.0),
    "moderate_c6_k3": (40.0, 600.0, 6, 3, 300.0),
}


@pytest.mark.parametrize("case", list(CHAT_CASES), ids=list(CHAT_CASES))
def test_chat_queue_kpis_match_the_simulator_and_handle_time_and_occupancy_are_bounded(case):
    rate, aht, agents, k, patience = CHAT_CASES[case]
    expected = chat_metrics(rate, aht, agents, k, THRESHOLD, mean_patience_s=patience)
    even = chat_metrics(rate, aht, agents, k, THRESHOLD, mean_patience_s=patience, spread="even")
    ct = {"arrivals": {"rate_per_hour": rate}, "handle_time": {"dist": "exponential", "mean_s": aht},
          "patience": {"dist": "exponential", "mean_s": patience}}
    reps = _simulate("chat", ct, {"staffing": agents, "concurrency": {"max": k}}, seed=7)
    for metric, value in (("service_level", expected.service_level), ("abandon_rate", expected.abandon_rate),
                          ("asa_s", expected.asa_s), ("p_wait", expected.p_wait),
                          ("mean_queue_length", expected.mean_queue_length)):
        _assert_inside(reps, metric, value)
    aht_est, occupancy_est = _ci(reps, "aht_s"), _ci(reps, "occupancy")
    assert expected.aht_s < aht_est.high, f"handle time {expected.aht_s:.1f} s above the simulated {aht_est}"
    assert expected.occupancy < occupancy_est.high and even.occupancy > occupancy_est.low, \
        (expected.occupancy, even.occupancy, occupancy_est)


# ------------------------------------------------------------------ blend: against the simulator's blending

def _blend_scenario(rate, aht, agents, outbound_aht, reserve):
    """One blended group: inbound phone calls first, a progressive campaign dialled whenever more than
    ``reserve`` agents are idle and nothing waits (``blending: idle_reserve``). Every dial is answered by
    the right party at once (connect and right party 1, 1 ms of ringing) and the list never runs out: the
    blend calculator's assumptions."""
    return {
        "open_time": "00:00", "close_time": "22:00", "interval_minutes": 60,
        "channels": {"phone": {"service_level_threshold_s": THRESHOLD, "service_level_target": 0.8}},
        "contact_types": {
            "inbound": {"channel": "phone", "arrivals": {"rate_per_hour": rate},
                        "handle_time": {"dist": "exponential", "mean_s": aht}, "patience": None},
            "campaign": {"channel": "phone", "handle_time": {"dist": "exponential", "mean_s": outbound_aht},
                         "outbound": {"list_size": 100_000, "connect": 1.0, "right_party": 1.0,
                                      "dial_time": {"dist": "deterministic", "mean_s": 0.001}, "mode": "progressive"}},
        },
        "agent_groups": {"agents": {"skills": ["inbound", "campaign"], "staffing": agents,
                                    "blending": {"rule": "idle_reserve", "agents": reserve}}},
    }


@pytest.mark.parametrize("reserve", [1, 3])
def test_blend_calculator_matches_the_simulators_blending_with_an_idle_reserve(reserve):
    rate, aht, agents, outbound_aht = 120.0, 180.0, 8, 300.0
    expected = blend_metrics(rate, aht, agents, outbound_aht, reserve, THRESHOLD)
    warmup_hours, open_hours = 2, 22
    config = centre_config(_blend_scenario(rate, aht, agents, outbound_aht, reserve),
                           replications=validation_size(30, 120), seed=7, warmup_hours=warmup_hours,
                           confidence=CONFIDENCE)
    reps = run_experiment(config).replications
    inbound = reps[reps.channel == "phone"]
    for metric, value in (("service_level", expected.service_level), ("asa_s", expected.asa_s),
                          ("p_wait", expected.p_wait)):
        est = t_interval(inbound[inbound.metric == metric]["value"].to_numpy(), CONFIDENCE)
        assert est.contains(value), f"{metric}: analytic {value:.4g} outside [{est.low:.4g}, {est.high:.4g}]"
    completed = reps[(reps.channel == "all") & (reps.metric == "right_party_contacts")]["value"].to_numpy()
    per_hour = t_interval(completed / (open_hours - warmup_hours), CONFIDENCE)
    assert per_hour.contains(expected.outbound_per_hour), \
        f"outbound per hour: analytic {expected.outbound_per_hour:.4g} outside [{per_hour.low:.4g}, {per_hour.high:.4g}]"
