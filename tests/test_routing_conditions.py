"""Staged (conditional) routing (sim.journeys.conditions): a group takes a type only under a condition.

Exact traces checked by hand for each condition (``after_s``, ``queue_above``, ``keep_idle``) and for
``later_skills_after_s`` (ContactCenters' agents' preference with delays), paired directional tests by
simulation (a condition on a backup group's second skill protects its own type at the cost of the
other; a reserve of idle agents protects live work), and bad input named at its key path.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import run_experiment
from sim.engine.errors import ConfigError
from sim.experiments.comparison import compare_replications
from sim.model.centre import simulate

from .conftest import centre_config
from .test_model import _write_trace

PHONE = {"service_level_threshold_s": 20, "service_level_target": 0.8}
CHAT = {"service_level_threshold_s": 60, "service_level_target": 0.8}


def det(mean_s: float) -> dict:
    return {"dist": "deterministic", "mean_s": mean_s}


def _centre(groups: dict, *, trace=None, types=("a",), rates=None, hours=1, **run):
    """Types (``a`` phone, ``b`` chat, ``e`` phone), the given agent groups, over ``hours`` from 00:00."""
    channel = {"a": "phone", "b": "chat", "e": "phone"}
    scenario = {
        "name": "staged", "open_time": "00:00", "close_time": f"{hours:02d}:00", "interval_minutes": 60,
        "channels": {"phone": PHONE, "chat": CHAT},
        "contact_types": {t: {"channel": channel[t], "handle_time": {"dist": "exponential", "mean_s": 240},
                              "arrivals": {"rate_per_hour": (rates or {}).get(t, 0)}} for t in types},
        "agent_groups": groups,
    }
    if trace is not None:
        scenario["trace"] = str(trace)
    return centre_config(scenario, **run)


def _contacts(config):
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    groups = list(config.scenario.agent_groups)
    return c.wait_s.tolist(), [groups[g] for g in c.agent_group]


# ------------------------------------------------------------------ exact traces

# One agent in "main" (a) and one in "backup", which takes a only after a contact has waited 30 s.
# a1 (0, 100 s) goes to main (backup is not eligible for an arrival: after_s > 0), 0-100.
# a2 (10, 50 s) waits; at 40 its wait reaches 30 s and the idle backup takes it: 40-90, wait 30.
# a3 (50, 20 s) waits; its event at 80 finds backup busy; backup frees at 90 and a3 has waited
# 40 >= 30 s: 90-110, wait 40. a4 (95, 10 s) waits 5 s for main (100-110).
# a5 (120, 10 s): both idle since 110, only main eligible: 120-130, wait 0.
# With later_skills_after_s: 30 on a backup whose skills are [b, a], the same for a; b1 (200, 10 s)
# goes to backup at once (its first skill).
AFTER_ROWS = [(0, "a", 100, None), (10, "a", 50, None), (50, "a", 20, None), (95, "a", 10, None),
              (120, "a", 10, None)]
AFTER_WAITS = [0.0, 30.0, 40.0, 5.0, 0.0]
AFTER_GROUPS = ["main", "backup", "backup", "main", "main"]


def test_a_group_with_after_s_takes_a_contact_once_it_has_waited_that_long_exactly(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", AFTER_ROWS)
    config = _centre({"main": {"skills": ["a"], "staffing": 1},
                      "backup": {"skills": ["a"], "staffing": 1, "conditions": {"a": {"after_s": 30}}}}, trace=trace)
    assert _contacts(config) == (AFTER_WAITS, AFTER_GROUPS)
    # without the condition a2 goes to the idle backup at once
    plain = _centre({"main": {"skills": ["a"], "staffing": 1}, "backup": {"skills": ["a"], "staffing": 1}},
                    trace=trace)
    assert _contacts(plain)[0][1] == 0.0


def test_later_skills_after_s_delays_every_skill_but_the_first_exactly(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", AFTER_ROWS + [(200, "b", 10, None)])
    config = _centre({"main": {"skills": ["a"], "staffing": 1},
                      "backup": {"skills": ["b", "a"], "staffing": 1, "later_skills_after_s": 30}},
                     trace=trace, types=("a", "b"))
    assert config.scenario.agent_groups["backup"].conditions["a"].after_s == 30.0
    assert "b" not in config.scenario.agent_groups["backup"].conditions
    assert _contacts(config) == (AFTER_WAITS + [0.0], AFTER_GROUPS + ["backup"])


def test_a_group_with_queue_above_helps_only_while_the_queue_is_long_exactly(tmp_path):
    # backup takes a only while more than 1 contact of a waits (the one taken included).
    # a1 (0, 100 s) -> main, 0-100. a2 (10, 100 s): the queue would hold 1, not > 1: waits.
    # a3 (20, 100 s) joins: 2 wait, the idle backup is woken and takes the head a2: 20-120, wait 10.
    # Main frees at 100 and takes a3: 100-200, wait 80. a4 (130, 10 s): backup idle, but a4
    # alone would be 1 waiting: it waits for main, 200-210, wait 70.
    trace = _write_trace(tmp_path / "t.csv", [(0, "a", 100, None), (10, "a", 100, None), (20, "a", 100, None),
                                              (130, "a", 10, None)])
    config = _centre({"main": {"skills": ["a"], "staffing": 1},
                      "backup": {"skills": ["a"], "staffing": 1, "conditions": {"a": {"queue_above": 1}}}},
                     trace=trace)
    assert _contacts(config) == ([0.0, 10.0, 80.0, 70.0], ["main", "backup", "main", "main"])


def test_a_group_with_keep_idle_takes_a_type_only_while_others_stay_idle_exactly(tmp_path):
    # Two agents taking a and e; e only while 1 other agent stays idle.
    # e1 (0, 100 s): 2 idle, 1 stays: served 0-100. e2 (10, 100 s): 1 idle, none would stay: waits.
    # a1 (20, 30 s): no condition, the idle agent takes it 20-50; freed at 50, it may not take e2
    # (no other agent idle) and goes idle. At 100 the first agent frees with the other idle: it
    # takes e2, 100-200, wait 90.
    trace = _write_trace(tmp_path / "t.csv", [(0, "e", 100, None), (10, "e", 100, None), (20, "a", 30, None)])
    config = _centre({"pool": {"skills": ["a", "e"], "staffing": 2, "conditions": {"e": {"keep_idle": 1}}}},
                     trace=trace, types=("a", "e"))
    waits, _ = _contacts(config)
    assert waits == [0.0, 90.0, 0.0]


def test_all_given_conditions_must_hold_and_the_condition_rechecks_at_each_arrival(tmp_path):
    # backup takes a after 30 s AND while more than 1 waits. a1 (0, 200 s) -> main.
    # a2 (10, 100 s) waits; at 40 it has waited 30 s but is alone: backup stays idle.
    # a3 (50, 100 s) joins: 2 wait and the head a2 has waited 40 s: backup takes a2, 50-150, wait 40.
    # a3's event at 80: backup busy. Main frees at 200 and takes a3 (wait 150); backup freed at
    # 150 saw a3 alone (1 waiting, not > 1).
    trace = _write_trace(tmp_path / "t.csv", [(0, "a", 200, None), (10, "a", 100, None), (50, "a", 100, None)])
    config = _centre({"main": {"skills": ["a"], "staffing": 1},
                      "backup": {"skills": ["a"], "staffing": 1,
                                 "conditions": {"a": {"after_s": 30, "queue_above": 1}}}}, trace=trace)
    assert _contacts(config) == ([0.0, 40.0, 150.0], ["main", "backup", "main"])


def test_every_contact_ends_once_with_conditions_and_escalations_and_abandonment():
    from sim.engine.records import OUTCOMES

    config = centre_config({
        "name": "staged", "open_time": "00:00", "close_time": "04:00", "interval_minutes": 60,
        "channels": {"phone": PHONE, "chat": CHAT},
        "contact_types": {
            "a": {"channel": "phone", "arrivals": {"rate_per_hour": 50}, "handle_time": {"dist": "exponential", "mean_s": 240},
                  "patience": {"dist": "exponential", "mean_s": 120}, "escalation": {"probability": 0.2, "to": "b"}},
            "b": {"channel": "chat", "arrivals": {"rate_per_hour": 20}, "handle_time": {"dist": "exponential", "mean_s": 300},
                  "patience": {"dist": "exponential", "mean_s": 300}}},
        "agent_groups": {"front": {"skills": ["a"], "staffing": 3},
                         "back": {"skills": ["b", "a"], "staffing": [3, 2, 3, 2], "later_skills_after_s": 20,
                                  "conditions": {"b": {"keep_idle": 1}, "a": {"queue_above": 2}}}}},
        drain=False)
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    assert sorted(c.contact_id.tolist()) == list(range(len(c)))  # every arrival ended exactly once
    assert len(c) > 200 and (c.outcome < len(OUTCOMES)).all()
    assert np.isfinite(c.wait_s[c.answered]).all() and (c.wait_s[c.answered] >= 0).all()


# ------------------------------------------------------------------ directional tests


def _backup_centre(conditions: dict | None, reps: int = 12):
    # "main" takes a; "backup" takes its own b and helps with a. 5 + 1.33 erlangs on 8 agents.
    backup = {"skills": ["b", "a"], "staffing": 3}
    if conditions:
        backup["conditions"] = conditions
    return _centre({"main": {"skills": ["a"], "staffing": 5}, "backup": backup}, types=("a", "b"),
                   rates={"a": 75, "b": 20}, hours=4, replications=reps, seed=11)


@pytest.mark.parametrize("condition", [{"after_s": 120}, {"queue_above": 3}])
def test_a_condition_on_the_backup_groups_second_skill_protects_its_own_type(condition):
    # Theory: the backup group spends less of its time on a, so its own type b waits less and a more
    # (the same customers: common random numbers, paired by replication).
    base = run_experiment(_backup_centre(None))
    staged = run_experiment(_backup_centre({"a": condition}))
    diff = compare_replications(base.replications, staged.replications, 0.95).set_index(["channel", "metric"])
    assert diff.loc[("chat", "mean_wait_s"), "diff_ci_high"] < 0, "b (the backup's own type) waits less"
    assert diff.loc[("phone", "mean_wait_s"), "diff_ci_low"] > 0, "a waits more: the backup helps later"


def test_keeping_agents_idle_for_live_work_shortens_its_waits_and_lengthens_the_others():
    # One pool of 6 takes a (phone, live) and b (chat) only while 1 other agent stays idle.
    # Theory: b is held back when the pool is nearly full, so a finds a free agent more often.
    def centre(conditions):
        group = {"skills": ["a", "b"], "staffing": 6}
        if conditions:
            group["conditions"] = conditions
        return _centre({"pool": group}, types=("a", "b"), rates={"a": 60, "b": 25}, hours=4, replications=12,
                       seed=4)

    base = run_experiment(centre(None))
    kept = run_experiment(centre({"b": {"keep_idle": 1}}))
    diff = compare_replications(base.replications, kept.replications, 0.95).set_index(["channel", "metric"])
    assert diff.loc[("phone", "mean_wait_s"), "diff_ci_high"] < 0, "a, with agents kept for it, waits less"
    assert diff.loc[("chat", "mean_wait_s"), "diff_ci_low"] > 0, "b waits more"


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("group, where, words", [
    ({"conditions": {"a": {"after_s": -1}}}, "scenario.agent_groups.backup.conditions.a.after_s", ">= 0"),
    ({"conditions": {"a": {"queue_above": -1}}}, "scenario.agent_groups.backup.conditions.a.queue_above", ">= 0"),
    ({"conditions": {"a": {"keep_idle": -2}}}, "scenario.agent_groups.backup.conditions.a.keep_idle", ">= 0"),
    ({"conditions": {"a": {"keep_idle": 1.5}}}, "scenario.agent_groups.backup.conditions.a.keep_idle", "whole number"),
    ({"conditions": {"a": {"after": 3}}}, "scenario.agent_groups.backup.conditions.a.after", "unknown key"),
    ({"conditions": {"fax": {"after_s": 3}}}, "scenario.agent_groups.backup.conditions.fax", "expected a contact type"),
    ({"conditions": {"b": {"after_s": 3}}}, "scenario.agent_groups.backup.conditions.b",
     "not among the group's skills"),
    ({"later_skills_after_s": -5}, "scenario.agent_groups.backup.later_skills_after_s", ">= 0"),
    ({"later_skills_after_s": "soon"}, "scenario.agent_groups.backup.later_skills_after_s", "expected a number"),
])
def test_bad_conditions_name_their_key(group, where, words):
    with pytest.raises(ConfigError) as err:
        _centre({"main": {"skills": ["a", "b"], "staffing": 1}, "backup": {"skills": ["a"], "staffing": 1, **group}},
                types=("a", "b"))
    assert err.value.where == where and words in err.value.message, str(err.value)


@pytest.mark.parametrize("extra, where, words", [
    ({"overflow": {"after_s": 10, "groups": ["main"]}}, "scenario.agent_groups.backup.conditions.a",
     "has an overflow rule"),
    ({"vip": {"share": 0.1, "priority": 5}}, "scenario.agent_groups.backup.conditions.a", "has a vip class"),
    ({"deferrable": {"reserve_agents": 1}}, "scenario.agent_groups.backup.conditions.a", "has deferrable work"),
])
def test_conditions_refuse_what_they_do_not_support(extra, where, words):
    with pytest.raises(ConfigError) as err:
        centre_config({
            "name": "x", "open_time": "00:00", "close_time": "01:00", "interval_minutes": 60,
            "channels": {"phone": {"service_level_threshold_s": 7200, "service_level_target": 0.8}},
            "contact_types": {"a": {"channel": "phone", "handle_time": det(60), **extra},
                              "b": {"channel": "phone", "handle_time": det(60)}},
            "agent_groups": {"main": {"skills": ["b"], "staffing": 1},
                             "backup": {"skills": ["a"], "staffing": 1, "conditions": {"a": {"after_s": 5}}}}})
    assert err.value.where == where and words in err.value.message, str(err.value)
