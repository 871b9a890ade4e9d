"""Intraday re-forecast and actions (sim.planning.intraday, experiments/intraday.py): the day factor's
posterior by hand and its coverage, the re-forecast carried into the simulation, the fewest extra agents
and the cheapest action, and bad actuals or action files.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import binomtest, gamma

from sim.engine.errors import ConfigError
from sim.model.config import load_config
from sim.planning.intraday import (action_cost, apply_action, cheapest_action, fewest_extra_agents,
                                   parse_actions, read_actuals, reforecast, reforecast_config, with_extra_agents)
from sim.planning.staffing import Targets

from .conftest import REPO

PHONE = {"service_level_threshold_s": 20, "service_level_target": 0.8}


def _config(busyness_cv=0.0, rate=120, staffing=4, state=None, replications=8):
    scenario = {"preset": "centre", "open_time": "08:00", "close_time": "12:00", "interval_minutes": 30,
                "busyness_cv": busyness_cv, "channels": {"phone": PHONE},
                "contact_types": {"calls": {"channel": "phone", "arrivals": {"rate_per_hour": rate},
                                            "handle_time": {"dist": "exponential", "mean_s": 120},
                                            "patience": {"dist": "exponential", "mean_s": 300}}},
                "agent_groups": {"agents": {"skills": ["calls"], "staffing": staffing}},
                "costs": {"wage_per_hour": {"agents": 20}, "overtime_premium": 1.5}}
    return load_config({"scenario": scenario, "run": {"replications": replications, "figures": False, "seed": 3},
                        "state": state or {"time": "10:00"}})


def _actuals(tmp_path, text):
    path = tmp_path / "actuals.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reforecast_posterior_by_hand(tmp_path):
    """60 forecast (2 intervals of 30 min at 60/h), 66 actual: without a prior, Gamma(66.5, rate 60);
    with a prior CV of 0.1, Gamma(100 + 66, rate 100 + 60)."""
    path = _actuals(tmp_path, "interval,contact_type,arrivals\n08:00,calls,30\n08:30,calls,36\n")
    config = _config(rate=60)
    ref = reforecast(config, read_actuals(path, config))
    assert (ref.actual, ref.forecast, ref.intervals) == (66, 60, 2)
    assert ref.ratio == pytest.approx(1.1)
    assert ref.factor == pytest.approx(66.5 / 60) and ref.factor_cv == pytest.approx(1 / math.sqrt(66.5))
    assert ref.low == pytest.approx(gamma.ppf(0.025, 66.5, scale=1 / 60))
    ref = reforecast(_config(busyness_cv=0.1, rate=60), read_actuals(path, config))
    assert ref.factor == pytest.approx(166 / 160) and ref.factor_cv == pytest.approx(1 / math.sqrt(166))


def test_the_factor_interval_covers_the_true_day_factor_as_often_as_its_level():
    """Days whose factor is drawn from the prior (CV 0.15), arrivals so far Poisson(B F): the 90%
    posterior interval covers B in a share of days whose binomial test accepts 0.90."""
    rng = np.random.default_rng(11)
    config = _config(busyness_cv=0.15, rate=60)
    n, hits = 2000, 0
    for _ in range(n):
        b = rng.gamma(1 / 0.15 ** 2, 0.15 ** 2)
        counts = rng.poisson(b * 30.0, 4)
        ref = reforecast(config, {"calls": dict(enumerate(counts.tolist()))}, confidence=0.9)
        hits += ref.low <= b <= ref.high
    assert binomtest(hits, n, 0.9).pvalue > 0.01


def test_the_reforecast_scales_the_rest_of_the_day_and_carries_its_uncertainty(tmp_path):
    config = _config(rate=60)
    ref = reforecast(config, {"calls": {0: 40, 1: 38}})
    scaled = reforecast_config(config, ref)
    assert scaled.scenario.contact_types["calls"].rate_per_hour[5] == pytest.approx(60 * ref.factor)
    assert scaled.scenario.busyness_cv == pytest.approx(ref.factor_cv)
    assert scaled.state == config.state and scaled.run.warmup_s == 7200.0


def test_more_volume_needs_at_least_as_many_extra_agents_and_meets_every_interval():
    config = _config(rate=120, staffing=3, replications=6)
    targets = Targets()
    plain = fewest_extra_agents(config, targets)
    busier = fewest_extra_agents(reforecast_config(config, reforecast(config, {"calls": {0: 80, 1: 80}})), targets)
    assert plain.feasible and busier.feasible
    assert not plain.before.interval_met.all()  # 3 agents for 4 Erlangs: every interval misses
    assert sum(busier.extra["agents"]) >= sum(plain.extra["agents"]) > 0
    assert len(plain.extra["agents"]) == 4  # 10:00 to 12:00 in 30-minute intervals


def test_extra_agents_go_into_the_states_rest_of_day_staffing():
    config = _config(staffing=3, state={"time": "10:15", "agents": {"agents": {"on_duty": 2, "absent": 1}}})
    more = with_extra_agents(config, {"agents": [1, 0, 2, 0]})  # 10:00 (the current interval) to 11:30
    gs = more.state.agents["agents"]
    assert gs.on_duty == 3 and gs.staffing == (3, 2, 4, 2)


def test_actions_cost_agent_hours_times_wage_and_the_cheapest_meeting_all_is_chosen():
    config = _config(rate=120, staffing=3, replications=6)
    actions = parse_actions({"few": {"add_agents": {"agents": 1}, "to": "11:00"},
                             "enough": {"add_agents": {"agents": 4}, "overtime": True},
                             "plenty": {"add_agents": {"agents": 6}, "cost": 9999}}, config)
    assert action_cost(config, actions[0]) == pytest.approx(1 * 1.0 * 20)  # 1 agent, 10:00-11:00
    assert action_cost(config, actions[1]) == pytest.approx(4 * 2.0 * 20 * 1.5)
    assert apply_action(config, actions[0]).state.agents["agents"].staffing == (4, 4, 3, 3)
    table, evaluations = cheapest_action(config, actions)
    assert list(table["action"][:2]) == ["enough", "plenty"] and table["meets_all"][:2].all()
    assert not evaluations["none"].interval_met.all()


def test_pausing_a_type_and_opening_callbacks():
    config = _config()
    paused, called = parse_actions({"pause": {"pause": ["calls"]},
                                    "cb": {"callbacks": {"calls": {"offer_threshold_s": 30, "acceptance": 1.0}}}},
                                   config)
    assert apply_action(config, paused).scenario.agent_groups["agents"].skills == ()
    assert apply_action(config, called).scenario.contact_types["calls"].callback.acceptance == 1.0


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("text, line, words", [
    ("interval,contact_type,arrivals\n08:00,bills,3\n", 2, "unknown contact type 'bills'"),
    ("interval,contact_type,arrivals\n08:00,calls,3\n10:00,calls,3\n", 3, "not over at the state's time"),
    ("interval,contact_type,arrivals\n08:10,calls,3\n", 2, "start of an interval"),
    ("interval,contact_type,arrivals\n08:00,calls,-3\n", 2, ">= 0"),
    ("interval,contact_type,arrivals\n08:00,calls,2.5\n", 2, "whole number"),
    ("interval,contact_type,arrivals\n08:00,calls,2\n08:00,calls,2\n", 3, "given twice"),
    ("interval,contact_type,arrivals\n8h,calls,2\n", 2, "HH:MM"),
    ("interval,type,arrivals\n08:00,calls,2\n", 1, "missing column 'contact_type'"),
])
def test_bad_actuals_name_the_file_and_line(tmp_path, text, line, words):
    path = _actuals(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        read_actuals(path, _config())
    assert err.value.where == f"{path}:{line}" and words in err.value.message, str(err.value)


@pytest.mark.parametrize("raw, where, words", [
    ({}, "actions", "at least one"),
    ({"a": {"add_agents": {"crew": 1}}}, "actions.a.add_agents.crew", "unknown agent group"),
    ({"a": {"add_agents": {"agents": 0}}}, "actions.a.add_agents.agents", ">= 1"),
    ({"a": {"add_agents": {"agents": 1}, "from": "09:00"}}, "actions.a.from", "from the state's time"),
    ({"a": {"pause": ["bills"]}}, "actions.a.pause[0]", "unknown contact type"),
    ({"a": {"cost": 3}}, "actions.a", "at least one of"),
    ({"a": {"add_agent": {"agents": 1}}}, "actions.a.add_agent", "unknown key"),
    ({"a": {"callbacks": {"calls": {"acceptance": 0.5}}}}, "actions.a.callbacks.calls.offer_threshold_s", "required"),
])
def test_bad_actions_name_the_key(raw, where, words):
    with pytest.raises(ConfigError) as err:
        parse_actions(raw, _config())
    assert err.value.where == where and words in err.value.message, str(err.value)


def _command(*args):
    return subprocess.run([sys.executable, "experiments/intraday.py", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_the_command_answers_with_the_example_files(tmp_path):
    out = tmp_path / "out"
    proc = _command("--state", "data/state/example_1100.yaml", "--actuals", "data/state/actuals_example.csv",
                    "--actions", "data/state/actions_example.yaml", "--replications", "4", "--quiet", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "re-forecast at 11:00" in proc.stdout and "recommended:" in proc.stdout
    for name in ("reforecast.csv", "projection.csv", "actions.csv", "recommended.csv", "projection.png"):
        assert (out / name).is_file(), name
    import pandas as pd

    projection = pd.read_csv(out / "projection.csv")
    for share in ("service_level", "abandon_rate"):  # a share's interval stays inside 0-100%
        bounds = projection[[f"{share}_low", f"{share}_high"]].dropna()
        assert ((bounds >= 0.0) & (bounds <= 1.0)).all().all(), share


@pytest.mark.parametrize("args, words", [
    (["--state", "data/state/nope.yaml"], "nope.yaml"),
    (["--state", "data/state/example_1100.yaml", "--actuals", "{bad}"], "actuals.csv:3"),
    (["--state", "data/state/example_1100.yaml", "--channels", "fax"], "--channels"),
    (["--state", "{state}"], "state.waiting[0].waited_s"),
    (["--replications", "4"], "--state"),
])
def test_the_command_fails_in_one_line_with_exit_2(tmp_path, args, words):
    (tmp_path / "actuals.csv").write_text("interval,contact_type,arrivals\n08:00,billing,3\n11:00,billing,3\n",
                                          encoding="utf-8")
    (tmp_path / "state.yaml").write_text("time: '11:00'\nwaiting: [{type: billing, waited_s: -1}]\n", encoding="utf-8")
    args = [a.replace("{bad}", str(tmp_path / "actuals.csv")).replace("{state}", str(tmp_path / "state.yaml"))
            for a in args]
    proc = _command(*args, "--out", str(tmp_path / "out"), "--quiet")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], proc.stderr
