"""Balking (sim.journeys.balking): arrivals that would have to wait may leave at once.

An exact trace on a hand-checked case (by queue length and by announced expected wait), the
probability rules themselves, conservation (every arrival ends exactly once, balked ones
included, and the tallies agree with the contact log), a paired directional test with common
random numbers, bad input (one-line errors naming the key path), and the KPIs only where the
mechanism is on.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine.errors import ConfigError
from sim.engine.records import (ABANDONED, ANSWERED, BALKED, BLOCKED, CALLBACKS, DEFLECTED, IN_SYSTEM, OUTCOMES,
                                TALLY_FIELDS, UNREACHED)
from sim.experiments.stats import paired_difference
from sim.journeys.balking import BalkRule, expected_wait
from sim.journeys.config import BalkingSpec
from sim.model.centre import simulate
from sim.model.metrics import (INTERVAL_METRICS, replication_intervals, replication_summary,
                               replication_type_intervals, replication_types)

from .conftest import centre_config
from .test_golden_outputs import _config
from .test_model import _write_trace

PHONE = {"service_level_threshold_s": 20, "service_level_target": 0.8}


def det(mean_s: float) -> dict:
    return {"dist": "deterministic", "mean_s": mean_s}


def _centre(types: dict, *, trace=None, staffing=1, hours=2, **run):
    scenario = {
        "open_time": "00:00", "close_time": f"{hours:02d}:00", "interval_minutes": 60,
        "channels": {"phone": PHONE}, "contact_types": types,
        "agent_groups": {"agents": {"skills": list(types), "staffing": staffing}},
    }
    if trace is not None:
        scenario["trace"] = str(trace)
    return centre_config(scenario, **run)


def _run(config, replication=0):
    return simulate(config.scenario, config.run, replication, keep_contacts=True)


# ------------------------------------------------------------------ exact traces


def test_arrivals_balk_exactly_where_the_step_table_says_by_the_queue_length_they_find(tmp_path):
    # One agent. A (t=0, handle 1000) takes it. B (10) finds 0 waiting: p 0, waits. C (20) finds 1:
    # the step table keeps row [0, 0.0] up to length 1 (no interpolation), p 0, waits. D (30) and
    # E (40) find 2 (B, C): p 1, balk at once. B is served 1000-1100 (wait 990), C 1100-1200 (wait
    # 1080). F (1150) finds 0 waiting (C in service): waits 50 s, served 1200-1300.
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 1000, None), (10, "calls", 100, None),
                                              (20, "calls", 100, None), (30, "calls", 100, None),
                                              (40, "calls", 100, None), (1150, "calls", 100, None)])
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                                "balking": {"by": "queue_length", "table": [[0, 0.0], [2, 1.0]]}}}, trace=trace)
    result = _run(config)
    c = result.contacts
    assert [OUTCOMES[o] for o in c.outcome] == ["answered", "answered", "answered", "balked", "balked", "answered"]
    np.testing.assert_array_equal(c.wait_s, [0.0, 990.0, 1080.0, np.nan, np.nan, 50.0])
    np.testing.assert_array_equal(c.end_time_s, [1000.0, 1100.0, 1200.0, 30.0, 40.0, 1300.0])
    assert c.agent_group.tolist() == [0, 0, 0, -1, -1, 0] and not c.answered[3:5].any()
    kpis = replication_summary(result, config.scenario, config.run)
    # 6 arrivals, 2 balked: offered 4 (balked are not offered), answered 4, none abandoned;
    # ASA (0 + 990 + 1080 + 50) / 4 = 530 s; within 20 s: A only, SL 1/4; balk rate 2/6.
    assert kpis[("phone", "arrivals")] == 6 and kpis[("phone", "balked")] == 2
    assert kpis[("phone", "balk_rate")] == pytest.approx(2 / 6)
    assert kpis[("phone", "offered")] == 4 and kpis[("phone", "answered")] == 4
    assert kpis[("phone", "abandoned")] == 0 and kpis[("phone", "blocked")] == 0
    assert kpis[("phone", "asa_s")] == 530.0
    assert kpis[("phone", "service_level")] == 0.25
    assert kpis[("phone", "mean_queue_length")] == pytest.approx((990 + 1080 + 50) / 7200)  # balkers add 0


def test_arrivals_balk_on_the_announced_expected_wait_and_the_queue_capacity_blocks_first(tmp_path):
    # Two agents, mean handle 100 s: an arrival finding n waiting hears (n + 1) x 100 / 2 s.
    # Logistic midpoint 125 s, steepness 1/s: 50 and 100 s -> p < 1e-10, 150 s -> p > 1 - 1e-10.
    # A1 (0) and A2 (1) take both agents until 300 and 301. B (10) hears 50 s and C (20) 100 s:
    # both stay. D (30) and E (40) find 2 waiting, hear 150 s: balk. B is served at 300 (wait 290),
    # C at 301 (wait 281).
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 300, None), (1, "calls", 300, None),
                                              (10, "calls", 100, None), (20, "calls", 100, None),
                                              (30, "calls", 100, None), (40, "calls", 100, None)])
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                                "balking": {"by": "expected_wait", "midpoint_s": 125, "steepness_per_s": 1.0}}},
                     trace=trace, staffing=2)
    c = _run(config).contacts
    assert [OUTCOMES[o] for o in c.outcome] == ["answered", "answered", "answered", "answered", "balked", "balked"]
    np.testing.assert_array_equal(c.wait_s, [0.0, 0.0, 290.0, 281.0, np.nan, np.nan])
    # Capacity 1 and a table balking everyone who finds 1 waiting: A (0) is served, B (10) finds 0
    # waiting and stays, C (20) finds the queue full and is blocked before any balking draw.
    trace = _write_trace(tmp_path / "u.csv", [(0, "calls", 300, None), (10, "calls", 100, None),
                                              (20, "calls", 100, None)])
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                                "queue_capacity": 1, "balking": {"by": "queue_length", "table": [[0, 0.0], [1, 1.0]]}}},
                     trace=trace)
    c = _run(config).contacts
    assert [OUTCOMES[o] for o in c.outcome] == ["answered", "answered", "blocked"]


def test_the_step_table_and_the_logistic_curve_give_the_documented_probabilities():
    table = BalkRule(BalkingSpec("queue_length", table=((2, 0.0), (5, 0.1), (10, 0.3), (20, 0.6))), 300.0, None)
    assert [table.probability(n, None) for n in (0, 1, 2, 4, 5, 9, 10, 19, 20, 500)] == \
        [0.0, 0.0, 0.0, 0.0, 0.1, 0.1, 0.3, 0.3, 0.6, 0.6]
    curve = BalkRule(BalkingSpec("expected_wait", midpoint_s=120, steepness_per_s=0.02, max=0.9), 300.0, None)
    assert curve.curve(120.0) == pytest.approx(0.45)  # max / 2 at the midpoint
    assert curve.curve(220.0) == pytest.approx(0.9 / (1 + math.exp(-2.0)))
    assert curve.curve(math.inf) == 0.9 and curve.curve(-1e9) == 0.0 and curve.curve(1e9) == 0.9

    class Group:
        def __init__(self, n):
            self.n_staffed = n

    class Queue:
        groups = [Group(2), Group(1)]

    assert expected_wait(5, 300.0, Queue) == 6 * 300.0 / 3  # (n + 1) x mean handle / agents with the skill
    Queue.groups = [Group(0)]
    assert expected_wait(0, 300.0, Queue) == math.inf and curve.probability(0, Queue) == 0.9


# ------------------------------------------------------------------ conservation


@pytest.mark.parametrize("replication", [0, 1])
def test_every_arrival_ends_exactly_once_with_balking_and_the_tallies_agree_with_the_log(replication):
    # the default centre's journeys (IVR, retrials, callbacks, overflow, VIP) with balking on its
    # phone types, and 6 generalists fewer so that many balk
    config = _config(["+experiment=balking", "scenario.agent_groups.generalists.staffing_delta=-6"])
    result = _run(config, replication)
    c = result.contacts
    assert c.contact_id.tolist() == list(range(len(c))), "each arrival recorded once"
    counts = np.bincount(c.outcome, minlength=len(OUTCOMES))
    kpis = replication_summary(result, config.scenario, config.run)
    assert counts[BALKED] > 50
    assert len(c) == counts[[ANSWERED, ABANDONED, BLOCKED, BALKED, IN_SYSTEM, DEFLECTED, UNREACHED]].sum()
    # the summary counts the window (after warm-up); the tallies over the whole run agree with the log
    tally = result.segments.tally.sum(axis=(0, 1))
    assert tally[TALLY_FIELDS.index("arrivals")] == len(c)
    assert tally[TALLY_FIELDS.index("balked")] == counts[BALKED]
    assert tally[TALLY_FIELDS.index("blocked")] == counts[BLOCKED]
    assert tally[TALLY_FIELDS.index("deflected")] == counts[DEFLECTED]
    balked = c.outcome == BALKED
    assert np.isnan(c.wait_s[balked]).all() and not c.answered[balked].any() and (c.agent_group[balked] == -1).all()
    assert (c.end_time_s[balked] >= c.arrival_time_s[balked]).all()
    assert (c.callback[balked] == CALLBACKS.index("none")).all() and not c.overflowed[balked].any()
    phone = [i for i, name in enumerate(config.scenario.contact_types)
             if config.scenario.contact_types[name].balking is not None]
    assert np.isin(c.contact_type[balked], phone).all(), "only types with a rule balk"
    came_back = np.isin(c.contact_id[balked & (c.attempt == 0)], c.customer_id[c.attempt == 1])
    assert came_back.any(), "a balked caller may come back under the retrial rule"
    # per contact type: the type tallies agree with the log
    per_type = result.segments.type_tally.sum(axis=0)[:, TALLY_FIELDS.index("balked")]
    np.testing.assert_array_equal(per_type, np.bincount(c.contact_type[balked], minlength=len(per_type)))
    # offered leaves balked contacts out, like blocked ones
    window = (c.arrival_time_s >= config.run.warmup_s) & (c.arrival_time_s < config.run.horizon_s)
    accepted = c.callback >= CALLBACKS.index("waiting")
    in_bot = (c.outcome == IN_SYSTEM) & (c.bot_time_s > 0) & np.isnan(c.wait_s) & ~accepted
    out = np.isin(c.outcome, [BLOCKED, BALKED, DEFLECTED]) | accepted | in_bot
    assert kpis[("all", "balked")] == (balked & window).sum()
    assert kpis[("all", "offered")] == (window & ~out).sum()
    assert kpis[("all", "balk_rate")] == pytest.approx((balked & window).sum() / window.sum())


# ------------------------------------------------------------------ direction


def test_balking_lowers_asa_and_abandonment_and_raises_the_balk_rate_same_seeds():
    calls = {"channel": "phone", "arrivals": {"rate_per_hour": 110}, "handle_time": {"dist": "exponential",
                                                                                      "mean_s": 300},
             "patience": {"dist": "exponential", "mean_s": 180}}
    off = _centre({"calls": calls}, staffing=9, hours=4, seed=11)
    on = _centre({"calls": dict(calls, balking={"by": "queue_length", "table": [[0, 0.0], [2, 0.3], [5, 0.8]]})},
                 staffing=9, hours=4, seed=11)
    values = {"off": {}, "on": {}}
    for name, config in (("off", off), ("on", on)):
        for r in range(20):
            kpis = replication_summary(simulate(config.scenario, config.run, r), config.scenario, config.run)
            for metric in ("asa_s", "abandon_rate", "balk_rate", "arrivals"):
                values[name].setdefault(metric, []).append(kpis.get(("phone", metric), math.nan))
    assert values["on"]["arrivals"] == values["off"]["arrivals"], "same seed: the same arrivals"
    assert "balk_rate" not in {m for m, v in values["off"].items() if not all(map(math.isnan, v))}
    asa = paired_difference(values["off"]["asa_s"], values["on"]["asa_s"])
    abandon = paired_difference(values["off"]["abandon_rate"], values["on"]["abandon_rate"])
    assert asa.high < 0, asa
    assert abandon.high < 0, abandon
    balk = paired_difference([0.0] * 20, values["on"]["balk_rate"])
    assert balk.low > 0, balk


# ------------------------------------------------------------------ KPIs only where it is on


def test_balking_kpis_appear_per_channel_type_and_interval_only_with_a_rule():
    on = _config(["+experiment=balking"])
    off = _config([])
    for config, shown in ((on, True), (off, False)):
        result = simulate(config.scenario, config.run, 0)
        summary = replication_summary(result, config.scenario, config.run)
        assert (("phone", "balk_rate") in summary) is shown and (("all", "balked") in summary) is shown
        intervals = replication_intervals(result, config.scenario, config.run)
        assert ("balk_rate" in intervals) is shown and ("balked" in intervals) is shown
        types = replication_types(result, config.run, config.scenario)
        assert (("billing", "balk_rate") in types) is shown
        type_intervals = replication_type_intervals(result, config.scenario, config.run)
        assert ("balked" in type_intervals) is shown
    intervals = replication_intervals(simulate(on.scenario, on.run, 0), on.scenario, on.run)
    assert list(intervals)[3:] == list(INTERVAL_METRICS[:6]) + ["balked", "balk_rate"] + list(INTERVAL_METRICS[6:])
    assert np.nansum(intervals["balked"][intervals["channel"] == "phone"]) > 0


# ------------------------------------------------------------------ bad input


def _calls(balking) -> dict:
    return {"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 10}, "handle_time": det(100),
                      "balking": balking}}


@pytest.mark.parametrize("balking, where, message", [
    ({"by": "queue_length", "table": [[0, 0.0], [5, 1.5]]}, "scenario.contact_types.calls.balking.table[1][1]",
     "expected a number <= 1, got 1.5"),
    ({"by": "queue_length", "table": [[0, -0.1]]}, "scenario.contact_types.calls.balking.table[0][1]",
     "expected a number >= 0, got -0.1"),
    ({"by": "queue_length", "table": [[0, 0.0], [10, 0.5], [5, 0.6]]},
     "scenario.contact_types.calls.balking.table[2][0]",
     "expected a queue length above 10 (rows sorted by queue length, each once), got 5"),
    ({"by": "queue_length", "table": [[0, 0.0], [0, 0.5]]}, "scenario.contact_types.calls.balking.table[1][0]",
     "expected a queue length above 0 (rows sorted by queue length, each once), got 0"),
    ({"by": "queue_length", "table": [[-1, 0.0]]}, "scenario.contact_types.calls.balking.table[0][0]",
     "expected a whole number >= 0, got -1"),
    ({"by": "queue_length", "table": [[0, 0.1, 3]]}, "scenario.contact_types.calls.balking.table[0]",
     "expected a row [queue length, probability], got [0, 0.1, 3]"),
    ({"by": "queue_length", "table": []}, "scenario.contact_types.calls.balking.table",
     "expected a non-empty list of [queue length, probability] rows, got []"),
    ({"by": "queue_length"}, "scenario.contact_types.calls.balking.table", "required key is missing"),
    ({"by": "queue_length", "table": [[0, 0.1]], "midpoint_s": 60},
     "scenario.contact_types.calls.balking.midpoint_s", "unknown key; allowed keys: by, table"),
    ({"by": "expected_wait", "midpoint_s": 120, "steepness_per_s": -0.02},
     "scenario.contact_types.calls.balking.steepness_per_s", "expected a number >= 0 in 1/seconds, got -0.02"),
    ({"by": "expected_wait", "midpoint_s": 120, "steepness_per_s": 0.02, "max": 1.2},
     "scenario.contact_types.calls.balking.max", "expected a number <= 1, got 1.2"),
    ({"by": "expected_wait", "midpoint_s": -5, "steepness_per_s": 0.02},
     "scenario.contact_types.calls.balking.midpoint_s", "expected a number >= 0 in seconds, got -5"),
    ({"by": "expected_wait", "steepness_per_s": 0.02}, "scenario.contact_types.calls.balking.midpoint_s",
     "required key is missing"),
    ({"by": "wait_time", "midpoint_s": 120}, "scenario.contact_types.calls.balking.by",
     "expected one of queue_length, expected_wait, got 'wait_time'"),
    ({"table": [[0, 0.1]]}, "scenario.contact_types.calls.balking.by",
     "required key is missing; expected one of queue_length, expected_wait"),
    ([0.1], "scenario.contact_types.calls.balking", "expected a mapping of keys to values, got [0.1]"),
])
def test_bad_balking_rule_names_its_key_path_in_one_line(balking, where, message):
    with pytest.raises(ConfigError) as info:
        _centre(_calls(balking))
    assert str(info.value) == f"{where}: {message}"
    assert "\n" not in str(info.value)


def test_bad_balking_rule_on_the_command_line_is_one_line_and_exit_status_2(tmp_path):
    from .test_bad_input import assert_one_line_error, run_sim

    proc, out = run_sim(tmp_path, "+experiment=balking", "scenario.contact_types.sales.balking.steepness_per_s=-1",
                        "run.replications=1")
    line = assert_one_line_error(proc, out)
    assert line == ("sim: error: scenario.contact_types.sales.balking.steepness_per_s: expected a number >= 0 in "
                    "1/seconds, got -1")
