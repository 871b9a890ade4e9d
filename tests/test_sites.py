"""Sites (sim.journeys.sites): agent groups at sites, other sites only after a wait, with a network delay.

An exact trace on a hand-checked case (home agents first, another site's agent only after its
``after_s``, the network delay in the wait and the agent's busy time), a paired directional test
by simulation (a vendor site lowers the home site's abandonment), per-site KPIs that add up to the
centre's (answered, agent hours, cost), bad input (one line naming the key path, exit 2 from the
command line) and the ``two_sites`` experiment config.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine.errors import ConfigError
from sim.engine.records import OUTCOMES
from sim.experiments.comparison import compare_replications
from sim.experiments.replications import run_experiment
from sim.model.centre import simulate
from sim.model.metrics import replication_sites, replication_summary
from sim.workforce.costs import replication_costs

from .conftest import centre_config
from .test_bad_input import assert_one_line_error, run_sim
from .test_golden_outputs import _config
from .test_model import _write_trace

PHONE = {"service_level_threshold_s": 20, "service_level_target": 0.8}


def det(mean_s: float) -> dict:
    return {"dist": "deterministic", "mean_s": mean_s}


def _two_sites(*, trace=None, vendor_staffing=1, local_staffing=1, hours=1, sites=None, costs=None,
               billing=None, **run):
    scenario = {
        "open_time": "00:00", "close_time": f"{hours:02d}:00", "interval_minutes": 60,
        "channels": {"phone": PHONE},
        "contact_types": {"billing": billing or {"channel": "phone", "arrivals": {"rate_per_hour": 0},
                                                 "handle_time": det(100)}},
        "agent_groups": {"local": {"skills": ["billing"], "staffing": local_staffing},
                         "vendor": {"skills": ["billing"], "staffing": vendor_staffing}},
        "sites": sites if sites is not None else {
            "home": {"groups": ["local"]},
            "vendor": {"groups": ["vendor"], "after_s": 90, "network_delay_s": 2}},
    }
    if trace is not None:
        scenario["trace"] = str(trace)
    if costs is not None:
        scenario["costs"] = costs
    return centre_config(scenario, **run)


# ------------------------------------------------------------------ exact trace


def test_another_sites_agent_takes_a_contact_only_after_its_wait_and_connects_it_after_the_network_delay(tmp_path):
    # One local agent (home site), one vendor agent (after_s 90, network delay 2 s).
    # A (t=0, handle 1000): the local agent, 0-1000 (the idle vendor agent does not take it).
    # B (10, 100): eligible for the vendor at 100; seized at 100, connected at 102: wait 92, ends 202.
    # C (150, 50): the vendor agent is free at 202 but C is eligible for it only at 240: wait 92, ends 292.
    # D (250, patience 30): abandons at 280, before its 90 s (the vendor agent idle meanwhile).
    # E (300, 100): vendor at 390: wait 92, ends 492.
    # F (400, 10): eligible at 490, the vendor agent is busy until 492 and takes it from the queue then:
    #   wait 92 + 2 = 94, ends 492 + 2 + 10 = 504.
    trace = _write_trace(tmp_path / "t.csv", [(0, "billing", 1000, None), (10, "billing", 100, None),
                                              (150, "billing", 50, None), (250, "billing", 100, 30),
                                              (300, "billing", 100, None), (400, "billing", 10, None)])
    config = _two_sites(trace=trace)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    c = result.contacts
    assert [OUTCOMES[o] for o in c.outcome] == ["answered"] * 3 + ["abandoned"] + ["answered"] * 2
    np.testing.assert_array_equal(c.wait_s, [0.0, 92.0, 92.0, 30.0, 92.0, 94.0])
    np.testing.assert_array_equal(c.handle_time_s, [1000.0, 100.0, 50.0, np.nan, 100.0, 10.0])  # no delay in it
    np.testing.assert_array_equal(c.end_time_s, [1000.0, 202.0, 292.0, 280.0, 492.0, 504.0])
    assert c.agent_group.tolist() == [0, 1, 1, -1, 1, 1]
    # the delay is busy time of the vendor agent: 102 + 52 + 102 + 12
    assert result.segments.busy_area.sum(axis=0).tolist() == [1000.0, 268.0]
    kpis = replication_summary(result, config.scenario, config.run)
    assert kpis[("phone", "asa_s")] == (0 + 92 + 92 + 92 + 94) / 5
    sites = replication_sites(result, config.scenario, config.run)
    assert sites[("home", "answered")] == 1 and sites[("vendor", "answered")] == 4
    assert sites[("home", "routed_out")] == 4 and sites[("home", "routed_share")] == 4 / 5
    assert sites[("home", "offered")] == 6 and sites[("vendor", "offered")] == 0
    assert math.isnan(sites[("vendor", "service_level")])


def test_without_a_network_delay_or_wait_another_site_is_one_more_group(tmp_path):
    # after_s 0, delay 0: B (10) finds the local agent busy and the vendor agent takes it at once.
    trace = _write_trace(tmp_path / "t.csv", [(0, "billing", 1000, None), (10, "billing", 100, None)])
    config = _two_sites(trace=trace, sites={"home": {"groups": ["local"]}, "vendor": {"groups": ["vendor"]}})
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    np.testing.assert_array_equal(c.wait_s, [0.0, 0.0])
    np.testing.assert_array_equal(c.end_time_s, [1000.0, 110.0])
    assert c.agent_group.tolist() == [0, 1]


def test_a_contact_homed_at_the_vendor_site_waits_for_the_home_sites_agents(tmp_path):
    # billing homed at the vendor site (site: vendor): the vendor agent first; the local agent after
    # the home site's after_s 30 with its own delay of 5 s.
    trace = _write_trace(tmp_path / "t.csv", [(0, "billing", 1000, None), (10, "billing", 100, None)])
    billing = {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100), "site": "vendor"}
    config = _two_sites(trace=trace, billing=billing, sites={
        "home": {"groups": ["local"], "after_s": 30, "network_delay_s": 5}, "vendor": {"groups": ["vendor"]}})
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    np.testing.assert_array_equal(c.wait_s, [0.0, 35.0])
    np.testing.assert_array_equal(c.end_time_s, [1000.0, 145.0])
    assert c.agent_group.tolist() == [1, 0]


def test_an_overflow_rule_to_another_sites_group_pays_the_network_delay_too(tmp_path):
    # The vendor group has no skills of its own; billing overflows to it after 30 s. B (10) overflows
    # at 40 to the idle vendor agent: connected at 42 (wait 32), ends 142.
    trace = _write_trace(tmp_path / "t.csv", [(0, "billing", 1000, None), (10, "billing", 100, None)])
    billing = {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
               "overflow": {"after_s": 30, "groups": ["vendor"]}}
    scenario = {"open_time": "00:00", "close_time": "01:00", "interval_minutes": 60, "channels": {"phone": PHONE},
                "contact_types": {"billing": billing}, "trace": str(trace),
                "agent_groups": {"local": {"skills": ["billing"], "staffing": 1},
                                 "vendor": {"skills": [], "staffing": 1}},
                "sites": {"home": {"groups": ["local"]}, "vendor": {"groups": ["vendor"], "network_delay_s": 2}}}
    config = centre_config(scenario)
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    np.testing.assert_array_equal(c.wait_s, [0.0, 32.0])
    np.testing.assert_array_equal(c.end_time_s, [1000.0, 142.0])
    assert c.agent_group.tolist() == [0, 1] and c.overflowed.tolist() == [0, 1]


def test_an_escalation_served_at_another_site_has_the_delay_in_its_transfer_wait(tmp_path):
    # tier2 is homed at the home site but only the vendor's agents serve it (after_s 0, delay 2):
    # A is served locally 0-100, escalates, the vendor agent is seized at 100, connected at 102, ends 152.
    trace = _write_trace(tmp_path / "t.csv", [(0, "billing", 100, None)])
    scenario = {"open_time": "00:00", "close_time": "01:00", "interval_minutes": 60, "channels": {"phone": PHONE},
                "contact_types": {
                    "billing": {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100),
                                "escalation": {"probability": 1.0, "to": "tier2"}},
                    "tier2": {"channel": "phone", "handle_time": det(50), "site": "home"}},
                "trace": str(trace),
                "agent_groups": {"local": {"skills": ["billing"], "staffing": 1},
                                 "vendor": {"skills": ["tier2"], "staffing": 1}},
                "sites": {"home": {"groups": ["local"]}, "vendor": {"groups": ["vendor"], "network_delay_s": 2}}}
    config = centre_config(scenario)
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    assert c.escalated.tolist() == [True] and c.wait_s.tolist() == [0.0]
    assert c.transfer_wait_s.tolist() == [2.0] and c.transfer_handle_time_s.tolist() == [50.0]
    assert c.end_time_s.tolist() == [152.0]


# ------------------------------------------------------------ paired by simulation


def test_a_vendor_site_after_a_wait_lowers_the_home_sites_abandonment():
    # Under-staffed home site (8 agents for ~9 Erlangs); with 3 vendor agents after 60 s and 2 s of
    # delay, fewer customers abandon. Common random numbers: the same arrivals, handle times and
    # patience in each replication (streams named by contact type).
    billing = {"channel": "phone", "arrivals": {"rate_per_hour": 110}, "handle_time": {"dist": "exponential",
                                                                                       "mean_s": 300},
               "patience": {"dist": "exponential", "mean_s": 120}}
    common = {"open_time": "00:00", "close_time": "02:00", "interval_minutes": 60, "channels": {"phone": PHONE},
              "contact_types": {"billing": billing}}
    base = centre_config({**common, "agent_groups": {"local": {"skills": ["billing"], "staffing": 8}}},
                         replications=10)
    alt = centre_config({**common, "agent_groups": {"local": {"skills": ["billing"], "staffing": 8},
                                                    "vendor": {"skills": ["billing"], "staffing": 3}},
                         "sites": {"home": {"groups": ["local"]},
                                   "vendor": {"groups": ["vendor"], "after_s": 60, "network_delay_s": 2}}},
                        replications=10)
    diff = compare_replications(run_experiment(base).replications, run_experiment(alt).replications, 0.95)
    row = diff[(diff["channel"] == "phone") & (diff["metric"] == "abandon_rate")].iloc[0]
    assert row["diff_ci_high"] < 0, row.to_dict()


# ---------------------------------------------------------------- per-site KPIs


def test_per_site_answered_agent_hours_and_costs_add_up_to_the_centres():
    # The default centre with the two_sites experiment: journeys, callbacks, VIP, overflow,
    # concurrency, email and escalation all on; the vendor site priced per contact.
    config = _config(["+experiment=two_sites", "run.replications=1", "scenario.sites.vendor.after_s=20"])
    scenario, run = config.scenario, config.run
    result = simulate(scenario, run, 0)
    sites = replication_sites(result, scenario, run)
    kpis = replication_summary(result, scenario, run)
    names = list(scenario.sites)
    assert sites[("vendor", "answered")] > 0
    assert sum(sites[(s, "answered")] for s in names) == kpis[("all", "answered")]
    assert sum(sites[(s, "routed_out")] for s in names) == sites[("vendor", "answered")]  # vendor homes no type
    window_h = (run.horizon_s - run.warmup_s) / 3600.0
    assert sum(sites[(s, "agent_hours")] for s in names) == pytest.approx(kpis[("all", "agents_staffed")] * window_h)
    costs = replication_costs(result, scenario)
    assert sum(sites[(s, "labour_cost")] for s in names) == pytest.approx(costs["labour_cost"])
    assert sum(sites[(s, "vendor_cost")] for s in names) == pytest.approx(costs["vendor_cost"])
    assert sites[("vendor", "vendor_cost")] == 4.5 * result.served["vendor"]
    assert sites[("vendor", "labour_cost")] == 0.0
    assert sum(sites[(s, "total_cost")] for s in names) == pytest.approx(costs["labour_cost"] + costs["vendor_cost"])


def test_the_two_sites_experiment_runs_and_writes_sites_csv(tmp_path):
    proc, out = run_sim(tmp_path, "+experiment=two_sites", "run.replications=2")
    assert proc.returncode == 0, proc.stderr
    import pandas as pd

    table = pd.read_csv(out / "sites.csv")
    assert list(dict.fromkeys(table["site"])) == ["main", "vendor"]
    assert {"answered", "service_level", "routed_share", "occupancy", "agent_hours", "total_cost"} <= set(table["metric"])
    assert (table["n_reps"] <= 2).all()


def test_a_scenario_without_sites_writes_no_sites_table():
    config = _two_sites(sites={"one": {"groups": ["local", "vendor"]}}, replications=1)
    assert run_experiment(config).sites is not None
    plain = centre_config({"open_time": "00:00", "close_time": "01:00", "interval_minutes": 60,
                           "channels": {"phone": PHONE},
                           "contact_types": {"billing": {"channel": "phone", "arrivals": {"rate_per_hour": 10},
                                                         "handle_time": det(100)}},
                           "agent_groups": {"local": {"skills": ["billing"], "staffing": 1}}})
    assert run_experiment(plain).sites is None


# ------------------------------------------------------------------- bad input


def test_a_site_without_agents_is_one_line_naming_the_site(tmp_path):
    proc, out = run_sim(tmp_path, "+experiment=two_sites", "scenario.agent_groups.vendor.staffing=0")
    line = assert_one_line_error(proc, out, "scenario.sites.vendor", "has no agents")
    assert "vendor" in line


def test_a_group_in_two_sites_is_one_line_from_the_command_line(tmp_path):
    proc, out = run_sim(tmp_path, "+experiment=two_sites", "scenario.sites.vendor.groups=[vendor,specialists]")
    assert_one_line_error(proc, out, "scenario.sites.vendor.groups[1]", "already in site main")


@pytest.mark.parametrize("sites, where, what", [
    ({"home": {"groups": ["local"]}, "vendor": {"groups": ["nobody"]}}, "scenario.sites.vendor.groups[0]",
     "unknown agent group"),
    ({"home": {"groups": ["local"]}}, "scenario.sites", "agent group vendor is in no site"),
    ({"home": {"groups": ["local"]}, "vendor": {"groups": ["vendor"], "network_delay_s": -1}},
     "scenario.sites.vendor.network_delay_s", "expected a number >= 0"),
    ({"home": {"groups": ["local"]}, "vendor": {"groups": ["vendor"], "after_s": -5}},
     "scenario.sites.vendor.after_s", "expected a number >= 0"),
    ({"home": {"groups": ["local"]}, "vendor": {"groups": []}}, "scenario.sites.vendor.groups",
     "non-empty list"),
    ({"home": {"groups": ["local"]}, "vendor": {"groups": ["vendor"], "delay": 2}}, "scenario.sites.vendor.delay",
     "unknown key"),
    ({}, "scenario.sites", "at least one site"),
    ({"home": {"groups": ["local"]}, "vendor": {"groups": ["vendor"], "price_per_contact": 3}},
     "scenario.sites.vendor.price_per_contact", "needs scenario.costs"),
])
def test_bad_sites_name_the_key_path(sites, where, what):
    with pytest.raises(ConfigError) as info:
        _two_sites(sites=sites)
    assert info.value.where == where and what in info.value.message, str(info.value)
    assert "\n" not in str(info.value)


def test_a_home_site_must_be_a_site_and_needs_sites():
    billing = {"channel": "phone", "arrivals": {"rate_per_hour": 0}, "handle_time": det(100), "site": "moon"}
    with pytest.raises(ConfigError) as info:
        _two_sites(billing=billing)
    assert info.value.where == "scenario.contact_types.billing.site" and "home, vendor" in info.value.message
    plain = {"open_time": "00:00", "close_time": "01:00", "interval_minutes": 60, "channels": {"phone": PHONE},
             "contact_types": {"billing": {**billing, "site": "home"}},
             "agent_groups": {"local": {"skills": ["billing"], "staffing": 1}}}
    with pytest.raises(ConfigError) as info:
        centre_config(plain)
    assert info.value.where == "scenario.contact_types.billing.site" and "only used with scenario.sites" in str(info.value)


def test_a_group_priced_by_its_site_and_by_costs_per_contact_is_an_error():
    costs = {"wage_per_hour": {"local": 20, "vendor": 0}, "per_contact": {"vendor": 3}}
    with pytest.raises(ConfigError) as info:
        _two_sites(costs=costs, sites={"home": {"groups": ["local"]},
                                       "vendor": {"groups": ["vendor"], "price_per_contact": 4}})
    assert info.value.where == "scenario.costs.per_contact.vendor" and "keep one" in info.value.message
