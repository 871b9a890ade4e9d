"""Transfers as a graph (sim.journeys.transfers): destinations after a service, several hops, warm transfers.

Exact hand-checked traces (a two-hop chain, a cycle stopped by its hop limit, per-group
probabilities, a warm transfer whose first agent is held through the wait and the conference,
and released when the customer abandons), the one-destination case drawing exactly the numbers
of ``escalation``, a paired directional test with common random numbers, validation against an
open Jackson network with feedback (tier 2 sends a share back to tier 1), and bad input (one-line
errors naming the key path, in-process and through ``python -m sim``).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import run_experiment
from sim.engine.errors import ConfigError
from sim.engine.records import OUTCOMES, TALLY_FIELDS
from sim.erlang import erlang_c_metrics
from sim.experiments.comparison import compare_replications
from sim.experiments.stats import t_interval
from sim.model.centre import simulate
from sim.model.metrics import replication_summary
from sim.planning.staffing import offered_load

from .conftest import centre_config, validation_size
from .test_bad_input import assert_one_line_error, run_sim
from .test_journeys import LOADED, _centre, det
from .test_model import _write_trace

F = {name: i for i, name in enumerate(TALLY_FIELDS)}


def _run(config, replication=0):
    return simulate(config.scenario, config.run, replication, keep_contacts=True)


def _phone(handle_s: float, **extra) -> dict:
    return dict({"channel": "phone", "handle_time": det(handle_s)}, **extra)


def _to(*dests, max_hops=None) -> dict:
    out = {"destinations": [dict(to=d[0], probability=d[1], **(d[2] if len(d) > 2 else {})) for d in dests]}
    if max_hops is not None:
        out["max_hops"] = max_hops
    return out


# ------------------------------------------------------------------ exact traces


def test_a_two_hop_chain_waits_and_ends_as_computed_by_hand(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "t1", 100, None), (10, "t1", 50, None)])
    config = _centre({"t1": _phone(100, transfers=_to(("t2", 1.0))),
                      "t2": _phone(30, transfers=_to(("t3", 1.0), max_hops=2)),
                      "t3": _phone(20)}, trace=trace, hours=1)
    result = _run(config)
    c = result.contacts
    # one agent, first come first served across the queues (by the time each entered its queue):
    # 0: t1 0-100 -> t2 at 100.  1: waits 10-100, t1 100-150 -> t2 at 150.  0: t2 150-180 (waited 50) -> t3.
    # 1: t2 180-210 (waited 30) -> t3.  0: t3 210-230 (waited 30), ends.  1: t3 230-250 (waited 20), ends.
    assert [OUTCOMES[o] for o in c.outcome] == ["answered", "answered"]
    assert c.wait_s.tolist() == [0.0, 90.0]
    assert c.handle_time_s.tolist() == [100.0, 50.0]
    assert c.transfers.tolist() == [2, 2]
    assert c.escalated.tolist() == [True, True]
    assert c.transfer_wait_s.tolist() == [30.0, 20.0]  # the last transfer's wait
    assert c.transfer_handle_time_s.tolist() == [20.0, 20.0]
    assert c.end_time_s.tolist() == [230.0, 250.0]
    tally = result.segments.tally.sum(axis=(0, 1))
    assert tally[F["escalated"]] == 2 and tally[F["transfers_answered"]] == 4  # every transfer queue counts
    assert tally[F["transfer_wait_s"]] == 50 + 30 + 30 + 20
    assert tally[F["handles"]] == 6 and tally[F["handle_s"]] == 100 + 50 + 30 + 30 + 20 + 20
    assert result.segments.busy_area.sum() == 250.0
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "transfer_asa_s")] == pytest.approx(130 / 4)
    assert kpis[("phone", "aht_s")] == pytest.approx(250 / 6)
    assert kpis[("phone", "end_to_end_time_s")] == pytest.approx((230 + 240) / 2)
    # without max_hops on t2 (default 1) a transferred contact is not transferred again: both end at t2
    config = _centre({"t1": _phone(100, transfers=_to(("t2", 1.0))), "t2": _phone(30, transfers=_to(("t3", 1.0))),
                      "t3": _phone(20)}, trace=trace, hours=1)
    c = _run(config).contacts
    assert c.transfers.tolist() == [1, 1] and c.end_time_s.tolist() == [180.0, 210.0]


def test_a_cycle_goes_round_until_its_hop_limit(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "tier1", 100, None)])
    config = _centre({"tier1": _phone(40, transfers=_to(("tier2", 1.0), max_hops=3)),
                      "tier2": _phone(30, transfers=_to(("tier1", 1.0), max_hops=3))}, trace=trace, hours=1)
    result = _run(config)
    c = result.contacts
    # tier1 0-100, tier2 100-130, back to tier1 130-170, tier2 170-200: three transfers, then it leaves
    assert c.transfers.tolist() == [3]
    assert c.end_time_s.tolist() == [200.0]
    assert c.transfer_handle_time_s.tolist() == [30.0]
    tally = result.segments.tally.sum(axis=(0, 1))
    assert tally[F["handles"]] == 4 and tally[F["handle_s"]] == 200.0


def test_probability_by_group_replaces_the_default_for_that_groups_services(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 100, None), (0, "calls", 100, None)])
    config = _centre({"calls": _phone(100, transfers=_to(("expert", 1.0, {"probability_by_group": {"b": 0.0}}))),
                      "expert": _phone(50)}, trace=trace, hours=1,
                     groups={"a": {"skills": ["calls"], "staffing": 1}, "b": {"skills": ["calls"], "staffing": 1},
                             "x": {"skills": ["expert"], "staffing": 1}})
    c = _run(config).contacts
    # a (listed first) takes contact 0 and transfers it (probability 1); b takes contact 1 and never does
    assert c.agent_group.tolist() == [0, 1]
    assert c.transfers.tolist() == [1, 0]
    assert c.end_time_s.tolist() == [150.0, 100.0]


def _warm(patience=None) -> dict:
    tier2 = _phone(60) if patience is None else _phone(60, patience=det(patience))
    return {"tier1": _phone(100, transfers=_to(("tier2", 1.0, {"warm": {"conference_time": det(15)}}))),
            "tier2": tier2}


GROUPS = {"front": {"skills": ["tier1"], "staffing": 1}, "back": {"skills": ["tier2"], "staffing": 1}}


def test_a_warm_transfer_holds_the_first_agent_through_the_wait_and_the_conference(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "tier1", 100, None), (50, "tier2", 80, None),
                                              (110, "tier1", 10, None)])
    result = _run(_centre(_warm(), trace=trace, hours=1, groups=GROUPS))
    c = result.contacts
    # 0: front 0-100, warm transfer: waits for back (busy 50-130 with contact 1) 100-130, then back serves it
    # 130-205 (15 s conference + 60 s); front stays with the customer 100-145.  2: arrives at 110, front is
    # held, so it waits until 145 and is served 145-155; transferred warm too, it waits for back until 205,
    # back serves it 205-280 and front holds it 155-220.
    assert c.transfer_wait_s.tolist()[::2] == [30.0, 50.0]
    assert c.transfer_handle_time_s.tolist()[::2] == [75.0, 75.0]  # the conference is part of the destination service
    assert c.end_time_s.tolist() == [205.0, 130.0, 280.0]
    assert c.wait_s.tolist() == [0.0, 0.0, 35.0]
    front, back = result.segments.busy_area.sum(axis=0).tolist()
    assert front == 100 + 45 + 10 + 65  # service, hold (wait 30 + conference 15), service, hold (50 + 15)
    assert back == 80 + 75 + 75
    # cold, the same trace: front is free at 100 and takes contact 2 at 110 at once (110-120); back serves
    # 0 at 130-190 and 2 at 190-250
    cold = _warm()
    cold["tier1"]["transfers"]["destinations"][0].pop("warm")
    result = _run(_centre(cold, trace=trace, hours=1, groups=GROUPS))
    c = result.contacts
    assert c.wait_s.tolist() == [0.0, 0.0, 0.0] and c.end_time_s.tolist() == [190.0, 130.0, 250.0]
    assert result.segments.busy_area.sum(axis=0).tolist() == [110.0, 200.0]


def test_a_warm_transfer_whose_customer_abandons_releases_the_first_agent_then(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "tier1", 100, None), (50, "tier2", 80, 1000),
                                              (110, "tier1", 10, None)])
    result = _run(_centre(_warm(patience=20), trace=trace, hours=1, groups=GROUPS))
    c = result.contacts
    # 0 waits in tier2 from 100 and abandons at 120 (patience 20): front is free at 120 and serves contact 2
    # 120-130, then transfers it warm to back, free at 130: the conference starts at once, back serves it
    # 130-205 and front is free at 145
    assert [OUTCOMES[o] for o in c.outcome] == ["abandoned", "answered", "answered"]
    assert c.transfer_wait_s.tolist()[::2] == [20.0, 0.0] and c.end_time_s[0] == 120.0
    assert c.wait_s[2] == 10.0 and c.end_time_s[2] == 205.0
    assert result.segments.busy_area.sum(axis=0).tolist() == [100 + 20 + 10 + 15, 80 + 75]


def test_a_warm_hold_keeps_a_concurrent_slot_taken_and_the_seat_busy(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "tier1", 100, None), (50, "tier2", 80, None),
                                              (110, "tier1", 10, None)])
    groups = dict(GROUPS, front={"skills": ["tier1"], "staffing": 1,
                                 "concurrency": {"max": 2, "handle_time_factors": [1.0, 1.5]}})
    result = _run(_centre(_warm(), trace=trace, hours=1, groups=groups))
    c = result.contacts
    # front's slot 1 serves 0 at 0-100 and holds it from 100; slot 2 takes 2 at 110 while the agent holds one
    # contact (factor 1.5: 110-125), then holds it from 125.  back: 1 at 50-130, 0 at 130-205 (conference 15
    # + 60; slot 1 free at 145), 2 at 205-280 (slot 2 free at 220).  The seat is busy 0-100 and 100-220.
    assert c.handle_time_s.tolist() == [100.0, 80.0, 15.0]
    assert c.end_time_s.tolist() == [205.0, 130.0, 280.0]
    assert c.transfer_wait_s.tolist()[::2] == [30.0, 80.0]
    assert result.segments.busy_area.sum(axis=0).tolist() == [220.0, 230.0]


def test_a_warm_hold_still_open_when_the_run_stops_counts_as_busy_until_then(tmp_path):
    trace = _write_trace(tmp_path / "t.csv", [(0, "tier1", 100, None), (50, "tier2", 7200, None)])
    result = _run(_centre(_warm(), trace=trace, hours=1, groups=GROUPS, drain=False))
    # the back agent is busy to 7250, past the horizon (3600): contact 0 is still waiting, front holds it
    assert OUTCOMES[result.contacts.outcome[0]] == "in_system"
    assert result.segments.busy_area.sum(axis=0)[0] == pytest.approx(3600.0)


# ------------------------------------------------------------------ the one-destination case


def _two_tiers(tier1_extra: dict, **run) -> object:
    return _centre({"calls": dict(LOADED, **tier1_extra),
                    "expert": {"channel": "phone", "handle_time": {"dist": "exponential", "mean_s": 200},
                               "patience": {"dist": "exponential", "mean_s": 300}}},
                   groups={"a": {"skills": ["calls", "expert"], "staffing": 6}, "b": {"skills": ["expert"], "staffing": 2}},
                   hours=3, **run)


def test_one_destination_gives_exactly_the_numbers_of_escalation():
    a = _run(_two_tiers({"escalation": {"probability": 0.3, "to": "expert"}}))
    b = _run(_two_tiers({"transfers": {"destinations": [{"to": "expert", "probability": 0.3}]}}))
    assert a.contacts.escalated.sum() > 20
    for name in ("wait_s", "transfer_wait_s", "transfer_handle_time_s", "end_time_s", "transfers"):
        np.testing.assert_array_equal(getattr(a.contacts, name), getattr(b.contacts, name))
    np.testing.assert_array_equal(a.segments.tally, b.segments.tally)
    np.testing.assert_array_equal(a.segments.busy_area, b.segments.busy_area)


# ------------------------------------------------------------------ direction, common random numbers


def test_a_higher_transfer_probability_gives_longer_journeys_and_busier_agents():
    def experiment(p: float):
        config = _two_tiers({"transfers": {"destinations": [{"to": "expert", "probability": p}]}},
                            replications=8, seed=11, figures=False)
        return run_experiment(config).replications

    diff = compare_replications(experiment(0.1), experiment(0.3), 0.95).set_index(["channel", "metric"])
    for metric in ("end_to_end_time_s", "occupancy", "escalation_rate"):
        row = diff.loc[("all", metric)]
        assert row["diff_ci_low"] > 0, f"{metric}: {row['diff_mean']:.4g} [{row['diff_ci_low']:.4g}, {row['diff_ci_high']:.4g}]"


# ------------------------------------------------------------------ open Jackson network with feedback

CONFIDENCE = 0.99


@pytest.mark.validation
def test_tier_two_returning_to_tier_one_matches_an_open_jackson_network():
    """Two M/M/c nodes: Poisson arrivals to tier 1; after tier 1 a share p goes to tier 2, after tier 2 a
    share r returns to tier 1.  Traffic equations lambda1 = lambda0 + r lambda2, lambda2 = p lambda1; each
    node is an M/M/c queue with that rate (Jackson), and every visit waits the node's Erlang C mean (the
    arrival theorem of open Jackson networks)."""
    lam0, s1, s2, c1, c2, p, r = 60.0, 240.0, 360.0, 6, 4, 0.4, 0.3
    lam1 = lam0 / (1 - p * r)
    lam2 = p * lam1
    node1, node2 = erlang_c_metrics(lam1, s1, c1, 20.0), erlang_c_metrics(lam2, s2, c2, 20.0)
    hours = validation_size(12, 48)
    config = centre_config({
        "open_time": "00:00", "close_time": f"{hours:02d}:00", "interval_minutes": 60,
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {
            "tier1": {"channel": "phone", "arrivals": {"rate_per_hour": lam0},
                      "handle_time": {"dist": "exponential", "mean_s": s1},
                      "transfers": {"destinations": [{"to": "tier2", "probability": p}], "max_hops": 50}},
            "tier2": {"channel": "phone", "handle_time": {"dist": "exponential", "mean_s": s2},
                      "transfers": {"destinations": [{"to": "tier1", "probability": r}], "max_hops": 50}}},
        "agent_groups": {"front": {"skills": ["tier1"], "staffing": c1}, "back": {"skills": ["tier2"], "staffing": c2}},
    }, replications=validation_size(20, 40), warmup_hours=2, seed=2024, confidence=CONFIDENCE, figures=False)
    result = run_experiment(config)
    reps = result.replications
    expected = {
        "asa_s": node1.asa_s,  # the first wait, at tier 1
        "transfer_asa_s": (lam2 * node2.asa_s + r * lam2 * node1.asa_s) / (lam2 + r * lam2),  # per transfer visit
        "end_to_end_time_s": (lam1 * (node1.asa_s + s1) + lam2 * (node2.asa_s + s2)) / lam0,  # visits x sojourn
        "aht_s": (lam1 * s1 + lam2 * s2) / (lam1 + lam2),
        "mean_queue_length": node1.mean_queue_length + node2.mean_queue_length,
    }
    for metric, value in expected.items():
        est = t_interval(reps[(reps.channel == "phone") & (reps.metric == metric)]["value"].to_numpy(), CONFIDENCE)
        assert est.contains(value), (f"{metric}: Jackson {value:.5g} outside the {CONFIDENCE:.0%} CI "
                                     f"[{est.low:.5g}, {est.high:.5g}] (mean {est.mean:.5g})")
    load = offered_load(config)  # the staffing planner's seed solves the same traffic equations
    assert load["tier1"][0] == pytest.approx(lam1 * s1 / 3600) and load["tier2"][0] == pytest.approx(lam2 * s2 / 3600)
    groups = result.groups.set_index(["group", "metric"])
    for group, node in (("front", node1), ("back", node2)):
        row = groups.loc[(group, "occupancy")]
        assert row["ci_low"] <= node.occupancy <= row["ci_high"], (group, node.occupancy, dict(row))


# ------------------------------------------------------------------ bad input


def _graph(t1: dict, t2: dict | None = None) -> dict:
    return {"t1": dict(_phone(100), **t1), "t2": dict(_phone(50), **(t2 or {}))}


@pytest.mark.parametrize("types, where, message", [
    (_graph({"transfers": _to(("t2", 1.0), max_hops=2)}, {"transfers": _to(("t1", 0.5))}), "t2.transfers.max_hops",
     "required: t2 is on a transfer cycle (t2 -> t1 -> t2)"),
    (_graph({"transfers": _to(("t1", 0.2))}), "t1.transfers.max_hops", "transfer cycle (t1 -> t1)"),
    (_graph({"escalation": {"probability": 0.5, "to": "t2"}}, {"transfers": _to(("t1", 0.5))}),
     "t2.transfers.max_hops", "cycle (t2 -> t1 -> t2)"),
    (_graph({"transfers": _to(("t2", 0.7), ("t1", 0.5), max_hops=3)}), "t1.transfers.destinations", "sum to 1.2"),
    (_graph({"transfers": _to(("t2", 0.5, {"probability_by_group": {"agents": 0.9}}), ("t1", 0.3), max_hops=2)}),
     "t1.transfers.destinations", "agent group agents sum to 1.2"),
    (_graph({"transfers": _to(("t3", 0.5))}), "t1.transfers.destinations[0].to", "expected a contact type"),
    (_graph({"transfers": _to(("t2", 0.5, {"probability_by_group": {"nobody": 0.1}}))}),
     "t1.transfers.destinations[0].probability_by_group.nobody", "expected an agent group"),
    (_graph({"transfers": _to(("t2", 0.5)), "escalation": {"probability": 0.5, "to": "t2"}}), "t1.transfers",
     "give escalation or transfers, not both"),
    (_graph({"transfers": _to(("t2", 1.5))}), "t1.transfers.destinations[0].probability", "1.5"),
    (_graph({"transfers": _to(("t2", 0.5), max_hops=0)}), "t1.transfers.max_hops", ">= 1"),
    (_graph({"transfers": _to(("t2", 0.5), max_hops=101)}), "t1.transfers.max_hops", "at most 100"),
    (_graph({"transfers": {"destinations": []}}), "t1.transfers.destinations", "non-empty list"),
    (_graph({"transfers": _to(("t2", 0.5, {"warm": {"conference": det(10)}}))}),
     "t1.transfers.destinations[0].warm.conference", "did you mean 'conference_time'"),
    (_graph({"transfers": _to(("t2", 0.5, {"warm": {"conference_time": {"dist": "exponential", "mean_s": -1}}}))}),
     "t1.transfers.destinations[0].warm.conference_time.mean_s", "-1"),
])
def test_bad_transfers_are_a_one_line_error_naming_the_key(types, where, message):
    with pytest.raises(ConfigError) as err:
        _centre(types)
    text = str(err.value)
    assert err.value.where == f"scenario.contact_types.{where}", text
    assert message in text and "\n" not in text, text


@pytest.mark.parametrize("overrides, expected", [
    pytest.param(["+scenario.contact_types.technical_tier2.transfers={destinations:[{to:technical,probability:0.2}]}"],
                 ["scenario.contact_types.technical_tier2.transfers.max_hops",
                  "transfer cycle (technical_tier2 -> technical -> technical_tier2)"], id="cycle-without-max-hops"),
    pytest.param(["+scenario.contact_types.technical.transfers={destinations:[{to:sales,probability:0.2}]}"],
                 ["scenario.contact_types.technical.transfers", "not both"], id="escalation-and-transfers"),
    pytest.param(["scenario.contact_types.technical.escalation=null",
                  "+scenario.contact_types.technical.transfers={destinations:[{to:sales,probability:0.7},"
                  "{to:billing,probability:0.6}]}"],
                 ["scenario.contact_types.technical.transfers.destinations", "sum to 1.3"], id="sum-above-one"),
    pytest.param(["scenario.contact_types.technical.escalation=null",
                  "+scenario.contact_types.technical.transfers={destinations:[{to:tier3,probability:0.1}]}"],
                 ["scenario.contact_types.technical.transfers.destinations[0].to", "expected a contact type"],
                 id="unknown-type"),
])
def test_bad_transfers_through_the_command_line_exit_2_with_one_line(tmp_path, overrides, expected):
    proc, out = run_sim(tmp_path, *overrides, "run.replications=1", "run.horizon_hours=1")
    assert_one_line_error(proc, out, *expected)


# ------------------------------------------------------------------ conservation


@pytest.mark.parametrize("replication", range(2))
def test_every_arrival_ends_once_and_every_service_is_tallied_with_the_other_mechanisms(replication):
    exp = {"dist": "exponential"}
    config = _centre({
        "calls": dict(LOADED, after_call_work=dict(exp, mean_s=30), vip={"share": 0.2, "priority": 5},
                      retrial={"probability": 0.5, "delay": dict(exp, mean_s=300)},
                      transfers={"destinations": [
                          {"to": "expert", "probability": 0.3, "probability_by_group": {"b": 0.1},
                           "warm": {"conference_time": dict(exp, mean_s=20)}},
                          {"to": "calls", "probability": 0.05}], "max_hops": 4}),
        "expert": {"channel": "phone", "handle_time": dict(exp, mean_s=200), "patience": dict(exp, mean_s=120),
                   "transfers": {"destinations": [{"to": "calls", "probability": 0.2}], "max_hops": 4}},
    }, groups={"a": {"skills": ["calls", "expert"], "staffing": 5}, "b": {"skills": ["expert", "calls"], "staffing": 3}},
        hours=3, drain=True)
    result = _run(config, replication)
    c = result.contacts
    tally = result.segments.tally.sum(axis=(0, 1))
    assert len(c) == tally[F["arrivals"]] == len(set(c.contact_id.tolist()))
    assert not (c.outcome == OUTCOMES.index("in_system")).any()  # drained: every arrival ended
    assert c.transfers.max() >= 2 and (c.outcome[c.transfers > 0] == OUTCOMES.index("abandoned")).any()
    moved = c.transfers > 0
    last = np.isfinite(c.transfer_handle_time_s)
    # services: the first, those between the first and the last transfer, the last transfer's if served
    services = np.isfinite(c.handle_time_s).sum() + (c.transfers[moved] - 1).sum() + last.sum()
    assert tally[F["handles"]] == services == sum(result.served.values())
    assert tally[F["transfers_answered"]] == (c.transfers[moved] - 1).sum() + last.sum()
    assert tally[F["escalated"]] == moved.sum()
    assert tally[F["wrap_ups"]] == services
    busy = result.segments.busy_area.sum(axis=0)
    staffed = result.segments.staffed_area.sum(axis=0)
    assert (busy <= staffed + 1e-6).all()
    assert busy.sum() > tally[F["handle_s"]] + tally[F["wrap_up_s"]]  # and the warm holds on top
