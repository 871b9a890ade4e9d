"""Fractional staffing exact in agent-seconds, the data-chosen break threshold, and agent clustering on
a synthetic log with known teams."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.calibration.estimate import agent_clusters, available_agents, break_threshold
from sim.calibration.scenario import check_scenario, fractional_shifts
from sim.engine.checks import clock


def _agent_seconds(shifts, open_s, interval_s, n):
    out = np.zeros(n)
    for s in shifts:
        start = clock(s["start"], "start")
        end = start + s["length_hours"] * 3600
        for k in range(n):
            lo, hi = open_s + k * interval_s, open_s + (k + 1) * interval_s
            out[k] += s["agents"] * max(0.0, min(end, hi) - max(start, lo))
    return out


@pytest.mark.parametrize("values", [[2.47, 3.0, 3.2, 1.0, 0.5, 0.0], [0.25], [4.0, 4.0], [1.9, 0.1, 2.6, 2.6]])
def test_fractional_shifts_give_the_mean_agents_of_each_interval_exactly(values):
    shifts = fractional_shifts(values, 1800.0, 7 * 3600.0)
    got = _agent_seconds(shifts, 7 * 3600.0, 1800.0, len(values)) / 1800.0
    assert np.allclose(got, values, atol=1e-5)


def test_fractional_shifts_hand_checked():
    # 2.47 at 07:00: two agents all interval, a third for 47% of 30 min = 14.1 min = 0.235 h
    assert fractional_shifts([2.47], 1800.0, 7 * 3600.0) == [
        {"start": "07:00", "length_hours": 0.235, "agents": 1},
        {"start": "07:00", "length_hours": 0.5, "agents": 2}]


def _log(rows):
    t = pd.DataFrame(rows, columns=["agent_id", "contact_type", "answer_s", "end_s", "queue_entry_s", "wait_s"])
    t["outcome"] = "answered"
    t["date"] = pd.Timestamp("1999-01-03")
    t["weekday"] = pd.Categorical(["Sunday"] * len(t))
    return t


def test_a_long_quiet_gap_is_idle_time_under_the_waited_rule_and_a_break_under_the_length_rule():
    # agent A serves 0-100 and 1100-1200; nobody waits in between: a 1000 s quiet gap
    log = _log([("A", "PS", 0.0, 100.0, 0.0, 0.0), ("A", "PS", 1100.0, 1200.0, 1100.0, 0.0)])
    by_length = available_agents(log, interval_minutes=30, break_s=600, break_rule="length")
    waited = available_agents(log, interval_minutes=30, break_s=600, break_rule="waited")
    assert by_length["available"].iloc[0] == pytest.approx(200 / 1800)
    assert waited["available"].iloc[0] == pytest.approx(1200 / 1800)
    # a customer waiting 500-1100 while A is idle: the gap is a break under both rules
    busy = pd.concat([log, _log([("B", "PS", 1100.0, 1150.0, 500.0, 600.0)])], ignore_index=True)
    waited = available_agents(busy, interval_minutes=30, break_s=600, break_rule="waited", agents=["A"])
    assert waited["available"].iloc[0] == pytest.approx(200 / 1800)


def test_break_threshold_is_where_most_gaps_had_a_customer_waiting():
    rng = np.random.default_rng(1)
    rows, t = [], 0.0
    # idle gaps of 60-200 s with nobody waiting, breaks of 1000-2000 s with a customer waiting through them
    for i in range(400):
        rows.append(("A", "PS", t, t + 100, t, 0.0))
        t += 100
        if i % 4 == 3:
            gap = rng.uniform(1000, 2000)
            rows.append(("B", "PS", t + gap, t + gap + 5, t + 10, gap - 10))
        else:
            gap = rng.uniform(60, 200)
        t += gap
    choice = break_threshold(_log(rows), min_gaps=5)
    assert 200 <= choice.threshold_s <= 1000


def test_clustering_finds_known_teams_and_routes_every_type():
    rows = []
    for a in ("Z1", "Z2"):
        rows += [(a, "IN", 0.0, 1.0, 0.0, 0.0)] * 40
    for a in ("P1", "P2", "P3"):
        rows += [(a, "PS", 0.0, 1.0, 0.0, 0.0)] * 80 + [(a, "NW", 0.0, 1.0, 0.0, 0.0)] * 20
    rows += [("E1", "NE", 0.0, 1.0, 0.0, 0.0)] * 50 + [("E1", "TT", 0.0, 1.0, 0.0, 0.0)]
    rows += [("X", "IN", 0.0, 1.0, 0.0, 0.0)] * 3  # too few services: joins the nearest (IN) cluster
    c = agent_clusters(_log(rows))
    assert c.members == {"IN": ["X", "Z1", "Z2"], "NE": ["E1"], "NW_PS": ["P1", "P2", "P3"]}
    assert c.groups == {"IN": ["IN"], "NE": ["NE", "TT"], "NW_PS": ["PS", "NW"]}
    named = agent_clusters(_log(rows), named={"internet": {"prefix": "Z", "skills": ["IN"]}})
    assert named.members["internet"] == ["Z1", "Z2"]


def test_calibrated_scenario_with_fractional_shifts_and_groups_loads():
    from sim.calibration import read_log
    from sim.calibration.scenario import calibrate
    log = read_log("data/anonymous_bank_sample.tsv", "configs/logs/anonymous_bank.yaml").table
    cal = calibrate(log, name="t", break_s=None, break_rule="waited", clusters=agent_clusters(log))
    scenario = cal.scenario()
    check_scenario(scenario)
    assert len(scenario["agent_groups"]) == len(cal.groups) > 1
    assert scenario["routing"]["agent_selection"] == "skill_rank"
    total = sum(np.asarray(v) for v in cal.group_staffing.values())
    assert np.allclose(total, cal.staffing["available"].to_numpy())
