"""Agents differ: proficiency, learning curve, fatigue and the occupancy cap (sim.workforce.proficiency)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import load_config, simulate
from sim.model.config import parse_scenario
from sim.engine.errors import ConfigError
from sim.model.metrics import group_summary, replication_summary
from sim.experiments.stats import paired_difference


def one_agent(tmp_path, rows: str, group: dict, types=("calls",)) -> dict:
    """One agent, a trace of contacts (``arrival_time_s,contact_type,handle_time_s``), 08:00-10:00."""
    trace = tmp_path / "trace.csv"
    trace.write_text("arrival_time_s,contact_type,handle_time_s\n" + rows)
    return {
        "name": "agents", "preset": "centre", "open_time": "08:00", "close_time": "10:00", "interval_minutes": 30,
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {t: {"channel": "phone", "handle_time": {"dist": "exponential", "mean_s": 100}}
                          for t in types},
        "agent_groups": {"agents": {"skills": list(types), "staffing": 1, **group}}, "trace": str(trace),
    }


def contacts(raw: dict):
    config = load_config({"scenario": raw, "run": {"replications": 1}})
    return simulate(config.scenario, config.run, 0, keep_contacts=True).contacts


def test_proficiency_multiplies_the_handle_time_of_one_skill(tmp_path):
    raw = one_agent(tmp_path, "0,calls,100\n1000,other,100\n", {"proficiency": {"calls": 0.5}}, ("calls", "other"))
    c = contacts(raw)
    assert list(c.handle_time_s) == [50.0, 100.0]


def test_learning_curve_halves_the_extra_time_every_half_life(tmp_path):
    """Initial multiplier 2, half-life 1 contact: 100 s contacts take 200, 150, 125 s."""
    raw = one_agent(tmp_path, "0,calls,100\n1000,calls,100\n2000,calls,100\n",
                    {"learning": {"initial_multiplier": 2.0, "half_life_contacts": 1}})
    assert list(contacts(raw).handle_time_s) == [200.0, 150.0, 125.0]
    raw["agent_groups"]["agents"]["learning"]["experience_contacts"] = 2  # two contacts of experience already
    assert list(contacts(raw).handle_time_s) == [125.0, 112.5, 106.25]


def test_fatigue_inflates_handle_times_above_the_occupancy_threshold(tmp_path):
    """Window 10 min, threshold 0.5: back-to-back 400 s contacts; at 400 s the trailing occupancy is
    400/600 > 0.5, so the second takes 400 x 1.2 = 480 s."""
    raw = one_agent(tmp_path, "0,calls,400\n0,calls,400\n",
                    {"fatigue": {"window_minutes": 10, "occupancy_threshold": 0.5, "aht_multiplier": 1.2}})
    assert list(contacts(raw).handle_time_s) == [400.0, pytest.approx(480.0)]


def test_occupancy_cap_makes_the_agent_rest_until_back_at_the_cap(tmp_path):
    """Cap 0.5 over 10 min: after a 400 s contact from 0, the agent may take the next when the busy
    time in its trailing 600 s is 300 s, at 700 s (busy [100, 400])."""
    raw = one_agent(tmp_path, "0,calls,400\n0,calls,400\n",
                    {"fatigue": {"window_minutes": 10, "occupancy_cap": 0.5}})
    c = contacts(raw)
    assert c.wait_s[0] == 0.0 and c.wait_s[1] == pytest.approx(700.0, abs=1e-6)


def _centre(group_extra: dict, agents: int = 12) -> dict:
    return {
        "name": "centre", "preset": "centre", "open_time": "08:00", "close_time": "12:00", "interval_minutes": 30,
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 120},
                                    "handle_time": {"dist": "lognormal", "mean_s": 300, "cv": 0.8},
                                    "patience": {"dist": "exponential", "mean_s": 180}}},
        "agent_groups": {"agents": {"skills": ["calls"], "staffing": agents, **group_extra}},
    }


def _per_replication(raw: dict, metric: str, reps: int = 20, group: bool = False) -> np.ndarray:
    config = load_config({"scenario": raw, "run": {"replications": reps, "seed": 11}})
    out = []
    for r in range(reps):
        result = simulate(config.scenario, config.run, r)
        out.append(group_summary(result, config.run)[("agents", metric)] if group
                   else replication_summary(result, config.scenario, config.run)[("all", metric)])
    return np.asarray(out)


def test_new_hire_group_has_longer_aht_than_a_tenured_one_on_the_same_work():
    tenured = _per_replication(_centre({}), "aht_s")
    new = _per_replication(_centre({"learning": {"initial_multiplier": 1.5, "half_life_contacts": 30}}), "aht_s")
    diff = paired_difference(tenured, new)  # same seed: the same customers, handle times and patience
    assert diff.low > 0, diff
    assert diff.mean < 0.5 * 300  # less than the initial 50%: the agents learn during the day


def test_time_above_the_occupancy_threshold_rises_when_staffing_falls():
    fatigue = {"fatigue": {"window_minutes": 30, "occupancy_threshold": 0.85}}
    comfortable = _per_replication(_centre(fatigue, agents=14), "time_above_threshold", group=True)
    stretched = _per_replication(_centre(fatigue, agents=11), "time_above_threshold", group=True)
    assert ((comfortable >= 0) & (stretched <= 1)).all()
    assert paired_difference(comfortable, stretched).low > 0


@pytest.mark.parametrize("extra, where", [
    ({"proficiency": {"billing": 0.9}}, "scenario.agent_groups.agents.proficiency.billing"),
    ({"proficiency": {"calls": 0}}, "scenario.agent_groups.agents.proficiency.calls"),
    ({"learning": {"initial_multiplier": 1.5}}, "scenario.agent_groups.agents.learning.half_life_contacts"),
    ({"fatigue": {"occupancy_cap": 1.5}}, "scenario.agent_groups.agents.fatigue.occupancy_cap"),
    ({"fatigue": {"window_minute": 30}}, "scenario.agent_groups.agents.fatigue.window_minute"),
])
def test_bad_agent_traits_name_the_key(extra, where):
    with pytest.raises(ConfigError) as err:
        parse_scenario(_centre(extra))
    assert err.value.where == where and "\n" not in str(err.value)
