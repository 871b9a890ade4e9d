"""Scenario and run inputs of ``python -m sim`` and the options of ``python -m sim.calculator``: sizes
that memory or time grow with have ceilings (``run.allow_large: true`` lifts them), config files that
are binary, UTF-16, unclosed or alias bombs are named by ``file:line`` before Hydra reads them,
whatever the order of Hydra's flags, and every fault is one line on stderr with exit status 2."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import sim.__main__ as cli
from sim import calculator
from sim.engine.errors import ConfigError
from sim.model import config as schema
from sim.model.config import load_config

from .conftest import REPO

RAISE = "(set run.allow_large=true to raise the limit)"
SINGLE = ["scenario=single_queue"]


@pytest.fixture(autouse=True)
def fresh_source(monkeypatch):
    """Each test starts from the shipped configs: --config-dir and the hydra.* overrides a pre-check
    notes are forgotten afterwards."""
    monkeypatch.setattr(cli, "SOURCE", {"dir": cli.CONFIG_DIR, "name": "config", "extra": []})
    monkeypatch.setattr(cli, "HYDRA_ARGS", [])
    monkeypatch.setenv(cli.CONFIG_DIRS_ENV, "")


def error(overrides: list[str]) -> str:
    """The message of the :class:`ConfigError` validating ``python -m sim <overrides>`` raises."""
    with pytest.raises(ConfigError) as caught:
        load_config(cli.composed(overrides))
    return str(caught.value)


def refused(argv: list[str], capsys) -> str:
    """The pre-check of ``python -m sim <argv>``: exit status 2 and one stderr line, returned."""
    with pytest.raises(SystemExit) as stop:
        cli.precheck(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sim: error: ")
    return lines[0].removeprefix("sim: error: ")


# ----------------------------------------------------------------- the run's ceilings


def test_replications_above_the_ceiling_say_how_to_raise_it():
    assert error(["run.replications=1000000000"]) == \
        f"run.replications: 1000000000 is above the 10,000 allowed {RAISE}"


def test_max_replications_above_the_ceiling_are_refused():
    assert error(["run.max_replications=20000"]) == f"run.max_replications: 20000 is above the 10,000 allowed {RAISE}"


def test_days_above_a_year_are_refused():
    assert error(["run.days=367"]) == f"run.days: 367 days is above the 366 days allowed {RAISE}"


def test_single_queue_horizon_above_a_year_is_refused():
    assert error([*SINGLE, "run.horizon_hours=10000"]) == \
        f"run.horizon_hours: 10000 hours is above the 8,784 hours (366 days) allowed {RAISE}"


def test_workers_above_the_ceiling_are_refused():
    assert error(["run.workers=5000"]) == f"run.workers: 5000 processes is above the 1,024 processes allowed {RAISE}"


def test_allow_large_must_be_true_or_false():
    assert error(["run.allow_large=yes"]) == "run.allow_large: expected true or false, got 'yes'"


def test_allow_large_lifts_the_ceilings():
    config = load_config(cli.composed([*SINGLE, "run.replications=20000", "run.max_replications=20000", "run.workers=2000",
                                       "run.horizon_hours=10000", "scenario.agents=200000",
                                       "scenario.arrival_rate_per_hour=2e6", "run.allow_large=true"]))
    assert (config.run.replications, config.run.allow_large) == (20000, True)
    assert config.scenario.agent_groups["agents"].staffing[0] == 200000


def test_the_shipped_configs_keep_allow_large_off_and_validate():
    assert load_config(cli.composed([])).run.allow_large is False
    assert load_config(cli.composed(["+experiment=shifts_and_costs", "run.days=3"])).run.days == 3


# ------------------------------------------------------------ the scenario's ceilings


def test_single_queue_agents_above_the_ceiling_are_refused():
    assert error([*SINGLE, "scenario.agents=1e8"]) == \
        f"scenario.agents: 100000000 agents is above the 100,000 agents allowed {RAISE}"


def test_single_queue_rate_above_the_ceiling_is_refused():
    assert error([*SINGLE, "scenario.arrival_rate_per_hour=1e7"]) == ("scenario.arrival_rate_per_hour: 10000000 "
                                                                     "contacts per hour is above the 1,000,000 contacts "
                                                                     f"per hour allowed {RAISE}")


def test_single_queue_intervals_above_the_ceiling_are_refused():
    assert error([*SINGLE, "scenario.interval_minutes=0.001"]) == ("scenario.interval_minutes: gives 1440000 intervals "
                                                                  "over run.horizon_hours, above the 100,000 allowed "
                                                                  f"{RAISE}")


def test_centre_intervals_above_the_ceiling_are_refused():
    assert error(["scenario.interval_minutes=0.00001"]) == ("scenario.interval_minutes: gives 72000000 intervals over "
                                                           f"the opening hours, above the 100,000 allowed {RAISE}")


def test_a_group_staffing_above_the_ceiling_names_the_group():
    assert error(["scenario.agent_groups.generalists.staffing=1e8"]) == (
        f"scenario.agent_groups.generalists.staffing: 100000000 agents is above the 100,000 agents allowed {RAISE}")


def test_a_staffing_table_above_the_ceiling_names_the_interval():
    table = [10] * 24
    table[5] = 200000
    assert error([f"scenario.agent_groups.tech_support.staffing=[{','.join(map(str, table))}]"]) == (
        f"scenario.agent_groups.tech_support.staffing[5]: 200000 agents is above the 100,000 agents allowed {RAISE}")


def test_staffing_scale_above_the_ceiling_names_the_scale():
    assert error(["+scenario.agent_groups.generalists.staffing_scale=1e5"]) == (
        "scenario.agent_groups.generalists.staffing_scale: gives 3,100,000 agents in interval 3 (09:30), above the "
        f"100,000 allowed {RAISE}")


def test_staffing_delta_above_the_ceiling_names_the_delta():
    assert error(["scenario.agent_groups.generalists.staffing_delta=200000"]) == (
        "scenario.agent_groups.generalists.staffing_delta: gives 200,031 agents in interval 3 (09:30), above the "
        f"100,000 allowed {RAISE}")


def test_a_staffing_scale_that_overflows_is_refused_even_when_allowed_large():
    assert error(["+scenario.agent_groups.generalists.staffing_scale=1e308", "run.allow_large=true"]).startswith(
        "scenario.agent_groups.generalists.staffing_scale: makes the staffing overflow")


def test_shift_agents_above_the_ceiling_name_the_shift():
    assert error(["+experiment=shifts_and_costs", "scenario.agent_groups.specialists.shifts.0.agents=100001"]) == (
        f"scenario.agent_groups.specialists.shifts[0].agents: 100001 agents is above the 100,000 agents allowed {RAISE}")


def test_shifts_adding_up_above_the_ceiling_name_the_shift_that_crosses_it():
    overrides = ["+experiment=shifts_and_costs", "scenario.agent_groups.specialists.shifts.0.agents=60000",
                 "scenario.agent_groups.specialists.shifts.1.agents=60000"]
    assert error(overrides).startswith("scenario.agent_groups.specialists.shifts[1].agents: brings agent group "
                                       "specialists to 120,000")
    assert error(overrides).endswith(f"agents, above the 100,000 agents allowed {RAISE}")


def test_roster_rows_above_the_ceiling_name_the_roster(tmp_path, monkeypatch):
    monkeypatch.setitem(schema.RUN_LIMITS, "agents", 2)
    roster = tmp_path / "roster.csv"
    roster.write_text("agent_id,group,start,end\n" + "".join(f"a{i},agents,08:00,10:00\n" for i in range(3)))
    raw = {"scenario": {"name": "r", "open_time": "08:00", "close_time": "10:00", "interval_minutes": 60,
                        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
                        "contact_types": {"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 10},
                                                    "handle_time": {"dist": "exponential", "mean_s": 60}}},
                        "agent_groups": {"agents": {"skills": ["calls"]}}, "roster": str(roster)}}
    with pytest.raises(ConfigError) as caught:
        load_config(raw)
    assert str(caught.value) == f"scenario.roster: gives agent group agents 3 agents, above the 2 allowed {RAISE}"


SALES_RATES = ["~scenario.contact_types.sales.arrivals", "+scenario.contact_types.sales.arrivals={rate_per_hour: %s}"]


@pytest.mark.parametrize("overrides, where", [
    ([SALES_RATES[0], SALES_RATES[1] % "2e6"], "scenario.contact_types.sales.arrivals.rate_per_hour"),
    (["scenario.contact_types.billing.arrivals.volume=1e9"], "scenario.contact_types.billing.arrivals.volume"),
    (["scenario.volume_scale=1e5"], "scenario.volume_scale"),
    (["+scenario.contact_types.billing.arrivals.scale=1e5"], "scenario.contact_types.billing.arrivals.scale"),
    (["+scenario.contact_types.billing.arrivals.day_factors=[1,1e4]"],
     "scenario.contact_types.billing.arrivals.day_factors[1]"),
], ids=["rate", "volume", "volume_scale", "scale", "day_factors"])
def test_an_arrival_rate_above_the_ceiling_names_the_key_that_makes_it(overrides, where):
    message = error(overrides)
    assert message.startswith(f"{where}: ") and message.endswith(f"allowed {RAISE}"), message
    assert "contacts per hour" in message and "1,000,000" in message


def test_a_rate_table_above_the_ceiling_names_the_interval():
    rates = ["100"] * 24
    rates[7] = "2000000"
    assert error([SALES_RATES[0], SALES_RATES[1] % f"[{','.join(rates)}]"]) == (
        "scenario.contact_types.sales.arrivals.rate_per_hour[7]: 2000000 contacts per hour is above the 1,000,000 "
        f"contacts per hour allowed {RAISE}")


def test_a_rate_from_a_volume_names_the_busiest_interval():
    assert error(["scenario.contact_types.billing.arrivals.volume=1e9"]) == (
        "scenario.contact_types.billing.arrivals.volume: 1000000000 contacts per day gives 148,760,331 contacts per "
        f"hour in interval 3 (09:30), above the 1,000,000 allowed {RAISE}")


def test_overnight_volume_above_a_day_at_the_ceiling_is_refused():
    assert error(["+scenario.contact_types.billing.arrivals.overnight_volume=1e9"]) == (
        "scenario.contact_types.billing.arrivals.overnight_volume: 1000000000 contacts per night is above the "
        "24,000,000 allowed (a day at 1,000,000 contacts per hour; set run.allow_large=true to raise the limit)")


def test_arrivals_that_overflow_are_refused_even_when_allowed_large():
    message = error(["scenario.volume_scale=1e308", "scenario.contact_types.billing.arrivals.volume=1e308",
                     "run.allow_large=true"])
    assert message.startswith("scenario.contact_types.billing.arrivals.volume: makes the arrival rate"), message


def test_an_empty_scenario_name_is_refused(capsys):
    assert refused(["scenario.name=''"], capsys).startswith("scenario.name: expected a name of 1 to 64 letters")


def test_a_replications_typo_stops_the_command_before_anything_runs(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim", "run.replications=1e9", f"hydra.run.dir={tmp_path}/r"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [f"sim: error: run.replications: 1000000000 is above the 10,000 allowed {RAISE}"]
    assert not (tmp_path / "r").exists()


def test_a_sweep_of_too_many_points_is_refused_before_it_is_listed(capsys):
    started = time.perf_counter()
    assert refused(["-m", "run.seed=range(0,100000000)"], capsys) == (
        f"run.seed: the sweep 'range(0,100000000)' has 100,000,000 points, above the 10,000 allowed {RAISE}")
    assert time.perf_counter() - started < 10


def test_sweep_axes_multiplying_above_the_ceiling_name_the_last_one(capsys):
    assert refused(["-m", *SINGLE, "run.seed=range(0,200)", "scenario.agents=range(1,100)"], capsys) == (
        f"scenario.agents: the sweep 'range(1,100)' brings the sweep to 19,800 points, above the 10,000 allowed {RAISE}")


# -------------------------------------------------------- config files before Hydra


def config_dir(tmp_path: Path, group: str, name: str, content: str | bytes) -> Path:
    """A --config-dir holding ``group/name.yaml`` with ``content``."""
    folder = tmp_path / "configs"
    (folder / group).mkdir(parents=True, exist_ok=True)
    path = folder / group / f"{name}.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return folder


UNCLOSED = "# @package _global_\nscenario:\n  name: x\n  agents: [1, 2\n"


@pytest.mark.parametrize("argv", [
    ["--config-dir", "{D}", "scenario=x"],
    ["scenario=x", "--config-dir", "{D}"],
    ["-r", "--config-dir", "{D}", "scenario=x"],
    ["--run", "-cd", "{D}", "scenario=x"],
    ["--config-d", "{D}", "scenario=x"],
    ["--multi", "-cd", "{D}", "scenario=x"],
    ["-mr", "--config-dir={D}", "scenario=x"],
    ["--cfg", "job", "-cd", "{D}", "scenario=x"],
    ["--info", "config", "-cd", "{D}", "scenario=x"],
], ids=["dir-first", "dir-last", "run-flag", "run-long", "abbreviated", "multirun-abbreviated", "combined",
        "cfg", "info"])
def test_an_unclosed_list_is_named_whatever_the_order_of_hydras_flags(tmp_path, argv, capsys):
    folder = config_dir(tmp_path, "scenario", "x", UNCLOSED)
    message = refused([a.replace("{D}", str(folder)) for a in argv], capsys)
    assert message.startswith(f"{folder / 'scenario' / 'x.yaml'}:5: while parsing a flow sequence"), message
    assert message.endswith("(expected a scenario YAML file)")


def test_a_run_flag_before_the_config_dir_no_longer_skips_the_check_end_to_end(tmp_path):
    folder = config_dir(tmp_path, "scenario", "x", UNCLOSED)
    proc = subprocess.run([sys.executable, "-m", "sim", "-r", "--config-dir", str(folder), "scenario=x"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.splitlines() == ["sim: error: configs/scenario/x.yaml:5: while parsing a flow sequence: "
                                        "expected ',' or ']', but got '<stream end>' (expected a scenario YAML file)"]


def test_an_override_after_a_trailing_flag_is_one_line(tmp_path, capsys):
    assert refused(["scenario=single_queue", "-m", "run.seed=1"], capsys).startswith(
        "unrecognized arguments: run.seed=1 (Hydra's flags, such as -m or --config-dir, go before the overrides)")


def test_a_binary_scenario_file_is_named_with_its_line(tmp_path, capsys):
    folder = config_dir(tmp_path, "scenario", "bin", b"# @package _global_\nscenario:\n  name: \x80\x81\n")
    assert refused(["--config-dir", str(folder), "scenario=bin"], capsys) == (
        f"{folder / 'scenario' / 'bin.yaml'}:3: not utf-8 text (byte 0x80; expected a scenario YAML file)")


def test_a_utf16_experiment_file_is_named_with_its_line(tmp_path, capsys):
    folder = config_dir(tmp_path, "experiment", "wide", "# @package _global_\nrun:\n  seed: 3\n".encode("utf-16"))
    assert refused(["--config-dir", str(folder), "+experiment=wide"], capsys) == (
        f"{folder / 'experiment' / 'wide.yaml'}:1: binary data, not text (expected an experiment YAML file)")


def test_a_primary_config_that_is_not_utf8_is_named(tmp_path, capsys):
    folder = tmp_path / "primary"
    folder.mkdir()
    (folder / "config.yaml").write_bytes(b"run:\n  seed: \xff\n")
    assert refused(["--config-path", str(folder)], capsys) == (
        f"{folder / 'config.yaml'}:2: not utf-8 text (byte 0xff; expected the YAML config file of python -m sim)")


def test_a_scenario_file_that_is_a_list_is_refused(tmp_path, capsys):
    folder = config_dir(tmp_path, "scenario", "listed", "- a\n- b\n")
    assert refused(["--config-dir", str(folder), "scenario=listed"], capsys) == (
        f"{folder / 'scenario' / 'listed.yaml'}: expected a mapping of keys to values at the top, got a list "
        "(a scenario YAML file)")


def alias_bomb() -> str:
    lines = ["# @package _global_", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    return "\n".join([*lines, "scenario:", "  name: bomb", "  extra: *a11"]) + "\n"


def test_an_alias_bomb_is_refused_in_well_under_a_few_seconds(tmp_path, capsys):
    folder = config_dir(tmp_path, "scenario", "bomb", alias_bomb())
    started = time.perf_counter()
    assert refused(["--config-dir", str(folder), "scenario=bomb"], capsys) == (
        f"{folder / 'scenario' / 'bomb.yaml'}: its aliases expand to more than 200,000 values: refused "
        "(expected a scenario YAML file)")
    assert time.perf_counter() - started < 3


def test_an_alias_bomb_among_sweep_points_is_refused_before_any_job(tmp_path, capsys):
    folder = config_dir(tmp_path, "scenario", "bomb", alias_bomb())
    message = refused(["-m", "--config-dir", str(folder), "scenario=single_queue,bomb"], capsys)
    assert message.startswith(f"{folder / 'scenario' / 'bomb.yaml'}: its aliases expand"), message


# --------------------------------------------------------------------- calculator


def calc_refused(argv: list[str], capsys) -> str:
    status = calculator.main(argv)
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    (line,) = err.splitlines()
    prefix = "sim.calculator: error: "
    assert line.startswith(prefix) and line.endswith(" (see --help)"), line
    return line.removeprefix(prefix).removesuffix(" (see --help)")


def test_calculator_rate_above_the_ceiling_says_how_to_raise_it(capsys):
    started = time.perf_counter()
    assert calc_refused(["--rate", "1e12", "--aht", "180"], capsys) == (
        "argument --rate: 1e+12 contacts per hour is above the 1,000,000 allowed (add --allow-large to raise the limit)")
    assert time.perf_counter() - started < 5


def test_calculator_load_needing_more_agents_than_the_ceiling_is_refused(capsys):
    assert calc_refused(["--rate", "1e6", "--aht", "3600"], capsys) == (
        "argument --aht: an offered load of 1,000,000 Erlangs (1e+06 contacts/h x 3600 s) needs more than the "
        "100,000 agents allowed (add --allow-large to raise the limit)")


QUEUE = ["--rate", "200", "--aht", "180"]


@pytest.mark.parametrize("argv, expected", [
    (["--rate", "-5", "--aht", "180"], "argument --rate: expected a positive number in contacts per hour, got '-5'"),
    (["--rate", "nan", "--aht", "180"], "argument --rate: expected a finite number in contacts per hour, got 'nan'"),
    (["--rate", "200", "--aht", "0"], "argument --aht: expected a positive number in seconds, got '0'"),
    ([*QUEUE, "--threshold", "-1"], "argument --threshold: expected a number >= 0 in seconds, got '-1'"),
    ([*QUEUE, "--target", "1"], "argument --target: expected a share strictly between 0 and 1 (e.g. 0.8), got 1"),
    ([*QUEUE, "--target", "1.5"], "argument --target: expected a number <= 1, got '1.5'"),
    ([*QUEUE, "--patience", "0"], "argument --patience: expected a positive number in seconds, got '0'"),
    ([*QUEUE, "--agents", "5", "1"], "argument --agents: expected FROM <= TO, got 5 1"),
    ([*QUEUE, "--agents", "0", "3"], "argument --agents: expected a whole number >= 1, got '0'"),
    ([*QUEUE, "--agents", "1.5", "3"], "argument --agents: expected a whole number, got '1.5'"),
    ([*QUEUE, "--agents", "99990", "200000"], "argument --agents: TO 200000 is above the 100,000 agents allowed "
                                              "(add --allow-large to raise the limit)"),
    ([*QUEUE, "--agents", "1", "5000"], "argument --agents: 1 5000 is 5,000 rows, above the 1,000 allowed "
                                        "(add --allow-large to raise the limit)"),
], ids=["rate-negative", "rate-nan", "aht-zero", "threshold-negative", "target-one", "target-above-one",
        "patience-zero", "agents-reversed", "agents-zero", "agents-fraction", "agents-above-ceiling", "too-many-rows"])
def test_calculator_option_out_of_range_is_one_line_naming_it(argv, expected, capsys):
    assert calc_refused(argv, capsys) == expected


def test_calculator_allow_large_lifts_the_rate_ceiling(capsys):
    assert calculator.main(["--rate", "2e6", "--aht", "1", "--allow-large"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2e+06 contacts/h, AHT 1 s = 555.56 Erlangs; Erlang C")
