"""Bad workforce inputs and study options are one line, exit status 2, no traceback.

Covers the roster CSV (:func:`sim.workforce.config.read_roster`), the shift plan YAML and the
requirements table of the schedule optimiser (``experiments/schedule_optimiser.py``,
:mod:`sim.planning.schedule`), the staffing optimiser's options, and the options every study script
in ``experiments/`` shares (``_study.parser``) or has of its own. Commands run in-process through
their ``main(argv)``; each bad input is refused before anything is simulated.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.engine.errors import ConfigError
from sim.model.config import parse_scenario
from sim.planning.schedule import load_shift_plan, schedule

from .conftest import REPO
from .test_shifts import centre
from .test_workforce import PLAN, small_centre

sys.path.insert(0, str(REPO / "experiments"))

GROUPS = "generalists,tech_support,specialists,chat_team"
INTERVALS = 24  # the default scenario's half-hours, 08:00-20:00


def refused(module: str, argv: list[str], capsys) -> str:
    """Run ``experiments/<module>.py`` with ``argv``: exit status 2 and one stderr line, returned."""
    main = importlib.import_module(module).main
    try:
        status = main(argv)
    except SystemExit as stop:
        status = stop.code
    err = capsys.readouterr().err
    assert status == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the roster CSV


def _roster_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        parse_scenario(centre({"agents": {"skills": ["calls"]}}, roster=str(path)))
    assert "\n" not in str(err.value)
    return err.value


@pytest.mark.parametrize("content, line, words", [
    (b"agent_id,group,start,end\n\x00\x01\x02", 2, "binary data, not text"),
    ("agent_id,group,start,end\nann,agents,08:00,12:00\n".encode("utf-16"), 1, "binary data, not text"),
    ("agent_id,group,group,end\nann,agents,08:00,12:00\n", 1, "column 'group' appears twice"),
    ("agent_id,group,start,end\nann,agents,08:00,12:00\nbob,agents,08:00\n", 3, "3 cells where the header has 4 "
                                                                                "(truncated row)"),
    ("agent_id,group,start,end\nann,tier3,08:00,12:00\n", 2, "unknown group 'tier3'; expected one of agents"),
    ("agent_id,group,start\nann,agents,08:00\n", 1, "missing column 'end'"),
])
def test_a_malformed_roster_file_names_the_file_and_line(tmp_path, content, line, words):
    path = write(tmp_path / "roster.csv", content)
    error = _roster_error(path)
    assert error.where == f"{path}:{line}" and words in error.message


@pytest.mark.parametrize("count", ["two", "-1", "0", "1.5", "nan", "１"])
def test_roster_concurrency_that_is_not_a_whole_number_from_1_names_the_file_and_line(tmp_path, count):
    path = write(tmp_path / "roster.csv", "agent_id,group,start,end,concurrency\n"
                                          "ann,agents,08:00,12:00,\n"
                                          f"bob,agents,08:00,12:00,{count}\n")
    error = _roster_error(path)
    assert error.where == f"{path}:3"
    assert error.message == f"concurrency: expected a whole number >= 1, or blank for the group's, got {count!r}"


def test_an_empty_roster_file_is_refused(tmp_path):
    path = write(tmp_path / "roster.csv", "")
    error = _roster_error(path)
    assert error.where == str(path) and error.message.startswith("empty file")


# ---------------------------------------------------------------- the shift plan (--shifts)


@pytest.mark.parametrize("name, content, where, words", [
    ("missing.yaml", None, "{path}", "no such file (expected a shift plan YAML"),
    ("binary.yaml", b"families:\n\x00\x01", "{path}:2", "binary data, not text"),
    ("unclosed.yaml", "families: {full_time: [1, 2\n", "{path}:2", "expected ',' or ']'"),
    ("code.yaml", "families: !!python/object/apply:os.system ['echo owned']\n", "{path}:1",
     "plain YAML data only"),
])
def test_schedule_optimiser_refuses_a_bad_shift_plan_file(tmp_path, capsys, name, content, where, words):
    path = tmp_path / name
    if content is not None:
        write(path, content)
    line = refused("schedule_optimiser", ["--shifts", str(path), "--quiet", "--out", str(tmp_path / "out")], capsys)
    assert line.startswith(f"python experiments/schedule_optimiser.py: error: {where.format(path=path)}: ")
    assert words in line
    assert not (tmp_path / "out").exists()


def test_a_bad_value_in_a_shift_plan_file_names_the_file_and_key(tmp_path):
    text = (REPO / "configs" / "workforce" / "default.yaml").read_text(encoding="utf-8")
    path = write(tmp_path / "plan.yaml", text.replace("every_minutes: 30", "every_minutes: 0.001", 1))
    config = small_centre()
    with pytest.raises(ConfigError) as err:
        load_shift_plan(path, config.scenario)
    assert str(err.value) == (f"{path}: shifts.families.full_time.starts.every_minutes: "
                              f"expected a number >= 1 in minutes, got 0.001")


def test_a_shift_plan_headcount_above_the_agent_ceiling_is_refused():
    with pytest.raises(ConfigError) as err:
        load_shift_plan({**PLAN, "max_headcount": {"agents": 10 ** 9}}, small_centre().scenario)
    assert err.value.where == "shifts.max_headcount.agents" and "at most 100,000 agents" in err.value.message


# ---------------------------------------------------------------- the requirements table (--requirements)


def _table(*rows: str, n: int = INTERVALS, fill: str = "1,1,1,1") -> str:
    """A requirements table: ``rows`` first, then ``fill`` up to ``n`` rows."""
    return "\n".join([GROUPS, *rows, *[fill] * (n - len(rows))]) + "\n"


@pytest.mark.parametrize("content, where, words", [
    (None, "{path}", "no such file (expected a requirements table"),
    ("", "{path}", "empty file"),
    (GROUPS + "\n", "{path}", "no data rows under the header"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "{path}:3", "binary data, not text"),
    ("generalists,tech_support\n1,2\n", "{path}:1", "missing columns 'chat_team', 'specialists'"),
    (_table("1,2,3"), "{path}:2", "3 cells where the header has 4 (truncated row)"),
    (_table("1,1,1,1", "1,nan,1,1"), "{path}:3: tech_support", "expected a finite number, got 'nan'"),
    (_table("1,1,many,1"), "{path}:2: specialists", "expected a whole number, got 'many'"),
    (_table("1,1,1,2.5"), "{path}:2: chat_team", "expected a whole number, got '2.5'"),
    (_table("-7,1,1,1"), "{path}:2: generalists", "expected a whole number >= 0, got '-7'"),
    (_table("1e12,1,1,1"), "{path}:2: generalists", "expected a whole number <= 100000, got '1e12'"),
    (_table(n=INTERVALS - 1), "{path}", f"expected {INTERVALS} rows (one per interval), got {INTERVALS - 1}"),
    (_table(n=INTERVALS + 1), f"{{path}}:{INTERVALS + 2}", f"expected {INTERVALS} rows (one per interval), found more"),
])
def test_schedule_optimiser_refuses_a_bad_requirements_table(tmp_path, capsys, content, where, words):
    path = tmp_path / "requirements.csv"
    if content is not None:
        write(path, content)
    line = refused("schedule_optimiser", ["--requirements", str(path), "--quiet", "--out", str(tmp_path / "out")],
                   capsys)
    assert line.startswith(f"python experiments/schedule_optimiser.py: error: {where.format(path=path)}: "), line
    assert words in line


def test_a_requirements_table_of_whole_numbers_is_read_per_group(tmp_path):
    study = importlib.import_module("schedule_optimiser")
    path = write(tmp_path / "requirements.csv", "interval,generalists,chat_team,total\n"
                                                "08:00,3,0,3\n08:30, 4.0 ,2,6\n")
    assert study.read_requirements(path, ["generalists", "chat_team"], 2) == {"generalists": [3, 4],
                                                                              "chat_team": [0, 2]}


@pytest.mark.parametrize("value", [-7, 10 ** 12, 2.5, float("nan"), "3"])
def test_schedule_refuses_a_requirement_that_is_not_a_whole_number_of_agents(value):
    config = small_centre()
    plan = load_shift_plan(PLAN, config.scenario)
    with pytest.raises(ConfigError) as err:
        schedule(plan, {"agents": [1, value, 1, 1]}, config.scenario)
    assert err.value.where == "required.agents[1]"
    assert err.value.message.startswith("expected a whole number of agents from 0 to 100,000")
    assert schedule(plan, {"agents": np.array([1, 2, 1, 0])}, config.scenario).status == "optimal"


# ---------------------------------------------------------------- the staffing optimiser's options


@pytest.mark.parametrize("argv, message", [
    (["--verify-replications", "0"], "argument --verify-replications: expected a whole number >= 2, got '0'"),
    (["--verify-replications", "20000"], "argument --verify-replications: expected a whole number <= 10000"),
    (["--max-replications", "10"], "--max-replications: expected at least --verify-replications (40), got 10"),
    (["--max-missed-intervals", "-1"], "argument --max-missed-intervals: expected a whole number >= 0, got '-1'"),
    (["--max-missed-intervals", "1.5"], "argument --max-missed-intervals: expected a whole number, got '1.5'"),
    (["--max-asa", "phone=-1"], "--max-asa: expected an ASA cap above 0 seconds, got 'phone=-1'"),
    (["--max-asa", "phone=0"], "--max-asa: expected an ASA cap above 0 seconds, got 'phone=0'"),
    (["--max-asa", "phone=nan"], "--max-asa: expected a finite number in seconds, got 'nan'"),
    (["--max-asa", "fax=30"], "--max-asa: unknown channel 'fax'; expected one of phone, chat, email"),
    (["--max-asa", "phone"], "--max-asa: expected CHANNEL=NUMBER, got 'phone'"),
    (["--max-asa", "phone=30", "phone=20"], "--max-asa: channel 'phone' given twice"),
    (["--max-abandon", "phone=1.5"], "--max-abandon: expected a number <= 1, got '1.5'"),
    (["--max-abandon", "chat=-0.1"], "--max-abandon: expected a number >= 0, got '-0.1'"),
])
def test_staffing_optimiser_refuses_bad_targets_and_counts(tmp_path, capsys, argv, message):
    line = refused("staffing_optimiser", [*argv, "--quiet", "--out", str(tmp_path / "out")], capsys)
    assert line.startswith(f"python experiments/staffing_optimiser.py: error: {message}"), line
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- the options every study shares

STUDIES = ["callbacks", "channel_shift", "chat_concurrency", "deflection", "email_backlog", "email_reserve",
           "escalation_change", "forecast_risk", "overflow", "repeat_contacts", "retrials", "staffing_sweep",
           "vip_share", "staffing_optimiser", "schedule_optimiser", "intraday"]

SHARED = [
    (["--replications", "1"], "argument --replications: expected a whole number >= 2, got '1'"),
    (["--replications", "10001"], "argument --replications: expected a whole number <= 10000, got '10001'"),
    (["--replications", "3.5"], "argument --replications: expected a whole number, got '3.5'"),
    (["--hours", "0"], "argument --hours: expected a positive number in hours, got '0'"),
    (["--hours", "nan"], "argument --hours: expected a finite number in hours, got 'nan'"),
    (["--hours", "12.5"], "argument --hours: expected at most the scenario's day of 12 hours, got '12.5'"),
    (["--seed", "-1"], "argument --seed: expected a whole number >= 0, got '-1'"),
    (["--seed", "1e300"], "argument --seed: expected a whole number <= 1e+15, got '1e300'"),
    (["--workers", "-2"], "argument --workers: expected a whole number >= 0, got '-2'"),
]


def test_every_study_script_is_listed_here():
    listed = set(STUDIES) | {"_study", "benchmark", "scaling", "optimisation_history"}
    assert {p.stem for p in (REPO / "experiments").glob("*.py")} == listed


@pytest.mark.parametrize("study", STUDIES)
def test_every_study_refuses_bad_shared_options_and_an_output_file(study, tmp_path, capsys):
    prog = f"python experiments/{study}.py: error: "
    for argv, message in SHARED:
        line = refused(study, [*argv, "--quiet", "--out", str(tmp_path / "out")], capsys)
        assert line == f"{prog}{message} (see --help)"
    taken = write(tmp_path / "taken", "a file")
    line = refused(study, ["--quiet", "--out", str(taken)], capsys)
    assert line == f"{prog}argument --out: {taken} is a file; expected a folder to write into (see --help)"
    line = refused(study, ["--quiet", "--out", str(taken / "inside")], capsys)
    assert line.startswith(f"{prog}argument --out: {taken} is a file, so {taken / 'inside'} cannot be a folder")
    assert taken.read_text(encoding="utf-8") == "a file"


def test_hours_over_several_days_must_be_whole_intervals(tmp_path, capsys):
    line = refused("email_backlog", ["--days", "2", "--hours", "0.3", "--quiet", "--out", str(tmp_path / "o")], capsys)
    assert line == ("python experiments/email_backlog.py: error: --hours: over several days the day is shortened: "
                    "expected whole intervals of 30 minutes (e.g. 0.5, 1), got 0.3")


# ---------------------------------------------------------------- each study's own options


@pytest.mark.parametrize("study, argv, message", [
    ("callbacks", ["--threshold", "-5"], "argument --threshold: expected a number >= 0 in seconds, got '-5'"),
    ("channel_shift", ["--source", "billing_chat"], "argument --source: expected a phone contact type among billing, "
                                                    "technical, sales, got 'billing_chat'"),
    ("channel_shift", ["--target", "nope"], "argument --target: expected a chat contact type among billing_chat, "
                                            "technical_chat, got 'nope'"),
    ("chat_concurrency", ["--group", "chat"], "argument --group: expected a scenario agent group among generalists, "
                                              "tech_support, chat_team, specialists, got 'chat'"),
    ("chat_concurrency", ["--slowdown", "inf"], "argument --slowdown: expected a finite number, got 'inf'"),
    ("chat_concurrency", ["--agents", "-1"], "argument --agents: expected a whole number >= 0, got '-1'"),
    ("chat_concurrency", ["--agents", "5"], "--agents: expected 0 to the constant staffing of chat_team, got 5"),
    ("deflection", ["--channel", "fax"], "argument --channel: expected a channel among phone, chat, email, social, got 'fax'"),
    ("deflection", ["--channel", "email"], "no contact type of channel 'email' has a self_service stage"),
    ("deflection", ["--bot-cost", "-0.5"], "argument --bot-cost: expected a number >= 0 in money per session, "
                                           "got '-0.5'"),
    ("email_backlog", ["--days", "0"], "argument --days: expected a whole number >= 1, got '0'"),
    ("email_backlog", ["--days", "367"], "argument --days: expected a whole number <= 366, got '367'"),
    ("email_backlog", ["--volume", "nan"], "argument --volume: expected a finite number, got 'nan'"),
    ("email_backlog", ["--overnight", "-1"], "argument --overnight: expected a number >= 0, got '-1'"),
    ("email_reserve", ["--contact-type", "billing"], "argument --contact-type: expected a contact type of the email "
                                                     "channel among email, got 'billing'"),
    ("escalation_change", ["--contact-type", "sales"], "argument --contact-type: expected a contact type with an "
                                                       "escalation among technical, got 'sales'"),
    ("overflow", ["--after", "-60"], "argument --after: expected a number >= 0 in seconds, got '-60'"),
    ("staffing_sweep", ["--group", "vendor"], "argument --group: expected a group with a staffing table among "
                                              "generalists, tech_support, chat_team, specialists, got 'vendor'"),
    ("vip_share", ["--priority", "1"], "argument --priority: expected a whole number >= 2, got '1'"),
    ("vip_share", ["--staffing-factor", "-1"], "argument --staffing-factor: expected a number >= 0, got '-1'"),
    ("vip_share", ["--staffing-factor", "1e9"], "argument --staffing-factor: expected at most"),
])
def test_each_studys_own_options_are_typed(study, argv, message, tmp_path, capsys):
    line = refused(study, [*argv, "--quiet", "--out", str(tmp_path / "out")], capsys)
    assert line.startswith(f"python experiments/{study}.py: error: {message}"), line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("script, argv, message", [
    ("benchmark", ["--agents", "0"], "argument --agents: expected a whole number >= 1, got '0'"),
    ("benchmark", ["--rho", "nan"], "argument --rho: expected a finite number, got 'nan'"),
    ("benchmark", ["--mean-handle-s", "-3"], "argument --mean-handle-s: expected a positive number in seconds"),
    ("scaling", ["--memory-sizes", "10", "-5"], "argument --memory-sizes: expected a whole number >= 1, got '-5'"),
    ("scaling", ["--repeats", "two"], "argument --repeats: expected a whole number, got 'two'"),
    ("optimisation_history", ["--replications", "0"], "argument --replications: expected a whole number >= 1"),
    ("optimisation_history", ["--scenario", "nope"], "argument --scenario: expected a shipped scenario among"),
    ("optimisation_history", ["--commits", "no-such-commit"], "argument --commits: 'no-such-commit' is not a commit"),
])
def test_measurement_scripts_type_their_options(script, argv, message, capsys):
    line = refused(script, argv, capsys)
    assert line.startswith(f"python experiments/{script}.py: error: {message}"), line


def test_a_refused_study_run_as_a_command_prints_one_line_and_no_traceback(tmp_path):
    plan = write(tmp_path / "plan.yaml", "families: !!python/object/apply:os.system ['echo owned']\n")
    proc = subprocess.run([sys.executable, "experiments/schedule_optimiser.py", "--shifts", str(plan), "--quiet",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "owned" not in proc.stdout
    assert proc.stderr.splitlines() == [f"python experiments/schedule_optimiser.py: error: {plan}:1: could not "
                                        "determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:"
                                        "os.system' (plain YAML data only; expected a shift plan YAML (families, "
                                        "groups, wage_per_hour))"]
