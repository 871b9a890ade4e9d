"""Trunk lines (sim.journeys.trunk_lines): a channel's phone lines; arrivals finding them all busy are blocked.

An exact trace on a hand-checked case (which calls are blocked, every line's busy time), Erlang B
inside the replications' confidence interval of the simulated line-blocked share (and the carried
load inside that of ``lines_busy``), conservation on the default centre with its journeys (every
arrival ends exactly once, the tallies agree with the log, never more lines busy than there are),
a paired directional test with common random numbers, the KPIs only where lines are set, and bad
input (one-line errors naming the key path).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine.errors import ConfigError
from sim.engine.records import (ABANDONED, ANSWERED, BALKED, BLOCKED, DEFLECTED, IN_SYSTEM, OUTCOMES, TALLY_FIELDS,
                                UNREACHED)
from sim.erlang import erlang_b
from sim.experiments.stats import paired_difference, share_interval, t_interval
from sim.journeys.trunk_lines import TrunkLines
from sim.model.centre import CentreModel, simulate
from sim.model.metrics import (replication_intervals, replication_summary, replication_type_intervals,
                               replication_types)

from .conftest import centre_config
from .test_golden_outputs import _config
from .test_model import _write_trace


def det(mean_s: float) -> dict:
    return {"dist": "deterministic", "mean_s": mean_s}


def _centre(types: dict, *, lines=..., trace=None, staffing=1, hours=1, **run):
    phone = {"service_level_threshold_s": 20, "service_level_target": 0.8}
    if lines is not ...:
        phone["lines"] = lines
    scenario = {
        "open_time": "00:00", "close_time": f"{hours:02d}:00", "interval_minutes": 60,
        "channels": {"phone": phone}, "contact_types": types,
        "agent_groups": {"agents": {"skills": list(types), "staffing": staffing}},
    }
    if trace is not None:
        scenario["trace"] = str(trace)
    return centre_config(scenario, **run)


# ------------------------------------------------------------------ exact trace


def test_two_lines_block_exactly_the_calls_that_find_both_busy_and_lines_busy_is_their_held_time(tmp_path):
    # Two lines, one agent, patience from the trace (none = infinite). A line is held from arrival
    # to leaving, waiting included:
    #   A   0 h100: line 0-100, served 0-100.
    #   B  10 h100: line 10-200, waits 90 (agent busy with A), served 100-200.
    #   C  20: A and B hold both lines -> blocked.
    #   D 105 h50: A freed its line at 100 -> gets in: line 105-250, waits 95 (B), served 200-250.
    #   E 150: B and D hold both lines -> blocked.
    #   F 260 h100: line 260-360, served at once 260-360.
    #   G 270 h100 patience 30: line 270-300, waits, abandons at 300.
    #   H 280: F and G hold both lines -> blocked.
    #   I 310 h100: G freed its line at 300 -> gets in: line 310-460, waits 50 (F), served 360-460.
    # Line-seconds: 100 + 190 + 145 + 100 + 30 + 150 = 715 over the 3,600 s window.
    rows = [(0, "calls", 100, None), (10, "calls", 100, None), (20, "calls", 100, None), (105, "calls", 50, None),
            (150, "calls", 100, None), (260, "calls", 100, None), (270, "calls", 100, 30),
            (280, "calls", 100, None), (310, "calls", 100, None)]
    trace = _write_trace(tmp_path / "t.csv", rows)
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100)}},
                     lines=2, trace=trace)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    c = result.contacts
    assert [OUTCOMES[o] for o in c.outcome] == ["answered", "answered", "blocked", "answered", "blocked",
                                                "answered", "abandoned", "blocked", "answered"]
    np.testing.assert_array_equal(c.wait_s, [0.0, 90.0, np.nan, 95.0, np.nan, 0.0, 30.0, np.nan, 50.0])
    # blocked calls have no end time (NaN), like calls blocked by a full queue
    np.testing.assert_array_equal(c.end_time_s, [100.0, 200.0, np.nan, 250.0, np.nan, 360.0, 300.0, np.nan, 460.0])
    kpis = replication_summary(result, config.scenario, config.run)
    # 9 arrivals, 3 line-blocked (also in blocked); offered 6, answered 5, abandoned 1;
    # ASA (0 + 90 + 95 + 0 + 50) / 5 = 47 s.
    assert kpis[("phone", "arrivals")] == 9
    assert kpis[("phone", "line_blocked")] == 3 and kpis[("phone", "blocked")] == 3
    assert kpis[("phone", "line_block_rate")] == pytest.approx(3 / 9)
    assert kpis[("phone", "block_rate")] == pytest.approx(3 / 9)
    assert kpis[("phone", "offered")] == 6 and kpis[("phone", "answered")] == 5 and kpis[("phone", "abandoned")] == 1
    assert kpis[("phone", "asa_s")] == 47.0
    assert kpis[("phone", "lines_busy")] == pytest.approx(715 / 3600)
    # per interval too (one hour here): the phone's busy lines; no line count for the centre as a whole
    intervals = replication_intervals(result, config.scenario, config.run)
    row = dict(zip(intervals["channel"], intervals["lines_busy"]))
    assert row["phone"] == pytest.approx(715 / 3600) and math.isnan(row["all"])


def test_a_call_blocked_by_the_full_queue_frees_the_line_it_took_and_self_service_holds_one(tmp_path):
    # Queue capacity 1, three lines, one agent. A (0, h100) is served 0-100. B (10) waits. C (20)
    # takes the third line, finds the queue full: blocked by the capacity, its line freed at once
    # (line_blocked 0). D (30) then finds A and B on two lines: gets in, and is blocked by the queue.
    # Line-seconds: A 100 + B (10-200) 190 + C 0 + D 0 = 290.
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (10, "calls", 100, None),
                                              (20, "calls", 100, None), (30, "calls", 100, None)])
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                                "queue_capacity": 1}}, lines=3, trace=trace)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    assert [OUTCOMES[o] for o in result.contacts.outcome] == ["answered", "answered", "blocked", "blocked"]
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "blocked")] == 2 and kpis[("phone", "line_blocked")] == 0
    assert kpis[("phone", "lines_busy")] == pytest.approx(290 / 3600)
    # Self-service (an IVR of 60 s, no containment) holds the line: one line, A (0) is in the IVR
    # 0-60 then served 60-160; B (30) finds the line taken by A in the IVR: blocked; C (170) gets in.
    trace = _write_trace(tmp_path / "u.csv", [(0, "calls", 100, None), (30, "calls", 100, None),
                                              (170, "calls", 100, None)])
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                                "self_service": {"containment": 0.0, "handle_time": det(60)}}}, lines=1, trace=trace)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    c = result.contacts
    assert [OUTCOMES[o] for o in c.outcome] == ["answered", "blocked", "answered"]
    np.testing.assert_array_equal(c.end_time_s, [160.0, np.nan, 330.0])
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "line_blocked")] == 1
    assert kpis[("phone", "lines_busy")] == pytest.approx((160 + 160) / 3600)  # A 0-160, C 170-330


def test_a_caller_who_accepts_a_callback_hangs_up_and_frees_its_line(tmp_path):
    # Two lines, one agent, every caller who must wait is offered a virtual-hold callback and takes
    # it (acceptance 1, success 1). A (0, h100) is served 0-100 on a line. B (10), C (20) and D (30)
    # each take the free line, must wait, accept the callback and hang up at once: the line is free
    # again, so nobody is blocked (without the release, C would find A and B holding both lines).
    # The agent calls B back at 100 (100-200), C at 200, D at 300. Line-seconds: A's 100.
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (10, "calls", 100, None),
                                              (20, "calls", 100, None), (30, "calls", 100, None)])
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                                "callback": {"offer_threshold_s": 0, "acceptance": 1.0}}}, lines=2, trace=trace)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    c = result.contacts
    assert [OUTCOMES[o] for o in c.outcome] == ["answered"] * 4
    np.testing.assert_array_equal(c.end_time_s, [100.0, 200.0, 300.0, 400.0])
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "line_blocked")] == 0 and kpis[("phone", "callbacks_accepted")] == 3
    assert kpis[("phone", "lines_busy")] == pytest.approx(100 / 3600)


# ------------------------------------------------------------------ Erlang B


def test_line_blocked_share_matches_erlang_b_when_nobody_waits():
    # M/M/N/N: lines 6, 6 agents (so nobody waits), Poisson 72/h, exponential handle 300 s:
    # load a = 72 x 300 / 3600 = 6 erlangs. The line-blocked share is Erlang B(6, 6) = 0.2589;
    # the mean busy lines (carried load) a (1 - B). One hour of warm-up, then 8 hours measured.
    lines, rate, handle = 6, 72.0, 300.0
    load = rate * handle / 3600.0
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": rate},
                                "handle_time": {"dist": "exponential", "mean_s": handle}}},
                     lines=lines, staffing=lines, hours=9, warmup_hours=1, seed=5)
    rates, busy = [], []
    for r in range(30):
        kpis = replication_summary(simulate(config.scenario, config.run, r), config.scenario, config.run)
        assert kpis[("phone", "abandoned")] == 0 and kpis[("phone", "asa_s")] == 0.0  # nobody waits
        rates.append(kpis[("phone", "line_block_rate")])
        busy.append(kpis[("phone", "lines_busy")])
    expected = erlang_b(lines, load)
    est = share_interval(rates)
    assert est.low <= expected <= est.high, (expected, est)
    carried = t_interval(busy)
    assert carried.low <= load * (1 - expected) <= carried.high, (load * (1 - expected), carried)


# ------------------------------------------------------------------ conservation


@pytest.mark.parametrize("replication", [0, 1])
def test_every_arrival_ends_exactly_once_with_lines_and_never_more_lines_busy_than_there_are(replication):
    # the default centre's journeys (IVR, retrials, callbacks, overflow, VIP) with 40 phone lines,
    # below its peak need so that many calls are blocked
    config = _config(["+experiment=trunk_lines", "scenario.channels.phone.lines=40"])
    result = simulate(config.scenario, config.run, replication, keep_contacts=True)
    c = result.contacts
    assert c.contact_id.tolist() == list(range(len(c))), "each arrival recorded once"
    counts = np.bincount(c.outcome, minlength=len(OUTCOMES))
    assert len(c) == counts[[ANSWERED, ABANDONED, BLOCKED, BALKED, IN_SYSTEM, DEFLECTED, UNREACHED]].sum()
    tally = result.segments.tally.sum(axis=(0, 1))
    assert tally[TALLY_FIELDS.index("arrivals")] == len(c)
    line_blocked = tally[TALLY_FIELDS.index("line_blocked")]
    assert line_blocked > 50
    assert tally[TALLY_FIELDS.index("blocked")] == counts[BLOCKED] == line_blocked  # the centre has no queue cap
    phone = [i for i, name in enumerate(config.scenario.channels) if name == "phone"]
    blocked = c.outcome == BLOCKED
    assert np.isin(c.channel[blocked], phone).all(), "only the channel with lines blocks"
    assert np.isnan(c.wait_s[blocked]).all() and (c.bot_time_s[blocked] == 0).all()
    came_back = np.isin(c.contact_id[blocked & (c.attempt == 0)], c.customer_id[c.attempt == 1])
    assert came_back.any(), "a line-blocked caller may come back under the retrial rule"
    seg = result.segments
    lengths = np.diff(seg.bounds_s)
    assert (seg.line_area[:, 0] <= 40 * lengths + 1e-6).all()
    assert np.isnan(seg.line_area[:, 1:]).all(), "chat and email have no lines"
    per_type = seg.type_tally.sum(axis=0)[:, TALLY_FIELDS.index("line_blocked")]
    np.testing.assert_array_equal(per_type, np.bincount(c.contact_type[blocked], minlength=len(per_type)))


# ------------------------------------------------------------------ direction


def test_fewer_lines_block_more_calls_and_those_who_get_in_wait_less_same_seeds():
    calls = {"channel": "phone", "arrivals": {"rate_per_hour": 110},
             "handle_time": {"dist": "exponential", "mean_s": 300}, "patience": {"dist": "exponential", "mean_s": 300}}
    values = {}
    for lines in (14, 10):
        config = _centre({"calls": calls}, lines=lines, staffing=9, hours=4, seed=11)
        for r in range(20):
            kpis = replication_summary(simulate(config.scenario, config.run, r), config.scenario, config.run)
            for metric in ("line_block_rate", "asa_s", "arrivals"):
                values.setdefault((lines, metric), []).append(kpis[("phone", metric)])
    assert values[(14, "arrivals")] == values[(10, "arrivals")], "same seed: the same arrivals (no retrials)"
    blocked = paired_difference(values[(14, "line_block_rate")], values[(10, "line_block_rate")])
    asa = paired_difference(values[(14, "asa_s")], values[(10, "asa_s")])
    assert blocked.low > 0, blocked
    assert asa.high < 0, asa


# ------------------------------------------------------------------ KPIs only where it is on


def test_line_kpis_appear_only_with_lines_and_the_mechanism_is_not_built_without():
    on = _config(["+experiment=trunk_lines"])
    off = _config([])
    for config, shown in ((on, True), (off, False)):
        model = CentreModel(config.scenario, config.run, 0)
        assert any(isinstance(m, TrunkLines) for m in model.mechanisms) is shown
        result = simulate(config.scenario, config.run, 0)
        summary = replication_summary(result, config.scenario, config.run)
        assert (("phone", "line_block_rate") in summary) is shown and (("phone", "lines_busy") in summary) is shown
        assert ("chat", "lines_busy") not in summary and ("all", "lines_busy") not in summary
        intervals = replication_intervals(result, config.scenario, config.run)
        assert ("line_blocked" in intervals) is shown and ("lines_busy" in intervals) is shown
        if shown:  # equal intervals over the window: their busy lines average to the day's
            phone = intervals["channel"] == "phone"
            assert intervals["lines_busy"][phone].mean() == pytest.approx(summary[("phone", "lines_busy")], rel=1e-9)
            assert np.isnan(intervals["lines_busy"][~phone]).all()
        assert (("billing", "line_block_rate") in replication_types(result, config.run, config.scenario)) is shown
        assert ("line_blocked" in replication_type_intervals(result, config.scenario, config.run)) is shown
        assert (result.segments.line_area is not None) is shown


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("lines, message", [
    (0, "expected a whole number >= 1, got 0"),
    (1.5, "expected a whole number, got 1.5"),
    (-1, "expected a whole number >= 1, got -1"),
    ("x", "expected a whole number, got 'x'"),
    (True, "expected a whole number, got True"),
    (math.inf, "expected a whole number, got inf"),
])
def test_bad_lines_names_its_key_path_in_one_line(lines, message):
    with pytest.raises(ConfigError) as info:
        _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 10}, "handle_time": det(100)}},
                lines=lines)
    assert str(info.value) == f"scenario.channels.phone.lines: {message}"
    assert "\n" not in str(info.value)


def test_bad_lines_on_the_command_line_is_one_line_and_exit_status_2(tmp_path):
    from .test_bad_input import assert_one_line_error, run_sim

    proc, out = run_sim(tmp_path, "+experiment=trunk_lines", "scenario.channels.phone.lines=0", "run.replications=1")
    line = assert_one_line_error(proc, out)
    assert line == "sim: error: scenario.channels.phone.lines: expected a whole number >= 1, got 0"


def test_lines_null_is_unlimited():
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 10}, "handle_time": det(100)}},
                     lines=None)
    assert config.scenario.channels["phone"].lines is None
