"""Concurrent agents (sim.journeys.concurrency, sim.engine.agents, sim.workforce.duty): agents who hold several contacts log in and
off as a whole, so occupancy stays a share of logged-in agent-time and overtime is counted once per
agent; shifts and roster rows may give their agents a concurrency of their own (pools).

As for the other journey mechanisms: exact traces on tiny hand-checked cases, conservation, a
directional test with common random numbers and a paired interval, and one-line errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.config import parse_scenario
from sim.workforce.duty import Steps, duty_timeline
from sim.engine.errors import ConfigError
from sim.model.metrics import group_summary, replication_intervals, replication_summary
from sim.engine.records import IN_SYSTEM, OUTCOMES

from .conftest import centre_config
from .test_journeys import _paired, _run, det
from .test_model import _write_trace

CURVE = {"max": 2, "handle_time_factors": [1.0, 1.5]}
TRACED = {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100)}
LOADED = {"channel": "chat", "arrivals": {"rate_per_hour": 120}, "handle_time": {"dist": "exponential", "mean_s": 400},
          "patience": {"dist": "exponential", "mean_s": 300}}


def _scenario(groups: dict, *, chats: dict = TRACED, trace=None, roster=None, hours: int = 2) -> dict:
    """One chat queue from 00:00 in hourly intervals, served by ``groups``."""
    scenario = {"open_time": "00:00", "close_time": f"{hours:02d}:00", "interval_minutes": 60,
                "channels": {"chat": {"service_level_threshold_s": 60, "service_level_target": 0.8}},
                "contact_types": {"chats": chats}, "agent_groups": groups}
    if trace is not None:
        scenario["trace"] = str(trace)
    if roster is not None:
        scenario["roster"] = str(roster)
    return dict(scenario, preset="centre")


def _chats(trace, groups, *, roster=None, hours: int = 2, **run):
    return centre_config(_scenario(groups, trace=trace, roster=roster, hours=hours), **run)


def test_a_concurrent_agent_logs_off_as_a_whole_when_staffing_drops(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "chats", 4000, None), (10, "chats", 100, None),
                                              (3700, "chats", 100, None), (7000, "chats", 1000, None)])
    config = _chats(trace, {"team": {"skills": ["chats"], "staffing": [2, 1, 0], "concurrency": CURVE}}, hours=3)
    result = _run(config)
    c = result.contacts
    # agents A, B log in at 0 as slots A1 A2 B1 B2.  0 -> A1 alone, 0-4000; 10 -> A2 as A's second chat,
    # 150 s, 10-160.  At 3600 one agent logs off: B holds nothing and leaves (both slots); A stays.
    # 3700 -> A2, A's second chat again: 150 s, 3700-3850.  At 7200 A (busy with 7000, alone: 7000-8000)
    # logs off: its idle slot at once, the seat when the chat ends at 8000.
    assert c.wait_s.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert c.handle_time_s.tolist() == [4000.0, 150.0, 150.0, 1000.0]
    assert c.end_time_s.tolist() == [4000.0, 160.0, 3850.0, 8000.0]
    seg = result.segments
    # logged in: 2 agents 0-3600, 1 agent 3600-7200 and 7200-8000 (finishing its chat)
    assert seg.staffed_area[:3, 0].tolist() == [7200.0, 3600.0, 800.0]
    # busy while holding at least one chat: A 0-4000, then 7000-8000
    assert seg.busy_area[:3, 0].tolist() == [3600.0, 400.0 + 200.0, 800.0]


def test_overtime_of_an_agent_holding_several_chats_counts_once(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(3000, "chats", 1000, None), (3100, "chats", 1000, None)])
    config = _chats(trace, {"team": {"skills": ["chats"], "concurrency": CURVE,
                                     "shifts": [{"start": "00:00", "length_hours": 1, "agents": 1}]}})
    result = _run(config)
    # one agent until 01:00: 3000-4000 alone, 3100-4600 as the second chat (1.5 x 1000); it works on
    # until its last chat ends at 4600: 1000 s of overtime, not 400 + 1000
    assert result.contacts.end_time_s.tolist() == [4000.0, 4600.0]
    assert result.workforce["team"]["overtime_s"] == pytest.approx(1000.0)
    groups = group_summary(result, config.run)
    # busy 3000-4600 of the 4600 s logged in (3600 on shift, 1000 overtime)
    assert groups[("team", "occupancy")] == pytest.approx(1600.0 / 4600.0)


def test_an_agent_kept_on_by_a_staffing_rise_gets_its_free_slots_back(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "chats", 8000, None), (7300, "chats", 100, None)])
    config = _chats(trace, {"team": {"skills": ["chats"], "staffing": [1, 0, 1], "concurrency": CURVE}}, hours=3)
    result = _run(config)
    # 0 -> A, 0-8000.  At 3600 A is asked to log off: its free slot goes, the chat goes on.  At 7200 the
    # table wants one agent again: A stays, with its second slot back, so 7300 is its second chat
    # (150 s) instead of waiting for a new agent or for 8000
    assert result.contacts.wait_s.tolist() == [0.0, 0.0]
    assert result.contacts.handle_time_s.tolist() == [8000.0, 150.0]
    assert result.segments.staffed_area[:3, 0].tolist() == [3600.0, 3600.0, 3600.0]


# ------------------------------------------------------------ per-agent concurrency

WIDE = {"max": 2, "handle_time_factors": [1.0, 1.5, 2.0]}  # the curve covers agents allowed 3


def _two_agents(**extra) -> list[dict]:
    """Shifts 00:00-02:00 of one agent taking a chat at a time and one taking up to three."""
    return [dict({"start": "00:00", "length_hours": 2, "agents": 1, "concurrency": 1}, **extra),
            dict({"start": "00:00", "length_hours": 2, "agents": 1, "concurrency": 3}, **extra)]


def test_agents_of_one_group_hold_the_chats_their_shifts_allow(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(t, "chats", 100, None) for t in (0, 10, 20, 30, 40, 50, 60)])
    config = _chats(trace, {"team": {"skills": ["chats"], "concurrency": WIDE, "shifts": _two_agents()}})
    result = _run(config)
    c = result.contacts
    # A (one at a time) logs in before B (three): slots A1, B1, B2, B3 idle in that order.
    # 0 -> A1 alone: 0-100.  10 -> B1, B's first: 10-110.  20 -> B2, second: 1.5 x 100, 20-170.
    # 30 -> B3, third: 2.0 x 100, 30-230.  40, 50, 60 wait: 40 -> A1 at 100 (wait 60), alone: 100-200;
    # 50 -> B1 at 110 (wait 60), B holds 2 others: 2.0 x 100, 110-310; 60 -> B2 at 170 (wait 110),
    # B holds 2 others: 170-370
    assert c.wait_s.tolist() == [0.0, 0.0, 0.0, 0.0, 60.0, 60.0, 110.0]
    assert c.handle_time_s.tolist() == [100.0, 100.0, 150.0, 200.0, 100.0, 200.0, 200.0]
    assert c.end_time_s.tolist() == [100.0, 110.0, 170.0, 230.0, 200.0, 310.0, 370.0]
    assert c.agent_group.tolist() == [0] * 7
    # busy once per agent while it holds any chat: A 0-200, B 10-370; logged in: 2 agents (not 4 slots)
    # for the 2 hours
    assert result.segments.busy_area.sum() == 200.0 + 360.0
    groups = group_summary(result, config.run)
    assert groups[("team", "agents_staffed")] == 2.0
    assert groups[("team", "occupancy")] == pytest.approx(560.0 / (2 * 7200.0))
    columns = replication_intervals(result, config.scenario, config.run)
    rows = columns["channel"] == "all"
    assert columns["agents_staffed"][rows].tolist() == [2.0, 2.0]


def test_agents_hold_the_chats_their_shifts_allow_every_day_of_a_multi_day_run(tmp_path):
    day = [(t, "chats", 100, None) for t in (0, 10, 20, 30, 40, 50, 60)]
    trace = _write_trace(tmp_path / "t.csv", day + [(86400 + t, *rest) for t, *rest in day])
    config = _chats(trace, {"team": {"skills": ["chats"], "concurrency": WIDE, "shifts": _two_agents()}}, days=2)
    result = _run(config)
    c = result.contacts
    # both agents log off at 02:00 and in again the next day: day 2 is day 1 again, 86400 s later
    assert c.handle_time_s.tolist() == [100.0, 100.0, 150.0, 200.0, 100.0, 200.0, 200.0] * 2
    assert c.wait_s.tolist() == [0.0, 0.0, 0.0, 0.0, 60.0, 60.0, 110.0] * 2
    assert (c.end_time_s[7:] - c.end_time_s[:7]).tolist() == [86400.0] * 7
    groups = group_summary(result, config.run)
    assert groups[("team", "agents_staffed")] == 2.0
    assert groups[("team", "occupancy")] == pytest.approx(2 * 560.0 / (2 * 2 * 7200.0))


def test_roster_rows_set_the_concurrency_of_their_agents(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(t, "chats", 100, None) for t in (0, 10, 20, 30, 40, 50, 60)])
    roster = tmp_path / "roster.csv"
    roster.write_text("agent_id,group,start,end,concurrency\nann,team,00:00,02:00,1\nbob,team,00:00,02:00,3\n")
    from_roster = _chats(trace, {"team": {"skills": ["chats"], "concurrency": WIDE}}, roster=roster)
    from_shifts = _chats(trace, {"team": {"skills": ["chats"], "concurrency": WIDE, "shifts": _two_agents()}})
    a, b = _run(from_roster), _run(from_shifts)
    assert a.contacts.handle_time_s.tolist() == [100.0, 100.0, 150.0, 200.0, 100.0, 200.0, 200.0]
    assert np.array_equal(a.segments.tally, b.segments.tally)
    assert np.array_equal(a.segments.staffed_area, b.segments.staffed_area)


def test_each_pool_follows_its_shifts_and_blocks_take_the_groups_own_agents_first():
    team = {"skills": ["chats"], "concurrency": WIDE,
            "shifts": [{"start": "00:00", "length_hours": 2, "agents": 2},
                       {"start": "00:00", "length_hours": 1, "agents": 2, "concurrency": 3}],
            "shrinkage": {"blocks": [{"start": "00:30", "minutes": 30, "agents": 3}]}}
    timeline = duty_timeline(parse_scenario(_scenario({"team": team})).agent_groups["team"], 0.0)
    # the block (00:30-01:00) takes both agents of the group's own max (2) and one of those on 3; at
    # 01:00 the agents on 3 end their shift (overtime if busy), the others come back from the block
    assert list(timeline.pools) == [2, 3]
    assert timeline.pools[2] == Steps([0.0, 1800.0, 3600.0, 7200.0], [2, 0, 2, 0], [False, False, False, True])
    assert timeline.pools[3] == Steps([0.0, 1800.0, 3600.0], [2, 1, 0], [False, False, True])
    assert (timeline.times, timeline.counts) == ([0.0, 1800.0, 3600.0, 7200.0], [4, 1, 2, 0])
    assert timeline.blocks_s == 3 * 1800.0


def test_an_override_equal_to_the_group_max_changes_nothing():
    shifts = [{"start": "00:00", "length_hours": 3, "agents": 4, "breaks": [{"after_hours": 1, "minutes": 30}]},
              {"start": "01:00", "length_hours": 3, "agents": 3}]
    shrinkage = {"absence_probability": 0.2, "blocks": [{"start": "02:00", "minutes": 30, "agents": 2}],
                 "unavailability": {"rate_per_hour": 1, "duration": {"dist": "exponential", "mean_s": 300}}}

    def summary(shift_extra):
        groups = {"team": {"skills": ["chats"], "concurrency": {"max": 3}, "shrinkage": shrinkage,
                           "shifts": [dict(s, **shift_extra) for s in shifts]}}
        config = centre_config(_scenario(groups, chats=LOADED, hours=4), seed=3)
        result = _run(config)
        return {**replication_summary(result, config.scenario, config.run), **group_summary(result, config.run)}
    plain, same = summary({}), summary({"concurrency": 3})
    assert plain[("chat", "answered")] > 100 and plain[("team", "shrinkage_realised")] > 0
    assert list(plain) == list(same)
    assert np.array_equal(list(plain.values()), list(same.values()), equal_nan=True)


def test_more_chats_for_half_the_chat_team_lower_chat_waits():
    def make(k):
        shifts = [{"start": "00:00", "length_hours": 4, "agents": 4},
                  {"start": "00:00", "length_hours": 4, "agents": 4, "concurrency": k}]
        groups = {"team": {"skills": ["chats"], "shifts": shifts,
                           "concurrency": {"max": 2, "handle_time_factors": [1.0, 1.25, 1.5]}}}
        return centre_config(_scenario(groups, chats=LOADED, hours=4))
    diff = _paired(make, 2, 3, "asa_s", channel="chat")
    assert diff.high < 0, f"asa_s: {diff.mean:.3f} [{diff.low:.3f}, {diff.high:.3f}]"


@st.composite
def mixed_teams(draw):
    curve = [1.0 + 0.25 * i for i in range(4)]
    shifts = [{"start": f"0{draw(st.integers(0, 1))}:00", "length_hours": draw(st.sampled_from([1, 2])),
               "agents": draw(st.integers(0, 3)), "concurrency": draw(st.one_of(st.none(), st.integers(1, 4)))}
              for _ in range(draw(st.integers(1, 4)))]
    shrinkage = {"absence_probability": draw(st.floats(0.0, 0.5)),
                 "blocks": [{"start": "01:00", "minutes": 30, "agents": draw(st.integers(1, 3))}],
                 "unavailability": {"rate_per_hour": draw(st.floats(0.0, 3.0)),
                                    "duration": {"dist": "exponential", "mean_s": 300}}}
    groups = {"team": {"skills": ["chats"], "shifts": shifts, "shrinkage": shrinkage,
                       "concurrency": {"max": draw(st.integers(1, 3)), "handle_time_factors": curve}},
              "agents": {"skills": ["chats"], "staffing": draw(st.integers(0, 1))}}
    return dict(groups=groups, rate=draw(st.floats(10.0, 120.0)), seed=draw(st.integers(0, 10_000)),
                drain=draw(st.booleans()))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_teams())
def test_every_arrival_ends_exactly_once_with_agents_of_mixed_concurrency(case):
    chats = dict(LOADED, arrivals={"rate_per_hour": case["rate"]})
    config = centre_config(_scenario(case["groups"], chats=chats, hours=3), seed=case["seed"], drain=case["drain"])
    result = _run(config)
    c = result.contacts
    assert c.contact_id.tolist() == list(range(len(c))), "each arrival recorded once"
    kpis = replication_summary(result, config.scenario, config.run)
    counts = np.bincount(c.outcome, minlength=len(OUTCOMES))
    assert kpis[("all", "arrivals")] == len(c) == counts.sum()
    assert kpis[("all", "answered")] == c.answered.sum()
    if case["drain"] and config.scenario.agent_groups["agents"].staffing[0]:
        assert counts[IN_SYSTEM] == 0
    seg = result.segments  # (the last segment, after the horizon, has busy time of services started before)
    assert (seg.busy_area[:-1] <= seg.staffed_area[:-1] + 1e-6).all(), "an agent is busy once at most"


# ------------------------------------------------------------------ bad values


SHIFT = {"start": "00:00", "length_hours": 2, "agents": 1}


@pytest.mark.parametrize("groups, where, expected", [
    ({"team": {"skills": ["chats"], "concurrency": WIDE, "shifts": [SHIFT, dict(SHIFT, concurrency=0)]}},
     "scenario.agent_groups.team.shifts[1].concurrency", "expected a whole number >= 1, got 0"),
    ({"team": {"skills": ["chats"], "concurrency": WIDE, "shifts": [dict(SHIFT, concurrency=1.5)]}},
     "scenario.agent_groups.team.shifts[0].concurrency", "expected a whole number, got 1.5"),
    ({"team": {"skills": ["chats"], "concurrency": WIDE, "shifts": [SHIFT, dict(SHIFT, concurrency=4)]}},
     "scenario.agent_groups.team.shifts[1].concurrency",
     "expected at most 3 (the length of concurrency.handle_time_factors), got 4"),
    ({"team": {"skills": ["chats"], "shifts": [dict(SHIFT, concurrency=2)]}},
     "scenario.agent_groups.team.shifts[0].concurrency", "expected 1 (agent group 'team' has no concurrency block"),
    ({"team": {"skills": ["chats"], "staffing": 1, "concurrency": {"max": 3, "handle_time_factors": [1.0, 1.2]}}},
     "scenario.agent_groups.team.concurrency.handle_time_factors", "expected a list of 3 factors or more"),
])
def test_bad_per_agent_concurrency_names_the_key_path(groups, where, expected):
    with pytest.raises(ConfigError) as err:
        parse_scenario(_scenario(groups))
    assert err.value.where == where and expected in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("value, group, expected", [
    ("two", {"concurrency": WIDE}, "concurrency: expected a whole number >= 1, or blank for the group's, got 'two'"),
    ("0", {"concurrency": WIDE}, "concurrency: expected a whole number >= 1"),
    ("4", {"concurrency": WIDE},
     "concurrency: expected at most 3 (the length of concurrency.handle_time_factors), got 4"),
    ("2", {}, "concurrency: expected 1 (agent group 'team' has no concurrency block"),
])
def test_bad_roster_concurrency_names_the_file_and_line(tmp_path, value, group, expected):
    roster = tmp_path / "roster.csv"
    roster.write_text(f"agent_id,group,start,end,concurrency\nann,team,00:00,02:00,\nbob,team,00:00,02:00,{value}\n")
    with pytest.raises(ConfigError) as err:
        parse_scenario(_scenario({"team": dict({"skills": ["chats"]}, **group)}, roster=roster))
    assert err.value.where == f"{roster}:3" and expected in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


def test_handle_time_factors_longer_than_max_are_allowed_and_default_to_the_largest_override():
    team = {"skills": ["chats"], "concurrency": {"max": 2}, "shifts": [SHIFT, dict(SHIFT, concurrency=4)]}
    spec = parse_scenario(_scenario({"team": team})).agent_groups["team"]
    assert spec.concurrency.handle_time_factors == pytest.approx((1.0, 1.3, 1.6, 1.9))
    assert spec.pool_sizes == (2, 4)
    team = {"skills": ["chats"], "staffing": 1, "concurrency": WIDE}
    spec = parse_scenario(_scenario({"team": team})).agent_groups["team"]
    assert spec.concurrency.handle_time_factors == (1.0, 1.5, 2.0) and spec.pool_sizes == (2,)
