"""Configs are data: harmless probes of every way a config file could run code or write elsewhere.

Each probe is a file that, if Hydra acted on it, would create a marker file (``builtins.open(...,
'w')``) or write outside the folder asked for. Every probe must be refused with one line naming
the key and exit status 2, and leave no marker. The rules themselves (:func:`sim.safety.refusal`)
are checked on plain mappings first.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim.safety import refusal

from .conftest import REPO

OUR_HYDRA = {"run": {"dir": "results/${scenario.name}/x"}, "sweep": {"dir": "results/multirun/x", "subdir": "y"},
             "callbacks": {"sweep": {"_target_": "sim.sweep.SweepCallback"}},
             "job_logging": {"handlers": {"console": {"class": "logging.StreamHandler"}}}}


def _with_hydra(**changes) -> dict:
    hydra = {key: (dict(value) if isinstance(value, dict) else value) for key, value in OUR_HYDRA.items()}
    hydra.update(changes)
    return {"scenario": {"name": "default"}, "run": {"replications": 2}, "hydra": hydra}


@pytest.mark.parametrize("cfg, key", [
    ({"scenario": {"costs": {"_target_": "builtins.print"}}}, "scenario.costs._target_"),
    ({"scenario": {"channels": [{"_partial_": True}]}}, "scenario.channels[0]._partial_"),
    (_with_hydra(callbacks={"sweep": {"_target_": "sim.sweep.SweepCallback"},
                            "evil": {"_target_": "builtins.open"}}), "hydra.callbacks.evil"),
    (_with_hydra(callbacks={"sweep": {"_target_": "shutil.copyfile"}}), "hydra.callbacks.sweep"),
    (_with_hydra(launcher={"_target_": "shutil.rmtree"}), "hydra.launcher._target_"),
    (_with_hydra(sweeper={"_target_": "os.system"}), "hydra.sweeper._target_"),
    (_with_hydra(job_logging={"handlers": {"x": {"()": "builtins.open"}}}), "hydra.job_logging.handlers.x.()"),
    (_with_hydra(hydra_logging={"handlers": {"x": {"class": "shutil.copyfile"}}}),
     "hydra.hydra_logging.handlers.x.class"),
    (_with_hydra(job={"env_set": {"LD_PRELOAD": "/tmp/x.so"}}), "hydra.job.env_set"),
    (_with_hydra(run={"dir": "/etc/somewhere"}), "hydra.run.dir"),
])
def test_each_code_running_key_is_refused_by_name(cfg, key):
    problem = refusal(cfg, OUR_HYDRA)
    assert problem is not None and problem.startswith(f"{key}: refused: configs are data"), problem


def test_the_simulators_own_config_and_plugins_pass():
    assert refusal(_with_hydra(), OUR_HYDRA) is None
    plugin = _with_hydra(launcher={"_target_": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"})
    assert refusal(plugin, OUR_HYDRA) is None
    moved = _with_hydra(run={"dir": "/tmp/elsewhere"})
    assert refusal(moved, OUR_HYDRA, explicit={"hydra.run.dir"}) is None, "the command line may move the outputs"


# ------------------------------------------------------------------ the probes, end to end


def _sim(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def _probe_dir(tmp_path: Path, marker: Path) -> Path:
    """A --config-dir with one experiment file per probe; each would create ``marker`` if acted on."""
    folder = tmp_path / "configs" / "experiment"
    folder.mkdir(parents=True)
    probes = {
        "callback": f"""
            hydra:
              callbacks:
                probe: {{_target_: builtins.open, file: "{marker}", mode: w}}""",
        "logging": f"""
            hydra:
              job_logging:
                version: 1
                handlers:
                  probe: {{"()": builtins.open, file: "{marker}", mode: w}}
                root: {{handlers: [probe]}}""",
        "launcher": """
            hydra:
              launcher: {_target_: builtins.print}""",
        "outputs": f"""
            hydra:
              run: {{dir: "{marker.parent / 'moved'}"}}""",
        "instantiate": f"""
            scenario:
              costs: {{_target_: builtins.open, file: "{marker}", mode: w}}""",
    }
    for name, body in probes.items():
        (folder / f"{name}.yaml").write_text("# @package _global_\n" + textwrap.dedent(body).strip() + "\n")
    return tmp_path / "configs"


@pytest.mark.parametrize("probe, key", [
    ("callback", "hydra.callbacks.probe"), ("logging", "hydra.job_logging.handlers.probe.()"),
    ("launcher", "hydra.launcher._target_"), ("outputs", "hydra.run.dir"), ("instantiate", "scenario.costs._target_"),
])
def test_a_probe_file_is_refused_before_anything_runs(tmp_path, probe, key):
    marker = tmp_path / "marker"
    configs = _probe_dir(tmp_path, marker)
    proc = _sim("--config-dir", str(configs), f"+experiment={probe}", "run.replications=1", "run.figures=false",
                cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"sim: error: {key}: refused: configs are data"), line
    assert not marker.exists() and not (tmp_path / "moved").exists() and not (tmp_path / "results").exists()


def test_a_sweep_with_one_probe_point_runs_no_point(tmp_path):
    marker = tmp_path / "marker"
    configs = _probe_dir(tmp_path, marker)
    proc = _sim("-m", "--config-dir", str(configs), "+experiment=more_generalists,callback", "run.replications=1",
                "run.figures=false", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert proc.returncode == 2 and "hydra.callbacks.probe: refused" in proc.stderr, proc.stderr
    assert not marker.exists() and not (tmp_path / "sweep").exists()


@pytest.mark.parametrize("name", ["../../escaped", "a/b", "", ".hidden", "<script>"])
def test_a_scenario_name_cannot_leave_the_results_folder(tmp_path, name):
    proc = _sim(f"scenario.name='{name}'", "run.replications=1", "run.figures=false", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("sim: error: scenario.name: expected a name"), proc.stderr
    assert list(tmp_path.iterdir()) == [] and not (tmp_path.parent / "escaped").exists()


def test_a_pickled_rerun_is_refused():
    proc = _sim("--experimental-rerun", "/tmp/config.pickle")
    assert proc.returncode == 2 and "--experimental-rerun: refused" in proc.stderr


def test_reports_escape_names_in_markdown_and_html(tmp_path):
    from sim.reporting.document import Heading, Page, Paragraph, Table, render_html, render_markdown

    evil = "<script>alert(1)</script> [click](javascript:alert(1))"
    page = Page(evil)
    page.add(Heading(evil), Paragraph(evil), Table([evil], [[evil]], evil))
    md = render_markdown(evil, [page])
    html = render_html(evil, [page], {})
    assert "<script>" not in md and "](javascript" not in md and "&lt;script&gt;" in md
    assert "<script>" not in html and "&lt;script&gt;" in html
