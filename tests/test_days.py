"""Multi-day runs (``run.days``, sim.workforce.days): the day repeated, closings, the backlog carried over."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim import simulate
from sim.engine.arrivals import daily_arrival_times, poisson_arrival_times
from sim.workforce.days import segment_bounds, when_open
from sim.engine.errors import ConfigError
from sim.model.metrics import group_summary, replication_days, replication_intervals, replication_summary
from sim.engine.records import ABANDONED, ANSWERED, ATTEMPTS, IN_SYSTEM
from sim.engine.streams import stream

from .conftest import REPO, centre_config

DAY = 86400.0
PHONE = {"service_level_threshold_s": 20, "service_level_target": 0.8}
EMAIL = {"service_level_threshold_s": 86400, "service_level_target": 0.9}


def det(mean_s: float) -> dict:
    return {"dist": "deterministic", "mean_s": mean_s}


def two_hour_centre(tmp_path, rows: list[tuple], *, days: int = 2, staffing=1, retrial=None, **run) -> dict:
    """08:00-10:00, one agent on calls and email (email deferrable, worked when no call waits)."""
    trace = tmp_path / "trace.csv"
    trace.write_text("arrival_time_s,contact_type,handle_time_s,patience_s\n"
                     + "".join(f"{t},{k},{h},{'' if p is None else p}\n" for t, k, h, p in rows))
    calls = {"channel": "phone", "handle_time": det(300), "priority": 1}
    if retrial is not None:
        calls["retrial"] = retrial
    return centre_config({
        "open_time": "08:00", "close_time": "10:00", "interval_minutes": 30,
        "channels": {"phone": PHONE, "email": EMAIL},
        "contact_types": {"calls": calls,
                          "email": {"channel": "email", "handle_time": det(300), "priority": 0,
                                    "deferrable": {"reserve_agents": 0}}},
        "agent_groups": {"agents": {"skills": ["calls", "email"], "staffing": staffing}},
        "trace": str(trace),
    }, days=days, **run)


def test_closing_serves_the_waiting_call_then_the_email_backlog_waits_for_the_next_morning(tmp_path):
    """Closing at 7200 s.  Email A (6900, 400 s) is in service at closing: the agent finishes it at
    7300 and stays on for call B (7100, waiting 200 s), until 7600.  Email C (7150) is deferrable: not
    worked after closing, it waits until the agent logs in on day 2 (86400).  Call D (7500, patience
    50 s) abandons at 7550 (the agent is busy).  Call E (8000, never abandons) waits overnight and,
    being a call, is taken before C: 86400-86460; C follows: wait 86460 - 7150 = 79310 s."""
    config = two_hour_centre(tmp_path, [(6900, "email", 400, None), (7100, "calls", 300, None),
                                        (7150, "email", 100, None), (7500, "calls", 100, 50),
                                        (8000, "calls", 60, None)])
    assert config.run.horizon_s == DAY + 7200
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    c = result.contacts
    assert c.wait_s.tolist() == [0.0, 200.0, 79310.0, 50.0, 78400.0]
    assert c.outcome.tolist() == [ANSWERED, ANSWERED, ANSWERED, ABANDONED, ANSWERED]
    assert c.end_time_s.tolist()[:3] == [7300.0, 7600.0, 86560.0]
    # backlog: email C at the closing interval's end (day 1, 09:30-10:00), nothing at day 2's close
    iv = replication_intervals(result, config.scenario, config.run)
    email = iv["channel"] == "email"
    assert iv["interval"][email].tolist() == ["08:00", "08:30", "09:00", "09:30",
                                              "08:00+1d", "08:30+1d", "09:00+1d", "09:30+1d"]
    assert iv["backlog"][email].tolist() == [0, 0, 0, 1, 0, 0, 0, 0]
    # the agent stayed 400 s past closing: logged in 7200 + 400 + 7200 s over 4 h of opening hours
    summary = replication_summary(result, config.scenario, config.run)
    assert summary[("all", "agents_staffed")] == pytest.approx(14800 / 14400, rel=1e-12)
    assert group_summary(result, config.run)[("agents", "agents_staffed")] == pytest.approx(14800 / 14400)


def test_a_retrial_due_at_night_comes_as_long_after_the_next_opening(tmp_path):
    """Call A (7000, 600 s) holds the agent past closing; call B (7100, patience 50) abandons at 7150 and
    retries 600 s later, at 7750: 550 s after closing, so at 86400 + 550 on day 2, answered at once."""
    config = two_hour_centre(tmp_path, [(7000, "calls", 600, None), (7100, "calls", 100, 50)],
                             retrial={"probability": 1.0, "delay": det(600)})
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    assert [ATTEMPTS[a] for a in c.attempt] == ["first", "first", "retrial"]
    assert c.arrival_time_s.tolist() == [7000.0, 7100.0, DAY + 550.0]
    assert c.outcome.tolist() == [ANSWERED, ABANDONED, ANSWERED] and c.wait_s[2] == 0.0


def test_the_drain_goes_on_with_more_days_until_the_backlog_is_answered(tmp_path):
    """Day 2 closes at 93600.  The call (93500, 300 s) is served past closing; the email (93550) waits
    for a third day, opened by the drain: answered at 2 x 86400 (wait 79250 s).  Without the drain
    the run stops at day 2's closing with both in the system."""
    rows = [(DAY + 7100, "calls", 300, None), (DAY + 7150, "email", 100, None)]
    config = two_hour_centre(tmp_path, rows)
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    assert c.outcome.tolist() == [ANSWERED, ANSWERED]
    assert c.end_time_s[0] == DAY + 7400 and c.wait_s[1] == 2 * DAY - (DAY + 7150)
    config = two_hour_centre(tmp_path, rows, drain=False)
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    assert c.outcome.tolist() == [IN_SYSTEM, IN_SYSTEM]


def test_the_drain_stops_when_a_day_answers_nothing_of_what_waits(tmp_path):
    """Email with no agent on duty: the drain tries one more day, nothing changes, the run ends."""
    config = two_hour_centre(tmp_path, [(100, "email", 100, None)], staffing=[0, 0, 0, 0])
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    assert result.contacts.outcome.tolist() == [IN_SYSTEM]
    assert result.end_time_s == 2 * DAY + 7200  # the one extra day's closing


def test_when_open_moves_times_past_the_nights():
    L = 7200.0
    assert when_open(100.0, L) == 100.0
    assert when_open(7200.0, L) == DAY  # closing time itself: the next opening
    assert when_open(7750.0, L) == DAY + 550.0
    assert when_open(7200.0 + 3 * L + 5, L) == 4 * DAY + 5  # 3 days of opening hours after day 2 opens
    assert when_open(DAY + 20.0, L) == DAY + 20.0


def test_segments_cover_each_days_intervals_and_the_nights():
    ends = segment_bounds(3600.0, 2, 3, 2 * DAY + 7200.0, 0.0)
    assert ends == [3600.0, 7200.0, DAY, DAY + 3600, DAY + 7200, 2 * DAY, 2 * DAY + 3600, 2 * DAY + 7200]
    assert segment_bounds(3600.0, 2, 1, 7200.0, 1800.0) == [1800.0, 3600.0, 7200.0]


def test_day_one_arrivals_are_the_one_day_runs_and_each_day_redraws():
    rates = (30.0, 60.0, 10.0)
    one = list(poisson_arrival_times(rates, 1800.0, 5400.0, stream(7, 0, "arrivals:x")))
    three = list(daily_arrival_times(rates, 1800.0, 5400.0, 3, stream(7, 0, "arrivals:x")))
    day = np.floor_divide(three, DAY)
    assert three[:len(one)] == one and day[len(one) - 1] == 0
    assert set(day.tolist()) == {0.0, 1.0, 2.0}
    assert all(t - d * DAY < 5400.0 for t, d in zip(three, day))
    assert sorted(three) == three


def _default_raw():
    import yaml

    raw = yaml.safe_load((REPO / "configs/scenario/default.yaml").read_text())
    raw.pop("preset")
    return raw


def test_staffing_tables_and_agents_repeat_every_day():
    """With no contacts, agents_staffed per interval is the staffing table, every day, exactly."""
    raw = _default_raw()
    for ct in raw["contact_types"].values():
        if ct.get("arrivals"):
            ct["arrivals"]["volume"] = 0
    config = centre_config(raw, days=3)
    result = simulate(config.scenario, config.run, 0)
    iv = replication_intervals(result, config.scenario, config.run)
    total = sum(np.asarray(g.staffing, dtype=float) for g in config.scenario.agent_groups.values())
    staffed = iv["agents_staffed"][iv["channel"] == "all"]
    np.testing.assert_allclose(staffed, np.tile(total, 3), rtol=1e-12)
    summary = replication_summary(result, config.scenario, config.run)
    assert summary[("all", "agents_staffed")] == pytest.approx(total.mean(), rel=1e-12)


def test_shifts_repeat_every_day_with_shrinkage_drawn_afresh():
    raw = _default_raw()
    for ct in raw["contact_types"].values():
        if ct.get("arrivals"):
            ct["arrivals"]["volume"] = 0
    raw["agent_groups"]["specialists"] = {
        "skills": ["technical_tier2", "technical"],
        "shifts": [{"start": "08:00", "length_hours": 8, "agents": 4, "breaks": [{"after_hours": 4, "minutes": 30}]},
                   {"start": "12:00", "length_hours": 8, "agents": 3}],
        "shrinkage": {"absence_probability": 0.3}}
    config = centre_config(raw, days=4, seed=5)
    result = simulate(config.scenario, config.run, 0)
    iv = replication_intervals(result, config.scenario, config.run)
    wf = result.workforce["specialists"]
    assert wf["scheduled_s"] == 4 * (4 * 8 + 3 * 8) * 3600.0
    assert 0 < wf["absent_s"] < wf["scheduled_s"]
    groups = group_summary(result, config.run)
    # agents on duty never exceed the plan: 4 in the morning, 7 at midday (less breaks), 3 in the evening
    assert groups[("specialists", "agents_staffed")] <= (4 * 7.5 + 3 * 8) / 12 + 1e-9
    assert len(iv["interval"]) == 6 * 24 * 4  # six rows (4 channels, live, all) x 24 intervals x 4 days


def test_conservation_and_littles_law_hold_over_days_in_the_default_centre():
    config = centre_config(_default_raw(), days=3, seed=11, drain=False)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    c = result.contacts
    assert c.contact_id.tolist() == list(range(len(c))), "each arrival recorded once"
    assert np.floor_divide(c.arrival_time_s, DAY).max() == 2
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("all", "arrivals")] == len(c)
    assert kpis[("all", "in_system")] == (c.outcome == IN_SYSTEM).sum()
    # Little's law on the sample path, nights included: queue-length area = total time waited
    waited = np.nansum(np.where(c.attempt >= 0, c.wait_s, 0.0)) + np.nansum(c.transfer_wait_s)
    assert result.segments.queue_area.sum() == pytest.approx(waited, rel=1e-9)


def test_the_email_backlog_carries_over_and_more_email_agents_shrink_it():
    """A centre whose evening email cannot all be answered by closing starts day 2 with a backlog; three
    dedicated email agents make the backlog at day 1's closing smaller (paired over replications)."""
    raw = _default_raw()
    raw["contact_types"]["email"]["arrivals"]["volume"] = 900
    reps = 6
    diffs = []
    for r in range(reps):
        values = []
        for extra in (0, 3):
            raw["agent_groups"]["email_desk"] = {"skills": ["email"], "staffing": extra}
            raw["costs"]["wage_per_hour"]["email_desk"] = 24
            config = centre_config(raw, days=2, seed=100 + r)
            result = simulate(config.scenario, config.run, 0)
            iv = replication_intervals(result, config.scenario, config.run)
            email = iv["channel"] == "email"
            closing = iv["backlog"][email][23]
            values.append(closing)
        assert values[0] > 0, "the backlog at day 1's closing is carried over"
        diffs.append(values[1] - values[0])
    from sim.experiments.stats import t_interval

    est = t_interval(np.asarray(diffs, dtype=float), 0.95)
    assert est.high < 0, est


@pytest.mark.parametrize("run, where", [
    ({"days": 0}, "run.days"),
    ({"days": 2.5}, "run.days"),
    ({"days": 2, "horizon_hours": 6}, "run.days"),
])
def test_bad_days_name_the_key(run, where):
    with pytest.raises(ConfigError) as err:
        centre_config(_default_raw(), **run)
    assert err.value.where == where and "\n" not in str(err.value)


def test_days_with_the_single_queue_preset_is_refused_in_one_line():
    out = subprocess.run([sys.executable, "-m", "sim", "scenario=single_queue", "run.days=2"],
                         cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "run.days" in out.stderr and "Traceback" not in out.stderr


def test_a_one_day_run_is_unchanged_by_the_days_key():
    a = centre_config(_default_raw(), seed=3)
    b = centre_config(_default_raw(), seed=3, days=1)
    ra, rb = simulate(a.scenario, a.run, 0), simulate(b.scenario, b.run, 0)
    sa, sb = replication_summary(ra, a.scenario, a.run), replication_summary(rb, b.scenario, b.run)
    assert all(sa[k] == sb[k] or (math.isnan(sa[k]) and math.isnan(sb[k])) for k in sa)


def test_a_24_hour_centre_runs_on_without_closings(tmp_path):
    """Open 00:00-24:00: day 2 follows day 1 with no closing; a call in service at midnight is not
    an overtime stay and agents are not doubled (staffed exactly 1 agent throughout)."""
    trace = tmp_path / "trace.csv"
    trace.write_text("arrival_time_s,contact_type,handle_time_s\n86000,calls,1000\n86100,calls,100\n")
    config = centre_config({
        "open_time": "00:00", "close_time": "24:00", "interval_minutes": 60,
        "channels": {"phone": PHONE},
        "contact_types": {"calls": {"channel": "phone", "handle_time": det(300)}},
        "agent_groups": {"agents": {"skills": ["calls"], "staffing": 1}},
        "trace": str(trace)}, days=2)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    assert result.contacts.wait_s.tolist() == [0.0, 900.0]
    summary = replication_summary(result, config.scenario, config.run)
    assert summary[("all", "agents_staffed")] == pytest.approx(1.0, rel=1e-12)


def test_days_table_splits_the_summary_by_day(tmp_path):
    """days.csv: per day and channel, over the day's opening hours; offered and answered add up to the
    summary's, and a warm-up of one day leaves day 1 out."""
    from sim import run_experiment
    from sim.reporting.outputs import write_outputs

    config = centre_config(_default_raw(), days=3, replications=3)
    result = run_experiment(config)
    days = result.days
    assert sorted(days.day.unique()) == [1, 2, 3]
    for metric in ("offered", "answered", "abandoned"):
        per_day = days.query("channel == 'all' and metric == @metric")["mean"].sum()
        total = result.summary.query("channel == 'all' and metric == @metric")["mean"].iloc[0]
        assert per_day == pytest.approx(total, rel=1e-9)
    assert set(days.query("channel == 'phone'").metric) >= {"service_level", "asa_s", "backlog"}
    assert "occupancy" not in set(days.query("channel == 'phone'").metric)
    written = write_outputs(result, tmp_path, figures=False)
    assert tmp_path / "days.csv" in written
    later = run_experiment(centre_config(_default_raw(), days=3, replications=2, warmup_hours=24))
    assert sorted(later.days.day.unique()) == [2, 3]
    one_day = run_experiment(centre_config(_default_raw(), replications=2))
    assert one_day.days is None
    write_outputs(one_day, tmp_path / "one", figures=False)
    assert not (tmp_path / "one" / "days.csv").exists()


def _week_centre(calls: dict, email: dict | None = None, **run):
    types = {"calls": {"channel": "phone", "handle_time": det(60), "priority": 1, "arrivals": calls}}
    skills = ["calls"]
    if email is not None:
        types["email"] = {"channel": "email", "handle_time": det(300), "priority": 0, "arrivals": email,
                          "deferrable": {"reserve_agents": 0}}
        skills.append("email")
    return centre_config({
        "open_time": "08:00", "close_time": "10:00", "interval_minutes": 30,
        "channels": {"phone": PHONE, "email": EMAIL}, "contact_types": types,
        "agent_groups": {"agents": {"skills": skills, "staffing": 3}}}, **run)


def test_overnight_email_waits_for_the_next_opening_and_counts_in_the_next_day():
    config = _week_centre({"rate_per_hour": 0}, {"rate_per_hour": 0, "overnight_volume": 40}, days=3, seed=4)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    c = result.contacts
    t = c.arrival_time_s
    night = (t % DAY) >= 7200
    assert len(c) > 0 and night.all(), "overnight email arrives while the centre is closed"
    assert np.floor_divide(t, DAY).max() == 1, "no night after the last day"
    start = c.arrival_time_s + c.wait_s
    assert start.min() == DAY and (start % DAY < 7200).all(), "answered from the next opening on"
    days = replication_days(result, config.run)
    assert days[(1, "email", "offered")] == 0
    assert days[(2, "email", "offered")] == (np.floor_divide(t, DAY) == 0).sum()
    assert days[(3, "email", "offered")] == (np.floor_divide(t, DAY) == 1).sum()


@pytest.mark.validation
def test_day_factors_and_overnight_volume_give_the_expected_counts():
    """Poisson counts per day: 100 calls/h x 2 h x the day's factor, 30 emails x the factor per night;
    each expectation inside the 99% interval over replications."""
    from sim.experiments.stats import t_interval

    reps = 40
    config = _week_centre({"rate_per_hour": 100, "day_factors": [1.5, 1.0, 0.5]},
                          {"rate_per_hour": 0, "overnight_volume": 30, "day_factors": [1.0, 2.0, 1.0]},
                          days=3, replications=reps, seed=22, confidence=0.99)
    days = pd.DataFrame([row for r in range(reps) for row in _day_rows(config, r)])
    for day, expected in ((1, 300.0), (2, 200.0), (3, 100.0)):
        values = days.query("day == @day and channel == 'phone' and metric == 'offered'")["value"].to_numpy()
        assert t_interval(values, 0.99).contains(expected), (day, values.mean())
    for day, expected in ((2, 30.0), (3, 60.0)):  # the nights after days 1 and 2 (factors 1 and 2)
        values = days.query("day == @day and channel == 'email' and metric == 'offered'")["value"].to_numpy()
        assert t_interval(values, 0.99).contains(expected), (day, values.mean())


def _day_rows(config, replication):
    result = simulate(config.scenario, config.run, replication)
    return [{"day": d, "channel": ch, "metric": m, "value": v}
            for (d, ch, m), v in replication_days(result, config.run).items()]


def test_a_one_day_run_is_day_one_of_the_weekly_pattern():
    a = _week_centre({"rate_per_hour": 100, "day_factors": [1.5, 1.0]}, seed=2)
    b = _week_centre({"rate_per_hour": 150}, seed=2)
    ca = simulate(a.scenario, a.run, 0, keep_contacts=True).contacts
    cb = simulate(b.scenario, b.run, 0, keep_contacts=True).contacts
    assert ca.arrival_time_s.tolist() == cb.arrival_time_s.tolist()


@pytest.mark.parametrize("arrivals, where", [
    ({"rate_per_hour": 10, "day_factors": [1, -0.5]}, "scenario.contact_types.calls.arrivals.day_factors[1]"),
    ({"rate_per_hour": 10, "day_factors": []}, "scenario.contact_types.calls.arrivals.day_factors"),
    ({"rate_per_hour": 10, "day_factors": 1.2}, "scenario.contact_types.calls.arrivals.day_factors"),
    ({"rate_per_hour": 10, "overnight_volume": -3}, "scenario.contact_types.calls.arrivals.overnight_volume"),
])
def test_bad_weekly_arrivals_name_the_key(arrivals, where):
    with pytest.raises(ConfigError) as err:
        _week_centre(arrivals)
    assert err.value.where == where and "\n" not in str(err.value)


def test_sl_risk_of_a_multi_day_run_counts_each_day_of_each_replication():
    """sl_risk is the share of simulated days missing the target: replications x days in the summary,
    and each day's share of replications in days.csv."""
    from sim import run_experiment

    result = run_experiment(centre_config(dict(_default_raw(), busyness_cv=0.25), days=3, replications=6))
    target = result.config.scenario.channels["phone"].service_level_target
    days = result.days
    sl_by_day = {}
    for r in range(6):  # each replication's per-day phone service level, from its own run
        res = simulate(result.config.scenario, result.config.run, r)
        for (day, channel, metric), value in replication_days(res, result.config.run).items():
            if channel == "phone" and metric == "service_level":
                sl_by_day[(r, day)] = value
    assert len(sl_by_day) == 18
    misses = sum(v < target for v in sl_by_day.values())
    risk = result.summary.query("channel == 'phone' and metric == 'sl_risk'").iloc[0]
    assert risk["n_reps"] == 18 and risk["mean"] == pytest.approx(misses / 18)
    assert risk["ci_low"] <= risk["mean"] <= risk["ci_high"]
    per_day = days.query("channel == 'phone' and metric == 'sl_risk'").set_index("day")
    assert sorted(per_day.index) == [1, 2, 3] and set(per_day["n_reps"]) == {6}
    for day in (1, 2, 3):
        day_misses = sum(sl_by_day[(r, day)] < target for r in range(6))
        assert per_day.loc[day, "mean"] == pytest.approx(day_misses / 6)
