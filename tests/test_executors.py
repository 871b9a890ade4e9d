"""Executors (sim/experiments/executors.py) and running at scale: Dask, joblib sweeps, the Slurm launcher config.

The executor never changes the numbers: the same seed gives the same tables (and the same
per-contact log) in 1 process, 2 processes, a local Dask cluster and an existing Dask cluster.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from sim.model.config import load_config
from sim.engine.errors import ConfigError
from sim.experiments.executors import map_replications
from sim.experiments.replications import run_experiment

REPO = Path(__file__).resolve().parent.parent
CONFIG_DIR = str(REPO / "configs")
SLURM_TARGET = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"


def _config(**run):
    raw_run = {"replications": 4, "horizon_hours": 2, "warmup_hours": 0, "figures": False, "seed": 2024}
    raw_run.update(run)
    scenario = {"preset": "single_queue", "arrival_rate_per_hour": 200, "mean_handle_time_s": 180, "agents": 11,
                "mean_patience_s": 120}
    return load_config({"scenario": scenario, "run": raw_run})


EXECUTOR_RUNS = {
    "processes-1": {"executor": "processes", "workers": 1},
    "processes-2": {"executor": "processes", "workers": 2},
    "dask-local-2": {"executor": "dask", "workers": 2},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each executor's result and contact log for the same config and seed."""
    out = {}
    for name, run in EXECUTOR_RUNS.items():
        log = tmp_path_factory.mktemp(name) / "contacts.parquet"
        out[name] = (run_experiment(_config(save_contacts=True, **run), contact_log=log), log)
    return out


@pytest.mark.parametrize("name", [n for n in EXECUTOR_RUNS if n != "processes-1"])
def test_executor_does_not_change_the_tables(runs, name):
    base, _ = runs["processes-1"]
    other, _ = runs[name]
    for table in ("summary", "intervals", "groups", "replications"):
        assert_frame_equal(getattr(other, table), getattr(base, table), check_exact=True, obj=f"{name} {table}")
    sl = base.summary.query("channel == 'all' and metric == 'service_level'")
    assert sl["n_reps"].tolist() == [4]


@pytest.mark.parametrize("name", [n for n in EXECUTOR_RUNS if n != "processes-1"])
def test_executor_does_not_change_the_contact_log(runs, name):
    _, base_log = runs["processes-1"]
    _, log = runs[name]
    base = pd.read_parquet(base_log)
    assert len(base) > 100 and sorted(base["replication"].unique()) == [0, 1, 2, 3]
    assert_frame_equal(pd.read_parquet(log), base, check_exact=True)
    assert not list(log.parent.glob("*.rep*")), "part files are merged and removed"


def test_dask_on_an_existing_cluster_gives_the_same_numbers(runs):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = run_experiment(_config(executor="dask", scheduler_address=cluster.scheduler_address))
    assert_frame_equal(result.summary, runs["processes-1"][0].summary, check_exact=True)


def test_map_replications_keeps_replication_order_and_reports_progress():
    config = _config(workers=2, replications=3)
    calls = []
    outputs = map_replications(config, [2, 0, 1], None, lambda done, total: calls.append((done, total)))
    assert [out["summary"][0]["replication"] for out in outputs] == [2, 0, 1]
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert map_replications(config, [], None) == []


@pytest.mark.parametrize("run, message", [
    ({"executor": "threads"}, "run.executor: expected one of processes, dask"),
    ({"scheduler_address": "tcp://h:8786"}, "run.scheduler_address: only used with run.executor=dask"),
    ({"executor": "dask", "scheduler_address": ""}, "run.scheduler_address: expected null or a Dask scheduler address"),
    ({"executor": "dask", "scheduler_address": 8786}, "run.scheduler_address: expected null or a Dask scheduler address"),
])
def test_bad_executor_keys_are_one_line_errors(run, message):
    with pytest.raises(ConfigError) as info:
        _config(**run)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_unreachable_scheduler_is_a_config_error(monkeypatch):
    import sim.experiments.executors

    monkeypatch.setattr(sim.experiments.executors, "CONNECT_TIMEOUT_S", 1)
    config = _config(executor="dask", scheduler_address="tcp://127.0.0.1:9")
    with pytest.raises(ConfigError, match=r"^run.scheduler_address: cannot connect to a Dask scheduler"):
        run_experiment(replace(config, run=replace(config.run, replications=1)))


# ------------------------------------------------------------------ Hydra launchers


def test_joblib_launcher_runs_a_local_parallel_sweep(tmp_path):
    cmd = [sys.executable, "-m", "sim", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
           "scenario=single_queue", "scenario.agents=10,12", "run.replications=2", "run.horizon_hours=2",
           "run.figures=false", f"hydra.sweep.dir={tmp_path}"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = pd.read_csv(tmp_path / "sweep.csv")
    assert sorted(table["scenario.agents"].unique()) == [10, 12]
    assert table["status"].eq("ok").all()
    names = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert [n.split("_", 1)[0] for n in names] == ["00", "01"], "each point's folder: its number, then its overrides"
    assert "agents=" in names[0], "named in the worker processes too (the resolver is registered there)"
    # the joblib launcher ran it, not the basic one
    assert "JoblibLauncher" in (tmp_path / "multirun.yaml").read_text()


def _compose(overrides):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            return compose("config", overrides=overrides, return_hydra_config=True)
    finally:
        GlobalHydra.instance().clear()


def test_slurm_launcher_config_composes_and_resolves():
    from omegaconf import OmegaConf

    cfg = _compose(["hydra/launcher=slurm", "run.workers=8", "hydra.sweep.dir=/shared/sweeps/x"])
    launcher = OmegaConf.to_container(cfg.hydra.launcher, resolve=True)
    assert launcher["_target_"] == SLURM_TARGET
    assert launcher["cpus_per_task"] == 8  # follows run.workers
    assert launcher["submitit_folder"] == "/shared/sweeps/x/.submitit/%j"
    assert launcher["name"] == "sim"
    assert isinstance(launcher["timeout_min"], int) and isinstance(launcher["mem_gb"], int)
    assert launcher["nodes"] == 1 and launcher["tasks_per_node"] == 1
    for key in ("partition", "account"):
        assert key in launcher
    # the placeholders are overridable from the command line
    cfg = _compose(["hydra/launcher=slurm", "hydra.launcher.partition=cpu", "hydra.launcher.timeout_min=30"])
    assert (cfg.hydra.launcher.partition, cfg.hydra.launcher.timeout_min) == ("cpu", 30)


@pytest.mark.parametrize("launcher, target", [
    ("submitit_local", "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher"),
    ("joblib", "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"),
])
def test_other_launchers_compose(launcher, target):
    cfg = _compose([f"hydra/launcher={launcher}"])
    assert cfg.hydra.launcher._target_ == target
