"""Concurrent agents (sim.concurrency, sim.agents): agents who hold several contacts log in and off as a
whole, so occupancy stays a share of logged-in agent-time and overtime is counted once per agent."""

from __future__ import annotations

import pytest

from sim.metrics import group_summary

from .test_journeys import _centre, _run, det
from .test_model import _write_trace

CURVE = {"max": 2, "handle_time_factors": [1.0, 1.5]}


def _chats(trace, groups, **run):
    return _centre({"chats": {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100)}},
                   trace=trace, groups=groups, **run)


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
