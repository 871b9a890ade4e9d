"""`python -m sim` end to end: outputs, their columns, and bit-for-bit reproducibility."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from .conftest import REPO

OUTPUT_FILES = ("summary.csv", "intervals.csv", "groups.csv", "replications.csv", "config.yaml",
                "contacts.parquet", "figures/service_level_by_interval.png",
                "figures/asa_and_queue_by_interval.png", "figures/abandonment_by_interval.png",
                "figures/occupancy_by_interval.png")


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
    for channel in ("phone", "chat", "email", "all"):
        assert channel in proc.stdout.splitlines()[1], "the KPI table has a column per channel"


def test_summary_is_tidy_with_required_metrics_per_channel(two_default_runs):
    out, _ = two_default_runs[0]
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["channel", "metric", "mean", "ci_low", "ci_high", "n_reps"]
    assert set(summary.channel) == {"phone", "chat", "email", "all"}
    required = {"offered", "answered", "abandoned", "blocked", "service_level", "asa_s", "mean_wait_s",
                "abandon_rate", "p_wait", "aht_s", "occupancy", "escalation_rate", "end_to_end_time_s"}
    assert required <= set(summary[summary.channel == "all"].metric)
    phone = summary[summary.channel == "phone"].set_index("metric")
    assert phone.loc["offered", "n_reps"] == 3
    assert phone.loc["service_level", "ci_low"] <= phone.loc["service_level", "mean"] <= phone.loc["service_level", "ci_high"]


def test_intervals_cover_the_business_day_per_channel(two_default_runs):
    out, _ = two_default_runs[0]
    intervals = pd.read_csv(out / "intervals.csv")
    assert intervals["interval"].iloc[0] == "08:00"
    assert intervals["interval"].nunique() == 24  # 08:00-20:00 in 30 minutes
    assert set(intervals.channel) == {"phone", "chat", "email", "all"}
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
