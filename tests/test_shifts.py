"""Shifts, rosters, shrinkage, overtime and costs (sim.workforce.config, sim.workforce.duty, sim.workforce.costs)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import load_config, simulate
from sim.model.config import parse_scenario
from sim.workforce.costs import replication_costs
from sim.workforce.duty import duty_timeline
from sim.engine.errors import ConfigError
from sim.model.metrics import group_summary, replication_intervals
from sim.experiments.stats import t_interval


def centre(groups: dict, *, rate: float = 0.0, trace: str | None = None, costs: dict | None = None,
           roster: str | None = None, close: str = "12:00") -> dict:
    """One phone queue from 08:00 to ``close`` in 30-minute intervals."""
    scenario = {
        "name": "shifts", "preset": "centre", "open_time": "08:00", "close_time": close, "interval_minutes": 30,
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {"calls": {"channel": "phone", "arrivals": {"rate_per_hour": rate} if rate else None,
                                    "handle_time": {"dist": "exponential", "mean_s": 300}}},
        "agent_groups": groups, "trace": trace,
    }
    if costs is not None:
        scenario["costs"] = costs
    if roster is not None:
        scenario["roster"] = roster
    return scenario


def test_roster_reproduces_the_intended_staffing_per_interval_exactly(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("agent_id,group,start,end,breaks\n"
                      "ann,agents,08:00,12:00,10:00-10:30\n"
                      "bob,agents,08:00,10:00,\n"
                      "cy,agents,09:00,12:00,\n"
                      "dee,agents,10:30,12:00,\n")
    config = load_config({"scenario": centre({"agents": {"skills": ["calls"]}}, roster=str(roster)),
                          "run": {"replications": 1}})
    intended = (2, 2, 3, 3, 1, 3, 3, 3)  # 08:00, 08:30, ... 11:30 (10:00: ann on break, bob gone)
    assert config.scenario.agent_groups["agents"].staffing == intended
    result = simulate(config.scenario, config.run, 0)  # no contacts: logged-in follows the roster exactly
    staffed = replication_intervals(result, config.scenario, config.run)
    rows = staffed["channel"] == "all"
    assert tuple(staffed["agents_staffed"][rows]) == intended


def test_group_shifts_with_breaks_give_the_planned_time_average():
    scenario = parse_scenario(centre({"agents": {"skills": ["calls"], "shifts": [
        {"start": "08:00", "length_hours": 4, "agents": 4, "breaks": [{"after_hours": 1, "minutes": 15}]}]}}))
    # 09:00-09:30: the four agents are on a 15-minute break for half the interval
    assert scenario.agent_groups["agents"].staffing == (4, 4, 2, 4, 4, 4, 4, 4)


def test_absence_and_breaks_take_the_configured_share_of_scheduled_time():
    """Shrinkage realised per replication (breaks + absent agent-days over scheduled time) against the
    planned share: 15 min of each 4 h shift on break, then 20% of agent-days absent."""
    raw = centre({"agents": {"skills": ["calls"], "shifts": [
        {"start": "08:00", "length_hours": 4, "agents": 30, "breaks": [{"after_hours": 2, "minutes": 15}]}],
        "shrinkage": {"absence_probability": 0.2}}})
    config = load_config({"scenario": raw, "run": {"replications": 40, "seed": 3}})
    planned = 15 / 240 + 0.2 * (1 - 15 / 240)
    realised = [simulate(config.scenario, config.run, r).workforce["agents"]["shrinkage_realised"]
                for r in range(40)]
    est = t_interval(realised, 0.95)
    assert est.low <= planned <= est.high, (planned, est)
    assert simulate(config.scenario, config.run, 0).workforce["agents"]["shrinkage_planned"] == pytest.approx(planned)


def test_unavailability_takes_its_long_run_share_within_ci():
    raw = centre({"agents": {"skills": ["calls"], "shifts": [{"start": "08:00", "length_hours": 4, "agents": 20}],
                  "shrinkage": {"unavailability": {"rate_per_hour": 1.0,
                                                   "duration": {"dist": "exponential", "mean_s": 360}}}}})
    spec = parse_scenario(raw).agent_groups["agents"]
    shares = []
    for r in range(40):
        tl = duty_timeline(spec, 8 * 3600, np.random.default_rng(r), np.random.default_rng(1000 + r))
        shares.append(tl.unavailable_s / tl.scheduled_s)
    est = t_interval(shares, 0.95)
    expected = 360 / (3600 + 360)  # E[d] / (1/rate + E[d])
    # each 4-hour stretch starts available, so the share is a little under the long-run one
    assert est.low - 0.01 <= expected <= est.high + 0.01, (expected, est)
    assert est.mean < expected


def test_overtime_is_the_time_past_the_shift_end_finishing_a_contact(tmp_path):
    """One agent 08:00-09:00 and one 09:00-10:00; a call at 08:50 lasting 20 min keeps the first agent
    10 minutes past the end of the shift."""
    trace = tmp_path / "trace.csv"
    trace.write_text("arrival_time_s,handle_time_s\n3000,1200\n")
    raw = centre({"agents": {"skills": ["calls"], "shifts": [{"start": "08:00", "length_hours": 1, "agents": 1},
                                                             {"start": "09:00", "length_hours": 1, "agents": 1}]}},
                 trace=str(trace), close="10:00")
    config = load_config({"scenario": raw, "run": {"replications": 1}})
    result = simulate(config.scenario, config.run, 0)
    assert result.workforce["agents"]["overtime_s"] == pytest.approx(600)
    groups = group_summary(result, config.run)
    assert groups[("agents", "overtime_hours")] == pytest.approx(600 / 3600)
    assert groups[("agents", "paid_hours")] == pytest.approx(2.0)


def test_overtime_at_closing_counts_agents_serving_after_close(tmp_path):
    trace = tmp_path / "trace.csv"
    trace.write_text("arrival_time_s,handle_time_s\n3500,400\n")  # 08:58:20 for 400 s: ends 09:05
    raw = centre({"agents": {"skills": ["calls"], "shifts": [{"start": "08:00", "length_hours": 1, "agents": 1}]}},
                 trace=str(trace), close="09:00")
    config = load_config({"scenario": raw, "run": {"replications": 1, "drain": True}})
    result = simulate(config.scenario, config.run, 0)
    assert result.workforce["agents"]["overtime_s"] == pytest.approx(300)


def test_costs_are_wages_overtime_and_telephony_minutes(tmp_path):
    trace = tmp_path / "trace.csv"
    trace.write_text("arrival_time_s,handle_time_s\n0,600\n0,300\n")  # the second waits 600 s (one agent)
    raw = centre({"agents": {"skills": ["calls"], "shifts": [{"start": "08:00", "length_hours": 2, "agents": 1}]},
                  "backup": {"skills": ["calls"], "staffing": 0}},
                 trace=str(trace), close="10:00",
                 costs={"wage_per_hour": {"agents": 20, "backup": 30}, "overtime_premium": 1.5,
                        "telephony_per_minute": 0.05})
    config = load_config({"scenario": raw, "run": {"replications": 1}})
    result = simulate(config.scenario, config.run, 0)
    costs = replication_costs(result, config.scenario)
    assert costs["labour_cost"] == pytest.approx(2 * 20)  # 2 paid hours, no overtime, backup never logged in
    assert costs["telephony_cost"] == pytest.approx(0.05 * (600 + 300 + 600) / 60)  # waiting + talking minutes
    assert costs["total_cost"] == pytest.approx(costs["labour_cost"] + costs["telephony_cost"])
    assert costs["cost_per_contact"] == pytest.approx(costs["total_cost"] / 2)


@pytest.mark.parametrize("rows, message", [
    ("ann,tier3,08:00,12:00,,\n", r"roster\.csv:2: unknown group 'tier3'"),
    ("ann,agents,08:00,12:00,,billing\n", r"roster\.csv:2: unknown skill 'billing'"),
    ("ann,agents,08:00,12:00,09:00-09:30;09:15-09:45,\n", r"roster\.csv:2: overlaps the break before it"),
    ("ann,agents,07:00,12:00,,\n", r"roster\.csv:2: shift 07:00-12:00 is outside the opening hours 08:00-12:00"),
    ("ann,agents,08:00,12:30,,\n", r"roster\.csv:2: shift 08:00-12:30 is outside"),
    ("ann,agents,10:00,09:00,,\n", r"roster\.csv:2: end 09:00 is not after start 10:00"),
])
def test_bad_roster_rows_name_the_file_and_line(rows, message, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("agent_id,group,start,end,breaks,skills\n" + rows)
    with pytest.raises(ConfigError, match=message) as err:
        parse_scenario(centre({"agents": {"skills": ["calls"]}}, roster=str(roster)))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("groups, costs, where", [
    ({"agents": {"skills": ["calls"], "staffing": 2, "shifts": [{"start": "08:00", "length_hours": 1, "agents": 1}]}},
     None, "scenario.agent_groups.agents"),
    ({"agents": {"skills": ["calls"], "staffing": 2, "shrinkage": {"absence_probability": 0.1}}},
     None, "scenario.agent_groups.agents.shrinkage"),
    ({"agents": {"skills": ["calls"], "shifts": [{"start": "08:00", "length_hours": 2, "agents": 1,
                                                  "breaks": [{"after_hours": 1, "minutes": 30},
                                                             {"after_hours": 1.25, "minutes": 5}]}]}},
     None, "scenario.agent_groups.agents.shifts[0].breaks[1]"),
    ({"agents": {"skills": ["calls"], "shifts": [{"start": "11:00", "length_hours": 2, "agents": 1}]}},
     None, "scenario.agent_groups.agents.shifts[0]"),
    ({"agents": {"skills": ["calls"], "shifts": [{"start": "08:00", "length_hours": 2, "agents": 1}],
                 "shrinkage": {"absence_probability": 1.5}}},
     None, "scenario.agent_groups.agents.shrinkage.absence_probability"),
    ({"agents": {"skills": ["calls"], "staffing": 2}}, {"wage_per_hour": {"agents": -3}},
     "scenario.costs.wage_per_hour.agents"),
    ({"agents": {"skills": ["calls"], "staffing": 2}}, {"wage_per_hour": {}}, "scenario.costs.wage_per_hour"),
])
def test_bad_workforce_keys_name_the_key_path(groups, costs, where):
    with pytest.raises(ConfigError) as err:
        parse_scenario(centre(groups, costs=costs))
    assert err.value.where == where and "\n" not in str(err.value)


def test_same_seed_same_shrinkage_and_a_plain_staffing_table_is_unchanged():
    raw = centre({"agents": {"skills": ["calls"], "shifts": [{"start": "08:00", "length_hours": 4, "agents": 10}],
                  "shrinkage": {"absence_probability": 0.3,
                                "unavailability": {"rate_per_hour": 2, "duration": {"dist": "exponential",
                                                                                    "mean_s": 120}}}}}, rate=60)
    config = load_config({"scenario": raw, "run": {"replications": 1, "seed": 5}})
    a, b = simulate(config.scenario, config.run, 0), simulate(config.scenario, config.run, 0)
    assert a.workforce == b.workforce
    assert np.array_equal(a.segments.tally, b.segments.tally)
    plain = load_config({"scenario": centre({"agents": {"skills": ["calls"], "staffing": 10}}, rate=60),
                         "run": {"replications": 1, "seed": 5}})
    assert simulate(plain.scenario, plain.run, 0).workforce == {}


def test_vendor_is_paid_per_contact_its_agents_serve(tmp_path):
    trace = tmp_path / "trace.csv"
    trace.write_text("arrival_time_s,handle_time_s\n0,600\n0,300\n0,300\n")
    raw = centre({"inhouse": {"skills": ["calls"], "staffing": 1}, "vendor": {"skills": ["calls"], "staffing": 1}},
                 trace=str(trace), close="10:00",
                 costs={"wage_per_hour": {"inhouse": 20, "vendor": 0}, "per_contact": {"vendor": 4.5}})
    config = load_config({"scenario": raw, "run": {"replications": 1}})
    result = simulate(config.scenario, config.run, 0)
    assert sum(result.served.values()) == 3
    costs = replication_costs(result, config.scenario)
    assert costs["vendor_cost"] == pytest.approx(4.5 * result.served["vendor"]) and result.served["vendor"] >= 1
    assert costs["total_cost"] == pytest.approx(costs["labour_cost"] + costs["vendor_cost"] + costs["bot_cost"]
                                                + costs["telephony_cost"])


def test_bot_is_paid_per_contact_through_self_service():
    raw = centre({"agents": {"skills": ["calls"], "staffing": 5}}, rate=120,
                 costs={"wage_per_hour": {"agents": 20}, "bot_per_contact": 0.3})
    raw["contact_types"]["calls"]["self_service"] = {"containment": 0.4,
                                                     "handle_time": {"dist": "exponential", "mean_s": 60}}
    config = load_config({"scenario": raw, "run": {"replications": 1, "seed": 2}})
    result = simulate(config.scenario, config.run, 0)
    tally = result.segments.tally.sum(axis=(0, 1))
    from sim.engine.records import TALLY_FIELDS
    f = {n: i for i, n in enumerate(TALLY_FIELDS)}
    through = tally[f["deflected"]] + tally[f["bot_handoffs"]]
    assert tally[f["deflected"]] > 0 and through > tally[f["deflected"]]
    costs = replication_costs(result, config.scenario)
    assert costs["bot_cost"] == pytest.approx(0.3 * through)
    assert costs["cost_per_contact"] == pytest.approx(
        costs["total_cost"] / (tally[f["answered"]] + tally[f["deflected"]]))


@pytest.mark.parametrize("absence_paid, paid_hours, labour_cost", [(None, 2.0, 80.0), (True, 2.0, 80.0),
                                                                   (False, 0.0, 40.0)])
def test_absent_hours_are_paid_or_not_as_set_and_reported_apart(absence_paid, paid_hours, labour_cost):
    """Two agents on 08:00-10:00 shifts, one absent for sure, one present for sure (two groups): 2 h each
    scheduled; the absent group's 2 h are absent, not worked; paid unless absence_paid is false (default paid)."""
    shift = [{"start": "08:00", "length_hours": 2, "agents": 1}]
    costs = {"wage_per_hour": {"absent": 20, "present": 20}}
    if absence_paid is not None:
        costs["absence_paid"] = absence_paid
    raw = centre({"absent": {"skills": ["calls"], "shifts": shift, "shrinkage": {"absence_probability": 1.0}},
                  "present": {"skills": ["calls"], "shifts": shift}}, close="10:00", costs=costs)
    config = load_config({"scenario": raw, "run": {"replications": 1}})
    result = simulate(config.scenario, config.run, 0)
    groups = group_summary(result, config.run, config.scenario.costs.absence_paid)
    assert {m: groups[("absent", m)] for m in ("paid_hours", "worked_hours", "absent_hours", "overtime_hours")} == \
        pytest.approx({"paid_hours": paid_hours, "worked_hours": 0.0, "absent_hours": 2.0, "overtime_hours": 0.0})
    assert {m: groups[("present", m)] for m in ("paid_hours", "worked_hours", "absent_hours")} == \
        pytest.approx({"paid_hours": 2.0, "worked_hours": 2.0, "absent_hours": 0.0})
    assert replication_costs(result, config.scenario)["labour_cost"] == pytest.approx(labour_cost)  # 20 per paid hour


def test_absence_paid_must_be_true_or_false():
    raw = centre({"agents": {"skills": ["calls"], "shifts": [{"start": "08:00", "length_hours": 2, "agents": 1}]}},
                 close="10:00", costs={"wage_per_hour": {"agents": 20}, "absence_paid": "sometimes"})
    with pytest.raises(ConfigError, match=r"^scenario\.costs\.absence_paid: "):
        load_config({"scenario": raw, "run": {"replications": 1}})
