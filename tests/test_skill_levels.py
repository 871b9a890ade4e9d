"""Skill levels per agent group and skill (sim.workforce.proficiency): 1 expert .. 3 novice.

A level's ``handle_time_factor`` multiplies the group's handle time of the type (with
``proficiency``: their product), its ``repeat_factor`` the type's repeat probability after a service
by the group, and its ``agent_score`` is the group's score under ``agent_selection: score`` where
``routing.agent_scores`` gives none.  Exact hand-checked traces for each, a paired directional
test by simulation (raising a group from level 3 to level 1 lowers ASA and repeat contacts: a
confidence interval from replications with common random numbers), and bad input (one-line
errors naming the key path).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import run_experiment
from sim.engine.errors import ConfigError
from sim.experiments.comparison import compare_replications
from sim.model.centre import simulate
from sim.model.config import parse_scenario
from sim.model.metrics import replication_summary
from sim.workforce.proficiency import DEFAULT_LEVELS, LevelSpec

from .conftest import centre_config
from .test_bad_input import assert_one_line_error, run_sim
from .test_model import _write_trace

PHONE = {"service_level_threshold_s": 20, "service_level_target": 0.8}


def det(mean_s: float) -> dict:
    return {"dist": "deterministic", "mean_s": mean_s}


def _scenario(types: dict, groups: dict, *, trace=None, levels=None, routing=None, hours=2) -> dict:
    scenario = {"name": "levels", "open_time": "00:00", "close_time": f"{hours:02d}:00", "interval_minutes": 60,
                "channels": {"phone": PHONE}, "contact_types": types, "agent_groups": groups}
    if trace is not None:
        scenario["trace"] = str(trace)
    if levels is not None:
        scenario["skill_levels"] = levels
    if routing is not None:
        scenario["routing"] = routing
    return scenario


def _contacts(scenario: dict):
    config = centre_config(scenario)
    return simulate(config.scenario, config.run, 0, keep_contacts=True)


# ------------------------------------------------------------------ handle time


def test_the_default_level_table_is_documented():
    assert DEFAULT_LEVELS == {1: LevelSpec(0.85, 0.7, 30.0, 1.0), 2: LevelSpec(1.0, 1.0, 20.0, 1.0),
                              3: LevelSpec(1.25, 1.4, 10.0, 1.0)}


def test_a_level_1_skill_is_worked_faster_and_a_level_3_skill_slower_exactly(tmp_path):
    # One agent, skills a (level 1), b (level 3), c (not listed: level 2). Every trace handle 100 s.
    # a1 at 0: 0-85 (100 x 0.85). b1 at 10 waits until 85: 85-210 (100 x 1.25), wait 75.
    # c1 at 20 waits until 210: 210-310 (level 2: x 1), wait 190.
    trace = _write_trace(tmp_path / "t.csv", [(0, "a", 100, None), (10, "b", 100, None), (20, "c", 100, None)])
    types = {t: {"channel": "phone", "handle_time": det(100)} for t in "abc"}
    groups = {"agents": {"skills": ["a", "b", "c"], "staffing": 1, "skill_levels": {"a": 1, "b": 3}}}
    c = _contacts(_scenario(types, groups, trace=trace)).contacts
    assert c.handle_time_s.tolist() == [85.0, 125.0, 100.0]
    assert c.end_time_s.tolist() == [85.0, 210.0, 310.0]
    assert c.wait_s.tolist() == [0.0, 75.0, 190.0]


def test_a_level_factor_and_proficiency_multiply_and_the_table_can_be_overridden(tmp_path):
    # b at level 3 with the table's factor set to 2 and proficiency 0.25: 100 x 0.25 x 2 = 50 s;
    # a at level 1 keeps the default 0.85: 85 s. Back to back from 0: a 0-85, b 85-135.
    trace = _write_trace(tmp_path / "t.csv", [(0, "a", 100, None), (1, "b", 100, None)])
    types = {t: {"channel": "phone", "handle_time": det(100)} for t in "ab"}
    groups = {"agents": {"skills": ["a", "b"], "staffing": 1, "skill_levels": {"a": 1, "b": 3},
                         "proficiency": {"b": 0.25}}}
    c = _contacts(_scenario(types, groups, trace=trace, levels={"3": {"handle_time_factor": 2.0}})).contacts
    assert c.handle_time_s.tolist() == [85.0, 50.0]
    assert c.end_time_s.tolist() == [85.0, 135.0]


def test_a_group_taking_a_type_by_overflow_works_it_at_level_2(tmp_path):
    # own (level 1 on a) takes a1 at 0: 0-85. a2 at 1 waits; after 10 s (at 11) it overflows to the
    # helpers, idle, who have no skill a: level 2, whose factor the table sets to 2: 11-211.
    trace = _write_trace(tmp_path / "t.csv", [(0, "a", 100, None), (1, "a", 100, None)])
    types = {"a": {"channel": "phone", "handle_time": det(100), "overflow": {"after_s": 10, "groups": ["helpers"]}},
             "b": {"channel": "phone", "handle_time": det(100)}}
    groups = {"own": {"skills": ["a"], "staffing": 1, "skill_levels": {"a": 1}},
              "helpers": {"skills": ["b"], "staffing": 1}}
    c = _contacts(_scenario(types, groups, trace=trace, levels={"2": {"handle_time_factor": 2.0}})).contacts
    assert c.agent_group.tolist() == [0, 1]
    assert c.end_time_s.tolist() == [85.0, 211.0]


def test_a_scenario_without_levels_keeps_its_handle_times_and_scores(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "a", 100, None)])
    scenario = _scenario({"a": {"channel": "phone", "handle_time": det(100)}},
                         {"agents": {"skills": ["a"], "staffing": 1}}, trace=trace,
                         routing={"agent_selection": "score"})
    config = centre_config(scenario)
    assert config.scenario.skill_levels is None
    assert _contacts(scenario).contacts.handle_time_s.tolist() == [100.0]


# ------------------------------------------------------------------ agent score


def _two_groups(tmp_path, levels: dict | None, agent_scores: dict | None = None):
    # novices (listed first) and experts, one agent each, both idle from 0; contact type a, handle 10 s.
    trace = _write_trace(tmp_path / "t.csv", [(0, "a", 10, None), (20, "a", 10, None), (100, "a", 10, None)])
    routing = {"agent_selection": "score"}
    if agent_scores is not None:
        routing["agent_scores"] = agent_scores
    novices, experts = {"skills": ["a"], "staffing": 1}, {"skills": ["a"], "staffing": 1}
    if levels is not None:
        novices["skill_levels"], experts["skill_levels"] = {"a": levels["novices"]}, {"a": levels["experts"]}
    result = _contacts(_scenario({"a": {"channel": "phone", "handle_time": det(10)}},
                                 {"novices": novices, "experts": experts}, trace=trace, routing=routing))
    names = ("novices", "experts")
    return [names[g] for g in result.contacts.agent_group], result.contacts


def test_under_score_routing_the_level_1_group_takes_a_contact_although_idle_shorter(tmp_path):
    # Scores (idle_weight 1 per s): experts (level 1) 30, novices (level 3) 10.
    # a1 at 0: both idle 0 s: experts 30 > novices 10 -> experts, 0-8.5 (10 x 0.85).
    # a2 at 20: experts idle 11.5 s: 41.5; novices idle 20 s: 30 -> experts although idle shorter, 20-28.5.
    # a3 at 100: experts idle 71.5 s: 101.5; novices idle 100 s: 110 -> novices, 100-112.5 (10 x 1.25).
    served, c = _two_groups(tmp_path, {"novices": 3, "experts": 1})
    assert served == ["experts", "experts", "novices"]
    assert c.wait_s.tolist() == [0.0, 0.0, 0.0]
    assert c.end_time_s.tolist() == [8.5, 28.5, 112.5]
    # without levels every score is 0: a1 to the group listed first, a2 to the one idle longer (experts)
    served, _ = _two_groups(tmp_path, None)
    assert served == ["novices", "experts", "novices"]


def test_explicit_agent_scores_win_over_the_level_score(tmp_path):
    # novices' explicit 100 beats the experts' level score 30 at a1 (novices 0-12.5: 10 x 1.25); a2 at 20:
    # novices idle 7.5 s (107.5) against experts idle 20 s (50) -> novices again.
    served, _ = _two_groups(tmp_path, {"novices": 3, "experts": 1}, {"novices": {"a": 100}})
    assert served[:2] == ["novices", "novices"]


# ------------------------------------------------------------------ repeat contacts


def _repeat_kpis(tmp_path, groups: dict, types_extra: dict | None = None, levels=None) -> dict:
    trace = _write_trace(tmp_path / "t.csv", [(0, "a", 10, None), (100, "a", 10, None), (200, "a", 10, None)])
    types = {"a": {"channel": "phone", "handle_time": det(10),
                   "repeat": {"probability": 0.5, "delay": det(1000), "max_repeats": 1}, **(types_extra or {})},
             "a2": {"channel": "phone", "handle_time": det(10)}}
    config = centre_config(_scenario(types, groups, trace=trace, levels=levels))
    result = simulate(config.scenario, config.run, 0)
    kpis = replication_summary(result, config.scenario, config.run)
    return {k: kpis[("phone", k)] for k in ("arrivals", "repeat_contacts", "fcr")}


# repeat_factor 0 for level 1 and 2 for level 3: the repeat probability 0.5 becomes 0 or 1 (deterministic)
LEVELS = {"1": {"repeat_factor": 0.0}, "3": {"repeat_factor": 2.0}}


@pytest.mark.parametrize("level, repeats", [(1, 0), (3, 3)])
def test_the_serving_groups_level_scales_the_repeat_probability_exactly(tmp_path, level, repeats):
    # Three contacts of a, each answered: level 1 (p 0.5 x 0 = 0) resolves all three on first contact;
    # level 3 (p 0.5 x 2 = 1) sends each back once (at +1000 s, max_repeats 1), and the repeats are not
    # resolved either (p 1 again), so no issue is resolved and fcr is undefined.
    groups = {"agents": {"skills": ["a", "a2"], "staffing": 1, "skill_levels": {"a": level}}}
    kpis = _repeat_kpis(tmp_path, groups, levels=LEVELS)
    fcr = kpis.pop("fcr")
    assert kpis == {"arrivals": 3 + repeats, "repeat_contacts": repeats}
    assert fcr == 1.0 if level == 1 else np.isnan(fcr)


def test_after_an_escalation_the_level_of_the_last_service_counts(tmp_path):
    # Every a escalates to a2 (probability 1). Tier 1 is level 3 on a (p 1), tier 2 level 1 on a2 (p 0):
    # the last service is tier 2's, so no issue comes back (resolved, though not on first contact).
    groups = {"tier1": {"skills": ["a"], "staffing": 1, "skill_levels": {"a": 3}},
              "tier2": {"skills": ["a2"], "staffing": 1, "skill_levels": {"a2": 1}}}
    esc = {"escalation": {"probability": 1.0, "to": "a2"}}
    assert _repeat_kpis(tmp_path, groups, esc, LEVELS) == {"arrivals": 3, "repeat_contacts": 0, "fcr": 0.0}
    groups["tier1"]["skill_levels"] = {"a": 1}  # the first service's level does not count after an escalation
    assert _repeat_kpis(tmp_path, groups, esc, LEVELS)["repeat_contacts"] == 0
    groups["tier2"]["skill_levels"] = {"a2": 3}  # tier 2 a novice too: every issue comes back once
    assert _repeat_kpis(tmp_path, groups, esc, LEVELS)["repeat_contacts"] == 3


# ------------------------------------------------------------------ by simulation


def _centre(level: int, reps: int = 12):
    return centre_config(_scenario(
        {"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 100},
                   "handle_time": {"dist": "lognormal", "mean_s": 300, "cv": 0.8},
                   "patience": {"dist": "exponential", "mean_s": 300},
                   "repeat": {"probability": 0.3, "delay": {"dist": "exponential", "mean_s": 1800}}}},
        {"agents": {"skills": ["calls"], "staffing": 10, "skill_levels": {"calls": level}}}, hours=4),
        replications=reps, seed=7)


def test_raising_a_group_from_level_3_to_level_1_lowers_asa_and_repeat_contacts():
    novice, expert = run_experiment(_centre(3)), run_experiment(_centre(1))
    diff = compare_replications(novice.replications, expert.replications, 0.95).set_index(["channel", "metric"])
    for metric in ("asa_s", "aht_s", "repeat_contacts"):
        row = diff.loc[("phone", metric)]
        assert row["diff_ci_high"] < 0, (metric, row.to_dict())
    assert diff.loc[("phone", "fcr"), "diff_ci_low"] > 0


# ------------------------------------------------------------------ bad input

BASE_TYPES = {"a": {"channel": "phone", "handle_time": det(100),
                    "repeat": {"probability": 0.8, "delay": det(60)}},
              "b": {"channel": "phone", "handle_time": det(100)}}


@pytest.mark.parametrize("group_levels, table, where, words", [
    ({"a": 4}, None, "scenario.agent_groups.agents.skill_levels.a", "1 (expert), 2 (standard) or 3 (novice)"),
    ({"a": 0}, None, "scenario.agent_groups.agents.skill_levels.a", "got 0"),
    ({"a": 1.5}, None, "scenario.agent_groups.agents.skill_levels.a", "got 1.5"),
    ({"a": True}, None, "scenario.agent_groups.agents.skill_levels.a", "got True"),
    ({"a": "expert"}, None, "scenario.agent_groups.agents.skill_levels.a", "'expert'"),
    ({"zz": 1}, None, "scenario.agent_groups.agents.skill_levels.zz", "unknown contact type"),
    ({"b": 1}, None, "scenario.agent_groups.agents.skill_levels.b", "not a skill of this group"),
    (None, {"4": {"agent_score": 1}}, "scenario.skill_levels.4", "skill level 1 (expert)"),
    (None, {"0": {}}, "scenario.skill_levels.0", "skill level"),
    (None, {"one": {}}, "scenario.skill_levels.one", "skill level"),
    (None, {1: {}, "1": {}}, "scenario.skill_levels.1", "given twice"),
    (None, {"1": {"handle_time_factor": 0}}, "scenario.skill_levels.1.handle_time_factor", "positive"),
    (None, {"1": {"repeat_factor": -0.5}}, "scenario.skill_levels.1.repeat_factor", ">= 0"),
    (None, {"1": {"agent_score": 1e9}}, "scenario.skill_levels.1.agent_score", "<= 1e+06"),
    (None, {"1": {"handle_factor": 1}}, "scenario.skill_levels.1.handle_factor", "did you mean 'handle_time_factor'"),
    (None, {"1": 0.9}, "scenario.skill_levels.1", "mapping"),
    # repeat probability 0.8 x level 3's 1.4 = 1.12 > 1: named at the group's level ...
    ({"a": 3}, None, "scenario.agent_groups.agents.skill_levels.a", "0.8 x 1.4 = 1.12"),
    # ... or, for a skill left at level 2, at the table's factor that raises it
    (None, {"2": {"repeat_factor": 1.5}}, "scenario.skill_levels.2.repeat_factor", "expected at most 1"),
])
def test_bad_skill_levels_name_the_key_in_one_line(group_levels, table, where, words):
    group = {"skills": ["a"], "staffing": 1}
    other = {"skills": ["b"], "staffing": 1}
    if group_levels is not None:
        group["skill_levels"] = group_levels
    raw = _scenario(BASE_TYPES, {"agents": group, "others": other}, levels=table)
    with pytest.raises(ConfigError) as err:
        parse_scenario(raw)
    assert err.value.where == where, str(err.value)
    assert words in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("overrides, expected", [
    (["+scenario.agent_groups.specialists.skill_levels.technical=4"],
     ["scenario.agent_groups.specialists.skill_levels.technical", "1 (expert), 2 (standard) or 3 (novice)", "4"]),
    (["+scenario.skill_levels.5.handle_time_factor=0.9"], ["scenario.skill_levels.5", "skill level"]),
    (["+scenario.agent_groups.tech_support.skill_levels.technical=3",
      "scenario.contact_types.technical.repeat.probability=0.8"],
     ["scenario.agent_groups.tech_support.skill_levels.technical", "= 1.12", "expected at most 1"]),
])
def test_cli_reports_bad_skill_levels_in_one_line_with_exit_2(tmp_path, overrides, expected):
    proc, out = run_sim(tmp_path, *overrides)
    assert_one_line_error(proc, out, *expected)


def test_levels_are_read_from_strings_or_numbers_and_unlisted_skills_are_level_2():
    raw = _scenario(BASE_TYPES, {"agents": {"skills": ["a", "b"], "staffing": 1, "skill_levels": {"a": 1.0}}},
                    levels={1: {"agent_score": 50}, "3": {"repeat_factor": 1.2}})
    levels = parse_scenario(raw).skill_levels
    assert levels.level("agents", "a") == 1 and levels.level("agents", "b") == 2
    assert levels.table[1] == LevelSpec(0.85, 0.7, 50.0) and levels.table[3] == LevelSpec(1.25, 1.2, 10.0)
    assert np.isclose(levels.of("agents", "a").repeat_factor, 0.7)


# ------------------------------------------------------------------ transfer rate


def _escalated(tmp_path, level: int, rule: dict, factors: dict) -> int:
    """Escalated contacts among three answered by tier 1 at ``level`` on ``a`` (``rule``: a's escalation
    or transfers), with the table's ``transfer_factor`` per level from ``factors``."""
    trace = _write_trace(tmp_path / "t.csv", [(0, "a", 10, None), (100, "a", 10, None), (200, "a", 10, None)])
    types = {"a": {"channel": "phone", "handle_time": det(10), **rule},
             "a2": {"channel": "phone", "handle_time": det(10)}}
    groups = {"tier1": {"skills": ["a"], "staffing": 1, "skill_levels": {"a": level}},
              "tier2": {"skills": ["a2"], "staffing": 1}}
    table = {str(k): {"transfer_factor": f} for k, f in factors.items()}
    result = _contacts(_scenario(types, groups, trace=trace, levels=table))
    return int(result.contacts.escalated.sum())


ESCALATION = {"escalation": {"probability": 0.5, "to": "a2"}}
TRANSFERS = {"transfers": {"destinations": [{"to": "a2", "probability": 0.9, "probability_by_group": {"tier1": 0.5}}]}}


@pytest.mark.parametrize("rule", [ESCALATION, TRANSFERS], ids=["escalation", "transfers"])
@pytest.mark.parametrize("level, escalated", [(1, 0), (3, 3)])
def test_the_serving_groups_transfer_factor_scales_its_escalation_probability_exactly(tmp_path, rule, level,
                                                                                      escalated):
    # tier1's probability is 0.5 (the escalation's, or its probability_by_group entry); level 1's factor 0
    # makes it 0 (no contact escalates), level 3's factor 2 makes it 1 (all three do).
    assert _escalated(tmp_path, level, rule, {1: 0.0, 3: 2.0}) == escalated


def test_the_default_transfer_factor_is_1_at_every_level_and_keeps_the_draws(tmp_path):
    # Factor 1 at every level: the same escalations as the same scenario without levels.
    assert all(spec.transfer_factor == 1.0 for spec in DEFAULT_LEVELS.values())
    with_levels = [_escalated(tmp_path, level, ESCALATION, {}) for level in (1, 2, 3)]
    assert len(set(with_levels)) == 1


def test_a_transfer_factor_summing_the_probabilities_above_1_names_the_key():
    types = {"a": {"channel": "phone", "handle_time": det(10), **ESCALATION},
             "a2": {"channel": "phone", "handle_time": det(10)}}
    groups = {"tier1": {"skills": ["a"], "staffing": 1, "skill_levels": {"a": 3}},
              "tier2": {"skills": ["a2"], "staffing": 1}}
    with pytest.raises(ConfigError) as err:
        parse_scenario(_scenario(types, groups, levels={"3": {"transfer_factor": 2.5}}))
    assert err.value.where == "scenario.agent_groups.tier1.skill_levels.a", str(err.value)
    assert "0.5 x 2.5 = 1.25" in str(err.value) and "expected at most 1" in str(err.value)
    groups["tier1"]["skill_levels"] = {}
    with pytest.raises(ConfigError) as err:
        parse_scenario(_scenario(types, groups, levels={"2": {"transfer_factor": 3}}))
    assert err.value.where == "scenario.skill_levels.2.transfer_factor", str(err.value)
