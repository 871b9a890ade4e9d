"""The statistics on the command line: detected warm-up, sequential replications, paired comparison."""

from __future__ import annotations

import json

import pandas as pd

from sim.compare import main as compare_main

from .test_cli import run_cli


def test_auto_warmup_and_target_precision_are_applied_and_reported(tmp_path):
    proc = run_cli("scenario=single_queue", "run.warmup_hours=auto", "run.target_half_width=0.02",
                   "run.replications=3", "run.horizon_hours=6", "run.figures=false", f"hydra.run.dir={tmp_path}")
    assert proc.returncode == 0, proc.stderr
    warmup = json.loads((tmp_path / "warmup.json").read_text())
    precision = json.loads((tmp_path / "precision.json").read_text())
    assert "warm-up detected by MSER-5" in proc.stdout and "sequential replications" in proc.stdout
    assert 0 <= warmup["warmup_s"] < 6 * 3600
    summary = pd.read_csv(tmp_path / "summary.csv").set_index(["channel", "metric"])
    sl = summary.loc[("all", "service_level")]
    assert sl["n_reps"] == precision["replications"] >= 3
    assert precision["met"] == ((sl["ci_high"] - sl["ci_low"]) / 2 <= 0.02)


def test_compare_folders_reports_paired_differences_with_variance_reduction(tmp_path, capsys):
    base, alt = tmp_path / "base", tmp_path / "alt"
    common = ["scenario=single_queue", "scenario.arrival_rate_per_hour=200", "scenario.mean_patience_s=120",
              "run.replications=6", "run.horizon_hours=4", "run.figures=false"]
    assert run_cli(*common, "scenario.agents=11", f"hydra.run.dir={base}").returncode == 0
    assert run_cli(*common, "scenario.agents=12", f"hydra.run.dir={alt}").returncode == 0
    assert compare_main([str(base), str(alt)]) == 0
    table = pd.read_csv(alt / "comparison.csv").set_index(["channel", "metric"])
    asa = table.loc[("all", "asa_s")]
    assert asa["diff_ci_high"] < 0, "one more agent shortens the wait, and the paired CI shows it"
    assert asa["variance_reduction"] > 1
    assert "written:" in capsys.readouterr().out


def test_compare_refuses_a_folder_without_replications(tmp_path, capsys):
    assert compare_main([str(tmp_path), str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("sim.compare: error:") and "\n" not in err
