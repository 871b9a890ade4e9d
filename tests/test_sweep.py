"""Sweeps (`python -m sim -m ...`): the tidy sweep table and figures, nothing lost, bad specs.

- the end-of-sweep table (``sweep.csv`` / ``sweep.parquet``): summary columns plus one column per
  swept key, one row per point x channel x metric, ``status`` / ``error``; sweep figures;
- a failing point is recorded in its folder (``error.txt``) and the other points go on;
- re-running a sweep into the same folder skips the points already done;
- results are written atomically (no partial file, no temp file left);
- a killed sweep loses only the points in flight: re-run, the finished point is skipped and every
  point ends up done;
- bad sweep specs stop before any job with one ``sim: error: <key>: ...`` line, exit 2.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim import sweep as sweep_mod
from sim.__main__ import precheck
from sim.experiments.files import atomic_write
from sim.experiments.sweeps import collect_sweep, expand_sweep
from sim.reporting.sweep_figures import kpis_vs_swept, service_level_heatmap, sweep_figures
from sim.sweep import SUMMARY_COLUMNS, write_sweep

from .conftest import REPO

QUICK = ("scenario=single_queue", "run.replications=2", "run.horizon_hours=2", "run.figures=false")
POINTS = ("10", "12", "14")


def point_dir(sweep_dir: Path, number: int) -> Path:
    """The folder of point ``number`` (from 0): its name starts with the number (``01_agents=12__...``)."""
    (folder,) = [p for p in sweep_dir.iterdir() if p.is_dir() and p.name.split("_", 1)[0] == f"{number:02d}"]
    return folder


def sweep_cli(sweep_dir: Path, *overrides: str, quick=QUICK, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", "-m", *overrides, *quick, f"hydra.sweep.dir={sweep_dir}"],
                          capture_output=True, text=True, cwd=REPO, timeout=timeout)


def job_of(sweep_dir: Path, agents: str) -> Path:
    """The job folder of the point with ``scenario.agents=<agents>``."""
    for folder in sweep_dir.iterdir():
        overrides = folder / ".hydra" / "overrides.yaml"
        if overrides.is_file() and f"scenario.agents={agents}\n" in overrides.read_text():
            return folder
    raise AssertionError(f"no job folder for scenario.agents={agents}")


@pytest.fixture(scope="module")
def one_key_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "agents"
    proc = sweep_cli(out, f"scenario.agents={','.join(POINTS)}", quick=QUICK[:-1])  # with figures
    assert proc.returncode == 0, proc.stderr
    return out, proc


# ------------------------------------------------------------------ the sweep table and figures


def test_sweep_table_has_summary_columns_plus_swept_key_per_point_channel_metric(one_key_sweep):
    out, proc = one_key_sweep
    assert "sweep: 3 ok points" in proc.stdout
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.columns) == ["scenario.agents", *SUMMARY_COLUMNS, "status", "error"]
    assert pd.read_parquet(out / "sweep.parquet").shape == table.shape
    assert sorted(table["scenario.agents"].unique()) == [10, 12, 14]
    assert set(table.status) == {"ok"}
    for agents in POINTS:
        summary = pd.read_csv(job_of(out, agents) / "summary.csv")
        rows = table[table["scenario.agents"] == int(agents)][SUMMARY_COLUMNS].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows, summary, check_dtype=False)
    sl = table[(table.channel == "all") & (table.metric == "service_level")].set_index("scenario.agents")["mean"]
    assert sl[10] < sl[14], "more agents, better service level"
    assert (out / "sweep_kpis.png").stat().st_size > 0
    for agents in POINTS:
        folder = job_of(out, agents)
        assert (folder / "done").is_file() and not (folder / "error.txt").exists()
        assert not list(folder.glob(".*.tmp")), "no temporary files left"


def test_collect_sweep_by_hand_matches_the_callback(one_key_sweep, tmp_path):
    out, _ = one_key_sweep
    by_hand = collect_sweep(out)
    written = pd.read_parquet(out / "sweep.parquet")
    pd.testing.assert_frame_equal(by_hand.reset_index(drop=True), written, check_dtype=False)
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "sweep.csv").unlink()
    proc = subprocess.run([sys.executable, "-m", "sim.sweep", str(copy), "--no-figures"], capture_output=True,
                          text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (copy / "sweep.csv").is_file() and "3 ok" in proc.stdout


def test_rerun_skips_points_already_done(one_key_sweep, tmp_path):
    src, _ = one_key_sweep
    out = tmp_path / "again"
    shutil.copytree(src, out)
    before = {a: (job_of(out, a) / "summary.csv").stat().st_mtime_ns for a in POINTS}
    proc = sweep_cli(out, f"scenario.agents={','.join(POINTS)}", quick=QUICK[:-1])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("skipped: ") == 3, proc.stdout
    assert "outputs:" not in proc.stdout
    after = {a: (job_of(out, a) / "summary.csv").stat().st_mtime_ns for a in POINTS}
    assert after == before
    assert set(pd.read_csv(out / "sweep.csv").status) == {"ok"}
    # the same folder with a changed point (other overrides): not skipped, recomputed
    proc = sweep_cli(out, f"scenario.agents={','.join(POINTS)}", "run.seed=7", quick=QUICK[:-1])
    assert proc.returncode == 0 and "skipped" not in proc.stdout, proc.stdout + proc.stderr


def test_a_point_done_under_another_config_runs_again_and_says_so(tmp_path):
    """The done marker holds the fingerprint of the point's composed config: editing the experiment
    file the sweep uses (same overrides) re-runs its points instead of mixing old and new results."""
    configs = tmp_path / "configs" / "experiment"
    configs.mkdir(parents=True)
    experiment = configs / "rate.yaml"
    experiment.write_text("# @package _global_\nscenario:\n  arrival_rate_per_hour: 150\n")
    out = tmp_path / "sweep"
    args = ("--config-dir", str(tmp_path / "configs"), "+experiment=rate", "scenario.agents=10,12")
    first = sweep_cli(out, *args)
    assert first.returncode == 0 and "skipped" not in first.stdout, first.stderr
    marker = json.loads((job_of(out, "10") / "done").read_text())
    assert len(marker["config_sha256"]) == 64
    same = sweep_cli(out, *args)
    assert same.stdout.count("skipped: ") == 2 and "re-running" not in same.stdout, same.stdout
    offered = pd.read_csv(job_of(out, "10") / "summary.csv").set_index(["channel", "metric"])["mean"]
    experiment.write_text("# @package _global_\nscenario:\n  arrival_rate_per_hour: 180\n")
    changed = sweep_cli(out, *args)
    assert changed.returncode == 0 and "skipped" not in changed.stdout, changed.stdout
    assert changed.stdout.count("re-running: ") == 2 and "another config" in changed.stdout
    again = pd.read_csv(job_of(out, "10") / "summary.csv").set_index(["channel", "metric"])["mean"]
    assert again[("all", "arrivals")] > offered[("all", "arrivals")], "recomputed with the new rate"
    assert json.loads((job_of(out, "10") / "done").read_text())["config_sha256"] != marker["config_sha256"]


def test_collecting_a_folder_with_no_sweep_is_a_one_line_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim.sweep", str(tmp_path)], capture_output=True, text=True,
                          cwd=REPO, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no sweep in this folder" in proc.stderr
    assert not (tmp_path / "sweep.csv").exists()


def test_two_swept_keys_give_a_heatmap(tmp_path):
    out = tmp_path / "grid"
    proc = sweep_cli(out, "scenario.agents=11,13", "scenario.arrival_rate_per_hour=150,200",
                     quick=QUICK[:-1])
    assert proc.returncode == 0, proc.stderr
    table = pd.read_parquet(out / "sweep.parquet")
    assert list(table.columns[:2]) == ["scenario.agents", "scenario.arrival_rate_per_hour"]
    points = table[["scenario.agents", "scenario.arrival_rate_per_hour"]].drop_duplicates()
    assert len(points) == 4
    assert (out / "sweep_service_level_heatmap.png").stat().st_size > 0


# ------------------------------------------------------------------ nothing lost


def test_failing_point_is_recorded_and_the_others_go_on(tmp_path):
    out = tmp_path / "fails"
    # job 1 (agents=12) cannot write its summary: a folder is in the way; the point's folder is named
    # by its number and its overrides, the run settings left out
    one = out / "01_horizon_hours=2__agents=12__scenario=single_queue"
    (one / "summary.csv").mkdir(parents=True)
    proc = sweep_cli(out, "scenario.agents=10,12,14")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert point_dir(out, 1) == one
    error = (one / "error.txt").read_text().splitlines()
    assert len(error) == 1 and "IsADirectoryError" in error[0]
    assert not (one / "done").exists()
    assert not list(one.glob(".*.tmp")), "the failed write left no temporary file"
    table = pd.read_csv(out / "sweep.csv")
    status = table.groupby("scenario.agents")["status"].agg(set).to_dict()
    assert status == {10: {"ok"}, 12: {"failed"}, 14: {"ok"}}
    failed = table[table.status == "failed"]
    assert len(failed) == 1 and "IsADirectoryError" in failed.error.iloc[0]
    # fix the cause and re-run: the failed point runs again, the others are skipped
    (one / "summary.csv").rmdir()
    proc = sweep_cli(out, "scenario.agents=10,12,14")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("skipped: ") == 2
    assert not (one / "error.txt").exists() and (one / "done").is_file()
    assert "# sweep point 2: scenario.agents=12" in (one / "config.yaml").read_text(), "the config says its point"
    assert set(pd.read_csv(out / "sweep.csv").status) == {"ok"}


def test_config_error_inside_a_sweep_job_is_recorded_not_exit(tmp_path):
    """Without the pre-check (Hydra calling run_job directly), a bad point is recorded, not fatal."""
    out = tmp_path / "bad_point"
    code = ("import hydra, sim.__main__ as m; "
            "hydra.main(config_path=m.CONFIG_DIR, config_name='config', version_base='1.3')(m.run_job)()")
    proc = subprocess.run([sys.executable, "-c", code, "-m", "scenario.agents=-1,10", *QUICK,
                           f"hydra.sweep.dir={out}"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (point_dir(out, 0) / "error.txt").read_text().strip() == \
        "scenario.agents: expected a whole number >= 0, got -1"
    assert (point_dir(out, 1) / "done").is_file()
    table = pd.read_csv(out / "sweep.csv")
    assert table.groupby("scenario.agents")["status"].first().to_dict() == {-1: "failed", 10: "ok"}


def test_config_error_in_a_single_run_still_exits_2(tmp_path):
    code = ("import hydra, sim.__main__ as m; "
            "hydra.main(config_path=m.CONFIG_DIR, config_name='config', version_base='1.3')(m.run_job)()")
    proc = subprocess.run([sys.executable, "-c", code, "scenario.agents=-1", *QUICK, f"hydra.run.dir={tmp_path}/r"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["sim: error: scenario.agents: expected a whole number >= 0, got -1"]


def test_atomic_write_replaces_in_one_step_and_leaves_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    seen = {}
    real_replace = os.replace

    def spy(src, dst):
        seen["target_before"] = Path(dst).read_text()
        seen["temp"] = Path(src)
        seen["temp_content"] = Path(src).read_text()
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    atomic_write(target, lambda tmp: tmp.write_text("new, complete\n"))
    assert seen["target_before"] == "old\n", "the target is untouched until the replace"
    assert seen["temp"].parent == tmp_path, "the temp file is in the same folder (same file system)"
    assert seen["temp_content"] == "new, complete\n"
    assert target.read_text() == "new, complete\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]

    def half_then_fail(tmp):
        tmp.write_text("partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, half_then_fail)
    assert target.read_text() == "new, complete\n", "a failed write leaves the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"], "and no temp file"


def test_write_outputs_writes_summary_last_and_atomically(tmp_path, monkeypatch):
    from sim.experiments import replications as experiment
    from sim.model.config import load_config

    order = []
    real = experiment.atomic_write
    monkeypatch.setattr(experiment, "atomic_write", lambda path, write: order.append(Path(path).name) or real(path, write))
    config = load_config({"scenario": {"preset": "single_queue", "name": "sq", "arrival_rate_per_hour": 100,
                                       "mean_handle_time_s": 180, "agents": 6},
                          "run": {"replications": 2, "horizon_hours": 1, "figures": False}})
    result = experiment.run_experiment(config)
    written = experiment.write_tables(result, tmp_path)
    assert order[-1] == "summary.csv" and set(order) == {"summary.csv", "intervals.csv", "groups.csv",
                                                          "replications.csv", "types.csv", "type_intervals.csv",
                                                          "group_intervals.csv"}
    assert written[0].name == "summary.csv"
    assert not list(tmp_path.glob(".*"))


def test_killed_sweep_loses_only_points_in_flight(tmp_path):
    out = tmp_path / "killed"
    slow = ("scenario=single_queue", "run.replications=2", "run.horizon_hours=600", "run.figures=false")
    args = [sys.executable, "-m", "sim", "-m", "scenario.agents=12,13,14", *slow, f"hydra.sweep.dir={out}"]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not any((p / "done").exists() for p in out.glob("00_*")):
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no point finished in time"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert not any((p / "done").exists() for p in out.glob("02_*")), "the sweep was killed before its end"
    assert not (out / "sweep.csv").exists()
    done_at = (point_dir(out, 0) / "summary.csv").stat().st_mtime_ns
    # by hand, the interrupted sweep's table says what is missing
    table = collect_sweep(out)
    status = table.groupby("scenario.agents")["status"].first().to_dict()
    assert status[12] == "ok" and "incomplete" in status.values()
    # re-run: the finished point is skipped, the rest run, every point ends up done
    rerun = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"skipped: {point_dir(out, 0)}" in rerun.stdout
    assert (point_dir(out, 0) / "summary.csv").stat().st_mtime_ns == done_at
    assert all((point_dir(out, i) / "done").is_file() for i in range(3))
    assert set(pd.read_csv(out / "sweep.csv").status) == {"ok"}


# ------------------------------------------------------------------ bad sweep specs


@pytest.mark.parametrize("override, expected", [
    ("scenario.agnets=1,2", "sim: error: scenario.agnets: unknown key (did you mean 'agents'?)"),
    ("scenario.agents=range(5,5)", "sim: error: scenario.agents: empty sweep 'range(5,5)'"),
    ("scenario.agents=range(a,b)", "sim: error: scenario.agents: bad sweep 'range(a,b)'"),
    ("scenario.agents=choice()", "sim: error: scenario.agents: bad sweep 'choice()'"),
    ("scenario.agents=interval(1,5)", "sim: error: scenario.agents: cannot sweep 'interval(1,5)'"),
    ("scenario.agents=10,-1,12", "sim: error: scenario.agents: expected a whole number >= 0, got -1 "
                                 "(sweep point scenario.agents=-1)"),
    ("scenario=single_queue,nope", "sim: error: scenario: no config named 'nope'"),
])
def test_bad_sweep_spec_is_one_line_naming_the_key(override, expected, capsys):
    with pytest.raises(SystemExit) as stop:
        precheck(["-m", "scenario=single_queue", override, "run.replications=2"] if not override.startswith(
            "scenario=") else ["--multirun", override])
    assert stop.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(expected), err


def test_bad_sweep_spec_stops_before_any_job(tmp_path):
    out = tmp_path / "never"
    proc = sweep_cli(out, "scenario.agents=range(5,5)")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["sim: error: scenario.agents: empty sweep 'range(5,5)': it gives no "
                                        "values to run"]
    assert not out.exists()


def test_good_sweep_spec_passes_the_precheck():
    precheck(["-m", "scenario=single_queue", "scenario.agents=range(10,16,2)", "run.seed=1,2",
              "hydra.sweep.dir=/nonexistent"])
    precheck(["-m", "scenario=glob(*)", "run.replications=2"])


def test_expand_sweep_mirrors_the_basic_sweeper():
    axes = expand_sweep(["scenario.agents=range(10,16,2)", "run.seed=7", "scenario=single_queue"])
    assert axes == [("scenario.agents", ["scenario.agents=10", "scenario.agents=12", "scenario.agents=14"], True),
                    ("run.seed", ["run.seed=7"], False), ("scenario", ["scenario=single_queue"], False)]
    assert len(sweep_mod.sweep_points(expand_sweep(["a=1,2", "b=x,y,z"]))) == 6


# ------------------------------------------------------------------ figures from the table


def _table(keys: dict[str, list], channels=("phone", "chat", "all")) -> pd.DataFrame:
    import itertools

    rows = []
    for values in itertools.product(*keys.values()):
        for ch in channels:
            for metric, base in (("service_level", 0.8), ("asa_s", 20.0), ("abandon_rate", 0.05)):
                mean = base * (1 + 0.01 * sum(keys[k].index(v) for k, v in zip(keys, values)))
                rows.append({**dict(zip(keys, values)), "channel": ch, "metric": metric, "mean": mean,
                             "ci_low": mean * 0.9, "ci_high": mean * 1.1, "n_reps": 5, "status": "ok",
                             "error": ""})
    return pd.DataFrame(rows)


def test_sweep_figures_from_a_table():
    one = _table({"scenario.agents": [10, 12, 14]})
    fig = kpis_vs_swept(one, "scenario.agents")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert fig.axes[0].get_ylabel() == "Service level (%)"
    assert list(sweep_figures(one)) == ["sweep_kpis"]
    two = _table({"a": [1, 2], "b": [3, 4, 5]})
    heat = service_level_heatmap(two, "a", "b")
    assert isinstance(heat, Figure) and len(heat.axes[0].texts) == 6
    assert list(sweep_figures(two)) == ["sweep_service_level_heatmap"]
    failed = pd.concat([one, pd.DataFrame([{"scenario.agents": 16, "status": "failed", "error": "boom"}])])
    assert isinstance(kpis_vs_swept(failed, "scenario.agents"), Figure)
    by_scenario = _table({"scenario": ["default", "single_queue"]})
    assert len(kpis_vs_swept(by_scenario, "scenario").axes) == 3, "a non-numeric key: one position per value"
    assert sweep_figures(_table({"a": [1, 2], "b": [3], "c": [4]})) == {}, "three keys: no figure"
    nothing = failed[failed.status == "failed"]
    assert len(kpis_vs_swept(nothing, "scenario.agents").axes[0].texts) == 1  # "no data"


def test_collect_sweep_without_multirun_yaml_uses_varying_keys(one_key_sweep, tmp_path):
    src, _ = one_key_sweep
    out = tmp_path / "nomultirun"
    shutil.copytree(src, out)
    (out / "multirun.yaml").unlink()
    (job_of(out, "14") / "done").unlink()  # as if interrupted
    table = collect_sweep(out)
    assert list(table.columns[:1]) == ["scenario.agents"]
    status = table.groupby("scenario.agents")["status"].first().to_dict()
    assert status == {10: "ok", 12: "ok", 14: "incomplete"}
    written = write_sweep(out, figures=False)
    assert [p.name for p in written] == ["sweep.csv", "sweep.parquet"]


# ------------------------------------------------------------------ quiet sweeps


def test_a_sweep_prints_one_line_per_point_and_the_sweep_at_a_glance(one_key_sweep):
    out, proc = one_key_sweep
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("point ")]
    assert [ln.split("]")[0] for ln in lines] == [f"point {i + 1}/3 [scenario.agents={a}" for i, a in enumerate(POINTS)]
    assert all("service level phone" in ln and "abandonment phone" in ln for ln in lines), lines
    assert "KPI (mean" not in proc.stdout, "no full KPI table per point"
    assert "phone SL %" in proc.stdout  # the sweep's table at the end
    for agents in POINTS:
        assert not (job_of(out, agents) / "figures").exists(), "points draw no figures unless asked"


def test_a_sweep_point_draws_its_figures_when_asked(tmp_path):
    out = tmp_path / "asked"
    proc = sweep_cli(out, "scenario.agents=10,12", quick=(*QUICK[:-1], "run.figures=true"))
    assert proc.returncode == 0, proc.stderr
    assert all((job_of(out, a) / "figures").is_dir() for a in ("10", "12"))


def test_a_point_folder_is_named_by_its_number_and_its_shortened_overrides():
    from sim.experiments.sweeps import point_dirname

    assert point_dirname(3, "scenario.agent_groups.generalists.staffing_delta=2__scenario.volume_scale=1.1") == \
        "03_staffing_delta=2__volume_scale=1.1"
    assert point_dirname(12, "scenario.agent_groups.g.staffing_delta=[0,0,2]") == "12_staffing_delta=_0_0_2"
    assert point_dirname(0, "") == "00"
    assert len(point_dirname(1, "__".join(f"scenario.k{i}=value{i}" for i in range(20)))) <= 83, "shortened"


def test_job_folders_come_in_point_order_whatever_their_names(tmp_path):
    from sim.experiments.sweeps import job_folders

    for name in ("10_agents=14", "2_agents=12", "00_agents=10", "legacy"):
        (tmp_path / name / ".hydra").mkdir(parents=True)
        (tmp_path / name / ".hydra" / "overrides.yaml").write_text("[]\n")
    assert [p.name for p in job_folders(tmp_path)] == ["00_agents=10", "2_agents=12", "10_agents=14", "legacy"]
