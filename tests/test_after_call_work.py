"""After-call work (wrap-up, sim.journeys.after_call_work): the agent stays busy after the customer left.

Exact hand-checked traces (waits, end times, busy time, the AHT split into talk and wrap-up;
escalation, per-group wrap-up, a log-off during wrap-up, a concurrent chat slot), a paired
directional test with common random numbers, conservation of contacts and of busy time, bad
input (one-line errors naming the key path), and nothing changed when it is off.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.errors import ConfigError
from sim.engine.records import OUTCOMES, TALLY_FIELDS
from sim.experiments.stats import t_interval
from sim.model.centre import MECHANISMS, CentreModel, simulate
from sim.model.metrics import (group_summary, replication_intervals, replication_summary, replication_type_intervals,
                               replication_types)

from .test_golden_outputs import test_reference_run_reproduces_its_recorded_outputs as golden_run
from .test_journeys import LOADED, _centre, det
from .test_model import _write_trace

WRAP_S, WRAPS = TALLY_FIELDS.index("wrap_up_s"), TALLY_FIELDS.index("wrap_ups")


def _run(config, replication=0):
    return simulate(config.scenario, config.run, replication, keep_contacts=True)


def _calls(**extra) -> dict:
    return dict({"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100)}, **extra)


# ------------------------------------------------------------------ exact traces


def test_wrap_up_keeps_the_agent_busy_after_the_customer_left(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (10, "calls", 50, None),
                                              (200, "calls", 30, None)])
    config = _centre({"calls": _calls(after_call_work=det(20))}, trace=trace, hours=1)
    result = _run(config)
    c = result.contacts
    # one agent.  0: served 0-100, wraps 100-120.  1: arrived 10, waits until 120 (110 s), served 120-170,
    # wraps 170-190.  2: arrives 200 to an idle agent, served 200-230, wraps 230-250.
    assert [OUTCOMES[o] for o in c.outcome] == ["answered"] * 3
    assert c.wait_s.tolist() == [0.0, 110.0, 0.0]
    assert c.end_time_s.tolist() == [100.0, 170.0, 230.0]  # the customer's end: no wrap-up in it
    assert result.segments.busy_area.sum() == 100 + 50 + 30 + 3 * 20  # 240 agent-seconds
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "asa_s")] == pytest.approx(110 / 3)
    assert kpis[("phone", "end_to_end_time_s")] == pytest.approx((100 + 160 + 30) / 3)  # no wrap-up either
    assert kpis[("phone", "talk_time_s")] == 60.0  # (100 + 50 + 30) / 3
    assert kpis[("phone", "wrap_up_s")] == 20.0
    assert kpis[("phone", "aht_s")] == 80.0  # talk + wrap-up
    assert kpis[("all", "occupancy")] == pytest.approx(240 / 3600)
    types = replication_types(result, config.run, config.scenario)
    assert (types[("calls", "talk_time_s")], types[("calls", "wrap_up_s")], types[("calls", "aht_s")]) == (60, 20, 80)
    # per interval (one hour here), per channel and per contact type: the same split
    intervals = replication_intervals(result, config.scenario, config.run)
    phone = list(intervals["channel"]).index("phone")
    assert (intervals["talk_time_s"][phone], intervals["wrap_up_s"][phone]) == (60, 20)
    by_type = replication_type_intervals(result, config.scenario, config.run)
    assert (by_type["talk_time_s"][0], by_type["wrap_up_s"][0], by_type["aht_s"][0]) == (60, 20, 80)
    assert c.wrap_up_s.tolist() == [20.0, 20.0, 20.0]  # the contact log: each one's wrap-up
    # the same trace without wrap-up: 1 starts at 100, and the log has no wrap-up to show
    off = _run(_centre({"calls": _calls()}, trace=trace, hours=1))
    assert off.contacts.wait_s.tolist() == [0.0, 90.0, 0.0]
    assert np.isnan(off.contacts.wrap_up_s).all()


def test_escalated_contact_wraps_up_after_each_service_with_that_types_wrap_up(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "tier1", 100, None)])
    config = _centre({
        "tier1": _calls(after_call_work=det(10), escalation={"probability": 1.0, "to": "tier2"}),
        "tier2": {"channel": "phone", "handle_time": det(50), "after_call_work": det(40)},
    }, trace=trace, hours=1)
    result = _run(config)
    c = result.contacts
    # served 0-100 (tier 1), escalated at 100 while its agent wraps up 100-110; the same agent takes it
    # at 110 (transfer wait 10), serves it 110-160 (tier 2) and wraps up 160-200
    assert c.transfer_wait_s.tolist() == [10.0]
    assert c.transfer_handle_time_s.tolist() == [50.0]
    assert c.end_time_s.tolist() == [160.0]
    assert c.wrap_up_s.tolist() == [40.0]  # the contact log: the wrap-up of its last service (tier 2)
    assert result.segments.busy_area.sum() == 100 + 10 + 50 + 40
    kpis = replication_summary(result, config.scenario, config.run)
    # two services, counted under tier1 (the type it arrived as): talk (100 + 50) / 2, wrap-up (10 + 40) / 2
    assert (kpis[("phone", "talk_time_s")], kpis[("phone", "wrap_up_s")], kpis[("phone", "aht_s")]) == (75, 25, 100)


def test_wrap_up_by_group_replaces_the_types_own(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (0, "calls", 100, None),
                                              (130, "calls", 10, None)])
    config = _centre({"calls": _calls(after_call_work=det(20), after_call_work_by_group={"b": det(60)})},
                     trace=trace, hours=1, groups={"a": {"skills": ["calls"], "staffing": 1},
                                                   "b": {"skills": ["calls"], "staffing": 1}})
    result = _run(config)
    # a and b serve 0-100; a wraps up to 120, b to 160; at 130 only a is free: it serves 130-140, wraps to 160
    assert [result.group_names[g] for g in result.contacts.agent_group][2] == "a"
    assert result.segments.busy_area.sum(axis=0).tolist() == [100 + 20 + 10 + 20, 100 + 60]
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "wrap_up_s")] == pytest.approx((20 + 60 + 20) / 3)


def test_an_agent_logging_off_finishes_its_wrap_up_first(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(3590, "calls", 5, None), (3605, "calls", 5, None)])
    config = _centre({"calls": _calls(after_call_work=det(20))}, trace=trace, hours=2, staffing=[1, 0])
    result = _run(config)
    seg = result.segments
    # served 3590-3595, wraps up 3595-3615: the staffing drop at 3600 marks it to leave; it logs off at
    # 3615 without taking the contact waiting since 3605 (nobody is logged in after it)
    assert seg.staffed_area[1, 0] == pytest.approx(15.0)
    assert seg.busy_area[0, 0] == pytest.approx(5.0 + 5.0) and seg.busy_area[1, 0] == pytest.approx(15.0)
    assert [OUTCOMES[o] for o in result.contacts.outcome] == ["answered", "in_system"]


def test_wrap_up_occupies_a_concurrent_slot_and_counts_as_a_contact_held(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "chats", 100, None), (110, "chats", 10, None)])
    config = _centre({"chats": {"channel": "chat", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                                "after_call_work": det(20)}}, trace=trace, hours=1,
                     groups={"chat": {"skills": ["chats"], "staffing": 1,
                                      "concurrency": {"max": 2, "handle_time_factors": [1.0, 1.5]}}})
    result = _run(config)
    # slot 1 serves 0-100 and wraps up 100-120; at 110 slot 2 takes the second chat while the agent holds
    # the wrap-up: factor 1.5, so 110-125, then wraps up 125-145.  The seat is busy 0-145.
    assert result.contacts.handle_time_s.tolist() == [100.0, 15.0]
    assert result.contacts.end_time_s.tolist() == [100.0, 125.0]
    assert result.segments.busy_area.sum() == pytest.approx(145.0)


# ------------------------------------------------------------------ direction, common random numbers


def test_the_contact_log_shows_each_contacts_last_wrap_up_and_changes_no_number(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (10, "calls", 50, 5), (20, "plain", 30, None)])
    config = _centre({"calls": _calls(after_call_work=det(20)),
                      "plain": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(30)}},
                     trace=trace, hours=1)
    c = _run(config).contacts
    # one agent.  0: served 0-100, wraps to 120.  1 (patience 5) abandons at 15.  2 (a type without
    # wrap-up) waits until 120, is served 120-150: 0 s of wrap-up, where the abandoned one has none (NaN)
    assert [OUTCOMES[o] for o in c.outcome] == ["answered", "abandoned", "answered"]
    assert c.wait_s.tolist() == [0.0, 5.0, 100.0]
    assert c.wrap_up_s[0] == 20.0 and np.isnan(c.wrap_up_s[1]) and c.wrap_up_s[2] == 0.0
    # a loaded run with and without the log: the same tallies, and every served contact has a wrap-up
    loaded = _loaded(30.0)
    kept = _run(loaded, 1)
    plain = CentreModel(loaded.scenario, loaded.run, 1).run()
    np.testing.assert_array_equal(kept.segments.tally, plain.segments.tally)
    np.testing.assert_array_equal(kept.segments.busy_area, plain.segments.busy_area)
    served = kept.contacts.outcome == OUTCOMES.index("answered")
    assert np.isfinite(kept.contacts.wrap_up_s[served]).all() and np.isnan(kept.contacts.wrap_up_s[~served]).all()


def _loaded(wrap_s: float):
    calls = dict(LOADED)
    if wrap_s:
        calls["after_call_work"] = {"dist": "exponential", "mean_s": wrap_s}
    return _centre({"calls": calls}, staffing=8, hours=4)


def test_wrap_up_raises_waits_and_occupancy_with_the_same_draws():
    reps = 8
    diffs = {"asa_s": [], "occupancy": []}
    for r in range(reps):
        off, on = (_loaded(x) for x in (0.0, 30.0))
        a, b = _run(off, r), _run(on, r)
        # common random numbers: the same arrivals, and the same handle time for every contact served in both
        np.testing.assert_array_equal(a.contacts.arrival_time_s, b.contacts.arrival_time_s)
        both = np.isfinite(a.contacts.handle_time_s) & np.isfinite(b.contacts.handle_time_s)
        np.testing.assert_array_equal(a.contacts.handle_time_s[both], b.contacts.handle_time_s[both])
        ka = replication_summary(a, off.scenario, off.run)
        kb = replication_summary(b, on.scenario, on.run)
        diffs["asa_s"].append(kb[("phone", "asa_s")] - ka[("phone", "asa_s")])
        diffs["occupancy"].append(kb[("all", "occupancy")] - ka[("all", "occupancy")])
        assert kb[("phone", "aht_s")] == pytest.approx(kb[("phone", "talk_time_s")] + kb[("phone", "wrap_up_s")])
    for metric, values in diffs.items():
        diff = t_interval(np.asarray(values), 0.95)
        assert diff.low > 0, f"{metric}: {diff.mean:.4f} [{diff.low:.4f}, {diff.high:.4f}]"


# ------------------------------------------------------------------ conservation


@pytest.mark.parametrize("replication", range(3))
def test_every_arrival_ends_once_and_busy_time_is_talk_plus_wrap_up(replication):
    config = _centre({
        "calls": dict(LOADED, after_call_work={"dist": "gamma", "mean_s": 40, "cv": 0.5},
                      after_call_work_by_group={"b": {"dist": "exponential", "mean_s": 90}},
                      escalation={"probability": 0.2, "to": "expert"},
                      retrial={"probability": 0.5, "delay": {"dist": "exponential", "mean_s": 300}}),
        "expert": {"channel": "phone", "handle_time": {"dist": "exponential", "mean_s": 200},
                   "patience": {"dist": "exponential", "mean_s": 300}, "after_call_work": det(15)},
    }, groups={"a": {"skills": ["calls", "expert"], "staffing": 5}, "b": {"skills": ["expert", "calls"], "staffing": 3}},
        hours=3, drain=True)
    result = _run(config, replication)
    c = result.contacts
    tally = result.segments.tally.sum(axis=(0, 1))
    assert len(c) == tally[TALLY_FIELDS.index("arrivals")] == len(set(c.contact_id.tolist()))
    assert not (c.outcome == OUTCOMES.index("in_system")).any()  # drained: every arrival ended
    services = np.isfinite(c.handle_time_s).sum() + np.isfinite(c.transfer_handle_time_s).sum()
    assert tally[WRAPS] == services > 0
    talk = np.nansum(c.handle_time_s) + np.nansum(c.transfer_handle_time_s)
    assert result.segments.busy_area.sum() == pytest.approx(talk + tally[WRAP_S], rel=1e-9)
    # each group is busy less than it is logged in (wrap-up counted once, inside logged-in time)
    groups = group_summary(result, config.run)
    assert all(groups[(g, "occupancy")] <= 1.0 + 1e-9 for g in ("a", "b"))


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("calls, where, message", [
    ({"after_call_work": {"dist": "exponential", "mean_s": -30}}, "calls.after_call_work.mean_s", "-30"),
    ({"after_call_work": {"dist": "weibull", "mean_s": 30}}, "calls.after_call_work.dist", "weibull"),
    ({"after_call_work": {"dist": "exponential", "mean_s": 30, "sd": 3}}, "calls.after_call_work.sd", "unknown key"),
    ({"after_call_work": {"dist": "lognormal", "mean_s": 30}}, "calls.after_call_work.cv", "required"),
    ({"after_call_wrk": det(30)}, "calls.after_call_wrk", "did you mean 'after_call_work'"),
    ({"after_call_work_by_group": {"nobody": det(30)}}, "calls.after_call_work_by_group.nobody",
     "expected an agent group"),
    ({"after_call_work_by_group": {"agents": {"dist": "exponential", "mean_s": 0}}},
     "calls.after_call_work_by_group.agents.mean_s", "0"),
])
def test_bad_after_call_work_is_a_one_line_error_naming_the_key(calls, where, message):
    with pytest.raises(ConfigError) as err:
        _centre({"calls": _calls(**calls)})
    text = str(err.value)
    assert err.value.where == f"scenario.contact_types.{where}"
    assert text.startswith(f"scenario.contact_types.{where}: ") and message in text and "\n" not in text


# ------------------------------------------------------------------ off: nothing changes


def test_without_after_call_work_the_mechanism_is_not_built_and_its_kpis_are_not_reported(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None)])
    config = _centre({"calls": _calls()}, trace=trace, hours=1)
    model = CentreModel(config.scenario, config.run, 0)
    assert model.wrap_up is None and not any(type(m).__name__ == "AfterCallWork" for m in model.mechanisms)
    result = model.run()
    kpis = replication_summary(result, config.scenario, config.run)
    assert ("phone", "talk_time_s") not in kpis and ("phone", "wrap_up_s") not in kpis
    assert kpis[("phone", "aht_s")] == 100.0
    assert "wrap_up_s" not in replication_intervals(result, config.scenario, config.run)
    assert "wrap_up_s" not in replication_type_intervals(result, config.scenario, config.run)
    assert "AfterCallWork" in [m.__name__ for m in MECHANISMS]


@pytest.mark.parametrize("case", ["default", "single_queue"])
def test_reference_runs_without_after_call_work_are_unchanged(case, tmp_path):
    golden_run(case, tmp_path)
