"""Run, sweep and study folders read by ``python -m sim.report``, ``sim.compare``, ``sim.sweep`` and
``sim.study``, and their options: a file that cannot be what the simulator wrote (a table without the
columns a reader uses, binary, not UTF-8, YAML or JSON that does not parse) and a bad option are each
one line on stderr naming the file (and line) or the option, exit status 2, no traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim import compare as compare_mod
from sim import report as report_mod
from sim import study as study_mod
from sim import sweep as sweep_mod
from sim.experiments.files import csv_frame
from sim.experiments.sweeps import collect_sweep, mark_done

from .report_helpers import run_folder

RAW = {"scenario": {"name": "small", "preset": "single_queue", "arrival_rate_per_hour": 120,
                    "mean_handle_time_s": 180, "agents": 7},
       "run": {"replications": 3, "horizon_hours": 2, "figures": False}}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A small run folder and a two-point sweep made of copies of it (made once)."""
    root = tmp_path_factory.mktemp("inputs_folders")
    run = run_folder(RAW, root / "run")
    sweep = root / "sweep"
    for number, agents in enumerate((7, 8)):
        point = sweep / f"{number:02d}_agents={agents}"
        shutil.copytree(run, point)
        overrides = ["scenario=single_queue", f"scenario.agents={agents}"]
        (point / ".hydra").mkdir()
        (point / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides), encoding="utf-8")
        mark_done(point, overrides)
    return run, sweep


@pytest.fixture
def run(made, tmp_path):
    """A fresh copy of the run folder, to damage."""
    return Path(shutil.copytree(made[0], tmp_path / "run"))


@pytest.fixture
def sweep(made, tmp_path):
    """A fresh copy of the sweep folder, to damage."""
    return Path(shutil.copytree(made[1], tmp_path / "sweep"))


def _one_line(capsys, main, argv: list[str]) -> str:
    """Run ``main(argv)`` (returning 2 or exiting 2, as argparse does); the single stderr line."""
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    captured = capsys.readouterr()
    assert status == 2, captured
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def _report(capsys, *argv) -> str:
    return _one_line(capsys, report_mod.main, [str(a) for a in argv])


# ------------------------------------------------------------------ run folders (sim.report)


def test_a_summary_with_other_columns_names_the_file_and_the_missing_column(run, capsys):
    (run / "summary.csv").write_text("kpi,value\nservice_level,0.8\n", encoding="utf-8")
    line = _report(capsys, run)
    assert line.startswith(f"sim.report: error: {run / 'summary.csv'}:1: missing column")
    assert "'channel'" in line and "(expected a run folder's summary.csv written by python -m sim" in line
    assert not (run / "report").exists(), "no report from a folder that cannot be read"


def test_a_binary_intervals_table_is_named_by_file_and_line(run, capsys):
    (run / "intervals.csv").write_bytes(b"interval_start_s,channel\n0,phone\n\x00\x01\x02")
    line = _report(capsys, run)
    assert line == (f"sim.report: error: {run / 'intervals.csv'}:3: binary data, not text (expected a run "
                    "folder's intervals.csv written by python -m sim)")


def test_a_summary_that_is_not_utf8_is_named_by_file_and_line(run, capsys):
    text = (run / "summary.csv").read_bytes()
    (run / "summary.csv").write_bytes(text.replace(b"phone", b"t\xe9l\xe9phone", 1))
    line = _report(capsys, run)
    assert line.startswith(f"sim.report: error: {run / 'summary.csv'}:")
    assert "not utf-8 text (byte 0xe9" in line


def test_a_summary_cell_that_is_not_a_number_names_its_line(run, capsys):
    lines = (run / "summary.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[2] = "lots"
    lines[3] = ",".join(cells)
    (run / "summary.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    line = _report(capsys, run)
    assert line.startswith(f"sim.report: error: {run / 'summary.csv'}:4: column 'mean': expected a number, got 'lots'")


def test_a_truncated_row_of_the_replications_names_its_line(run, capsys):
    with (run / "replications.csv").open("a", encoding="utf-8") as fh:
        fh.write("3,phone\n")
    n = len((run / "replications.csv").read_text(encoding="utf-8").splitlines())
    line = _report(capsys, run)
    assert line == (f"sim.report: error: {run / 'replications.csv'}:{n}: 2 cells where the header has 4 "
                    "(truncated row)")


def test_a_binary_baseline_replications_is_an_error_not_a_dropped_comparison(run, made, tmp_path, capsys):
    (run / "replications.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    line = _report(capsys, made[0], "--baseline", run, "--out", tmp_path / "r")
    assert line == (f"sim.report: error: {run / 'replications.csv'}:3: binary data, not text (expected a run "
                    "folder's replications.csv written by python -m sim)")


def test_a_baseline_without_replications_says_there_is_no_comparison(run, made, tmp_path, capsys):
    (run / "replications.csv").unlink()
    assert report_mod.main([str(made[0]), "--baseline", str(run), "--out", str(tmp_path / "r")]) == 0
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert f"No comparison: no replications.csv in {run}" in md


def test_a_repeated_replication_row_in_the_baseline_names_it(run, made, tmp_path, capsys):
    lines = (run / "replications.csv").read_text(encoding="utf-8").splitlines()
    (run / "replications.csv").write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    line = _report(capsys, made[0], "--baseline", run, "--out", tmp_path / "r")
    assert line.startswith(f"sim.report: error: {run / 'replications.csv'}: ") and "appears twice" in line


def test_a_baseline_that_is_a_sweep_is_refused(made, tmp_path, capsys):
    line = _report(capsys, made[0], "--baseline", made[1], "--out", tmp_path / "r")
    assert line == (f"sim.report: error: --baseline: {made[1]} is a sweep folder (python -m sim -m); expected a run "
                    "folder (python -m sim) to compare each run folder with")


@pytest.mark.parametrize("text, where, words", [
    ("scenario: {name: [unclosed\n", ":2", "expected a run folder's config.yaml"),
    ("run: !!python/object/apply:os.system ['true']\n", ":1", "plain YAML data only"),
    ("- a list\n- not a mapping\n", "", "expected a mapping with scenario and run, got list"),
])
def test_a_config_yaml_that_is_not_a_mapping_of_plain_yaml_names_the_file(run, capsys, text, where, words):
    (run / "config.yaml").write_text(text, encoding="utf-8")
    line = _report(capsys, run)
    assert line.startswith(f"sim.report: error: {run / 'config.yaml'}{where}: "), line
    assert words in line


def test_a_warmup_json_that_does_not_parse_names_the_file_and_line(run, capsys):
    raw = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
    raw["run"]["warmup_hours"] = "auto"
    (run / "config.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    (run / "warmup.json").write_text('{\n  "warmup_s": \n}\n', encoding="utf-8")
    line = _report(capsys, run)
    assert line.startswith(f"sim.report: error: {run / 'warmup.json'}:3: not valid JSON: Expecting value")
    (run / "warmup.json").write_text('{"warmup_s": -5}\n', encoding="utf-8")
    line = _report(capsys, run)
    assert line.startswith(f"sim.report: error: {run / 'warmup.json'}: warmup_s: expected a number of seconds >= 0")


def test_a_binary_error_txt_is_named(run, capsys):
    (run / "summary.csv").unlink()
    (run / "error.txt").write_bytes(b"\xff\xfe\x00boom")
    line = _report(capsys, run)
    assert line.startswith(f"sim.report: error: {run / 'error.txt'}:1: binary data, not text")


# ------------------------------------------------------------------ sim.report options


def test_report_out_pointing_at_a_file_is_refused(made, tmp_path, capsys):
    target = tmp_path / "report.html"
    target.write_text("not a folder", encoding="utf-8")
    line = _report(capsys, made[0], "--out", target)
    assert line == f"sim.report: error: --out: {target} is a file; expected a folder to write into"
    line = _report(capsys, made[0], "--out", target / "inside")
    assert line == f"sim.report: error: --out: {target} is a file; expected a folder to write into"


@pytest.mark.parametrize("value, words", [("nan", "expected a finite number, got 'nan'"),
                                          ("inf", "expected a finite number, got 'inf'"),
                                          ("-1", "expected a number >= 0, got '-1'"),
                                          ("cheap", "expected a number, got 'cheap'")])
def test_report_wage_per_hour_is_a_finite_number_not_below_zero(made, capsys, value, words):
    line = _report(capsys, made[0], f"--wage-per-hour={value}")
    assert line.startswith("sim.report: error: argument --wage-per-hour: ") and words in line


def test_report_service_channel_must_be_a_channel_of_the_sweep(made, tmp_path, capsys):
    line = _report(capsys, made[1], "--service-channel", "fax", "--out", tmp_path / "r")
    assert line.startswith("sim.report: error: --service-channel: unknown channel 'fax'; expected one of ")
    assert "phone" in line and "all" in line and str(made[1]) in line
    assert report_mod.main([str(made[1]), "--service-channel", "phone", "--out", str(tmp_path / "r")]) == 0


def test_report_service_channel_without_a_sweep_or_study_is_refused(made, tmp_path, capsys):
    line = _report(capsys, made[0], "--service-channel", "phone", "--out", tmp_path / "r")
    assert line == ("sim.report: error: --service-channel: only sweep and study pages use it (their cost-service "
                    "trade-off), and none of the folders is a sweep or a study")


def test_report_folder_that_is_a_file_and_unknown_options_are_one_line(made, capsys):
    line = _report(capsys, made[0] / "summary.csv")
    assert line == f"sim.report: error: {made[0] / 'summary.csv'}: is a file; expected a run, sweep or study folder"
    line = _report(capsys, made[0], "--wage", "3", "--bogus")
    assert line.startswith("sim.report: error: unrecognized arguments: --bogus")


# ------------------------------------------------------------------ sweeps (sim.report, sim.sweep)


def test_a_sweep_table_without_the_summary_columns_names_the_file(sweep, capsys):
    (sweep / "sweep.csv").write_text("agents,sl\n7,0.8\n", encoding="utf-8")
    line = _report(capsys, sweep)
    assert line.startswith(f"sim.report: error: {sweep / 'sweep.csv'}:1: missing columns 'channel', 'metric'")


def test_sweep_with_a_binary_multirun_yaml_names_the_file(sweep, capsys):
    (sweep / "multirun.yaml").write_bytes(b"hydra:\n  \x00\x00")
    line = _one_line(capsys, sweep_mod.main, [str(sweep), "--no-figures"])
    assert line == (f"sim.sweep: error: {sweep / 'multirun.yaml'}:2: binary data, not text (expected a sweep's "
                    "multirun.yaml written by Hydra (python -m sim -m))")


def test_sweep_with_a_multirun_yaml_without_its_overrides_names_the_key(sweep, capsys):
    (sweep / "multirun.yaml").write_text("hydra:\n  overrides: {}\n", encoding="utf-8")
    line = _one_line(capsys, sweep_mod.main, [str(sweep), "--no-figures"])
    assert line.startswith(f"sim.sweep: error: {sweep / 'multirun.yaml'}: hydra.overrides.task: expected the list")


def test_sweep_with_an_alias_bomb_in_multirun_yaml_is_refused(sweep, capsys):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdef", "bcdefg"))
    (sweep / "multirun.yaml").write_text(bomb, encoding="utf-8")
    line = _one_line(capsys, sweep_mod.main, [str(sweep), "--no-figures"])
    assert line.startswith(f"sim.sweep: error: {sweep / 'multirun.yaml'}: its aliases expand to more than")


def test_sweep_with_an_overrides_yaml_that_is_not_a_list_names_it(sweep, capsys):
    point = sorted(p for p in sweep.iterdir() if p.is_dir())[0]
    (point / ".hydra" / "overrides.yaml").write_text("scenario: single_queue\n", encoding="utf-8")
    line = _one_line(capsys, sweep_mod.main, [str(sweep), "--no-figures"])
    assert line.startswith(f"sim.sweep: error: {point / '.hydra' / 'overrides.yaml'}: expected a list of key=value")


def test_a_sweep_point_whose_summary_has_other_columns_is_a_failed_point_naming_it(sweep, capsys):
    point = sorted(p for p in sweep.iterdir() if p.is_dir())[1]
    (point / "summary.csv").write_text("kpi,value\nservice_level,0.8\n", encoding="utf-8")
    assert sweep_mod.main([str(sweep), "--no-figures"]) == 0
    assert "1 ok, 1 failed" in capsys.readouterr().out
    table = collect_sweep(sweep)
    (error,) = table[table["status"] == "failed"]["error"].tolist()
    assert error.startswith(f"{point / 'summary.csv'}:1: missing column")


def test_sweep_on_a_file_an_empty_folder_and_bad_options_is_one_line(made, tmp_path, capsys):
    line = _one_line(capsys, sweep_mod.main, [str(made[0] / "summary.csv")])
    assert line == f"sim.sweep: error: {made[0] / 'summary.csv'}: is a file; expected a sweep folder (hydra.sweep.dir)"
    line = _one_line(capsys, sweep_mod.main, [str(tmp_path)])
    assert line.startswith(f"sim.sweep: error: {tmp_path}: no sweep in this folder")
    line = _one_line(capsys, sweep_mod.main, [str(made[1]), "--figures"])
    assert line.startswith("sim.sweep: error: unrecognized arguments: --figures")


# ------------------------------------------------------------------ studies (sim.report)


def _study_folder(root: Path) -> Path:
    """A what-if study folder as experiments/*.py writes it, with two points."""
    folder = root / "study"
    folder.mkdir()
    rows = [{"agents": a, "channel": "phone", "metric": "service_level", "mean": 0.7 + a / 100, "ci_low": 0.6,
             "ci_high": 0.9, "n_reps": 3} for a in (7, 8)]
    pd.DataFrame(rows).to_csv(folder / "kpis.csv", index=False)
    info = {"study": "agents", "key": "agents", "baseline": 7, "window_hours": 2.0,
            "targets": {"phone": {"threshold_s": 20, "target": 0.8}}}
    (folder / "study.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return folder


def test_a_study_json_that_does_not_parse_names_the_file_and_line(tmp_path, capsys):
    folder = _study_folder(tmp_path)
    (folder / "study.json").write_text('{\n  "key": "agents",\n  "targets": {"phone": }\n}\n', encoding="utf-8")
    line = _report(capsys, folder)
    assert line.startswith(f"sim.report: error: {folder / 'study.json'}:3: not valid JSON")


def test_a_study_json_with_targets_of_the_wrong_kind_names_the_key(tmp_path, capsys):
    folder = _study_folder(tmp_path)
    info = json.loads((folder / "study.json").read_text(encoding="utf-8"))
    info["targets"]["phone"]["target"] = "high"
    (folder / "study.json").write_text(json.dumps(info), encoding="utf-8")
    line = _report(capsys, folder)
    assert line.startswith(f"sim.report: error: {folder / 'study.json'}: targets.phone.target: expected a number, "
                           "got 'high'")


def test_a_study_kpis_table_without_the_study_key_names_the_file(tmp_path, capsys):
    folder = _study_folder(tmp_path)
    table = pd.read_csv(folder / "kpis.csv").rename(columns={"agents": "staff"})
    table.to_csv(folder / "kpis.csv", index=False)
    line = _report(capsys, folder)
    assert line.startswith(f"sim.report: error: {folder / 'kpis.csv'}:1: missing column 'agents' (expected a "
                           "study's kpis.csv written by experiments/*.py")


def test_an_option_study_table_without_its_columns_names_the_file(tmp_path, capsys):
    folder = tmp_path / "options"
    folder.mkdir()
    (folder / "study.json").write_text("{}", encoding="utf-8")
    (folder / "options.csv").write_text("name,cost\nbaseline,3\n", encoding="utf-8")
    line = _report(capsys, folder)
    assert line.startswith(f"sim.report: error: {folder / 'options.csv'}:1: missing columns 'option', 'channel'")
    assert "(expected an option study's options.csv written by python -m sim.study" in line


def test_an_option_study_json_pointing_outside_its_folder_is_refused(tmp_path, capsys):
    folder = tmp_path / "options"
    folder.mkdir()
    info = {"options": {"more": {"overrides": ["scenario.agents=9"], "folder": "../../elsewhere"}}}
    (folder / "study.json").write_text(json.dumps(info), encoding="utf-8")
    (folder / "ranking.csv").write_text("rank\n1\n", encoding="utf-8")
    line = _report(capsys, folder)
    assert line.startswith(f"sim.report: error: {folder / 'study.json'}: options.more: expected a mapping with the "
                           "option's folder")


# ------------------------------------------------------------------ sim.compare


@pytest.mark.parametrize("value", ["1.5", "0", "1", "nan", "-0.2"])
def test_compare_confidence_outside_zero_and_one_is_refused(made, capsys, value):
    line = _one_line(capsys, compare_mod.main, [str(made[0]), str(made[0]), f"--confidence={value}"])
    assert line.startswith("sim.compare: error: argument --confidence: expected a ")
    assert repr(value) in line


def test_compare_a_binary_replications_table_names_the_file(run, made, capsys):
    (run / "replications.csv").write_bytes(b"\x00\x01binary")
    line = _one_line(capsys, compare_mod.main, [str(made[0]), str(run)])
    assert line.startswith(f"sim.compare: error: {run / 'replications.csv'}:1: binary data, not text")


def test_compare_a_replications_table_with_other_columns_names_the_missing_one(run, made, capsys):
    (run / "replications.csv").write_text("rep,kpi,value\n0,asa,3\n", encoding="utf-8")
    line = _one_line(capsys, compare_mod.main, [str(made[0]), str(run)])
    assert line.startswith(f"sim.compare: error: {run / 'replications.csv'}:1: missing columns 'replication', "
                           "'channel', 'metric'")


def test_compare_a_replications_table_with_a_repeated_row_names_it(run, made, capsys):
    lines = (run / "replications.csv").read_text(encoding="utf-8").splitlines()
    (run / "replications.csv").write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    line = _one_line(capsys, compare_mod.main, [str(made[0]), str(run)])
    assert line.startswith(f"sim.compare: error: {run / 'replications.csv'}: ") and "appears twice" in line


def test_compare_a_baseline_config_with_a_bad_confidence_names_the_key(run, made, capsys):
    raw = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
    raw["run"]["confidence"] = 1.5
    (run / "config.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    line = _one_line(capsys, compare_mod.main, [str(run), str(made[0])])
    assert line.startswith(f"sim.compare: error: {run / 'config.yaml'}: run.confidence: expected a confidence level")


def test_compare_runs_with_nothing_in_common_is_refused(run, made, capsys):
    table = pd.read_csv(run / "replications.csv")
    table.assign(channel="fax_" + table["channel"]).to_csv(run / "replications.csv", index=False)
    line = _one_line(capsys, compare_mod.main, [str(made[0]), str(run)])
    assert line.startswith(f"sim.compare: error: {run / 'replications.csv'}: no KPI of any replication in common")


def test_compare_runs_with_different_seeds_warns_in_one_line(run, made, capsys):
    raw = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
    raw["run"]["seed"] = 99
    (run / "config.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert compare_mod.main([str(made[0]), str(run)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sim.compare: warning: baseline (seed ") and "not paired" in err[0]


# ------------------------------------------------------------------ sim.study


def _study(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "study.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def _study_error(capsys, tmp_path, argv) -> str:
    line = _one_line(capsys, study_mod.main, [*map(str, argv)])
    assert not (tmp_path / "out").exists(), "nothing runs before the inputs are right"
    return line


def test_a_binary_study_file_is_named_by_file_and_line(tmp_path, capsys):
    path = _study(tmp_path, b"options:\n  a: [x=1]\n\x00\x00")
    line = _study_error(capsys, tmp_path, [path, "--out", tmp_path / "out"])
    assert line.startswith(f"sim.study: error: {path}:3: binary data, not text")


def test_a_study_file_with_a_python_tag_is_refused(tmp_path, capsys):
    path = _study(tmp_path, "options: !!python/object/apply:os.system ['true']\n")
    line = _study_error(capsys, tmp_path, [path, "--out", tmp_path / "out"])
    assert line.startswith(f"sim.study: error: {path}:1: not valid YAML: ") and "plain YAML data only" in line


def test_a_study_file_with_an_alias_bomb_is_refused(tmp_path, capsys):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdef", "bcdefg")) + "options:\n  a: [x=1]\n"
    path = _study(tmp_path, bomb)
    line = _study_error(capsys, tmp_path, [path, "--out", tmp_path / "out"])
    assert line.startswith(f"sim.study: error: {path}: not valid YAML: its aliases expand to more than")


def test_a_study_file_asking_for_more_replications_than_the_limit_is_refused(tmp_path, capsys):
    path = _study(tmp_path, "replications: 20000\noptions:\n  a: [scenario.agents=9]\n")
    line = _study_error(capsys, tmp_path, [path, "--out", tmp_path / "out"])
    assert line.startswith(f"sim.study: error: {path}:1: replications: expected a whole number >= 2")
    assert "<= 10,000" in line


@pytest.mark.parametrize("argv, words", [
    (["--replications", "1"], "argument --replications: expected a whole number >= 2, got '1'"),
    (["--replications", "10001"], "argument --replications: expected a whole number <= 10000, got '10001'"),
    (["--replications", "2.5"], "argument --replications: expected a whole number, got '2.5'"),
    (["--workers", "-1"], "argument --workers: expected a whole number >= 0, got '-1'"),
    (["--workers", "many"], "argument --workers: expected a whole number, got 'many'"),
])
def test_study_replications_and_workers_are_checked_counts(tmp_path, capsys, argv, words):
    path = _study(tmp_path, "options:\n  a: [scenario.agents=9]\n")
    line = _study_error(capsys, tmp_path, [path, *argv, "--out", tmp_path / "out"])
    assert line == f"sim.study: error: {words} (see --help)"


def test_study_out_pointing_at_a_file_is_refused(tmp_path, capsys):
    path = _study(tmp_path, "options:\n  a: [scenario.agents=9]\n")
    target = tmp_path / "out.txt"
    target.write_text("x", encoding="utf-8")
    line = _one_line(capsys, study_mod.main, [str(path), "--out", str(target)])
    assert line == f"sim.study: error: --out: {target} is a file; expected a folder to write into"


def test_a_folder_given_as_the_study_file_is_refused(tmp_path, capsys):
    line = _study_error(capsys, tmp_path, [tmp_path])
    assert line == f"sim.study: error: {tmp_path}: is a folder; expected a study file (YAML)"


# ------------------------------------------------------------------ the checked table reader


def test_checked_tables_hold_the_values_pandas_reads(made):
    for name in ("summary.csv", "intervals.csv", "replications.csv"):
        path = made[0] / name
        checked = csv_frame(path, "a table")
        pd.testing.assert_frame_equal(checked, pd.read_csv(path))
