"""`python -m sim` end to end: outputs, their columns, and bit-for-bit reproducibility."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from .conftest import REPO

OUTPUT_FILES = ("summary.csv", "intervals.csv", "groups.csv", "replications.csv", "types.csv", "type_intervals.csv",
                "group_intervals.csv", "config.yaml",
                "contacts.parquet", "figures/service_level_by_interval.png",
                "figures/asa_and_queue_by_interval.png", "figures/abandonment_by_interval.png",
                "figures/occupancy_by_interval.png", "figures/occupancy_by_group.png")


def run_cli(*overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *overrides], capture_output=True, text=True, cwd=REPO,
                          timeout=300)


@pytest.fixture(scope="module")
def two_default_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    outs = []
    for name in ("first", "second"):
        out = base / name
        proc = run_cli("run.replications=3", "run.save_contacts=true", f"hydra.run.dir={out}")
        assert proc.returncode == 0, proc.stderr
        outs.append((out, proc))
    return outs


def test_default_scenario_writes_every_output_and_says_where(two_default_runs):
    out, proc = two_default_runs[0]
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), f"missing {name}"
    assert f"outputs: {out}" in proc.stdout
    for channel in ("phone", "chat", "email", "social", "all"):
        assert channel in proc.stdout.splitlines()[1], "the KPI table has a column per channel"


def test_summary_is_tidy_with_required_metrics_per_channel(two_default_runs):
    out, _ = two_default_runs[0]
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["channel", "metric", "mean", "ci_low", "ci_high", "n_reps"]
    assert set(summary.channel) == {"phone", "chat", "email", "social", "live", "all"}
    waits = {"service_level", "asa_s", "mean_wait_s", "abandon_rate", "p_wait", "end_to_end_time_s"}
    assert {"offered", "answered", "abandoned"} | waits <= set(summary[summary.channel == "live"].metric)
    assert {"offered", "answered", "abandoned", "blocked", "aht_s", "occupancy", "escalation_rate"} <= \
        set(summary[summary.channel == "all"].metric)
    assert not waits & set(summary[summary.channel == "all"].metric), "email hours are never averaged with calls"
    phone = summary[summary.channel == "phone"].set_index("metric")
    assert phone.loc["offered", "n_reps"] == 3
    assert phone.loc["service_level", "ci_low"] <= phone.loc["service_level", "mean"] <= phone.loc["service_level", "ci_high"]


def test_intervals_cover_the_business_day_per_channel(two_default_runs):
    out, _ = two_default_runs[0]
    intervals = pd.read_csv(out / "intervals.csv")
    assert intervals["interval"].iloc[0] == "08:00"
    assert intervals["interval"].nunique() == 24  # 08:00-20:00 in 30 minutes
    assert set(intervals.channel) == {"phone", "chat", "email", "social", "live", "all"}
    centre = intervals[intervals.channel == "all"]
    assert centre["service_level"].isna().all() and centre["asa_s"].isna().all(), "no centre-wide wait mixes email"
    for col in ("interval_start_s", "offered", "service_level", "asa_s", "mean_queue_length", "occupancy"):
        assert col in intervals.columns


def test_contact_log_has_one_row_per_arrival_with_outcomes(two_default_runs):
    out, _ = two_default_runs[0]
    log = pd.read_parquet(out / "contacts.parquet")
    for col in ("replication", "contact_type", "channel", "arrival_time_s", "wait_s", "outcome"):
        assert col in log.columns
    assert set(log.replication) == {0, 1, 2}
    assert set(log.outcome) <= {"answered", "abandoned", "blocked", "in_system", "deflected", "unreached"}
    summary = pd.read_csv(out / "summary.csv")
    reps = pd.read_csv(out / "replications.csv")
    arrivals = reps[(reps.channel == "all") & (reps.metric == "arrivals")].set_index("replication")["value"]
    assert log.groupby("replication").size().to_dict() == arrivals.astype(int).to_dict()
    assert not summary.empty


def test_same_config_and_seed_give_identical_files(two_default_runs):
    (a, _), (b, _) = two_default_runs
    for name in OUTPUT_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs between identical runs"


def test_single_queue_preset_runs_from_the_command_line(tmp_path):
    proc = run_cli("scenario=single_queue", "scenario.agents=14", "scenario.arrival_rate_per_hour=200",
                   "run.replications=2", "run.horizon_hours=4", "run.figures=false", f"hydra.run.dir={tmp_path}")
    assert proc.returncode == 0, proc.stderr
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert set(summary.channel) == {"phone", "all"}
    staffed = summary[(summary.channel == "all") & (summary.metric == "agents_staffed")]["mean"].item()
    assert staffed == 14


# ------------------------------------------------- distributions given whole


def test_a_distribution_given_whole_on_the_command_line_replaces_the_scenarios(tmp_path):
    """A lognormal patience with its cv, over the default's exponential (Hydra alone merges and refuses cv)."""
    out = tmp_path / "run"
    proc = run_cli("scenario.contact_types.billing.patience={dist: lognormal, mean_s: 180, cv: 1.5}",
                   "scenario.contact_types.billing.handle_time={dist: exponential, mean_s: 300}",
                   "run.replications=1", "run.figures=false", f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    import yaml

    billing = yaml.safe_load((out / "config.yaml").read_text())["scenario"]["contact_types"]["billing"]
    assert billing["patience"] == {"dist": "lognormal", "mean_s": 180, "cv": 1.5}
    assert billing["handle_time"] == {"dist": "exponential", "mean_s": 300}  # the lognormal's cv is gone


def test_an_incomplete_distribution_given_whole_is_refused_naming_its_key(tmp_path):
    proc = run_cli("scenario.contact_types.billing.patience={dist: lognormal, mean_s: 180}", f"hydra.run.dir={tmp_path}/x")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("sim: error: scenario.contact_types.billing.patience.cv: required for a lognormal "
                                   "distribution (standard deviation / mean)")


def test_an_experiment_file_gives_distributions_whole_and_the_command_line_still_wins():
    from sim import load_config
    from sim.__main__ import composed
    from sim.engine.distributions import Distribution

    scenario = load_config(composed(["+experiment=exponential_handle_times"])).scenario
    assert scenario.contact_types["billing"].handle_time == Distribution("exponential", 300.0)
    assert scenario.contact_types["technical_tier2"].handle_time.kind == "lognormal"  # not in the file: unchanged
    later = composed(["+experiment=exponential_handle_times", "scenario.contact_types.billing.handle_time.mean_s=310"])
    assert later["scenario"]["contact_types"]["billing"]["handle_time"] == {"dist": "exponential", "mean_s": 310}
    whole = composed(["+experiment=exponential_handle_times",
                      "scenario.contact_types.billing.handle_time={dist: gamma, mean_s: 320, cv: 0.9}"])
    assert whole["scenario"]["contact_types"]["billing"]["handle_time"] == {"dist": "gamma", "mean_s": 320, "cv": 0.9}


def test_help_lists_only_the_groups_a_user_can_select_and_what_each_is_for():
    proc = subprocess.run([sys.executable, "-m", "sim", "--help"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    groups, _, rest = proc.stdout.partition("Not config groups")
    assert "scenario=NAME" in groups and "+experiment=NAME" in groups and "hydra/launcher=NAME" in groups
    assert "workforce" not in groups and "logs" not in groups  # not selectable: listed as other commands' inputs
    assert "configs/workforce/" in rest and "configs/logs/" in rest
    assert "== Configuration groups ==" not in proc.stdout  # Hydra's listing (it offered workforce= and logs=)
    from sim.__main__ import _group_options, composed

    from sim import load_config

    for option in _group_options("scenario"):
        assert f"      {option} " in groups, option
        load_config(composed([f"scenario={option}"]))  # every listed option can be selected
    for option in _group_options("experiment"):
        assert f"      {option} " in groups, option
        load_config(composed([f"+experiment={option}"]))
    assert "replications: 10" in rest  # the config, to override from
