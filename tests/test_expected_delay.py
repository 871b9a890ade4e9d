"""Expected-delay routing (sim.journeys.expected_delay): a contact that must wait is committed to the group
with the smallest predicted delay.

An exact trace checked by hand (commitments, ties, a group with no agents, a committed contact not
taken by another group that frees first), the queue capacity over the sub-queues, the prediction
itself, conservation with escalations and abandonment, a paired directional test by simulation,
and the combinations it refuses (one-line errors naming the key).
"""

from __future__ import annotations

import math
from types import SimpleNamespace as NS

import numpy as np
import pytest

from sim import run_experiment
from sim.engine.errors import ConfigError
from sim.engine.records import OUTCOMES
from sim.experiments.comparison import compare_replications
from sim.experiments.stats import paired_difference
from sim.journeys.expected_delay import ExpectedDelay
from sim.model.centre import simulate

from .conftest import centre_config
from .test_model import _write_trace

PHONE = {"service_level_threshold_s": 20, "service_level_target": 0.8}


def _centre(selection: str, groups: dict, *, trace=None, rate=0.0, slow_mean=400.0, fast_mean=100.0, hours=1,
            extra: dict | None = None, **run):
    """Type ``a`` (mean handle ``fast_mean``, ``slow_mean`` in group "slow") and the given groups."""
    a = {"channel": "phone", "arrivals": {"rate_per_hour": rate},
         "handle_time": {"dist": "exponential", "mean_s": fast_mean},
         "handle_time_by_group": {"slow": {"dist": "exponential", "mean_s": slow_mean}}, **(extra or {})}
    scenario = {"name": "ed", "open_time": "00:00", "close_time": f"{hours:02d}:00", "interval_minutes": 60,
                "channels": {"phone": PHONE}, "contact_types": {"a": a}, "agent_groups": groups,
                "routing": {"agent_selection": selection}}
    if trace is not None:
        scenario["trace"] = str(trace)
    return centre_config(scenario, **run)


def _run(config, replication=0):
    c = simulate(config.scenario, config.run, replication, keep_contacts=True).contacts
    names = list(config.scenario.agent_groups)
    return c, [names[g] if g >= 0 else None for g in c.agent_group]


# ------------------------------------------------------------------ exact traces

# Groups in config order: "absent" (no agents), "fast" (1 agent, mean handle 100 s), "slow" (1 agent,
# mean 400 s by group). The trace's handle times are what the agents take; the prediction uses the means.
# a1 (0, 300 s): fast and slow idle since 0, a tie: fast (listed first), 0-300.
# a2 (10, 50 s): slow is idle: 10-60.
# Nobody idle from here. Predicted delay (committed + 1) x mean / agents; absent: no agents, infinite.
# a3 (20): fast 1 x 100 = 100 < slow 400: fast.  a4 (30): fast 2 x 100 = 200: fast.  a5 (40): 300: fast.
# a6 (50): fast 400 = slow 400, a tie: fast (listed first).  a7 (55, 20 s): fast 500 > slow 400: slow.
# At 60 slow frees and takes only its own: a7, 60-80 (wait 5); a3-a6 stay committed to fast.
# a8 (100, 10 s): slow idle, 100-110, wait 0.  Fast frees at 300: a3 300-350 (wait 280), a4 350-400
# (320), a5 400-450 (360), a6 450-500 (400).
# Under longest_idle, one shared queue: slow takes a3 at 60 (wait 40), a4 at 110 (80), a5 at 160
# (120), a6 at 210 (160), a7 at 260 (205), a8 at 280 (180); fast, free at 300, finds nobody waiting.
ROWS = [(0, "a", 300, None), (10, "a", 50, None), (20, "a", 50, None), (30, "a", 50, None), (40, "a", 50, None),
        (50, "a", 50, None), (55, "a", 20, None), (100, "a", 10, None)]
GROUPS = {"absent": {"skills": ["a"], "staffing": 0}, "fast": {"skills": ["a"], "staffing": 1},
          "slow": {"skills": ["a"], "staffing": 1}}
CASES = {
    "expected_delay": ([0.0, 0.0, 280.0, 320.0, 360.0, 400.0, 5.0, 0.0],
                       ["fast", "slow", "fast", "fast", "fast", "fast", "slow", "slow"]),
    "longest_idle": ([0.0, 0.0, 40.0, 80.0, 120.0, 160.0, 205.0, 180.0],
                     ["fast", "slow", "slow", "slow", "slow", "slow", "slow", "slow"]),
}


@pytest.mark.parametrize("selection", list(CASES))
def test_a_waiting_contact_is_committed_to_the_group_with_the_smallest_predicted_delay_exactly(tmp_path, selection):
    trace = _write_trace(tmp_path / "t.csv", ROWS)
    c, groups = _run(_centre(selection, GROUPS, trace=trace))
    assert (c.wait_s.tolist(), groups) == CASES[selection]


def test_the_queue_capacity_counts_the_contacts_committed_to_every_group(tmp_path):
    # One agent each in fast and slow, capacity 2. a1, a2 take both agents; a3 (fast: 100) and a4
    # (fast 200 vs slow 400) are committed to fast; a5 finds 2 waiting: blocked. Fast frees at 100
    # (a3 100-110, wait 80; a4 110-120, wait 80); slow frees at 200 with nothing of its own.
    trace = _write_trace(tmp_path / "t.csv", [(0, "a", 100, None), (10, "a", 190, None), (20, "a", 10, None),
                                              (30, "a", 10, None), (40, "a", 10, None)])
    groups = {"fast": {"skills": ["a"], "staffing": 1}, "slow": {"skills": ["a"], "staffing": 1}}
    c, served_by = _run(_centre("expected_delay", groups, trace=trace, extra={"queue_capacity": 2}))
    assert [OUTCOMES[o] for o in c.outcome] == ["answered"] * 4 + ["blocked"]
    np.testing.assert_array_equal(c.wait_s, [0.0, 0.0, 80.0, 80.0, np.nan])
    assert served_by == ["fast", "slow", "fast", "fast", None]


def test_the_predicted_delay_is_the_committed_work_over_the_agents_logged_in():
    group = NS(n_staffed=3, skills=[NS(n=2), NS(n=4)])  # 6 committed to it, of two types
    assert ExpectedDelay.predicted_delay(group, 300.0) == 7 * 300.0 / 3
    assert ExpectedDelay.predicted_delay(NS(n_staffed=0, skills=[NS(n=0)]), 300.0) == math.inf


def test_every_contact_ends_once_with_escalations_abandonment_and_staffing_changes():
    config = centre_config({
        "name": "ed", "open_time": "00:00", "close_time": "04:00", "interval_minutes": 60,
        "channels": {"phone": PHONE},
        "contact_types": {
            "a": {"channel": "phone", "arrivals": {"rate_per_hour": 60}, "handle_time": {"dist": "exponential", "mean_s": 240},
                  "patience": {"dist": "exponential", "mean_s": 200}, "escalation": {"probability": 0.2, "to": "b"},
                  "queue_capacity": 8},
            "b": {"channel": "phone", "arrivals": {"rate_per_hour": 20}, "handle_time": {"dist": "exponential", "mean_s": 300},
                  "patience": {"dist": "exponential", "mean_s": 300}, "balking": {"by": "queue_length", "table": [[3, 0.5]]}}},
        "agent_groups": {"front": {"skills": ["a"], "staffing": [3, 1, 3, 0]},
                         "back": {"skills": ["b", "a"], "staffing": [2, 3, 0, 2]}},
        "routing": {"agent_selection": "expected_delay", "queue_selection": "fcfs"}}, drain=False)
    c, _ = _run(config)
    assert sorted(c.contact_id.tolist()) == list(range(len(c)))  # every arrival ended exactly once
    assert len(c) > 200 and (c.outcome < len(OUTCOMES)).all()
    assert {"answered", "abandoned", "blocked", "balked", "in_system"} <= {OUTCOMES[o] for o in c.outcome}
    assert np.isfinite(c.wait_s[c.answered]).all() and (c.wait_s[c.answered] >= 0).all()


# ------------------------------------------------------------------ directional test


def test_expected_delay_sends_fewer_waiting_contacts_to_a_slow_group_than_one_shared_queue():
    # 6 agents at 180 s and 3 at 900 s by group, 100 contacts an hour (0.93 of the capacity).
    # Theory: with one shared queue (longest_idle) a slow agent that frees takes the head whatever the
    # fast group's queue; expected delay commits a waiting contact to the slow group only when the
    # fast group's predicted delay is longer, (k_fast + 1) x 180 / 6 > (k_slow + 1) x 900 / 3, so far
    # fewer of the contacts that wait are served by the slow group. Arrivals finding an agent idle
    # are routed alike. Same customers under both (paired by replication).
    def shares(selection: str) -> list[float]:
        config = _centre(selection, {"fast": {"skills": ["a"], "staffing": 6}, "slow": {"skills": ["a"], "staffing": 3}},
                         rate=100, fast_mean=180, slow_mean=900, hours=4, seed=5)
        out = []
        for r in range(12):
            c, groups = _run(config, r)
            waited = (c.wait_s > 0) & c.answered
            out.append(float(np.mean(np.asarray(groups, dtype=object)[waited] == "slow")))
        return out

    diff = paired_difference(shares("longest_idle"), shares("expected_delay"))
    assert diff.high < 0, diff


def test_committing_loses_the_pooling_of_one_shared_queue_for_equal_groups():
    # Two groups of 2 agents, the same handle time (2.67 erlangs on 4 agents): expected delay is
    # join-the-shortest-queue over two committed queues. Theory (pooling): one shared queue of 4
    # agents (longest_idle) waits less, as a contact never waits for one group while an agent of the
    # other is free. The price of committing; its gain is in the test above.
    def centre(selection):
        return _centre(selection, {"fast": {"skills": ["a"], "staffing": 2}, "slow": {"skills": ["a"], "staffing": 2}},
                       rate=40, fast_mean=240, slow_mean=240, hours=8, replications=20, seed=5)

    shared = run_experiment(centre("longest_idle"))
    committed = run_experiment(centre("expected_delay"))
    diff = compare_replications(shared.replications, committed.replications, 0.95).set_index(["channel", "metric"])
    assert diff.loc[("phone", "mean_wait_s"), "diff_ci_low"] > 0, diff.loc[("phone", "mean_wait_s")]


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("extra, where, words", [
    ({"overflow": {"after_s": 10, "groups": ["slow"]}}, "scenario.contact_types.a.overflow", "an overflow rule"),
    ({"vip": {"share": 0.1, "priority": 5}}, "scenario.contact_types.a.vip", "a vip class"),
    ({"callback": {"offer_threshold_s": 30, "acceptance": 0.5}}, "scenario.contact_types.a.callback", "callbacks"),
    ({"deferrable": {"reserve_agents": 1}}, "scenario.contact_types.a.deferrable", "deferrable work"),
])
def test_expected_delay_refuses_what_it_does_not_support(extra, where, words):
    with pytest.raises(ConfigError) as err:
        _centre("expected_delay", {"fast": {"skills": ["a"], "staffing": 1},
                                   "slow": {"skills": [] if "overflow" in extra else ["a"], "staffing": 1}},
                extra=extra)
    assert err.value.where == where and words in err.value.message, str(err.value)
    assert "expected_delay" in err.value.message


def test_expected_delay_refuses_group_conditions():
    with pytest.raises(ConfigError) as err:
        _centre("expected_delay", {"fast": {"skills": ["a"], "staffing": 1},
                                   "slow": {"skills": ["a"], "staffing": 1, "conditions": {"a": {"after_s": 5}}}})
    assert err.value.where == "scenario.agent_groups.slow.conditions.a"
    assert "expected_delay" in err.value.message
