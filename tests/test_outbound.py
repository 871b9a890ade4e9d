"""Outbound campaigns (sim.journeys.outbound): a calling list dialled in preview, progressive or predictive mode.

Exact traces on hand-checked cases (deterministic times: which dials end how, and the agent time
they take), conservation (every dial ends exactly once, inbound arrivals too), predictive pacing
keeping the nuisance rate under its target within the replications' interval while dialling more
than progressive (paired, same seeds), the KPI tables, and bad input (one line naming the key path).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.errors import ConfigError
from sim.engine.records import ABANDONED, IN_SYSTEM, TALLY_FIELDS
from sim.experiments.replications import run_experiment
from sim.experiments.stats import paired_difference
from sim.journeys.outbound import OUT_FIELDS
from sim.model.centre import simulate
from sim.model.metrics import replication_outbound

from .conftest import centre_config

O = {name: i for i, name in enumerate(OUT_FIELDS)}


def det(mean_s: float) -> dict:
    return {"dist": "deterministic", "mean_s": mean_s}


def campaign(**keys) -> dict:
    out = {"list_size": 2, "connect": 1.0, "right_party": 1.0, "dial_time": det(10), "mode": "progressive"}
    out.update(keys)
    return out


def _config(outbound: dict, *, staffing=1, inbound: dict | None = None, acw=None, blending=None, hours=1,
            handle=100, **run):
    types = {"collect": {"channel": "phone", "handle_time": det(handle), "outbound": outbound}}
    if acw is not None:
        types["collect"]["after_call_work"] = det(acw)
    skills = ["collect"]
    if inbound is not None:
        types = {"calls": inbound, **types}
        skills = ["calls", "collect"]
    group = {"skills": skills, "staffing": staffing}
    if blending is not None:
        group["blending"] = blending
    return centre_config({
        "open_time": "08:00", "close_time": f"{8 + hours:02d}:00", "interval_minutes": 60,
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": types, "agent_groups": {"agents": group}}, **run)


def _counts(result) -> dict[str, float]:
    return dict(zip(OUT_FIELDS, result.outbound["counts"].sum(axis=(0, 1))))


def _run(config, replication=0):
    return simulate(config.scenario, config.run, replication)


# ------------------------------------------------------------------ exact traces


def test_progressive_dials_one_record_per_free_agent_and_its_talk_and_wrap_up_are_agent_time():
    # One agent, two records, every dial answered by the right party; ring 10 s, talk 100 s, wrap 20 s:
    #   record 0: ring 0-10, talk 10-110, wrap 110-130;  record 1: ring 130-140, talk 140-240, wrap 240-260.
    result = _run(_config(campaign(), acw=20))
    c = _counts(result)
    assert (c["dials"], c["connects"], c["right_party"], c["no_answer"], c["nuisance"]) == (2, 2, 2, 0, 0)
    assert (c["records_closed"], c["records_reached"], c["talk_s"], c["wrap_s"]) == (2, 2, 200, 40)
    assert result.outbound["busy"].sum() == pytest.approx(260.0)
    assert result.segments.busy_area.sum() == pytest.approx(260.0)  # outbound work is busy time (occupancy)
    kpis = replication_outbound(result, _config(campaign(), acw=20).run)
    assert kpis["list_completed_share"] == 1.0 and kpis["outbound_utilisation"] == pytest.approx(260 / 3600)


def test_unanswered_dials_are_retried_after_the_delay_until_the_attempts_run_out():
    # Nobody answers; 2 attempts, 100 s apart. Record 0: 0-10, record 1: 10-20 (agent idle from 20);
    # record 0 due at 110: 110-120 (closed); record 1 due at 120, dialled when the agent is free at 120:
    # 120-130 (closed). Agent time: the four rings.
    result = _run(_config(campaign(connect=0.0, attempts={"max": 2, "retry_delay_s": 100})))
    c = _counts(result)
    assert (c["dials"], c["connects"], c["no_answer"], c["records_closed"], c["records_reached"]) == (4, 0, 4, 2, 0)
    assert result.outbound["busy"].sum() == pytest.approx(40.0)


def test_preview_reserves_the_agent_to_review_the_record_before_dialling():
    # Preview 15 s: record 0: review 0-15, ring 15-25, talk 25-125, wrap 125-145; record 1: review 145-160,
    # ring 160-170, talk 170-270, wrap 270-290.
    result = _run(_config(campaign(mode="preview", preview_time=det(15)), acw=20))
    c = _counts(result)
    assert (c["dials"], c["right_party"], c["talk_s"]) == (2, 2, 200)
    assert result.outbound["busy"].sum() == pytest.approx(290.0)


def test_wrong_party_takes_its_own_agent_time_and_the_record_is_tried_again():
    # Right party never: each connected dial takes 30 s of wrong-party time. 1 record, 2 attempts, 50 s apart:
    #   ring 0-10, wrong party 10-40 (record due at 60); ring 60-70, wrong party 70-100: closed, not reached.
    result = _run(_config(campaign(list_size=1, right_party=0.0, attempts={"max": 2, "retry_delay_s": 50})))
    c = _counts(result)
    assert (c["dials"], c["connects"], c["wrong_party"], c["right_party"], c["records_closed"]) == (2, 2, 2, 0, 1)
    assert result.outbound["busy"].sum() == pytest.approx(80.0)


def test_predictive_dials_ahead_and_a_connected_callee_without_an_agent_is_a_nuisance_call():
    # Ratio fixed at 2, one agent: at 0 it is free, so 2 dials (records 0 and 1), ringing 10 s, both answered.
    # At 10 the agent takes the first (talk 10-110); the second waits its patience (5 s) and hangs up at 15: a
    # nuisance call (1 attempt: the record is closed, not reached).
    pacing = {"initial_ratio": 2.0, "min_ratio": 2.0, "max_ratio": 2.0, "adjust_every_s": 100000}
    result = _run(_config(campaign(mode="predictive", pacing=pacing, patience_s=5, attempts={"max": 1})))
    c = _counts(result)
    assert (c["dials"], c["connects"], c["right_party"], c["nuisance"]) == (2, 2, 1, 1)
    assert (c["records_closed"], c["records_reached"]) == (2, 1)
    kpis = replication_outbound(result, _config(campaign()).run)
    assert kpis["nuisance_rate"] == 0.5
    assert result.outbound["busy"].sum() == pytest.approx(100.0)  # only the talk: no agent waits on a ringing dial


def test_dialing_starts_at_the_window_and_stops_at_its_end():
    # Window 08:30-08:31 (seconds 1800-1860 from the opening): ring 10 s and no answer, one attempt each:
    # dials at 1800, 1810, ..., 1850 (six), none at 1860 or later.
    result = _run(_config(campaign(list_size=100, connect=0.0, attempts={"max": 1},
                                   window={"start": "08:30", "end": 1860})))
    assert _counts(result)["dials"] == 6


# ------------------------------------------------------------------ conservation


@pytest.mark.parametrize("mode", ["preview", "progressive", "predictive"])
@pytest.mark.parametrize("drain", [True, False])
def test_every_dial_ends_exactly_once_and_inbound_arrivals_too(mode, drain):
    extra = {"preview_time": {"dist": "exponential", "mean_s": 20}} if mode == "preview" else {}
    if mode == "predictive":
        extra = {"pacing": {"initial_ratio": 2.5}, "patience_s": 3}
    out = campaign(list_size=400, connect=0.4, right_party=0.7, dial_time={"dist": "exponential", "mean_s": 20},
                   mode=mode, attempts={"max": 3, "retry_delay_s": 600}, **extra)
    inbound = {"channel": "phone", "arrivals": {"rate_per_hour": 40},
               "handle_time": {"dist": "exponential", "mean_s": 240}, "patience": {"dist": "exponential", "mean_s": 90}}
    config = _config(out, staffing=6, inbound=inbound, acw=15, hours=3, handle=200, drain=drain)
    for r in range(2):
        result = simulate(config.scenario, config.run, r, keep_contacts=True)
        c = _counts(result)
        assert c["dials"] == c["no_answer"] + c["wrong_party"] + c["right_party"] + c["nuisance"] + c["pending"]
        assert c["connects"] <= c["dials"] and c["right_party"] + c["wrong_party"] + c["nuisance"] <= c["connects"]
        assert c["records_reached"] == c["right_party"] and c["records_closed"] <= 400
        assert c["dials"] > 0 and (c["pending"] == 0 or not drain)
        if mode != "predictive":
            assert c["nuisance"] == 0  # a reserved agent is on the line
        t = dict(zip(TALLY_FIELDS, result.segments.tally.sum(axis=(0, 1))))
        log = result.contacts  # inbound: every arrival ends exactly once, in one outcome
        assert len(log) == t["arrivals"] == len(set(log.contact_id.tolist())) and set(log.contact_type) == {0}
        assert t["in_system"] == (log.outcome == IN_SYSTEM).sum() and t["abandoned"] == (log.outcome == ABANDONED).sum()
        assert result.segments.type_tally[:, 1].sum() == 0  # the campaign's contacts never reach the tallies


# ------------------------------------------------------------------ predictive pacing


def _dialers(mode: str, reps: int) -> object:
    out = {"list_size": 3000, "connect": 0.3, "right_party": 0.8, "dial_time": {"dist": "exponential", "mean_s": 20},
           "mode": mode, "attempts": {"max": 3, "retry_delay_s": 3600}}
    if mode == "predictive":
        out["pacing"] = {"initial_ratio": 2.0, "nuisance_target": 0.03}
    return centre_config({
        "open_time": "09:00", "close_time": "17:00", "interval_minutes": 60,
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {"collect": {"channel": "phone", "handle_time": {"dist": "exponential", "mean_s": 180},
                                      "outbound": out}},
        "agent_groups": {"dialers": {"skills": ["collect"], "staffing": 10}}}, replications=reps, drain=False)


def _values(result, metric: str) -> np.ndarray:
    rows = result.replications
    return rows[(rows.channel == "all") & (rows.metric == metric)].sort_values("replication")["value"].to_numpy()


def test_predictive_pacing_keeps_the_nuisance_rate_under_its_target_and_dials_more_than_progressive():
    reps = 8
    progressive = run_experiment(_dialers("progressive", reps))
    predictive = run_experiment(_dialers("predictive", reps))
    s = predictive.summary.set_index(["channel", "metric"])
    assert s.loc[("all", "nuisance_rate"), "ci_high"] < 0.03
    assert progressive.summary.set_index(["channel", "metric"]).loc[("all", "nuisance_rate"), "mean"] == 0
    for metric in ("dials", "right_party_contacts"):
        diff = paired_difference(_values(progressive, metric), _values(predictive, metric))
        assert diff.low > 0, (metric, diff)


def test_outbound_kpis_fill_the_summary_types_and_groups_tables():
    result = run_experiment(_dialers("predictive", 2))
    assert result.types is not None
    summary = set(zip(result.summary.channel, result.summary.metric))
    for metric in ("dials", "connects", "right_party_contacts", "nuisance_rate", "list_completed_share"):
        assert ("phone", metric) in summary and ("all", metric) in summary
    assert ("all", "outbound_utilisation") in summary
    types = result.types[result.types.contact_type == "collect"]
    assert "dials" in set(types.metric) and "service_level" not in set(types.metric)
    assert "outbound_utilisation" in set(result.groups.metric)
    per_interval = result.type_intervals[result.type_intervals.contact_type == "collect"]
    total = result.summary.set_index(["channel", "metric"]).loc[("all", "dials"), "mean"]
    assert per_interval["dials"].sum() == pytest.approx(total)  # the intervals add up to the window (no warm-up)
    assert result.type_intervals[result.type_intervals.contact_type != "collect"]["dials"].isna().all()
    assert "outbound_utilisation" in result.group_intervals.columns


# ------------------------------------------------------------------ bad input


def _raw(outbound: dict, **type_keys) -> dict:
    collect = {"channel": "phone", "handle_time": det(100), "outbound": outbound, **type_keys}
    return {"open_time": "08:00", "close_time": "12:00", "interval_minutes": 60,
            "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
            "contact_types": {"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 10}, "handle_time": det(60)},
                              "collect": collect},
            "agent_groups": {"agents": {"skills": ["calls", "collect"], "staffing": 2}}}


P = "scenario.contact_types.collect.outbound"
BAD = [
    (campaign(mode="predictive", pacing={"nuisance_target": 0}), f"{P}.pacing.nuisance_target", "strictly between 0 and 1"),
    (campaign(mode="predictive", pacing={"nuisance_target": 1.5}), f"{P}.pacing.nuisance_target", "strictly between"),
    (campaign(mode="predictive", pacing={"min_ratio": 2, "max_ratio": 1}), f"{P}.pacing.max_ratio", "at least min_ratio"),
    (campaign(mode="predictive", pacing={"initial_ratio": 9}), f"{P}.pacing.initial_ratio", "between min_ratio"),
    (campaign(mode="predictive", pacing={"kappa": 1}), f"{P}.pacing.kappa", "unknown key"),
    (campaign(mode="dialler"), f"{P}.mode", "expected one of preview, progressive, predictive"),
    (campaign(pacing={"initial_ratio": 2}), f"{P}.pacing", "only used with mode: predictive"),
    (campaign(preview_time=det(5)), f"{P}.preview_time", "only used with mode: preview"),
    (campaign(patience_s=2), f"{P}.patience_s", "only used with mode: predictive"),
    (campaign(window={"start": "07:00", "end": "09:00"}), f"{P}.window.start", "inside the opening hours 08:00-12:00"),
    (campaign(window={"start": "09:00", "end": "13:00"}), f"{P}.window.end", "inside the opening hours"),
    (campaign(window={"start": "10:00", "end": "09:00"}), f"{P}.window.end", "after window.start"),
    (campaign(window={"start": 20000}), f"{P}.window.start", "inside the opening hours"),
    (campaign(window={"from": "09:00"}), f"{P}.window.from", "unknown key"),
    (campaign(connect=1.2), f"{P}.connect", "<= 1"),
    (campaign(right_party=-0.1), f"{P}.right_party", ">= 0"),
    (campaign(list_size=0), f"{P}.list_size", "whole number >= 1"),
    (campaign(attempts={"max": 0}), f"{P}.attempts.max", ">= 1"),
    (campaign(attempts={"retry_delay_s": -5}), f"{P}.attempts.retry_delay_s", ">= 0"),
    (campaign(dial_time={"dist": "normal", "mean_s": 5}), f"{P}.dial_time.dist", "expected one of"),
    ({"list_size": 5, "connect": 0.5, "dial_time": det(5)}, f"{P}.right_party", "required key is missing"),
]


@pytest.mark.parametrize(("outbound", "where", "expected"), BAD, ids=[f"{w}-{e[:20]}" for _, w, e in BAD])
def test_bad_outbound_config_names_its_key_path_in_one_line(outbound, where, expected):
    with pytest.raises(ConfigError) as err:
        centre_config(_raw(outbound))
    message = str(err.value)
    assert message.startswith(where + ":") and expected in message and "\n" not in message, message


def test_an_outbound_type_takes_no_inbound_keys_and_no_contact_is_sent_to_it():
    with pytest.raises(ConfigError, match=r"^scenario\.contact_types\.collect\.arrivals: not used by an outbound"):
        centre_config(_raw(campaign(), arrivals={"rate_per_hour": 5}))
    raw = _raw(campaign())
    raw["contact_types"]["calls"]["escalation"] = {"probability": 0.1, "to": "collect"}
    with pytest.raises(ConfigError, match=r"^scenario\.contact_types\.calls\.escalation\.to: collect is an outbound"):
        centre_config(raw)
    raw = _raw(campaign())
    raw["agent_groups"]["agents"]["skills"] = ["calls", "collects"]
    with pytest.raises(ConfigError, match=r"^scenario\.agent_groups\.agents\.skills\[1\]: unknown contact type"):
        centre_config(raw)


def test_cli_reports_a_bad_pacing_target_in_one_line_with_exit_2(tmp_path):
    from .test_bad_input import assert_one_line_error, run_sim

    proc, out = run_sim(tmp_path, "+experiment=outbound_campaign",
                        "scenario.contact_types.collections.outbound.pacing.nuisance_target=1.2")
    assert_one_line_error(proc, out, "scenario.contact_types.collections.outbound.pacing.nuisance_target",
                          "strictly between 0 and 1")


def test_a_trace_replays_inbound_contacts_beside_a_campaign_and_may_not_name_the_campaign(tmp_path):
    inbound = {"channel": "phone", "handle_time": det(60)}
    trace = tmp_path / "trace.csv"
    trace.write_text("arrival_time_s,handle_time_s\n5,60\n300,60\n", encoding="utf-8")
    raw_types = {"calls": inbound, "collect": {"channel": "phone", "handle_time": det(100), "outbound": campaign()}}
    scenario = {"open_time": "08:00", "close_time": "09:00", "interval_minutes": 60, "trace": str(trace),
                "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
                "contact_types": raw_types, "agent_groups": {"agents": {"skills": ["calls", "collect"], "staffing": 2}}}
    result = _run(centre_config(scenario))
    assert result.segments.type_tally[:, 0, TALLY_FIELDS.index("arrivals")].sum() == 2
    assert _counts(result)["right_party"] == 2
    trace.write_text("arrival_time_s,handle_time_s,contact_type\n5,60,collect\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"trace\.csv:2: unknown contact_type 'collect'; expected one of calls$"):
        centre_config(scenario)


def test_a_multi_day_run_dials_in_each_day_window_and_retries_carry_over_to_the_next_day():
    # Window 08:00-08:01 each day, nobody answers, ring 10 s: six dials a day; 2 attempts, 3 h apart: the
    # records dialled on day 1 are due again in the night and dialled first on day 2 (before fresh ones).
    config = _config(campaign(list_size=100, connect=0.0, attempts={"max": 2, "retry_delay_s": 3 * 3600},
                              window={"start": 0, "end": 60}), days=2)
    result = _run(config)
    c = _counts(result)
    assert c["dials"] == 12 and c["records_closed"] == 6  # day 2: the six retries, which close their records


@pytest.mark.parametrize("mode", ["progressive", "preview"])
def test_right_party_contacts_per_agent_follow_the_renewal_reward_formula(mode):
    # An agent of a progressive (preview) team repeats cycles: [review] + ring + (answered: right party's talk or
    # a wrong party's time). With ring 20 s, answered 30%, right party 80%, talk 180 s, wrong party 30 s (and
    # review 15 s): E[cycle] = [15 +] 20 + 0.3 x (0.8 x 180 + 0.2 x 30) s, each ending in a right-party
    # contact with probability 0.3 x 0.8. Ten agents, 8 h, the list never runs out: 10 x 28,800 x 0.24 /
    # E[cycle] right-party contacts; the replications' interval must cover it (end effects are < 1 contact).
    reps = 8
    config = _dialers(mode, reps)
    if mode == "preview":
        from dataclasses import replace

        ct = config.scenario.contact_types["collect"]
        out = replace(ct.outbound, mode="preview", preview_time=type(ct.outbound.dial_time)("exponential", 15.0))
        config = replace(config, scenario=replace(config.scenario, contact_types={"collect": replace(ct, outbound=out)}))
    cycle = (15.0 if mode == "preview" else 0.0) + 20.0 + 0.3 * (0.8 * 180.0 + 0.2 * 30.0)
    expected = 10 * 28800 * 0.3 * 0.8 / cycle
    s = run_experiment(config).summary.set_index(["channel", "metric"]).loc[("all", "right_party_contacts")]
    assert s["ci_low"] <= expected <= s["ci_high"], (expected, s["ci_low"], s["ci_high"])
