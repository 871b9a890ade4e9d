"""Customer journeys: self-service, retrials, repeat contacts (sim.journeys.flow), callbacks (sim.journeys.callbacks)
overflow (sim.journeys.overflow), VIP priority classes (sim.journeys.vip), the modelled CX proxies (sim.journeys.cx) and concurrent
chats (sim.journeys.concurrency).

For each mechanism: an exact trace of its timing on a tiny hand-checked case, the
conservation invariant (every arrival, retrials and repeats included, ends exactly
once), and a directional test with common random numbers and a paired interval.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.metrics import group_summary, replication_intervals, replication_summary
from sim.model.centre import simulate
from sim.engine.records import (ABANDONED, ANSWERED, ATTEMPTS, BLOCKED, CALLBACKS, DEFLECTED, IN_SYSTEM, OUTCOMES,
                                TALLY_FIELDS)
from sim.experiments.stats import paired_difference, t_interval
from sim.model.config import load_config

from .conftest import centre_config
from .test_model import _write_trace

PHONE = {"service_level_threshold_s": 20, "service_level_target": 0.8}
DET = {"dist": "deterministic"}


def det(mean_s: float) -> dict:
    return dict(DET, mean_s=mean_s)


def _centre(types: dict, *, trace=None, staffing=1, hours=2, groups=None, routing=None, cx=None, **run):
    scenario = {
        "open_time": "00:00", "close_time": f"{hours:02d}:00", "interval_minutes": 60,
        "channels": {"phone": PHONE, "chat": {"service_level_threshold_s": 60, "service_level_target": 0.8}},
        "contact_types": types,
        "agent_groups": groups or {"agents": {"skills": list(types), "staffing": staffing}},
    }
    if trace is not None:
        scenario["trace"] = str(trace)
    if routing is not None:
        scenario["routing"] = routing
    if cx is not None:
        scenario["cx"] = cx
    return centre_config(scenario, **run)


def _run(config, replication=0):
    return simulate(config.scenario, config.run, replication, keep_contacts=True)


def _outcomes(c):
    return [OUTCOMES[o] for o in c.outcome]


# ------------------------------------------------------------------ self-service


def test_bot_hands_off_after_its_time_with_uplift_and_deflects_contained_contacts(tmp_path):
    bot = {"handle_time": det(60), "handoff_aht_factor": 1.5, "handoff_patience_factor": 0.5}
    trace = _write_trace(tmp_path / "t.csv", [(0, "fails", 100, None), (10, "contained", 100, None),
                                              (20, "fails", 100, None), (30, "fails", 100, 100)])
    config = _centre({
        "fails": {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                  "self_service": dict(bot, containment=0.0)},
        "contained": {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                      "self_service": dict(bot, containment=1.0)},
    }, trace=trace)
    c = _run(config).contacts
    # 0: bot 0-60, served 60-210 (100 x 1.5).  1: bot 10-70, deflected.  2: bot 20-80, waits 80-210,
    # served 210-360.  3: bot 30-90, patience 100 x 0.5 = 50, abandons at 140.
    assert _outcomes(c) == ["answered", "deflected", "answered", "abandoned"]
    assert c.bot_time_s.tolist() == [60.0, 60.0, 60.0, 60.0]
    np.testing.assert_array_equal(c.wait_s, [0.0, np.nan, 130.0, 50.0])
    np.testing.assert_array_equal(c.handle_time_s, [150.0, np.nan, 150.0, np.nan])
    assert c.end_time_s.tolist() == [210.0, 70.0, 360.0, 140.0]
    kpis = replication_summary(_run(config), config.scenario, config.run)
    assert kpis[("chat", "deflected")] == 1 and kpis[("chat", "bot_handoffs")] == 3
    assert kpis[("chat", "containment_rate")] == pytest.approx(0.25)
    assert kpis[("chat", "offered")] == 3 and kpis[("chat", "arrivals")] == 4
    assert kpis[("chat", "bot_time_s")] == 60.0
    # end-to-end time of the served ones includes the bot: 210 and 340
    assert kpis[("chat", "end_to_end_time_s")] == pytest.approx((210.0 + 340.0) / 2)


def test_a_full_bot_is_bypassed(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "chat", 10, None), (5, "chat", 10, None), (70, "chat", 10, None)])
    config = _centre({"chat": {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(10),
                               "self_service": {"containment": 0.0, "handle_time": det(60), "concurrency": 1}}},
                     trace=trace, staffing=2)
    c = _run(config).contacts
    # 0 in the bot 0-60; 5 finds it full and goes straight to an agent; 70 finds it free again
    assert c.bot_time_s.tolist() == [60.0, 0.0, 60.0]
    assert c.end_time_s.tolist() == [70.0, 15.0, 140.0]


# ----------------------------------------------------------------------- retrials


def test_abandoned_customer_retries_after_the_delay_as_a_new_arrival(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (10, "calls", 100, 20)])
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(50),
                                "retrial": {"probability": 1.0, "delay": det(100)}}}, trace=trace)
    c = _run(config).contacts
    # 1 abandons at 30 and comes back at 130 (agent free since 100): served 130-180 (handle 50)
    assert _outcomes(c) == ["answered", "abandoned", "answered"]
    assert [ATTEMPTS[a] for a in c.attempt] == ["first", "first", "retrial"]
    assert c.customer_id.tolist() == [0, 1, 1]
    assert c.arrival_time_s.tolist() == [0.0, 10.0, 130.0]
    assert c.end_time_s.tolist() == [100.0, 30.0, 180.0]


def test_blocked_customer_retries_at_most_max_retrials_times_and_may_switch_channel(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 1000, None), (10, "calls", 5, None)])
    types = {
        "calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(5), "queue_capacity": 0,
                  "retrial": {"probability": 1.0, "delay": det(100), "max_retrials": 3}},
        "chats": {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(30)},
    }
    c = _run(_centre(types, trace=trace, groups={"agents": {"skills": ["calls"], "staffing": 1},
                                                  "chat": {"skills": ["chats"], "staffing": 1}})).contacts
    assert _outcomes(c) == ["answered", "blocked", "blocked", "blocked", "blocked"]
    assert c.arrival_time_s.tolist() == [0.0, 10.0, 110.0, 210.0, 310.0]
    assert c.customer_id.tolist() == [0, 1, 1, 1, 1]
    types["calls"]["retrial"].update(switch_to="chats", switch_probability=1.0)
    c = _run(_centre(types, trace=trace, groups={"agents": {"skills": ["calls"], "staffing": 1},
                                                  "chat": {"skills": ["chats"], "staffing": 1}})).contacts
    # the retrial goes to chat at 110 and is served there at once (handle 30 from the chat type)
    assert _outcomes(c) == ["answered", "blocked", "answered"]
    assert c.channel.tolist() == [0, 0, 1]
    np.testing.assert_array_equal(c.end_time_s, [1000.0, np.nan, 140.0])


# ----------------------------------------------------------------- repeat contacts


def test_unresolved_customer_comes_back_after_the_delay_up_to_max_repeats(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None)])
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(50),
                                "repeat": {"probability": 1.0, "delay": det(500), "max_repeats": 2}}}, trace=trace)
    result = _run(config)
    c = result.contacts
    # served 0-100, back at 600, served 600-650, back at 1150, served 1150-1200, gives up unresolved
    assert c.arrival_time_s.tolist() == [0.0, 600.0, 1150.0]
    assert [ATTEMPTS[a] for a in c.attempt] == ["first", "repeat", "repeat"]
    assert c.end_time_s.tolist() == [100.0, 650.0, 1200.0]
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "repeat_contacts")] == 2 and kpis[("phone", "unique_customers")] == 1
    assert math.isnan(kpis[("phone", "fcr")]), "no issue was resolved"


def test_repeat_probability_by_group_and_fcr_of_resolved_issues(tmp_path):
    # contact 0 goes to 'bad' (tie at 0: the group listed first) and is unresolved: it comes back at 600
    # as a 'followup', which only 'good' serves; contact 1 goes to 'good' and is resolved at once
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (1, "calls", 100, None)])
    resolved = {"probability": 0.0, "delay": det(500)}
    config = _centre({
        "calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(50),
                  "repeat": dict(resolved, probability_by_group={"bad": 1.0}, to="followup")},
        "followup": {"channel": "phone", "arrivals": None, "handle_time": det(50), "repeat": resolved},
    }, trace=trace, groups={"bad": {"skills": ["calls"], "staffing": 1},
                            "good": {"skills": ["calls", "followup"], "staffing": 1}})
    result = _run(config)
    c = result.contacts
    assert [result.group_names[g] for g in c.agent_group] == ["bad", "good", "good"]
    assert c.customer_id.tolist() == [0, 1, 0] and c.arrival_time_s.tolist() == [0.0, 1.0, 600.0]
    kpis = replication_summary(result, config.scenario, config.run)
    # two issues resolved: customer 1 at first contact, customer 0 after a repeat
    assert kpis[("phone", "fcr")] == 0.5 and kpis[("phone", "repeat_rate")] == pytest.approx(1 / 3)


# ----------------------------------------------------------------------- callbacks


def _callback_centre(tmp_path, **callback):
    # agent busy 0-100 with contact 0; contact 1 arrives at 10 (patience 20), contact 2 at 20
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (10, "calls", 100, 20), (20, "calls", 100, None)])
    rule = dict({"offer_threshold_s": 50, "acceptance": 1.0}, **callback)
    return _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                              "callback": rule}}, trace=trace)


def test_accepted_callbacks_keep_their_place_and_do_not_abandon(tmp_path):
    config = _callback_centre(tmp_path)
    result = _run(config)
    c = result.contacts
    # predicted waits 1 x 100 s and 2 x 100 s > 50: both accept; called back at 100 and 200
    assert _outcomes(c) == ["answered", "answered", "answered"]
    assert [CALLBACKS[x] for x in c.callback] == ["none", "reached", "reached"]
    assert c.wait_s.tolist() == [0.0, 90.0, 180.0] and c.end_time_s.tolist() == [100.0, 200.0, 300.0]
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "callbacks_offered")] == 2 and kpis[("phone", "callbacks_accepted")] == 2
    assert kpis[("phone", "callback_wait_s")] == 135.0 and kpis[("phone", "callback_success")] == 1.0
    assert kpis[("phone", "offered")] == 1 and kpis[("phone", "service_level")] == 1.0
    assert kpis[("phone", "aht_s")] == 100.0 and kpis[("phone", "end_to_end_time_s")] == pytest.approx((100 + 190 + 280) / 3)


def test_declined_or_unneeded_callbacks_leave_the_customer_waiting_as_usual(tmp_path):
    c = _run(_callback_centre(tmp_path, acceptance=0.0)).contacts
    assert _outcomes(c) == ["answered", "abandoned", "answered"]
    assert [CALLBACKS[x] for x in c.callback] == ["none", "declined", "declined"]
    # threshold 150: contact 1's predicted wait (100 s) is below it, contact 2's (200 s) above
    c = _run(_callback_centre(tmp_path, offer_threshold_s=150)).contacts
    assert _outcomes(c) == ["answered", "abandoned", "answered"]
    assert [CALLBACKS[x] for x in c.callback] == ["none", "none", "reached"]


def test_unanswered_callback_costs_the_agent_the_attempt_time(tmp_path):
    config = _callback_centre(tmp_path, success=0.0, attempt_time=det(30))
    result = _run(config)
    c = result.contacts
    # attempts 100-130 and 130-160, both unanswered
    assert _outcomes(c) == ["answered", "unreached", "unreached"]
    assert c.end_time_s.tolist() == [100.0, 130.0, 160.0]
    assert result.segments.busy_area.sum() == 160.0
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "callback_success")] == 0.0 and kpis[("phone", "callback_wait_s")] == 100.0
    assert kpis[("phone", "answered")] == 1 and kpis[("phone", "aht_s")] == 100.0


def test_booked_callback_joins_the_queue_at_the_booked_time(tmp_path):
    config = _callback_centre(tmp_path, scheduled_after_s=300)
    result = _run(config)
    c = result.contacts
    # 1 and 2 book callbacks for 310 and 320; at 310 the agent is idle and calls 1 (310-410); 2 joins the
    # queue at 320 and is called at 410, 90 s late
    assert [CALLBACKS[x] for x in c.callback] == ["none", "reached", "reached"]
    assert c.wait_s.tolist() == [0.0, 0.0, 90.0] and c.end_time_s.tolist() == [100.0, 410.0, 510.0]
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "callback_wait_s")] == pytest.approx((300.0 + 390.0) / 2)
    assert result.segments.queue_area.sum() == pytest.approx(90.0), "not in the queue before the booked time"


def test_accepting_callbacks_cuts_abandonment():
    def make(p):
        return _centre({"calls": dict(LOADED, callback={"offer_threshold_s": 60, "acceptance": p})},
                       staffing=8, hours=4)
    assert _paired(make, 0.0, 0.8, "callbacks_accepted").low > 0
    diff = _paired(make, 0.0, 0.8, "abandoned")
    assert diff.high < 0, f"abandoned: {diff.mean:.3f} [{diff.low:.3f}, {diff.high:.3f}]"


# ------------------------------------------------------------------------ overflow


def _overflow_centre(trace, after_s=30, vendor_skills=(), routing=None, **run):
    return _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                              "overflow": {"after_s": after_s, "groups": ["vendor"]}},
                    "own": {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(10)}},
                   trace=trace, groups={"main": {"skills": ["calls", "own"], "staffing": 1},
                                        "vendor": {"skills": list(vendor_skills), "staffing": 1}}, routing=routing, **run)


def test_overflow_makes_a_waiting_contact_eligible_for_the_vendor_after_the_delay(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (10, "calls", 100, None),
                                              (20, "calls", 100, None), (60, "calls", 100, None)])
    config = _overflow_centre(trace)
    result = _run(config)
    c = result.contacts
    # 1 overflows at 40 to the idle vendor; 2 overflows at 50 but the vendor is busy, and main takes it at
    # 100; 3 overflows at 90 and the vendor takes it at 140 (2's overflow entry is stale by then)
    assert [result.group_names[g] for g in c.agent_group] == ["main", "vendor", "main", "vendor"]
    assert c.wait_s.tolist() == [0.0, 30.0, 80.0, 80.0]
    assert c.overflowed.tolist() == [0, 1, 1, 1]
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "overflowed")] == 3 and kpis[("phone", "overflow_answered")] == 2
    assert kpis[("phone", "overflow_rate")] == 0.75


@pytest.mark.parametrize("selection, waits, groups", [
    # at 10 the vendor finds the call overflowed at 5 and its own contacts of 6 and 10 waiting
    ("priority_fcfs", [0.0, 0.0, 5.0, 94.0, 100.0], ["main", "vendor", "vendor", "main", "vendor"]),  # first come
    ("skill_order", [0.0, 0.0, 25.0, 4.0, 10.0], ["main", "vendor", "vendor", "vendor", "vendor"]),  # own skill first
])
def test_overflow_queue_competes_with_the_groups_own_skills(tmp_path, selection, waits, groups):
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (0, "own", 10, None), (5, "calls", 100, None),
                                              (6, "own", 10, None), (10, "own", 10, None)])
    config = _overflow_centre(trace, after_s=0, vendor_skills=["own"], routing={"queue_selection": selection})
    result = _run(config)
    assert result.contacts.wait_s.tolist() == waits
    assert [result.group_names[g] for g in result.contacts.agent_group] == groups


def test_earlier_overflow_shortens_waits():
    def make(after):
        return _centre({"calls": dict(LOADED, overflow={"after_s": after, "groups": ["vendor"]})},
                       groups={"main": {"skills": ["calls"], "staffing": 7}, "vendor": {"skills": [], "staffing": 2}},
                       hours=4)
    diff = _paired(make, 180.0, 20.0, "asa_s")
    assert diff.high < 0, f"asa_s: {diff.mean:.3f} [{diff.low:.3f}, {diff.high:.3f}]"
    assert _paired(make, 180.0, 20.0, "overflow_answered").low > 0


# ----------------------------------------------------------------- VIP classes


def test_vips_are_served_before_the_types_other_contacts(tmp_path):
    rows = [(0, "calls", 1000, None)] + [(i, "calls", 10, None) for i in range(1, 9)]
    trace = _write_trace(tmp_path / "t.csv", rows)
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(10),
                                "vip": {"share": 0.5, "priority": 5}}}, trace=trace, seed=3)
    result = _run(config)
    c = result.contacts
    vip = c.vip[1:]
    assert 0 < vip.sum() < len(vip), "the seed gives both classes"
    # after 1000 s the agent serves the waiting VIPs in arrival order, then the others, 10 s each
    order = [i for i in range(len(vip)) if vip[i]] + [i for i in range(len(vip)) if not vip[i]]
    expected = np.empty(len(vip))
    for k, i in enumerate(order):
        expected[i] = 1000.0 + 10.0 * k - (i + 1)
    np.testing.assert_allclose(c.wait_s[1:], expected)
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "vip_offered")] == c.vip.sum()
    assert kpis[("phone", "vip_service_level")] == pytest.approx((c.vip & (c.wait_s <= 20)).sum() / c.vip.sum())


def test_vip_class_gets_a_higher_service_level():
    def make(share):
        return _centre({"calls": dict(LOADED, vip={"share": share, "priority": 5})}, staffing=8, hours=4)
    diffs = []
    for r in range(8):
        config = make(0.15)
        kpis = replication_summary(simulate(config.scenario, config.run, r), config.scenario, config.run)
        diffs.append(kpis[("phone", "vip_service_level")] - kpis[("phone", "service_level")])
    ci = t_interval(np.asarray(diffs), 0.95)
    assert ci.low > 0, f"VIP SL - SL = {ci.mean:.3f} [{ci.low:.3f}, {ci.high:.3f}]"


# ------------------------------------------------------------- CX proxies (modelled)


def test_csat_and_nps_follow_the_documented_model_on_a_trace(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (40, "calls", 100, None),
                                              (50, "calls", 100, 20), (60, "bot", 10, None)])
    config = _centre({
        "calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                  "escalation": {"probability": 1.0, "to": "tier2"}},
        "tier2": {"channel": "phone", "arrivals": None, "handle_time": det(50)},
        "bot": {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(10),
                "self_service": {"containment": 1.0, "handle_time": det(30)}},
    }, trace=trace, cx={}, groups={"t1": {"skills": ["calls"], "staffing": 1}, "t2": {"skills": ["tier2"], "staffing": 1},
                                  "chat": {"skills": ["bot"], "staffing": 1}})
    c = _run(config).contacts
    # 0: t1 0-100, t2 100-150: no hold, transferred: 4.6 - 0.4 = 4.2.  1: holds 60 s at t1 (100-200), t2 200-250:
    # 4.6 - 0.3 - 0.4 = 3.9.  2: abandons at 70: 1.5.  3: deflected by the bot: 4.2
    assert c.wait_s.tolist()[:2] == [0.0, 60.0] and c.transfer_wait_s.tolist()[:2] == [0.0, 0.0]
    kpis = replication_summary(_run(config), config.scenario, config.run)
    assert kpis[("phone", "csat_modelled")] == pytest.approx((4.2 + 3.9 + 1.5) / 3)
    assert kpis[("chat", "csat_modelled")] == pytest.approx(4.2)
    # promoters: CSAT >= 4.5, none; detractors: CSAT < 3.5, the abandoned one
    assert kpis[("phone", "nps_modelled")] == pytest.approx(-100 / 3)
    assert kpis[("all", "nps_modelled")] == pytest.approx(-25.0)


def test_a_wait_is_judged_against_its_own_channels_threshold():
    """Hand-checked: 12 minutes on hold cost a phone caller (20 s threshold) the full 2 points, a chat
    customer (60 s) 12 thresholds x 0.1 = 1.2 and an email (4 h) 720 / 14400 x 0.1 = 0.005."""
    from sim.journeys.cx import CSAT_SUM, CxScorer, CxSpec
    from sim.engine.records import TALLY_FIELDS

    def csat(spec, channel):
        acc = np.zeros(len(TALLY_FIELDS))
        CxScorer(spec, [20.0, 60.0, 14400.0, 0.0]).answered(acc, 720.0, False, False, False, channel)
        return acc[CSAT_SUM]

    assert [csat(CxSpec(), ch) for ch in range(3)] == pytest.approx([2.6, 3.4, 4.595])
    assert csat(CxSpec(), 3) == pytest.approx(2.6), "a 0 s threshold counts as 20 s"
    per_minute = CxSpec(wait_penalty_per_minute=0.3)  # the same penalty per minute everywhere
    assert [csat(per_minute, ch) for ch in range(3)] == pytest.approx([2.6, 2.6, 2.6])


def test_a_chat_held_a_minute_loses_a_third_of_what_a_call_does_on_a_trace(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (0, "chats", 100, None),
                                              (40, "calls", 100, None), (40, "chats", 100, None)])
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100)},
                      "chats": {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100)}},
                     trace=trace, cx={}, groups={"p": {"skills": ["calls"], "staffing": 1},
                                                 "c": {"skills": ["chats"], "staffing": 1}})
    kpis = replication_summary(_run(config), config.scenario, config.run)
    # each second contact holds 60 s: phone 4.6 - 60/20 x 0.1 = 4.3, chat 4.6 - 60/60 x 0.1 = 4.5
    assert kpis[("phone", "csat_modelled")] == pytest.approx((4.6 + 4.3) / 2)
    assert kpis[("chat", "csat_modelled")] == pytest.approx((4.6 + 4.5) / 2)


def test_judging_waits_per_channel_lifts_email_and_leaves_phone_exactly_as_it_was():
    """Paired (same seed): the default centre scored per threshold against one per-minute penalty."""
    from sim import run_experiment

    from .report_helpers import default_raw

    raw = default_raw(replications=6)
    per_channel = run_experiment(load_config(raw)).replications
    raw["scenario"]["cx"] = {"wait_penalty_per_minute": 0.3}
    per_minute = run_experiment(load_config(raw)).replications

    def values(reps, channel, metric):
        return reps[(reps.channel == channel) & (reps.metric == metric)].sort_values("replication")["value"].to_numpy()

    np.testing.assert_array_equal(values(per_channel, "phone", "csat_modelled"), values(per_minute, "phone", "csat_modelled"))
    diff = paired_difference(values(per_minute, "email", "nps_modelled"), values(per_channel, "email", "nps_modelled"))
    assert diff.low > 0, f"email NPS: {diff.mean:.1f} [{diff.low:.1f}, {diff.high:.1f}]"


def test_more_agents_raise_modelled_csat_and_nps():
    def make(agents):
        return _centre({"calls": LOADED}, staffing=agents, hours=4, cx={})
    for metric in ("csat_modelled", "nps_modelled"):
        diff = _paired(make, 7, 9, metric)
        assert diff.low > 0, f"{metric}: {diff.mean:.3f} [{diff.low:.3f}, {diff.high:.3f}]"


# ------------------------------------------------------------------ concurrency


def test_an_agent_holds_up_to_max_chats_each_slower_by_the_curve(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "chats", 100, None), (10, "chats", 100, None),
                                              (20, "chats", 100, None)])
    config = _centre({"chats": {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100)}},
                     trace=trace, groups={"team": {"skills": ["chats"], "staffing": 1,
                                                   "concurrency": {"max": 2, "handle_time_factors": [1.0, 1.5]}}})
    result = _run(config)
    c = result.contacts
    # 0 alone: 0-100; 1 as the second chat: 150 s, 10-160; 2 waits for a free slot at 100, second chat: 100-250
    assert c.handle_time_s.tolist() == [100.0, 150.0, 150.0]
    assert c.wait_s.tolist() == [0.0, 0.0, 80.0] and c.end_time_s.tolist() == [100.0, 160.0, 250.0]
    seg = result.segments
    assert seg.busy_area.sum() == 250.0, "busy while holding at least one chat, not once per chat"
    assert seg.staffed_area[:2].sum() == pytest.approx(2 * 3600.0), "one agent logged in, not two slots"
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("all", "occupancy")] == pytest.approx(250.0 / 7200.0)
    assert kpis[("all", "agents_staffed")] == pytest.approx(1.0)


def test_more_concurrent_chats_shorten_waits_and_keep_occupancy_a_share():
    chats = {"channel": "chat", "arrivals": {"rate_per_hour": 60},
             "handle_time": {"dist": "exponential", "mean_s": 400},
             "patience": {"dist": "exponential", "mean_s": 300}}

    def make(k):
        concurrency = {"max": k, "handle_time_factors": [1.0 + 0.3 * i for i in range(k)]}
        return _centre({"chats": chats}, groups={"team": {"skills": ["chats"], "staffing": 6,
                                                          "concurrency": concurrency}}, hours=4)
    for metric in ("asa_s", "abandon_rate"):
        diff = _paired(make, 1, 3, metric, channel="chat")
        assert diff.high < 0, f"{metric}: {diff.mean:.3f} [{diff.low:.3f}, {diff.high:.3f}]"
    diff = _paired(make, 1, 3, "aht_s", channel="chat")
    assert diff.low > 0, "handle times get longer with concurrent chats"


# ------------------------------------------------------------------ deferrable work


def test_blended_agents_take_email_only_while_the_reserve_stays_idle(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "email", 100, None), (10, "email", 100, None),
                                              (20, "calls", 30, None)])
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(30),
                                "priority": 1},
                      "email": {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                                "deferrable": {"reserve_agents": 1}}}, trace=trace, staffing=2)
    result = _run(config)
    c = result.contacts
    # email 0: two idle, one may take it (0-100).  email 1 at 10: one idle, kept for live work: waits.
    # the call at 20 takes the reserve (20-50); freed at 50 it may not take the email (nobody else idle);
    # at 100 the first agent is freed with the other idle: it takes the email (100-200)
    assert c.wait_s.tolist() == [0.0, 90.0, 0.0]
    assert c.end_time_s.tolist() == [100.0, 200.0, 50.0]


def test_backlog_at_interval_end_counts_contacts_still_waiting(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "email", 1000, None), (0, "email", 1000, None),
                                              (0, "email", 1000, None)])
    config = _centre({"email": {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(1000)}},
                     trace=trace)
    result = _run(config)
    columns = replication_intervals(result, config.scenario, config.run)
    chat = [v for v, ch in zip(columns["backlog"], columns["channel"]) if ch == "chat"]
    # served 0-1000, 1000-2000, 2000-3000: at 1 h nothing waits; the interval tables are hourly here
    assert chat == [0.0, 0.0]
    config = _centre({"email": {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(1000)}},
                     trace=_write_trace(tmp_path / "u.csv", [(0, "email", 5000, None)] * 3), drain=False)
    result = _run(config)
    columns = replication_intervals(result, config.scenario, config.run)
    chat = [v for v, ch in zip(columns["backlog"], columns["channel"]) if ch == "chat"]
    assert chat == [2.0, 1.0], "served 0-5000, 5000-10000, 10000-15000: two wait at 1 h, one at 2 h"
    assert replication_summary(result, config.scenario, config.run)[("chat", "backlog")] == 1.0


def test_a_larger_reserve_lengthens_email_first_response_but_shortens_live_waits():
    def make(r):
        return _centre({"calls": dict(LOADED, priority=1),
                        "email": {"channel": "chat", "arrivals": {"rate_per_hour": 20},
                                  "handle_time": {"dist": "exponential", "mean_s": 400}, "deferrable": {"reserve_agents": r}}},
                       staffing=10, hours=4)
    assert _paired(make, 0, 2, "asa_s", channel="chat").low > 0, "email waits longer"
    assert _paired(make, 0, 2, "asa_s", channel="phone").high < 0, "live calls wait less"


# ------------------------------------------------------------------- conservation


@st.composite
def journey_centres(draw):
    dist = {"dist": "exponential", "mean_s": draw(st.floats(30.0, 600.0))}
    calls = {"channel": "phone", "arrivals": {"rate_per_hour": draw(st.floats(10.0, 120.0))},
             "handle_time": {"dist": "exponential", "mean_s": draw(st.floats(60.0, 400.0))},
             "patience": draw(st.one_of(st.none(), st.just({"dist": "exponential", "mean_s": 120.0}))),
             "queue_capacity": draw(st.one_of(st.none(), st.integers(0, 3)))}
    chats = {"channel": "chat", "arrivals": {"rate_per_hour": draw(st.floats(0.0, 60.0))},
             "handle_time": {"dist": "exponential", "mean_s": 300.0},
             "patience": {"dist": "exponential", "mean_s": 200.0}}
    if draw(st.booleans()):
        calls["self_service"] = {"containment": draw(st.floats(0.0, 1.0)), "handle_time": dist,
                                 "concurrency": draw(st.one_of(st.none(), st.integers(1, 3)))}
    if draw(st.booleans()):
        chats["self_service"] = {"containment": draw(st.floats(0.0, 1.0)), "handle_time": dist,
                                 "handoff_patience_factor": 0.5}
    if draw(st.booleans()):
        calls["retrial"] = {"probability": draw(st.floats(0.0, 1.0)), "delay": dist,
                            "switch_to": "chats", "switch_probability": draw(st.floats(0.0, 1.0))}
    if draw(st.booleans()):
        calls["repeat"] = {"probability": draw(st.floats(0.0, 1.0)), "delay": dist, "to": "chats"}
        chats["repeat"] = {"probability": draw(st.floats(0.0, 1.0)), "delay": dist}
    if draw(st.booleans()):
        calls["vip"] = {"share": draw(st.floats(0.0, 1.0)), "priority": 3}
    if draw(st.booleans()):
        calls["callback"] = {"offer_threshold_s": draw(st.floats(0.0, 300.0)), "acceptance": draw(st.floats(0.0, 1.0)),
                             "success": draw(st.floats(0.0, 1.0)),
                             "scheduled_after_s": draw(st.one_of(st.none(), st.floats(60.0, 3600.0)))}
    staffing = draw(st.integers(1, 4))
    groups = {"agents": {"skills": ["calls", "chats"], "staffing": staffing}}
    types = {"calls": calls, "chats": chats}
    if draw(st.booleans()):  # deferrable work, worked by the agents when no live contact waits
        hours = draw(st.sampled_from([None, {"from": "01:00", "to": "02:00"}]))
        types["emails"] = {"channel": "chat", "arrivals": {"rate_per_hour": draw(st.floats(0.0, 40.0))},
                           "handle_time": {"dist": "exponential", "mean_s": 300.0}, "priority": 0,
                           "deferrable": {"reserve_agents": draw(st.integers(0, 2)),
                                          **({"hours": hours} if hours else {})}}
        groups["agents"]["skills"].append("emails")
    if draw(st.booleans()):
        groups["chat_team"] = {"skills": ["chats"], "staffing": draw(st.integers(0, 2)),
                               "concurrency": {"max": draw(st.integers(1, 3))}}
    if draw(st.booleans()):
        calls["overflow"] = {"after_s": draw(st.floats(0.0, 300.0)), "groups": ["vendor"]}
        groups["vendor"] = {"skills": draw(st.sampled_from([[], ["chats"]])), "staffing": draw(st.integers(0, 2))}
    return dict(types=types, groups=groups, drain=draw(st.booleans()),
                seed=draw(st.integers(0, 10_000)), cx=draw(st.sampled_from([None, {}])),
                days=draw(st.sampled_from([1, 1, 2])))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journey_centres())
def test_every_arrival_ends_exactly_once_with_bots_retrials_repeats_and_callbacks(case):
    config = _centre(case["types"], groups=case["groups"], hours=3, seed=case["seed"], drain=case["drain"],
                     cx=case["cx"], days=case["days"])
    result = _run(config)
    c = result.contacts
    assert c.contact_id.tolist() == list(range(len(c))), "each arrival recorded once"
    counts = np.bincount(c.outcome, minlength=len(OUTCOMES))
    live = c.contact_type != list(config.scenario.contact_types).index("emails") if "emails" in case["types"] \
        else np.ones(len(c), bool)
    if case["drain"]:  # the drain serves every live contact (deferrable work may wait outside its hours)
        assert not (c.outcome[live] == IN_SYSTEM).any()
    # returns link to an earlier first contact and follow the right outcome
    first = c.attempt == 0
    assert (c.customer_id[first] == c.contact_id[first]).all()
    assert np.isin(c.customer_id[~first], c.contact_id[first]).all()
    assert (c.arrival_time_s < config.run.horizon_s).all(), "no return after the horizon"
    deflected = c.outcome == DEFLECTED
    assert (c.bot_time_s[deflected] > 0).all() and np.isnan(c.wait_s[deflected]).all()
    # the tallies agree with the log, outcome by outcome
    kpis = replication_summary(result, config.scenario, config.run)
    accepted = c.callback >= CALLBACKS.index("waiting")
    in_bot = (c.outcome == IN_SYSTEM) & (c.bot_time_s > 0) & np.isnan(c.wait_s) & ~accepted
    assert kpis[("all", "arrivals")] == len(c)
    assert kpis[("all", "answered")] == (c.answered & ~accepted).sum()
    assert kpis[("all", "overflowed")] == (c.overflowed > 0).sum()
    groups = group_summary(result, config.run)
    for name in config.scenario.agent_groups:  # concurrent work counts an agent busy once
        occupancy = groups[(name, "occupancy")]
        assert math.isnan(occupancy) or occupancy <= 1.0 + 1e-9, (name, occupancy)
    if case["cx"] is not None:  # every contact that left has a CSAT in [1, 5]
        scored = result.segments.tally[..., TALLY_FIELDS.index("cx_scored")].sum()
        assert scored == len(c) - counts[IN_SYSTEM]
        assert 1.0 <= kpis[("all", "csat_modelled")] <= 5.0 or scored == 0
    assert kpis[("all", "vip_offered")] == (c.vip & ~np.isin(c.outcome, [BLOCKED, DEFLECTED]) & ~accepted & ~in_bot).sum()
    if case["drain"] and config.scenario.agent_groups["agents"].staffing[0]:
        assert not (c.outcome[live] == IN_SYSTEM).any()
    assert kpis[("all", "deflected")] == counts[DEFLECTED]
    assert kpis[("all", "blocked")] == counts[BLOCKED]
    assert kpis[("all", "callbacks_accepted")] == accepted.sum()
    assert kpis[("all", "offered")] == len(c) - counts[BLOCKED] - counts[DEFLECTED] - in_bot.sum() - accepted.sum()
    assert (c.outcome[c.callback == CALLBACKS.index("unreached")] != ABANDONED).all()
    assert kpis[("all", "retrials")] == (c.attempt == 1).sum()
    assert kpis[("all", "repeat_contacts")] == (c.attempt == 2).sum()
    assert kpis[("all", "unique_customers")] == first.sum()
    # retrials follow only abandoned or blocked contacts of the same customer
    for cust in np.unique(c.customer_id[c.attempt == 1]):
        rows = np.flatnonzero(c.customer_id == cust)
        assert np.isin(c.outcome[rows[:-1]], [ABANDONED, BLOCKED, ANSWERED, DEFLECTED]).all()


# -------------------------------------------------------------------- directions

LOADED = {
    "channel": "phone", "arrivals": {"rate_per_hour": 100},
    "handle_time": {"dist": "exponential", "mean_s": 300},
    "patience": {"dist": "exponential", "mean_s": 180},
}


def _paired(make, low, high, metric, channel="phone", reps=8):
    """Per-replication ``metric(high) - metric(low)`` with common random numbers, and its 95% interval."""
    diffs = []
    for r in range(reps):
        values = []
        for x in (low, high):
            config = make(x)
            res = simulate(config.scenario, config.run, r)
            values.append(replication_summary(res, config.scenario, config.run)[(channel, metric)])
        diffs.append(values[1] - values[0])
    return t_interval(np.asarray(diffs), 0.95)


def test_more_containment_lowers_offered_load_and_waits():
    def make(p):
        return _centre({"calls": dict(LOADED, self_service={"containment": p, "handle_time": det(60)})},
                       staffing=9, hours=4)
    for metric in ("offered", "asa_s", "abandon_rate"):
        diff = _paired(make, 0.1, 0.4, metric)
        assert diff.high < 0, f"{metric}: 0.4 - 0.1 containment = {diff.mean:.3f} [{diff.low:.3f}, {diff.high:.3f}]"
    diff = _paired(make, 0.1, 0.4, "containment_rate")
    assert diff.low < 0.3 < diff.high


def test_more_retrials_add_arrivals_but_not_customers():
    def make(p):
        return _centre({"calls": dict(LOADED, retrial={"probability": p, "delay": {"dist": "exponential",
                                                                                     "mean_s": 300}})},
                       staffing=8, hours=4)
    assert _paired(make, 0.0, 0.8, "unique_customers").mean == 0, "first arrivals are common random numbers"
    for metric in ("retrials", "offered", "abandoned", "asa_s"):
        diff = _paired(make, 0.0, 0.8, metric)
        assert diff.low > 0, f"{metric}: {diff.mean:.3f} [{diff.low:.3f}, {diff.high:.3f}]"


def test_more_unresolved_issues_lower_fcr_and_raise_repeats_and_waits():
    def make(p):
        return _centre({"calls": dict(LOADED, repeat={"probability": p, "delay": {"dist": "exponential",
                                                                                    "mean_s": 900}})},
                       staffing=9, hours=4)
    assert _paired(make, 0.05, 0.3, "fcr").high < 0
    for metric in ("repeat_rate", "asa_s", "offered"):
        diff = _paired(make, 0.05, 0.3, metric)
        assert diff.low > 0, f"{metric}: {diff.mean:.3f} [{diff.low:.3f}, {diff.high:.3f}]"


def test_unresolved_share_of_answered_contacts_matches_the_probability():
    """Each answered contact starts a repeat with the configured probability (CI over replications)."""
    p = 0.3
    config = _centre({"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 60},
                                "handle_time": {"dist": "exponential", "mean_s": 120},
                                "repeat": {"probability": p, "delay": det(1), "max_repeats": 50}}},
                     staffing=5, hours=8)
    shares = []
    for r in range(10):
        c = _run(config, r).contacts
        answered = c.outcome == ANSWERED
        # a repeat arrives 1 s after its predecessor ends; those ending in the last second are dropped
        early = answered & (c.end_time_s < config.run.horizon_s - 1)
        followed = np.isin(c.end_time_s[early] + 1.0, c.arrival_time_s[c.attempt == 2])
        shares.append(followed.mean())
    ci = t_interval(np.asarray(shares), 0.99)
    assert ci.low < p < ci.high, f"share unresolved {ci.mean:.4f} [{ci.low:.4f}, {ci.high:.4f}]"
