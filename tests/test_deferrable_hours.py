"""Business hours of deferrable work (``deferrable.hours``, sim.journeys.deferrable)."""

from __future__ import annotations

import pytest

from sim import load_config, simulate
from sim.model.config import parse_scenario
from sim.engine.errors import ConfigError
from sim.engine.records import IN_SYSTEM, OUTCOMES


def scenario(tmp_path, rows: str, hours: dict | None) -> dict:
    """One agent from 08:00 to 11:00; email worked only within ``hours``."""
    trace = tmp_path / "trace.csv"
    trace.write_text("arrival_time_s,contact_type,handle_time_s\n" + rows)
    deferrable = {"reserve_agents": 0, **({"hours": hours} if hours else {})}
    return {
        "name": "email", "preset": "centre", "open_time": "08:00", "close_time": "11:00", "interval_minutes": 30,
        "channels": {"email": {"service_level_threshold_s": 14400, "service_level_target": 0.9},
                     "phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {
            "email": {"channel": "email", "handle_time": {"dist": "exponential", "mean_s": 300}, "priority": 0,
                      "deferrable": deferrable},
            "calls": {"channel": "phone", "handle_time": {"dist": "exponential", "mean_s": 300}, "priority": 1},
        },
        "agent_groups": {"agents": {"skills": ["calls", "email"], "staffing": 1}},
        "trace": str(trace),
    }


def test_email_waits_for_its_hours_and_what_arrives_after_them_stays_in_the_backlog(tmp_path):
    """Hours 09:00-10:00: an email at 08:00 is answered at 09:00 (wait 3600 s) and takes 600 s; one at
    09:06:40 waits for the agent until 09:10 (200 s); one at 10:01:40 is after hours: still in the
    backlog when the day ends.  A call at 08:30 is answered at once, hours or not."""
    raw = scenario(tmp_path, "0,email,600\n1800,calls,60\n4000,email,100\n7300,email,100\n",
                   {"from": "09:00", "to": "10:00"})
    config = load_config({"scenario": raw, "run": {"replications": 1}})
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    assert list(c.wait_s[:3]) == [3600.0, 0.0, 200.0]
    assert OUTCOMES[c.outcome[3]] == "in_system" and c.outcome[3] == IN_SYSTEM
    raw = scenario(tmp_path, "0,email,600\n1800,calls,60\n4000,email,100\n7300,email,100\n", None)
    config = load_config({"scenario": raw, "run": {"replications": 1}})
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    assert list(c.wait_s) == [0.0, 0.0, 0.0, 0.0]  # without hours: worked whenever the agent is free


@pytest.mark.parametrize("hours, where", [
    ({"from": "07:00", "to": "10:00"}, "scenario.contact_types.email.deferrable.hours"),
    ({"from": "10:00", "to": "09:00"}, "scenario.contact_types.email.deferrable.hours.to"),
    ({"from": "09:00"}, "scenario.contact_types.email.deferrable.hours.to"),
    ({"from": "9am", "to": "10:00"}, "scenario.contact_types.email.deferrable.hours.from"),
])
def test_bad_hours_name_the_key(tmp_path, hours, where):
    with pytest.raises(ConfigError) as err:
        parse_scenario(scenario(tmp_path, "0,email,10\n", hours))
    assert err.value.where == where and "\n" not in str(err.value)


def test_an_email_only_desk_keeps_no_reserve_while_blended_agents_do(tmp_path):
    """Reserve 2: the blended agent (calls and email) never takes email with no other agent of its
    group idle, but an email-desk agent (email only) answers at once.  Email 1 (0 s) goes to the desk
    (0-300); email 2 (10 s) waits for the desk (290 s), the blended agent staying free for calls."""
    raw = scenario(tmp_path, "0,email,300\n10,email,300\n", None)
    raw["contact_types"]["email"]["deferrable"] = {"reserve_agents": 2}
    raw["agent_groups"]["desk"] = {"skills": ["email"], "staffing": 1}
    config = load_config({"scenario": raw, "run": {"replications": 1}})
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    assert c.wait_s.tolist() == [0.0, 290.0]
    assert c.agent_group.tolist() == [1, 1]
