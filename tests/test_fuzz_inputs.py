"""Fuzzing every reader and every command's options: a clean answer or one line, never a traceback.

Property-based (hypothesis): each reader is handed valid files mutated at random (bytes deleted,
inserted or replaced by nasty tokens: NUL, a UTF-16 mark, ``nan``, ``1e308``, full-width digits,
YAML anchors and tags, a 20,000-character field, truncated rows, duplicated lines), and each command
random option values (valid ones, and out-of-range, non-finite, non-numeric, unknown). The property:

- a reader returns, or raises :class:`~sim.engine.errors.ConfigError` whose message is one line;
- a command exits 0 with its outputs, or exits 2 with exactly one line on stderr, no traceback;
- nothing runs longer than :data:`TIMEOUT_S` (a hang fails the case).

CI runs a reduced number of cases per reader; ``SIM_VALIDATION=full`` runs many more.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import shutil
import signal
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine.errors import ConfigError
from sim.engine.inputs import csv_rows, parse_yaml

from .conftest import REPO, validation_size

TIMEOUT_S = 20
CASES = validation_size(25, 300)
FUZZ = settings(max_examples=CASES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

TOKENS = [b"\x00", b"\xff\xfe", b"\x80", b"nan", b"inf", b"-7", b"1e308", b"-1e308", "\uff11\uff12".encode(), b",",
          b",,", b"\n", b"\r\n", b'"', b"'", b"&a ", b"*a", b"!!python/object/apply:os.system ['true']", b"\t",
          b"x" * 20_000, b"- ", b": ", b"{", b"[", b"]", b"}", b"#", b"%Q", b"..", b"../../x", b"0", b"1e12",
          b"00:00", b"25:61", b"true", b"null", b"~", b"\xef\xbb\xbf"]


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    """``seed`` with one to four random edits."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "replace", "truncate", "duplicate", "swap"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "delete" and data:
            del data[at:at + draw(st.integers(1, 8))]
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == "replace":
            token = draw(st.sampled_from(TOKENS))
            data[at:at + len(token)] = token
        elif op == "truncate":
            del data[at:]
        elif op == "duplicate":
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            data = bytearray(b"\n".join(lines))
        elif op == "swap":
            data = bytearray(draw(st.binary(max_size=64)))
    return bytes(data)


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float = TIMEOUT_S):
    def stop(signum, frame):
        raise Hang(f"no answer in {seconds} s")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def reads_or_refuses(read, errors: tuple[type[Exception], ...] = (ConfigError,)) -> None:
    """``read()`` returns, or raises a one-line ``errors`` (:class:`ConfigError`, or a command's own
    one-line error); anything else fails the case."""
    with time_limit():
        try:
            read()
        except errors as err:
            text = str(err)
            assert text and "\n" not in text, f"a ConfigError of {text.count(chr(10)) + 1} lines: {text!r}"


def fresh(folder: Path, name: str, data: bytes) -> Path:
    """``data`` in a file of its own (readers cache by path, size and time)."""
    path = folder / uuid.uuid4().hex / name
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------ readers

SCENARIO = (REPO / "configs" / "scenario" / "default.yaml").read_bytes()
ROSTER = b"agent_id,group,start,end,concurrency\na1,agents,08:00,12:00,\na2,agents,09:00,11:30,\n"
TRACE = b"arrival_time_s,contact_type,handle_time_s,patience_s\n0,calls,100,\n10,calls,5,30\n20.5,calls,7,200\n"
REQUIREMENTS = b"agents\n1\n2\n3\n2\n"
PLAN = b"""families:
  long: {length_hours: 2, starts: {from: "08:00"}, breaks: [{after_hours: 1, minutes: 15}]}
  short: {length_hours: 1, starts: {from: "08:00", to: "09:00", every_minutes: 30}}
groups: {agents: [long, short]}
wage_per_hour: {agents: 20}
"""
MAPPING = (REPO / "configs" / "logs" / "anonymous_bank.yaml").read_bytes()
LOG = b"\n".join((REPO / "data" / "anonymous_bank_sample.tsv").read_bytes().split(b"\n")[:40]) + b"\n"
STUDY = (REPO / "configs" / "study" / "chatbot.yaml").read_bytes()


@FUZZ
@given(data=mutated(SCENARIO))
def test_scenario_yaml_is_parsed_or_refused_in_one_line(data):
    reads_or_refuses(lambda: parse_yaml(data.decode("utf-8", errors="replace"), "default.yaml", "a scenario"))


@FUZZ
@given(data=mutated(ROSTER + REQUIREMENTS))
def test_csv_tables_are_read_or_refused_in_one_line(tmp_path, data):
    path = fresh(tmp_path, "table.csv", data)
    reads_or_refuses(lambda: list(csv_rows(path, "a table", required=("agent_id",))[1]))


@FUZZ
@given(data=mutated(ROSTER))
def test_rosters_are_read_or_refused_in_one_line(tmp_path, data):
    from sim.model.config import parse_scenario

    from .test_shifts import centre

    path = fresh(tmp_path, "roster.csv", data)
    reads_or_refuses(lambda: parse_scenario(centre({"agents": {"skills": ["calls"]}}, roster=str(path))))


@FUZZ
@given(data=mutated(TRACE))
def test_traces_are_read_or_refused_in_one_line(tmp_path, data):
    from sim.model.config import parse_scenario

    from .test_shifts import centre

    path = fresh(tmp_path, "trace.csv", data)
    reads_or_refuses(lambda: parse_scenario(centre({"agents": {"skills": ["calls"], "staffing": 2}},
                                                   trace=str(path))))


@FUZZ
@given(data=mutated(PLAN))
def test_shift_plans_are_read_or_refused_in_one_line(tmp_path, data):
    from sim.planning.schedule import load_shift_plan

    from .test_workforce import small_centre

    scenario = small_centre(replications=2).scenario
    path = fresh(tmp_path, "plan.yaml", data)
    reads_or_refuses(lambda: load_shift_plan(path, scenario))


@FUZZ
@given(data=mutated(REQUIREMENTS))
def test_requirements_tables_are_read_or_refused_in_one_line(tmp_path, data):
    sys.path.insert(0, str(REPO / "experiments"))
    read_requirements = importlib.import_module("schedule_optimiser").read_requirements
    path = fresh(tmp_path, "requirements.csv", data)
    reads_or_refuses(lambda: read_requirements(path, ("agents",), 4))


@FUZZ
@given(mapping=mutated(MAPPING), log=mutated(LOG), which=st.sampled_from(["mapping", "log"]))
def test_contact_logs_and_mappings_are_read_or_refused_in_one_line(tmp_path, mapping, log, which):
    from sim.calibration.logs import load_mapping, read_log

    map_path = fresh(tmp_path, "mapping.yaml", mapping if which == "mapping" else MAPPING)
    log_path = fresh(tmp_path, "log.tsv", log if which == "log" else LOG)
    reads_or_refuses(lambda: read_log(log_path, load_mapping(map_path)))


@FUZZ
@given(data=mutated(STUDY))
def test_study_files_are_read_or_refused_in_one_line(tmp_path, data):
    from sim.study import StudyError, load_study_file

    path = fresh(tmp_path, "study.yaml", data)
    reads_or_refuses(lambda: load_study_file(str(path)), (ConfigError, StudyError))


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A finished run folder of ``python -m sim`` (the single queue, two replications, no figures)."""
    import subprocess

    folder = tmp_path_factory.mktemp("run") / "single_queue"
    subprocess.run([sys.executable, "-m", "sim", "scenario=single_queue", "run.replications=2", "run.figures=false",
                    "run.horizon_hours=4", f"hydra.run.dir={folder}"], cwd=REPO, check=True, capture_output=True)
    return folder


RUN_FILES = ["summary.csv", "replications.csv", "intervals.csv", "groups.csv", "config.yaml", "types.csv"]


@FUZZ
@given(which=st.sampled_from(RUN_FILES), edit=st.data())
def test_run_folders_are_read_or_refused_in_one_line(tmp_path, run_folder, which, edit):
    from sim.reporting.run_page import load_run

    folder = tmp_path / uuid.uuid4().hex
    shutil.copytree(run_folder, folder)
    (folder / which).write_bytes(edit.draw(mutated((run_folder / which).read_bytes())))
    reads_or_refuses(lambda: load_run(folder))


# ------------------------------------------------------------------------ commands


def run_main(module: str, argv: list[str]) -> tuple[int, str, str]:
    """``module.main(argv)`` in this process: its exit status, stdout and stderr."""
    main = importlib.import_module(module).main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), time_limit():
        try:
            code = main(argv)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    return int(code or 0), out.getvalue(), err.getvalue()


def clean_answer(code: int, err: str) -> None:
    assert "Traceback" not in err, err
    assert code in (0, 2), f"exit status {code}: {err}"
    if code == 2:
        assert len(err.strip().splitlines()) == 1, f"not one line: {err!r}"


NUMBERS = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1e308", "1e12", "-0", "１２", "", " ", "x", "1,5", "0x10",
                     "1e-300", "2", "0.5", "0.95", "1", "20", "180", "300", "100"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10 ** 6, 10 ** 6).map(str),
)


@FUZZ
@given(rate=NUMBERS, aht=NUMBERS, target=NUMBERS, threshold=NUMBERS, agents=st.tuples(NUMBERS, NUMBERS),
       patience=st.one_of(st.none(), NUMBERS))
def test_calculator_options_give_a_table_or_one_line(rate, aht, target, threshold, agents, patience):
    argv = ["--rate", rate, "--aht", aht, "--target", target, "--threshold", threshold, "--agents", *agents]
    if patience is not None:
        argv += ["--patience", patience]
    code, out, err = run_main("sim.calculator", argv)
    clean_answer(code, err)
    if code == 0:
        assert out.strip(), "exit 0 with no table"


@FUZZ
@given(model=st.sampled_from(["erlang-x", "chat", "blend", "erlang", "x"]), rate=NUMBERS, aht=NUMBERS,
       patience=st.one_of(st.none(), NUMBERS), agents=st.one_of(st.none(), st.tuples(NUMBERS, NUMBERS)),
       extra=st.lists(st.tuples(st.sampled_from(["--lines", "--redial", "--redial-delay", "--concurrency",
                                                  "--inflation", "--spread", "--outbound-aht", "--reserve"]),
                                NUMBERS), max_size=4))
def test_calculator_models_give_a_table_or_one_line(model, rate, aht, patience, agents, extra):
    argv = ["--model", model, "--rate", rate, "--aht", aht]
    if patience is not None:
        argv += ["--patience", patience]
    if agents is not None:
        argv += ["--agents", *agents]
    for option, value in extra:
        argv += [option, value]
    code, out, err = run_main("sim.calculator", argv)
    clean_answer(code, err)
    if code == 0:
        assert out.strip(), "exit 0 with no table"


@settings(FUZZ, max_examples=validation_size(15, 150))
@given(model=st.sampled_from(["erlang-x", "chat", "blend"]), rate=st.floats(0.5, 3000), aht=st.floats(5, 3600),
       patience=st.one_of(st.none(), st.floats(1, 7200)), agents=st.integers(1, 25), lines=st.integers(1, 60),
       redial=st.floats(0, 0.999), concurrency=st.integers(1, 6), outbound=st.floats(5, 3600),
       reserve=st.integers(0, 30))
def test_calculator_models_with_plausible_values_answer_in_time(model, rate, aht, patience, agents, lines, redial,
                                                               concurrency, outbound, reserve):
    argv = ["--model", model, "--rate", repr(rate), "--aht", repr(aht), "--agents", str(agents), str(agents)]
    if patience is not None:
        argv += ["--patience", repr(patience)]
    argv += {"erlang-x": ["--lines", str(lines), "--redial", repr(redial)],
             "chat": ["--concurrency", str(concurrency)],
             "blend": ["--outbound-aht", repr(outbound), "--reserve", str(reserve)]}[model]
    code, out, err = run_main("sim.calculator", argv)
    clean_answer(code, err)
    if code == 0:
        assert out.strip(), "exit 0 with no table"


@FUZZ
@given(confidence=NUMBERS)
def test_compare_options_give_a_comparison_or_one_line(run_folder, tmp_path, confidence):
    code, out, err = run_main("sim.compare", [str(run_folder), str(run_folder), "--confidence", confidence])
    clean_answer(code, err)
    if code == 0:
        assert (run_folder / "comparison.csv").is_file()


@settings(FUZZ, max_examples=validation_size(6, 60))
@given(channel=st.sampled_from(["phone", "fax", "all", "", "PHONE", "../x"]), wage=NUMBERS,
       out_kind=st.sampled_from(["new", "file"]))
def test_report_options_give_a_report_or_one_line(run_folder, tmp_path, channel, wage, out_kind):
    out = tmp_path / uuid.uuid4().hex
    if out_kind == "file":
        out.write_text("not a folder")
    code, _, err = run_main("sim.report", [str(run_folder), "--wage-per-hour", wage, "--service-channel", channel,
                                           "--out", str(out)])
    clean_answer(code, err)
    if code == 0:
        assert (out / "report.html").is_file() or any(out.rglob("report.html"))


@FUZZ
@given(option=st.sampled_from(["--verify-replications", "--max-missed-intervals", "--max-replications",
                               "--replications", "--hours", "--seed", "--workers"]),
       value=NUMBERS, channel_option=st.sampled_from(["--max-asa", "--max-abandon"]),
       cap=st.sampled_from(["phone=-1", "phone=nan", "fax=3", "phone", "phone=inf", "=3", "phone=x"]))
def test_staffing_optimiser_refuses_bad_options_in_one_line(tmp_path, option, value, channel_option, cap):
    sys.path.insert(0, str(REPO / "experiments"))
    code, _, err = run_main("staffing_optimiser", [channel_option, cap, option, value, "--out", str(tmp_path / "o")])
    clean_answer(code, err)
    assert code == 2, "every cap here is invalid"


BAD_COUNTS = st.sampled_from(["nan", "inf", "-1", "0", "1", "1e12", "x", "", "10001", "2.5", "１２", "0x10"])


@FUZZ
@given(replications=BAD_COUNTS, workers=NUMBERS)
def test_study_options_are_checked_before_any_run(tmp_path, replications, workers):
    code, _, err = run_main("sim.study", ["chatbot", "--replications", replications, "--workers", workers,
                                          "--out", str(tmp_path / "out"), "--no-report"])
    clean_answer(code, err)
    assert code == 2, "every replication count here is invalid"


@FUZZ
@given(interval=NUMBERS, target=NUMBERS, break_s=NUMBERS, replications=NUMBERS,
       weekdays=st.sampled_from(["", "Sunday", "Funday", "sunday,monday", ",,"]),
       dates=st.sampled_from(["", "1999-01-03", "1999-02-30", "yesterday"]))
def test_calibration_options_give_a_calibration_or_one_line(tmp_path, interval, target, break_s, replications,
                                                            weekdays, dates):
    log = fresh(tmp_path, "log.tsv", LOG)
    code, _, err = run_main("sim.calibration.__main__", [str(log), "--mapping", str(REPO / "configs" / "logs" /
                                                                          "anonymous_bank.yaml"),
                                                "--interval-minutes", interval, "--target", target,
                                                "--break-s", break_s, "--replications", replications,
                                                "--weekdays", weekdays, "--dates", dates, "--no-compare",
                                                "--out", str(tmp_path / "out"), "--scenario-dir", str(tmp_path)])
    clean_answer(code, err)
    if code == 0:
        assert (tmp_path / "out" / "calibration.md").is_file()


KEYS = ["scenario.agents", "run.replications", "run.days", "run.horizon_hours", "run.warmup_hours", "run.confidence",
        "scenario.agent_groups.generalists.staffing", "scenario.agent_groups.generalists.staffing_delta",
        "scenario.contact_types.billing.arrivals.volume", "scenario.contact_types.billing.patience.mean_s",
        "scenario.channels.phone.service_level_target", "scenario.name", "run.seed", "scenario.busyness_cv"]


@settings(FUZZ, max_examples=validation_size(4, 40))
@given(key=st.sampled_from(KEYS), value=NUMBERS)
def test_the_main_command_runs_or_refuses_an_override_in_one_line(tmp_path, key, value):
    import subprocess

    out = tmp_path / uuid.uuid4().hex
    try:
        proc = subprocess.run([sys.executable, "-m", "sim", f"{key}={value!r}" if value.strip() == "" else f"{key}={value}",
                               "run.replications=2", "run.figures=false", f"hydra.run.dir={out}"],
                              cwd=REPO, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise Hang(f"python -m sim {key}={value}: no answer in 120 s") from None
    clean_answer(proc.returncode, proc.stderr)
    if proc.returncode == 0:
        assert (out / "summary.csv").is_file()
