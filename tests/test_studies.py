"""The ready what-if studies (experiments/*.py) and the experiment files (configs/experiment/*.yaml)."""

from __future__ import annotations

import importlib
import json
import sys

import pandas as pd
import pytest

from sim import load_config, run_experiment

from .conftest import REPO

sys.path.insert(0, str(REPO / "experiments"))

TINY = ["--replications", "2", "--hours", "2", "--quiet"]
KPI_COLUMNS = ["channel", "metric", "mean", "ci_low", "ci_high", "n_reps"]
PAIRED_COLUMNS = ["channel", "metric", "baseline_mean", "alternative_mean", "diff_mean", "diff_ci_low",
                  "diff_ci_high", "n_reps", "independent_half_width", "variance_reduction", "note"]

# study -> (key column, number of points, metrics it must report, baseline value)
STUDIES = {
    "staffing_sweep": ("staffing_pct", 9, {"service_level", "asa_s", "abandon_rate", "total_cost"}, 100),
    "channel_shift": ("chat_share", 6, {"service_level", "asa_s", "occupancy"}, 0.0),
    "escalation_change": ("escalation_probability", 8, {"transfer_asa_s", "end_to_end_time_s", "service_level"},
                          0.15),
    "forecast_risk": ("busyness_cv", 7, {"sl_risk", "service_level"}, 0.0),
    "deflection": ("containment", 5, {"offered", "deflected", "service_level", "bot_cost", "total_cost"}, 0.0),
    "retrials": ("retrial_probability", 5, {"offered", "unique_customers", "retrial_rate"}, 0.5),
    "repeat_contacts": ("unresolved_factor", 6, {"fcr", "repeat_rate", "service_level"}, 1.0),
    "callbacks": ("callback_acceptance", 5, {"callbacks_accepted", "abandon_rate", "callback_wait_s"}, 0.0),
    "overflow": ("vendor_agents", 5, {"service_level", "overflowed", "overflow_answered"}, 0),
    "chat_concurrency": ("max_chats", 4, {"service_level", "aht_s", "asa_s"}, 1),
    "email_reserve": ("reserve_agents", 5, {"service_level", "asa_s", "backlog"}, 2),
    "vip_share": ("vip_share", 6, {"vip_service_level", "non_vip_service_level", "service_level"}, 0.05),
}


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_writes_its_tables_and_figure(name, tmp_path, capsys):
    key, n_points, metrics, baseline = STUDIES[name]
    study = importlib.import_module(name)
    out = tmp_path / name
    assert study.main([*TINY, "--out", str(out)]) == 0
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns) == [key, *KPI_COLUMNS]
    assert kpis[key].nunique() == n_points
    assert metrics <= set(kpis.metric)
    assert (kpis.dropna(subset=["mean"]).n_reps > 0).all()
    paired = pd.read_csv(out / "paired_vs_baseline.csv")
    assert list(paired.columns) == [key, *PAIRED_COLUMNS]
    assert paired[key].nunique() == n_points - 1 and baseline not in set(paired[key])
    assert (paired.n_reps <= 2).all()
    png = out / f"{name}.png"
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(png) in capsys.readouterr().out
    info = json.loads((out / "study.json").read_text(encoding="utf-8"))  # what python -m sim.report reads
    assert info["study"] == name and info["key"] == key and info["baseline"] == baseline
    assert info["window_hours"] == 2.0 and info["replications"] == 2
    assert {ch: t["target"] for ch, t in info["targets"].items()} == {"phone": 0.8, "chat": 0.8, "email": 0.9,
                                                                            "social": 0.8}


def test_staffing_sweep_scales_the_plan_and_costs_it_with_the_scenarios_costs(tmp_path):
    """Each point is staffing_scale on the generalists' plan (whole agents, halves up); its cost is the
    scenario's total cost, as in a run of the same point."""
    from sim import load_config, run_experiment

    study = importlib.import_module("staffing_sweep")
    out = tmp_path / "s"
    assert study.main([*TINY, "--out", str(out)]) == 0
    kpis = pd.read_csv(out / "kpis.csv").set_index(["staffing_pct", "channel", "metric"])["mean"]
    assert kpis[(80, "all", "agents_staffed")] < kpis[(100, "all", "agents_staffed")] < \
        kpis[(120, "all", "agents_staffed")]
    assert kpis[(80, "phone", "service_level")] < kpis[(120, "phone", "service_level")]
    raw = _study_module().default_raw()
    raw["scenario"]["agent_groups"]["generalists"]["staffing_scale"] = 1.2
    raw["run"].update(replications=2, horizon_hours=2, figures=False, seed=12345)  # the study's default seed
    alone = run_experiment(load_config(raw)).summary.set_index(["channel", "metric"])["mean"]
    assert kpis[(120, "all", "total_cost")] == pytest.approx(alone[("all", "total_cost")], rel=1e-9)
    assert kpis[(120, "all", "agents_staffed")] == pytest.approx(alone[("all", "agents_staffed")], rel=1e-9)


def _study_module():
    return importlib.import_module("_study")


def test_chat_concurrency_for_some_agents_only_keeps_the_baseline_and_gains_less(tmp_path):
    study = importlib.import_module("chat_concurrency")
    kpis = {}
    for name, extra in (("all", []), ("one", ["--agents", "1"])):
        assert study.main([*TINY, "--out", str(tmp_path / name), *extra]) == 0
        kpis[name] = pd.read_csv(tmp_path / name / "kpis.csv").set_index(["max_chats", "channel", "metric"])["mean"]
    # one chat at a time for everyone either way: the whole-day shifts staff the team as its table did
    assert kpis["one"].loc[1].equals(kpis["all"].loc[1])
    # one agent of two on four chats: chats last longer than at one at a time, less than with both on four
    aht = {name: kpis[name][(4, "chat", "aht_s")] for name in kpis}
    assert kpis["all"][(1, "chat", "aht_s")] < aht["one"] < aht["all"]


# ---------------------------------------------------------------- experiment files

EXPERIMENTS = {
    "more_generalists": {"scenario.agent_groups.generalists.staffing"},
    "chat_shift": {"scenario.contact_types.billing.arrivals.volume",
                   "scenario.contact_types.billing_chat.arrivals.volume"},
    "high_escalation": {"scenario.contact_types.technical.escalation.probability"},
    "shifts_and_costs": {"scenario.agent_groups.specialists.staffing", "scenario.agent_groups.specialists.shifts",
                         "scenario.agent_groups.specialists.shrinkage.absence_probability",
                         "scenario.agent_groups.specialists.shrinkage.unavailability.rate_per_hour",
                         "scenario.agent_groups.specialists.shrinkage.unavailability.duration.dist",
                         "scenario.agent_groups.specialists.shrinkage.unavailability.duration.mean_s",
                         "scenario.agent_groups.specialists.shrinkage.blocks"},
    "exponential_handle_times": {f"scenario.contact_types.{t}.handle_time.{k}"
                                 for t in ("billing", "technical", "sales", "billing_chat", "technical_chat")
                                 for k in ("dist", "cv")},
    "after_call_work": {f"scenario.contact_types.{t}.after_call_work.{k}"
                        for t in ("billing", "technical", "sales", "technical_tier2") for k in ("dist", "mean_s")},
    "balking": {f"scenario.contact_types.{t}.balking.{k}" for t in ("billing", "sales")
                for k in ("by", "midpoint_s", "steepness_per_s", "max")}
    | {"scenario.contact_types.technical.balking.by", "scenario.contact_types.technical.balking.table"},
    "trunk_lines": {"scenario.channels.phone.lines"},
    "outbound_campaign": {f"scenario.contact_types.collections.{k}" for k in (
        "channel", "handle_time.dist", "handle_time.mean_s", "handle_time.cv", "after_call_work.dist",
        "after_call_work.mean_s")}
    | {f"scenario.contact_types.collections.outbound.{k}" for k in (
        "list_size", "window.start", "window.end", "attempts.max", "attempts.retry_delay_s", "connect", "right_party",
        "dial_time.dist", "dial_time.mean_s", "dial_time.cv", "wrong_party_time.dist", "wrong_party_time.mean_s",
        "mode", "patience_s", "pacing.initial_ratio", "pacing.nuisance_target", "pacing.adjust_every_s")}
    | {"scenario.agent_groups.generalists.skills", "scenario.agent_groups.generalists.blending.rule",
       "scenario.agent_groups.generalists.blending.agents"},
    "skill_levels": {f"scenario.skill_levels.{level}.{k}" for level in (1, 2, 3)
                     for k in ("handle_time_factor", "repeat_factor", "agent_score")}
    | {"scenario.routing.agent_selection"}
    | {f"scenario.agent_groups.generalists.skill_levels.{t}" for t in ("billing", "sales", "technical",
                                                                        "technical_chat")}
    | {f"scenario.agent_groups.tech_support.skill_levels.{t}" for t in ("technical", "technical_chat", "billing")}
    | {f"scenario.agent_groups.specialists.skill_levels.{t}" for t in ("technical_tier2", "technical")},
    "two_sites": {"scenario.agent_groups.vendor.skills", "scenario.agent_groups.vendor.staffing",
                  "scenario.sites.main.groups", "scenario.sites.vendor.groups", "scenario.sites.vendor.after_s",
                  "scenario.sites.vendor.network_delay_s", "scenario.sites.vendor.price_per_contact",
                  "scenario.costs.wage_per_hour.vendor"},
}


def _compose(overrides):
    """The config mapping ``python -m sim <overrides>`` runs."""
    from sim.__main__ import composed

    return composed(overrides)


def _flat(value, prefix=""):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def test_every_experiment_file_is_listed_here():
    assert {p.stem for p in (REPO / "configs" / "experiment").glob("*.yaml")} == set(EXPERIMENTS)
    for path in (REPO / "configs" / "experiment").glob("*.yaml"):
        assert path.read_text(encoding="utf-8").startswith("# @package _global_\n"), path


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_experiment_file_changes_only_what_it_says_and_runs(name):
    base = _flat({k: v for k, v in _compose([]).items() if k != "hydra"})
    raw = {k: v for k, v in _compose([f"+experiment={name}"]).items() if k != "hydra"}
    changed = {k for k, v in _flat(raw).items() if base.get(k, object()) != v} | (set(base) - set(_flat(raw)))
    assert changed == EXPERIMENTS[name] | {"scenario.name"}
    assert raw["scenario"]["name"] == name
    raw["run"].update(replications=1, horizon_hours=1, figures=False)
    result = run_experiment(load_config(raw))
    assert result.summary.query("channel == 'all' and metric == 'offered'")["mean"].iloc[0] > 0


def test_experiment_values():
    staffing = _compose(["+experiment=more_generalists"])["scenario"]["agent_groups"]["generalists"]["staffing"]
    default = _compose([])["scenario"]["agent_groups"]["generalists"]["staffing"]
    assert [a - b for a, b in zip(staffing, default)] == [4] * len(default)
    shifted = _compose(["+experiment=chat_shift"])["scenario"]["contact_types"]
    default_types = _compose([])["scenario"]["contact_types"]
    moved = default_types["billing"]["arrivals"]["volume"] - shifted["billing"]["arrivals"]["volume"]
    assert moved == pytest.approx(0.3 * default_types["billing"]["arrivals"]["volume"])
    assert shifted["billing_chat"]["arrivals"]["volume"] == pytest.approx(
        default_types["billing_chat"]["arrivals"]["volume"] + moved)
    assert shifted["billing"]["arrivals"]["profile"] == shifted["billing_chat"]["arrivals"]["profile"]
    escalation = _compose(["+experiment=high_escalation"])["scenario"]["contact_types"]["technical"]["escalation"]
    assert escalation == {"probability": 0.25, "to": "technical_tier2"}


def test_deflection_lowers_offered_load_and_retrials_keep_unique_customers(tmp_path):
    deflection = importlib.import_module("deflection")
    assert deflection.main([*TINY, "--out", str(tmp_path / "d")]) == 0
    kpis = pd.read_csv(tmp_path / "d" / "kpis.csv").set_index(["containment", "channel", "metric"])["mean"]
    assert kpis[(0.4, "chat", "offered")] < kpis[(0.0, "chat", "offered")]
    assert kpis[(0.0, "chat", "deflected")] == 0 < kpis[(0.4, "chat", "deflected")]
    retrials = importlib.import_module("retrials")
    assert retrials.main([*TINY, "--out", str(tmp_path / "r")]) == 0
    kpis = pd.read_csv(tmp_path / "r" / "kpis.csv").set_index(["retrial_probability", "channel", "metric"])["mean"]
    assert kpis[(0.0, "all", "unique_customers")] == kpis[(0.9, "all", "unique_customers")]
    assert kpis[(0.0, "all", "retrial_rate")] == 0


def test_email_backlog_study_runs_several_days_and_writes_the_week(tmp_path, capsys):
    study = importlib.import_module("email_backlog")
    out = tmp_path / "email_backlog"
    assert study.main(["--replications", "2", "--hours", "2", "--days", "2", "--quiet", "--out", str(out)]) == 0
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns) == ["email_agents", *KPI_COLUMNS] and kpis.email_agents.nunique() == 5
    backlog = pd.read_csv(out / "backlog_by_interval.csv")
    assert sorted(backlog.day.unique()) == [0, 1] and len(backlog) == 5 * 2 * 4  # 4 half-hours a day
    # the backlog carried into day 2 shrinks as the email desk grows
    closing = backlog[(backlog.day == 0)].groupby("email_agents").backlog.last()
    assert closing.is_monotonic_decreasing and closing.iloc[0] > closing.iloc[-1]
    for png in ("email_backlog.png", "email_backlog_week.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    info = json.loads((out / "study.json").read_text(encoding="utf-8"))
    assert info["days"] == 2 and info["window_hours"] == 4.0
