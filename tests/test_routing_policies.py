"""Queue-selection policies ``longest_queue`` and ``longest_weighted_wait`` (issue: routing policies).

A freed agent chooses which waiting contact to take. Traced by hand on one agent and two contact
types, then checked by simulation: weighting a type's waits shortens its waits against ``fcfs``
with the same customers (paired, a confidence interval from replications).
"""

from __future__ import annotations

import pytest

from sim import load_config, run_experiment
from sim.engine.errors import ConfigError
from sim.experiments.comparison import compare_replications
from sim.model.centre import simulate

from .test_model import _write_trace


def _two_types(queue_selection: str, weights: dict | None = None, *, trace=None, rates=(0.0, 0.0), agents=1,
               replications: int = 1) -> object:
    """Types ``a`` (phone) and ``b`` (chat), one group taking both, from 08:00 to 12:00."""
    routing = {"queue_selection": queue_selection}
    if weights is not None:
        routing["contact_scores" if queue_selection == "score" else "wait_weights"] = weights

    def kind(channel: str, rate: float) -> dict:
        return {"channel": channel, "arrivals": {"rate_per_hour": rate} if rate else None,
                "handle_time": {"dist": "exponential", "mean_s": 240}}

    return load_config({"scenario": {
        "name": "two_types", "preset": "centre", "open_time": "08:00", "close_time": "12:00", "interval_minutes": 60,
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8},
                     "chat": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {"a": kind("phone", rates[0]), "b": kind("chat", rates[1])},
        "agent_groups": {"agents": {"skills": ["a", "b"], "staffing": agents}},
        "routing": routing, "trace": None if trace is None else str(trace),
    }, "run": {"replications": replications, "seed": 3, "figures": False}})


# One agent busy with a1 until 100 s. Waiting then: a2 (since 1 s) in a; b1 (40 s) and b2 (50 s) in b.
# Every other contact takes 10 s. By hand, the agent's next three contacts and their waits:
#   fcfs:                          a2 (100-110, wait 99), b1 (110-120, wait 70), b2 (120-130, wait 70)
#   longest_queue:                 b1 (b has 2), then a2 (1 each: a2 came first), then b2: waits 60, 109, 70
#   longest_weighted_wait, b x 2:  b1 (2 x 60 = 120 > 99), b2 (2 x 60 = 120 > 109), a2: waits 60, 60, 119
#   longest_weighted_wait, b x 1:  a2 (99 > 60), then b1, b2: as fcfs
ROWS = [(0, "a", 100, None), (1, "a", 10, None), (40, "b", 10, None), (50, "b", 10, None)]
CASES = {
    ("fcfs", None): {"a2": 99.0, "b1": 70.0, "b2": 70.0},
    ("longest_queue", None): {"a2": 109.0, "b1": 60.0, "b2": 70.0},
    ("longest_weighted_wait", 2.0): {"a2": 119.0, "b1": 60.0, "b2": 60.0},
    ("longest_weighted_wait", 1.0): {"a2": 99.0, "b1": 70.0, "b2": 70.0},
    ("score", 50.0): {"a2": 119.0, "b1": 60.0, "b2": 60.0},  # b's base 50: b1 110 > a2 99; b2 110 > a2 109
}


@pytest.mark.parametrize("policy, weight", list(CASES))
def test_a_freed_agent_takes_the_contact_its_policy_chooses_exactly(tmp_path, policy, weight):
    trace = _write_trace(tmp_path / "trace.csv", ROWS)
    settings = None if weight is None else {"b": {"base": weight}} if policy == "score" else {"b": weight}
    config = _two_types(policy, settings, trace=trace)
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    waits = dict(zip(["a1", "a2", "b1", "b2"], c.wait_s.tolist()))
    assert waits == {"a1": 0.0, **CASES[(policy, weight)]}


def test_a_transferred_contact_gets_its_bonus_and_the_highest_score_wins():
    from types import SimpleNamespace as NS

    from sim.engine.routing import highest_score

    def queue(base, per_second, bonus, t_queue, leg):
        head = NS(t_queue=t_queue, leg=leg)
        return NS(n=1, base_score=base, weight=per_second, transfer_bonus=bonus, head=lambda: head), head

    q1, direct = queue(10.0, 1.0, 0.0, 0.0, 1)  # at 100 s: 10 + 100 = 110
    q2, moved = queue(0.0, 2.0, 25.0, 50.0, 2)  # 2 x 50 = 100, + 25 after a transfer = 125
    assert highest_score(NS(skills=[q1, q2]), 100.0) is moved
    q2.transfer_bonus = 5.0  # 105 < 110
    assert highest_score(NS(skills=[q1, q2]), 100.0) is direct
    q2.transfer_bonus = 10.0  # a tie at 110: the one that entered its queue first
    assert highest_score(NS(skills=[q1, q2]), 100.0) is direct


@pytest.mark.parametrize("idle_weight, served_by", [(1.0, ["experts", "experts"]), (10.0, ["experts", "novices"])])
def test_an_arrival_goes_to_the_idle_agent_with_the_highest_score(tmp_path, idle_weight, served_by):
    # experts score 100 for a, novices 0; both idle from 0. At 0: experts 100 > novices 0 (a1, 0-50).
    # At 60: novices idle 60 s, experts 10 s: 0 + 60 w against 100 + 10 w: experts at w = 1 (60 < 110),
    # novices at w = 10 (600 > 200).
    trace = _write_trace(tmp_path / "trace.csv", [(0, "a", 50, None), (60, "a", 10, None)])
    config = load_config({"scenario": {
        "name": "scores", "preset": "centre", "open_time": "08:00", "close_time": "09:00", "interval_minutes": 60,
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
        "contact_types": {"a": {"channel": "phone", "handle_time": {"dist": "exponential", "mean_s": 60}}},
        "agent_groups": {"novices": {"skills": ["a"], "staffing": 1}, "experts": {"skills": ["a"], "staffing": 1}},
        "routing": {"agent_selection": "score", "agent_scores": {"experts": {"a": 100}}, "idle_weight": idle_weight},
        "trace": str(trace)}, "run": {"replications": 1, "figures": False}})
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    groups = tuple(config.scenario.agent_groups)
    assert [groups[g] for g in c.agent_group] == served_by
    assert c.wait_s.tolist() == [0.0, 0.0]


def test_preferring_experts_by_score_sends_them_more_contacts_than_longest_idle():
    def run(selection: dict) -> dict:
        config = load_config({"scenario": {
            "name": "scores", "preset": "centre", "open_time": "08:00", "close_time": "12:00", "interval_minutes": 60,
            "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
            "contact_types": {"a": {"channel": "phone", "arrivals": {"rate_per_hour": 40},
                                    "handle_time": {"dist": "exponential", "mean_s": 240}}},
            "agent_groups": {"novices": {"skills": ["a"], "staffing": 3}, "experts": {"skills": ["a"], "staffing": 3}},
            "routing": selection}, "run": {"replications": 10, "seed": 9, "figures": False}})
        groups = run_experiment(config).groups
        return groups[groups["metric"] == "occupancy"].set_index("group")["mean"].to_dict()

    idle = run({"agent_selection": "longest_idle"})
    scored = run({"agent_selection": "score", "agent_scores": {"experts": {"a": 600}}})
    assert abs(idle["experts"] - idle["novices"]) < 0.05, idle  # the same groups share evenly
    assert scored["experts"] > idle["experts"] + 0.1 and scored["novices"] < idle["novices"] - 0.1, scored


def test_weighting_a_type_shortens_its_waits_against_fcfs_with_the_same_customers():
    kwargs = dict(rates=(27.0, 27.0), agents=4, replications=12)  # 3.6 erlangs on 4 agents: both types wait
    fcfs = run_experiment(_two_types("fcfs", **kwargs))
    weighted = run_experiment(_two_types("longest_weighted_wait", {"a": 4.0}, **kwargs))
    diff = compare_replications(fcfs.replications, weighted.replications, 0.95).set_index(["channel", "metric"])
    a, b = diff.loc[("phone", "mean_wait_s")], diff.loc[("chat", "mean_wait_s")]
    assert a["diff_ci_high"] < 0, "type a (weight 4) waits less than under fcfs"
    assert b["diff_ci_low"] > 0, "type b waits more: the same agents, shared differently"


def test_the_longest_queue_is_served_first_so_the_busier_type_waits_less():
    kwargs = dict(rates=(40.0, 14.0), agents=4, replications=12)
    fcfs = run_experiment(_two_types("fcfs", **kwargs))
    longest = run_experiment(_two_types("longest_queue", **kwargs))
    diff = compare_replications(fcfs.replications, longest.replications, 0.95).set_index(["channel", "metric"])
    assert diff.loc[("phone", "mean_wait_s"), "diff_ci_high"] < 0, "a (three times b's volume) waits less"
    assert diff.loc[("chat", "mean_wait_s"), "diff_ci_low"] > 0


@pytest.mark.parametrize("routing, where, words", [
    ({"queue_selection": "fcfs", "wait_weights": {"a": 2}}, "scenario.routing.wait_weights",
     "used only by queue_selection: longest_weighted_wait (queue_selection is fcfs)"),
    ({"queue_selection": "fcfs", "contact_scores": {"a": {"base": 5}}}, "scenario.routing.contact_scores",
     "used only by queue_selection: score"),
    ({"agent_selection": "longest_idle", "idle_weight": 2}, "scenario.routing.idle_weight",
     "used only by agent_selection: score"),
    ({"queue_selection": "score", "contact_scores": {"a": {"base": 5, "slope": 1}}},
     "scenario.routing.contact_scores.a.slope", "unknown key"),
    ({"queue_selection": "score", "contact_scores": {"a": {"per_second": -1}}},
     "scenario.routing.contact_scores.a.per_second", "expected a number >= 0"),
    ({"queue_selection": "score", "transfer_bonus": 1e300}, "scenario.routing.transfer_bonus",
     "expected a number <= 1e+06"),
    ({"agent_selection": "score", "agent_scores": {"experts": {"a": 1}}}, "scenario.routing.agent_scores.experts",
     "expected an agent group"),
    ({"agent_selection": "score", "agent_scores": {"agents": {"zz": 1}}}, "scenario.routing.agent_scores.agents.zz",
     "expected a contact type"),
    ({"queue_selection": "longest_weighted_wait", "wait_weights": {"a": 0}}, "scenario.routing.wait_weights.a",
     "expected a positive number"),
    ({"queue_selection": "longest_weighted_wait", "wait_weights": {"a": float("nan")}},
     "scenario.routing.wait_weights.a", "expected a finite number"),
    ({"queue_selection": "longest_weighted_wait", "wait_weights": {"fax": 2}}, "scenario.routing.wait_weights.fax",
     "expected a contact type"),
    ({"queue_selection": "longest_wait"}, "scenario.routing.queue_selection", "expected one of"),
])
def test_bad_routing_settings_name_their_key(routing, where, words):
    with pytest.raises(ConfigError) as err:
        load_config({"scenario": {
            "name": "x", "preset": "centre", "open_time": "08:00", "close_time": "09:00", "interval_minutes": 60,
            "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
            "contact_types": {"a": {"channel": "phone", "arrivals": {"rate_per_hour": 10},
                                    "handle_time": {"dist": "exponential", "mean_s": 60}},
                              "b": {"channel": "phone", "arrivals": {"rate_per_hour": 10},
                                    "handle_time": {"dist": "exponential", "mean_s": 60}}},
            "agent_groups": {"agents": {"skills": ["a", "b"], "staffing": 1}}, "routing": routing}})
    assert err.value.where == where and words in err.value.message, str(err.value)


@pytest.mark.parametrize("routing", [
    {"queue_selection": "longest_queue"},
    {"queue_selection": "longest_weighted_wait", "wait_weights": {"sales": 2, "email": 0.0167}},
    {"queue_selection": "score", "contact_scores": {"billing": {"base": 20}, "email": {"per_second": 0.0167}},
     "transfer_bonus": 30, "agent_selection": "score", "agent_scores": {"specialists": {"technical_tier2": 300}},
     "idle_weight": 0.5},
])
def test_the_default_centre_runs_every_policy_with_overflow_and_vip_and_each_contact_ends_once(routing):
    import yaml

    from sim.engine.records import OUTCOMES

    from .conftest import REPO, centre_config

    raw = yaml.safe_load((REPO / "configs/scenario/default.yaml").read_text())
    raw.pop("preset")
    raw["routing"] = routing
    raw["contact_types"]["billing"]["vip"] = {"share": 0.2, "priority": 5}
    config = centre_config(raw, replications=1, seed=3, drain=False)
    c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
    assert c.contact_id.tolist() == list(range(len(c)))
    assert len(c) > 1000 and (c.outcome < len(OUTCOMES)).all() and (c.vip & c.answered).any()
    assert (c.overflowed > 0).any(), "billing overflows to the specialists in the default centre"
