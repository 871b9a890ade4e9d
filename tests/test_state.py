"""Starting from the centre's current state (sim.model.state): residual handle times and patience,
an exact hand-checked trace, a state snapshot continued like the day run through, and bad state files.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from sim.engine.distributions import Distribution, residual
from sim.engine.errors import ConfigError
from sim.engine.records import OUTCOMES
from sim.experiments.stats import t_interval, welch_half_width
from sim.model.centre import simulate, snapshot_at
from sim.model.config import load_config
from sim.model.metrics import replication_summary
from sim.model.state import load_state, parse_state, state_run, state_to_dict

from .conftest import REPO, centre_config

PHONE = {"service_level_threshold_s": 20, "service_level_target": 0.8}


def det(mean_s: float) -> dict:
    return {"dist": "deterministic", "mean_s": mean_s}


def _tiny(handle=det(600), patience=det(300), staffing=1, callback=False, hours=3):
    billing = {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": handle, "patience": patience}
    if callback:
        billing["callback"] = {"offer_threshold_s": 1e9, "acceptance": 1.0, "success": 1.0,
                               "attempt_time": det(30)}
    return centre_config({"open_time": "08:00", "close_time": f"{8 + hours:02d}:00", "interval_minutes": 60,
                          "channels": {"phone": PHONE}, "contact_types": {"billing": billing},
                          "agent_groups": {"agents": {"skills": ["billing"], "staffing": staffing}}})


def _run_state(config, raw, replication=0):
    state = parse_state(raw, config.scenario, config.run)
    run = state_run(config.run, state)
    return simulate(config.scenario, run, replication, keep_contacts=True, state=state), run, state


# ------------------------------------------------------------------ residual draws

def _conditional_cdf(dist: Distribution, elapsed: float):
    if dist.kind == "lognormal":
        sigma = math.sqrt(math.log1p(dist.cv ** 2))
        law = stats.lognorm(sigma, scale=math.exp(math.log(dist.mean_s) - sigma ** 2 / 2))
    else:
        shape = 1 / dist.cv ** 2
        law = stats.gamma(shape, scale=dist.mean_s / shape)
    tail = law.sf(elapsed)
    return lambda r: 1.0 - law.sf(elapsed + np.asarray(r)) / tail


@pytest.mark.parametrize("dist, elapsed", [(Distribution("lognormal", 300, 0.7), 300.0),
                                           (Distribution("lognormal", 300, 1.5), 900.0),
                                           (Distribution("gamma", 420, 0.5), 300.0),
                                           (Distribution("gamma", 300, 1.2), 1200.0)])
def test_residual_time_follows_the_conditional_law_given_the_time_already_spent(dist, elapsed):
    draws = residual(dist, elapsed, np.random.default_rng(7), 4000)
    assert stats.kstest(draws, _conditional_cdf(dist, elapsed)).pvalue > 0.01


def test_residual_of_memoryless_deterministic_and_empirical_laws():
    rng = np.random.default_rng(3)
    exp = residual(Distribution("exponential", 200), 500.0, rng, 4000)
    assert stats.kstest(exp, stats.expon(scale=200).cdf).pvalue > 0.01
    assert residual(Distribution("deterministic", 600), 200.0, rng) == 400.0
    assert residual(Distribution("deterministic", 600), 700.0, rng) == 0.0
    emp = Distribution("empirical", 200, None, (100.0, 200.0, 300.0))
    assert set(residual(emp, 150.0, rng, 200).tolist()) == {50.0, 150.0}
    assert residual(emp, 400.0, rng) == 0.0


def test_a_contact_five_minutes_into_a_lognormal_service_ends_after_a_conditional_residual():
    """Through the model: 2,000 contacts in service for 300 s on 2,000 agents; their service ends
    (measured from the state's time) follow the conditional law (KS test)."""
    handle = {"dist": "lognormal", "mean_s": 300, "cv": 0.7}
    config = _tiny(handle=handle, staffing=2000)
    result, run, _ = _run_state(config, {"time": "09:00", "in_service": [
        {"type": "billing", "group": "agents", "elapsed_s": 300, "count": 2000}]})
    ends = result.contacts.end_time_s - 3600.0
    assert len(ends) == 2000 and (ends > 0).all()
    assert stats.kstest(ends, _conditional_cdf(Distribution("lognormal", 300, 0.7), 300.0)).pvalue > 0.01
    assert np.allclose(result.contacts.handle_time_s, 300.0 + ends)


def test_waiting_contacts_abandon_after_a_residual_patience():
    patience = {"dist": "gamma", "mean_s": 200, "cv": 0.8}
    config = _tiny(patience=patience, staffing=0)
    result, _, _ = _run_state(config, {"time": "09:00", "waiting": [
        {"type": "billing", "waited_s": 150, "count": 2000}]})
    c = result.contacts
    assert (np.asarray(OUTCOMES)[c.outcome] == "abandoned").all()
    left = c.end_time_s - 3600.0
    assert stats.kstest(left, _conditional_cdf(Distribution("gamma", 200, 0.8), 150.0)).pvalue > 0.01
    assert np.allclose(c.wait_s, 150.0 + left)


# ------------------------------------------------------------------ an exact trace

def test_state_trace_in_service_waiting_and_held_callback_by_hand():
    """One agent at 09:00 (t0 = 3600 s) serving a call for 200 s of its 600 s; a caller who has waited
    100 s of a 300 s patience; a callback held for 50 s.  The call ends at t0 + 400; the caller abandons
    at t0 + 200 (after 300 s); the agent then calls back at t0 + 400 and serves it until t0 + 1000."""
    config = _tiny(callback=True)
    result, run, _ = _run_state(config, {"time": "09:00", "in_service": [
        {"type": "billing", "group": "agents", "elapsed_s": 200}],
        "waiting": [{"type": "billing", "waited_s": 100}, {"type": "billing", "waited_s": 50, "callback": True}]})
    c = result.contacts
    rows = sorted(zip(c.arrival_time_s, np.asarray(OUTCOMES)[c.outcome], c.end_time_s, c.wait_s))
    assert rows[0][:3] == (3400.0, "answered", 4000.0)  # in service since 3400, ends at t0 + 400
    assert rows[1][:3] == (3500.0, "abandoned", 3800.0)  # waited 100 + 200 = its 300 s patience
    assert rows[2][:3] == (3550.0, "answered", 4600.0)  # the held callback: taken at 4000, served 600 s
    assert rows[2][3] == 450.0
    assert run.warmup_s == 3600.0


def test_no_arrival_before_the_state_time_and_the_rest_of_day_staffing_applies():
    config = centre_config({"open_time": "08:00", "close_time": "12:00", "interval_minutes": 60,
                            "channels": {"phone": PHONE},
                            "contact_types": {"billing": {"channel": "phone", "arrivals": {"rate_per_hour": 60},
                                                          "handle_time": det(60), "patience": None}},
                            "agent_groups": {"agents": {"skills": ["billing"], "staffing": 3}}})
    raw = {"time": "10:30", "agents": {"agents": {"on_duty": 1, "absent": 1, "overtime": {"11:00": 2}}}}
    result, run, state = _run_state(config, raw)
    assert result.contacts.arrival_time_s.min() >= 9000.0
    assert state.agents["agents"].staffing == (2, 4)  # 10:00 (the current interval), 11:00
    staffed = result.segments.staffed_area.sum(axis=1)
    bounds = result.segments.bounds_s
    by_start = {float(lo): s for lo, s in zip(bounds[:-1], staffed)}
    assert by_start[9000.0] == pytest.approx(1 * 1800)  # 1 on duty from 10:30 to 11:00
    assert by_start[10800.0] == pytest.approx(4 * 3600)


def test_labour_is_paid_from_the_state_time_not_for_the_morning_before_it():
    from sim.workforce.costs import replication_costs

    config = centre_config({"open_time": "08:00", "close_time": "12:00", "interval_minutes": 60,
                            "channels": {"phone": PHONE},
                            "contact_types": {"billing": {"channel": "phone", "arrivals": {"rate_per_hour": 0},
                                                          "handle_time": det(60), "patience": None}},
                            "agent_groups": {"agents": {"skills": ["billing"], "staffing": 3}},
                            "costs": {"wage_per_hour": {"agents": 10.0}}})
    raw = {"time": "10:30", "agents": {"agents": {"on_duty": 1, "absent": 1, "overtime": {"11:00": 2}}}}
    result, _, _ = _run_state(config, raw)
    # 1 agent from 10:30 to 11:00, 4 from 11:00 to 12:00: 4.5 agent-hours at 10 an hour (the morning's
    # 3 agents from 08:00 to 10:30, logged in before the state, are not the rest of the day's cost)
    assert result.costs_from_s == 9000.0
    assert replication_costs(result, config.scenario)["labour_cost"] == pytest.approx(45.0)


# ------------------------------------------------------------------ continuing a snapshot

def _continuation_config(**run):
    types = {
        "billing": {"channel": "phone", "arrivals": {"volume": 900, "profile": [3, 4, 5, 5, 4, 4, 3, 3]},
                    "handle_time": {"dist": "lognormal", "mean_s": 300, "cv": 0.9},
                    "patience": {"dist": "lognormal", "mean_s": 150, "cv": 1.0}},
        "technical": {"channel": "phone", "arrivals": {"volume": 500, "profile": [2, 3, 4, 4, 4, 3, 3, 2]},
                      "handle_time": {"dist": "gamma", "mean_s": 420, "cv": 0.7},
                      "patience": {"dist": "gamma", "mean_s": 240, "cv": 0.8},
                      "escalation": {"probability": 0.2, "to": "tier2"}},
        "tier2": {"channel": "phone", "arrivals": None, "handle_time": {"dist": "gamma", "mean_s": 600, "cv": 0.6},
                  "patience": {"dist": "exponential", "mean_s": 600}},
    }
    groups = {"tier1": {"skills": ["billing", "technical"], "staffing": [9, 12, 14, 14, 11, 11, 10, 9]},
              "tier2": {"skills": ["tier2", "technical"], "staffing": [2, 3, 3, 3, 3, 2, 2, 2]}}
    return centre_config({"open_time": "08:00", "close_time": "12:00", "interval_minutes": 30,
                          "channels": {"phone": PHONE}, "contact_types": types, "agent_groups": groups}, **run)


METRICS = ("service_level", "abandon_rate", "asa_s", "occupancy", "answered")


def test_a_state_taken_mid_day_and_continued_gives_the_rest_of_the_day_of_the_day_run_through():
    """Replication r run through (seed A) measured from 10:00, against the same replication's state at 10:00
    continued with other random numbers (seed B): every end-of-day KPI's two-sample (Welch) interval of
    the difference covers 0."""
    n = 60
    base = _continuation_config(warmup_hours=2, seed=11)
    through = {m: [] for m in METRICS}
    continued = {m: [] for m in METRICS}
    other = state_run(_continuation_config(seed=99).run, parse_state({"time": "10:00"}, base.scenario))
    for r in range(n):
        res = simulate(base.scenario, base.run, r)
        kpis = replication_summary(res, base.scenario, base.run)
        state = snapshot_at(base.scenario, base.run, r, 7200.0)
        again = simulate(base.scenario, other, r, state=state)
        kpis2 = replication_summary(again, base.scenario, other)
        for m in METRICS:
            through[m].append(kpis[("all", m)])
            continued[m].append(kpis2[("all", m)])
    for m in METRICS:
        a, b = np.asarray(through[m]), np.asarray(continued[m])
        half, _ = welch_half_width(a, b, 0.95)
        diff = b.mean() - a.mean()
        ia, ib = t_interval(a), t_interval(b)
        assert abs(diff) <= half, f"{m}: {a.mean():.4g} vs {b.mean():.4g} (±{half:.3g})"
        assert ia.low <= ib.high and ib.low <= ia.high  # the confidence intervals overlap


def test_a_snapshot_round_trips_through_the_state_file_format():
    base = _continuation_config(seed=5)
    state = snapshot_at(base.scenario, base.run, 0, 7200.0)
    again = parse_state(state_to_dict(state, base.scenario), base.scenario)
    assert sorted(again.waiting, key=repr) == sorted(
        [type(w)(w.contact_type, round(w.waited_s, 3), w.callback) for w in state.waiting], key=repr)
    assert len(again.in_service) == len(state.in_service) > 0
    assert again.agents == state.agents


def test_the_default_centre_runs_from_the_example_state_file():
    config = load_config({"scenario": _default_scenario(), "run": {"replications": 1, "figures": False},
                          "state": str(REPO / "data/state/example_1100.yaml")})
    assert config.run.warmup_s == 3 * 3600.0
    assert len(config.state.waiting) == 60 and len(config.state.in_service) == 39  # 14 calls, 2 chats, 44 posts and emails
    result = simulate(config.scenario, config.run, 0, state=config.state)
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "offered")] > 0


def _default_scenario():
    from sim.engine.inputs import load_yaml

    return load_yaml(REPO / "configs/scenario/default.yaml")


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("raw, where, words", [
    ({"time": "07:30"}, "state.time", "within the opening hours"),
    ({"time": "20:00"}, "state.time", "within the opening hours"),
    ({"time": "25:00"}, "state.time", "HH:MM"),
    ({}, "state.time", "required"),
    ({"time": "09:00", "waiting": [{"type": "billing", "waited_s": -5}]}, "state.waiting[0].waited_s", ">= 0"),
    ({"time": "09:00", "waiting": [{"type": "bills", "waited_s": 5}]}, "state.waiting[0].type", "unknown contact type"),
    ({"time": "09:00", "waiting": [{"type": "billing", "waited_s": 5, "callback": True}]},
     "state.waiting[0].callback", "no virtual-hold callback"),
    ({"time": "09:00", "in_service": [{"type": "billing", "group": "nobody", "elapsed_s": 5}]},
     "state.in_service[0].group", "unknown agent group"),
    ({"time": "09:00", "in_service": [{"type": "billing", "group": "agents", "elapsed_s": 5, "count": 3}]},
     "state.in_service[0]", "3 contacts in service on group 'agents' but 1 agents on duty"),
    ({"time": "09:00", "agents": {"agents": {"on_duty": 2}}, "in_service": [
        {"type": "billing", "group": "agents", "elapsed_s": 5, "count": 3}]}, "state.in_service[0]", "but 2 agents"),
    ({"time": "09:00", "agents": {"crew": {"on_duty": 2}}}, "state.agents.crew", "unknown agent group"),
    ({"time": "09:00", "agents": {"agents": {"on_duty": -1}}}, "state.agents.agents.on_duty", ">= 0"),
    ({"time": "09:00", "agents": {"agents": {"overtime": {"07:00": 1}}}}, "state.agents.agents.overtime.07:00",
     "remaining interval"),
    ({"time": "09:00", "agents": {"agents": {"staffing": [1]}}}, "state.agents.agents.staffing", "expected 2 values"),
    ({"time": "09:00", "backlog": [{"type": "billing", "age": 5}]}, "state.backlog[0].age", "unknown key"),
    ({"time": "09:00", "waiting": {"type": "billing"}}, "state.waiting", "expected a list"),
])
def test_bad_state_names_the_key_and_what_was_expected(raw, where, words):
    config = _tiny()
    with pytest.raises(ConfigError) as err:
        parse_state(raw, config.scenario, config.run)
    assert err.value.where == where, str(err.value)
    assert words in err.value.message


def test_a_bad_state_file_fails_the_command_in_one_line_naming_the_file_and_key(tmp_path):
    path = tmp_path / "state.yaml"
    path.write_text("time: '11:00'\nwaiting:\n  - {type: billing, waited_s: -3}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_state(path, _tiny(hours=6).scenario)
    assert str(err.value).startswith(f"{path}: state.waiting[0].waited_s: ")
    proc = subprocess.run([sys.executable, "-m", "sim", f"+state={path}", "run.replications=1",
                           f"hydra.run.dir={tmp_path / 'out'}"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "state.waiting[0].waited_s" in lines[0] and str(path) in lines[0], proc.stderr
    path.write_text("time: '11:00'\nwaiting: [{type: billing, waited_s: [1\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "sim", f"+state={path}", "run.replications=1",
                           f"hydra.run.dir={tmp_path / 'out'}"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and f"{path}:" in proc.stderr


def test_a_state_with_warm_up_or_several_days_is_refused():
    base = {"scenario": _default_scenario(), "state": str(REPO / "data/state/example_1100.yaml")}
    with pytest.raises(ConfigError) as err:
        load_config(dict(base, run={"warmup_hours": 1}))
    assert err.value.where == "run.warmup_hours"
    with pytest.raises(ConfigError) as err:
        load_config(dict(base, run={"days": 2}))
    assert "run.days" in str(err.value)


# ------------------------------------------------------------------ conservation, direction, the command

def test_every_carried_contact_and_every_later_arrival_ends_exactly_once():
    base = _continuation_config(seed=21)
    state = snapshot_at(base.scenario, base.run, 0, 7200.0)
    run = state_run(base.run, state)
    result = simulate(base.scenario, run, 3, keep_contacts=True, state=state)
    c = result.contacts
    carried = c.arrival_time_s < 7200.0
    assert carried.sum() == len(state.waiting) + len(state.in_service) > 0
    assert len(set(c.contact_id.tolist())) == len(c.contact_id)
    outcomes = np.asarray(OUTCOMES)[c.outcome]
    assert set(outcomes) <= {"answered", "abandoned"}  # drained: every contact has its final outcome
    assert np.isfinite(c.end_time_s).all() and (c.end_time_s >= 7200.0).all()


def test_absences_and_a_longer_queue_lower_the_rest_of_the_days_service_level():
    """Paired over 20 replications (common random numbers): 3 tier-1 agents absent, or 20 more calls
    waiting 2 minutes at 10:00, lower the service level of the rest of the day."""
    base = _continuation_config()
    plain = {"time": "10:00"}
    absent = {"time": "10:00", "agents": {"tier1": {"absent": 3}}}
    queued = {"time": "10:00", "waiting": [{"type": "billing", "waited_s": 120, "count": 20}]}
    sl = {}
    for name, raw in (("plain", plain), ("absent", absent), ("queued", queued)):
        state = parse_state(raw, base.scenario)
        run = state_run(base.run, state)
        sl[name] = [replication_summary(simulate(base.scenario, run, r, state=state), base.scenario, run)
                    [("all", "service_level")] for r in range(20)]
    from sim.experiments.stats import paired_difference

    assert paired_difference(sl["plain"], sl["absent"]).high < 0
    assert paired_difference(sl["plain"], sl["queued"]).high < 0


def test_python_m_sim_reports_every_remaining_interval_from_the_state(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "sim", "+state=data/state/example_1100.yaml", "run.replications=2",
                           "run.figures=false", f"hydra.run.dir={out}"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "from the state at 11:00" in proc.stdout
    import pandas as pd

    intervals = pd.read_csv(out / "intervals.csv")
    assert list(dict.fromkeys(intervals["interval"]))[0] == "11:00"
    assert intervals["interval"].nunique() == 18  # 11:00 to 19:30


@pytest.mark.parametrize("hours", [3.0, 5.5, 9.0])
def test_a_snapshot_of_the_default_centre_reads_back_and_runs_on(hours):
    """Journeys, VIP and overflow queues, a chat team holding two chats, email behind a reserve, agents
    logging off after their contact: the state file of a simulated day reads back and continues."""
    config = load_config({"scenario": _default_scenario(), "run": {"replications": 1, "figures": False}})
    state = snapshot_at(config.scenario, config.run, 2, hours * 3600)
    again = parse_state(state_to_dict(state, config.scenario), config.scenario, config.run)
    assert len(again.waiting) == len(state.waiting) and len(again.in_service) == len(state.in_service)
    run = state_run(config.run, again)
    kpis = replication_summary(simulate(config.scenario, run, 0, state=again), config.scenario, run)
    assert kpis[("phone", "offered")] > 0 and kpis[("all", "in_system")] == 0
