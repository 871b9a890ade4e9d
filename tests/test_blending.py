"""Blending (sim.journeys.outbound): when agents with inbound and outbound skills take outbound work.

An exact trace of the idle reserve, paired directional tests on common random numbers (a stricter
rule raises the inbound service level and lowers outbound throughput), and bad input.
"""

from __future__ import annotations

import pytest

from sim.engine.errors import ConfigError
from sim.experiments.replications import run_experiment
from sim.experiments.stats import paired_difference

from .conftest import centre_config
from .test_outbound import _config, _counts, _run, campaign, det


def test_idle_reserve_keeps_one_agent_idle_so_one_agent_dials_at_a_time():
    # Two agents, reserve 1; every dial answered by the right party, ring 10 s, talk 100 s; no inbound arrives.
    # Reserve: only one agent works the list: records at 0-110, 110-220, 220-330 -> at the horizon (300 s,
    # no drain) two conversations ended and the third is pending. Without a rule both agents dial: records 0
    # and 1 at 0-110, record 2 at 110-220: three ended.
    inbound = {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(60)}
    run = {"drain": False, "horizon_hours": 300 / 3600}
    reserve = _counts(_run(_config(campaign(list_size=3), staffing=2, inbound=inbound,
                                   blending={"rule": "idle_reserve", "agents": 1}, **run)))
    free = _counts(_run(_config(campaign(list_size=3), staffing=2, inbound=inbound, **run)))
    assert (reserve["dials"], reserve["right_party"], reserve["pending"]) == (3, 2, 1)
    assert (free["dials"], free["right_party"], free["pending"]) == (3, 3, 0)


def _blended(blending, reps=6):
    inbound = {"channel": "phone", "arrivals": {"rate_per_hour": 60},
               "handle_time": {"dist": "exponential", "mean_s": 300},
               "patience": {"dist": "exponential", "mean_s": 120}}
    out = {"list_size": 2000, "connect": 0.4, "right_party": 0.7, "dial_time": {"dist": "exponential", "mean_s": 20},
           "mode": "progressive", "attempts": {"max": 3, "retry_delay_s": 1800}}
    group = {"skills": ["calls", "collect"], "staffing": 10}
    if blending is not None:
        group["blending"] = blending
    return centre_config({
        "open_time": "08:00", "close_time": "16:00", "interval_minutes": 30,
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {"calls": inbound, "collect": {"channel": "phone", "handle_time": {
            "dist": "exponential", "mean_s": 240}, "outbound": out}},
        "agent_groups": {"blend": group}}, replications=reps)


def _per_rep(result, channel: str, metric: str):
    rows = result.replications
    return rows[(rows.channel == channel) & (rows.metric == metric)].sort_values("replication")["value"].to_numpy()


@pytest.mark.parametrize(("weaker", "stricter"), [
    (None, {"rule": "idle_reserve", "agents": 3}),
    ({"rule": "queue_below", "max_waiting": 4}, {"rule": "queue_below", "max_waiting": 1}),
    (None, {"rule": "service_level_above", "target": 0.9}),
], ids=["idle_reserve", "queue_below", "service_level_above"])
def test_a_stricter_blending_rule_raises_inbound_service_level_and_lowers_outbound_throughput(weaker, stricter):
    a, b = run_experiment(_blended(weaker)), run_experiment(_blended(stricter))
    sl = paired_difference(_per_rep(a, "phone", "service_level"), _per_rep(b, "phone", "service_level"))
    rpc = paired_difference(_per_rep(a, "all", "right_party_contacts"), _per_rep(b, "all", "right_party_contacts"))
    assert sl.low > 0, sl
    assert rpc.high < 0, rpc


def _raw(blending, skills=("calls", "collect")):
    return {"open_time": "08:00", "close_time": "12:00", "interval_minutes": 60,
            "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
            "contact_types": {"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 10}, "handle_time": det(60)},
                              "collect": {"channel": "phone", "handle_time": det(100), "outbound": campaign()}},
            "agent_groups": {"agents": {"skills": list(skills), "staffing": 2, "blending": blending},
                             "others": {"skills": ["calls", "collect"], "staffing": 1}}}


B = "scenario.agent_groups.agents.blending"


@pytest.mark.parametrize(("blending", "skills", "where", "expected"), [
    ({"rule": "always"}, ("calls", "collect"), f"{B}.rule", "expected one of queue_below, service_level_above"),
    ({"rule": "idle_reserve"}, ("calls", "collect"), f"{B}.agents", "required for rule idle_reserve"),
    ({"rule": "idle_reserve", "agents": 2, "target": 0.8}, ("calls", "collect"), f"{B}.target", "not used by rule"),
    ({"rule": "service_level_above", "target": 1.5}, ("calls", "collect"), f"{B}.target", "<= 1"),
    ({"rule": "queue_below", "max_waiting": 0}, ("calls", "collect"), f"{B}.max_waiting", ">= 1"),
    ({"rule": "idle_reserve", "agents": 1}, ("calls",), B, "only for a group with inbound and outbound skills"),
    ({"rule": "idle_reserve", "agents": 1}, ("collect",), B, "only for a group with inbound and outbound skills"),
])
def test_bad_blending_names_its_key_path_in_one_line(blending, skills, where, expected):
    with pytest.raises(ConfigError) as err:
        centre_config(_raw(blending, skills))
    message = str(err.value)
    assert message.startswith(where + ":") and expected in message and "\n" not in message, message


# ------------------------------------------------------------------ invariants over random settings

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sim.engine.records import IN_SYSTEM, TALLY_FIELDS  # noqa: E402
from sim.model.centre import simulate  # noqa: E402

RULES = st.one_of(st.none(), st.builds(lambda n: {"rule": "queue_below", "max_waiting": n}, st.integers(1, 4)),
                  st.builds(lambda s: {"rule": "service_level_above", "target": s}, st.floats(0, 1)),
                  st.builds(lambda r: {"rule": "idle_reserve", "agents": r}, st.integers(0, 3)))


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(mode=st.sampled_from(["preview", "progressive", "predictive"]), rule=RULES,
       connect=st.floats(0, 1), right=st.floats(0, 1), staffing=st.integers(1, 5), drain=st.booleans(),
       patience=st.sampled_from([0, 2, 30]), acw=st.sampled_from([None, 5.0, 20.0]))
def test_every_dial_and_every_arrival_ends_exactly_once_whatever_the_settings(mode, rule, connect, right, staffing,
                                                                             drain, patience, acw):
    out = campaign(list_size=60, connect=connect, right_party=right, mode=mode,
                   dial_time={"dist": "exponential", "mean_s": 15}, attempts={"max": 2, "retry_delay_s": 300})
    if mode == "preview":
        out["preview_time"] = {"dist": "exponential", "mean_s": 10}
    if mode == "predictive":
        out.update(patience_s=patience, pacing={"initial_ratio": 2.0, "adjust_every_s": 120})
    inbound = {"channel": "phone", "arrivals": {"rate_per_hour": 30},
               "handle_time": {"dist": "exponential", "mean_s": 200}, "patience": {"dist": "exponential", "mean_s": 60}}
    config = _config(out, staffing=staffing, inbound=inbound, acw=acw, blending=rule, handle=120, drain=drain)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    c = _counts(result)
    assert c["dials"] == c["no_answer"] + c["wrong_party"] + c["right_party"] + c["nuisance"] + c["pending"]
    assert c["right_party"] + c["wrong_party"] + c["nuisance"] <= c["connects"] <= c["dials"] <= 2 * 60
    assert c["records_reached"] == c["right_party"] and c["records_closed"] <= 60
    assert drain is False or c["pending"] == 0
    inside = slice(None) if drain else slice(0, -1)  # without drain: spans past the horizon are left out
    busy, staffed = result.segments.busy_area[inside].sum(), result.segments.staffed_area[inside].sum()
    assert result.outbound["busy"][inside].sum() <= busy + 1e-6 and busy <= staffed + 1e-6  # nobody busy twice
    t = dict(zip(TALLY_FIELDS, result.segments.tally.sum(axis=(0, 1))))
    log = result.contacts
    assert len(log) == t["arrivals"] == len(set(log.contact_id.tolist()))
    assert t["in_system"] == (log.outcome == IN_SYSTEM).sum()


def test_cli_reports_a_bad_blending_rule_in_one_line_with_exit_2(tmp_path):
    from .test_bad_input import assert_one_line_error, run_sim

    proc, out = run_sim(tmp_path, "+experiment=outbound_campaign",
                        "scenario.agent_groups.generalists.blending.rule=when_quiet")
    assert_one_line_error(proc, out, "scenario.agent_groups.generalists.blending.rule",
                          "expected one of queue_below, service_level_above, idle_reserve")


def test_deferrable_work_waits_behind_progressive_work_but_not_live_inbound_nor_predictive_dialling():
    # One agent with email (deferrable) and a campaign from 08:30; emails pile up from 08:00. When the agent
    # finishes an email after 08:30 it dials (the backlog does not hold it back): both records, once each.
    # With phone calls waiting instead, it keeps answering them while any waits. A predictive dialer counts
    # idle agents only: the agent, always with email to do, is never one.
    def config(channel_deferrable: bool, **outbound):
        channel = {"service_level_threshold_s": 3600 if channel_deferrable else 20, "service_level_target": 0.8,
                   "deferrable": channel_deferrable}
        work = {"channel": "work", "arrivals": {"rate_per_hour": 120}, "handle_time": det(100)}
        if channel_deferrable:
            work["deferrable"] = {"reserve_agents": 0}
        return centre_config({
            "open_time": "08:00", "close_time": "09:00", "interval_minutes": 60,
            "channels": {"work": channel, "phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
            "contact_types": {"work": work, "collect": {"channel": "phone", "handle_time": det(100), "outbound": campaign(
                connect=0.0, attempts={"max": 1}, window={"start": "08:30"}, **outbound)}},
            "agent_groups": {"agents": {"skills": ["work", "collect"], "staffing": 1}}}, drain=False)
    assert _counts(_run(config(True)))["dials"] == 2
    assert _counts(_run(config(False)))["dials"] == 0
    assert _counts(_run(config(True, mode="predictive", pacing={"initial_ratio": 1.0})))["dials"] == 0
