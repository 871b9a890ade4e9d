"""Hardened inputs of the calibration command and of arrival traces: every fault is one line.

A contact log, its column mapping, the options of ``python -m sim.calibration`` and a trace file
each get a one-line error naming ``file:line``, the file and key, or the option (exit status 2 and no
traceback for the command), never a traceback, an ``inf`` or a silently used value.  Command-level
tests run :func:`sim.calibration.__main__.main` in-process and read stderr with ``capsys``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from sim.calibration import read_log
from sim.calibration.__main__ import _parser, main
from sim.calibration.logs import load_mapping
from sim.calibration.scenario import select_days
from sim.engine.arrivals import TraceContact, read_trace
from sim.engine.errors import ConfigError
from sim.engine.options import LIMITS

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "anonymous_bank_sample.tsv"
BANK_MAPPING = REPO / "configs" / "logs" / "anonymous_bank.yaml"

HEADER = "ticket,arrived,answered,ended"
ROWS = ["1,2024-03-04 09:00:00,2024-03-04 09:00:20,2024-03-04 09:04:00",
        "2,2024-03-04 09:01:00,2024-03-04 09:01:05,2024-03-04 09:03:00",
        "3,2024-03-04 09:02:00,,"]
MAPPING = {"name": "tiny", "delimiter": ",", "time_format": "%Y-%m-%d %H:%M:%S",
           "columns": {"arrival": "arrived", "answer": "answered", "end": "ended"}}
MAPPING_YAML = """name: tiny
delimiter: ","
encoding: utf-8
time_format: "%Y-%m-%d %H:%M:%S"
columns: {arrival: arrived, answer: answered, end: ended}
"""


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(capsys, *argv: str) -> str:
    """``python -m sim.calibration argv`` in-process: exit status 2 and one stderr line, returned."""
    code = main([*argv, "--scenario-dir", "", "--no-compare"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err.strip()


def log_error(path: Path, mapping=MAPPING, **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        read_log(path, mapping, **kwargs)
    assert "\n" not in str(info.value)
    return info.value


def mapping_file(tmp_path: Path, text: str = MAPPING_YAML, **replace: str) -> Path:
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the contact log


def test_log_with_a_2mb_field_names_the_file_and_line(tmp_path, capsys):
    path = write(tmp_path / "log.csv", HEADER, ROWS[0], "2," + "9" * 2_000_000 + ",,", ROWS[2])
    err = run(capsys, str(path), "--mapping", str(mapping_file(tmp_path)))
    assert err == (f"sim.calibration: error: {path}:3: not readable as CSV: a field longer than 10,000 characters "
                   "(on_bad_rows: skip drops such rows)")


def test_log_with_a_2mb_field_is_skipped_and_counted_in_skip_mode(tmp_path):
    path = write(tmp_path / "log.csv", HEADER, ROWS[0], "2," + "9" * 2_000_000 + ",,", ROWS[2])
    imported = read_log(path, MAPPING, on_bad_rows="skip")
    assert imported.report.bad_rows == {"unreadable row": 1}
    assert imported.report.first_bad == [(3, "not readable as CSV: a field longer than 10,000 characters")]
    assert list(imported.table["line"]) == [2, 4]


def test_log_with_a_duplicated_header_column_names_the_file_and_line(tmp_path, capsys):
    path = write(tmp_path / "log.csv", "ticket,arrived,answered,ended,answered", *(r + ",x" for r in ROWS))
    err = run(capsys, str(path), "--mapping", str(mapping_file(tmp_path)))
    assert err.startswith(f"sim.calibration: error: {path}:1: column 'answered' appears twice in the header")


def test_binary_log_names_the_file_and_line(tmp_path):
    path = tmp_path / "log.csv"
    path.write_bytes(f"{HEADER}\n{ROWS[0]}\n".encode() + b"\x00\x01\x02")
    error = log_error(path)
    assert error.where == f"{path}:3" and error.message.startswith("binary data, not text")


def test_log_not_in_the_mappings_encoding_names_the_line(tmp_path):
    path = tmp_path / "log.csv"
    path.write_bytes(f"{HEADER}\n{ROWS[0]}\n".encode() + "4,caf\u00e9,,\n".encode("latin-1"))
    error = log_error(path)
    assert error.where == f"{path}:3" and error.message.startswith("not utf-8 text (byte 0xe9")


def test_empty_log_file_names_the_file(tmp_path):
    path = tmp_path / "log.csv"
    path.write_bytes(b"")
    error = log_error(path)
    assert error.where == str(path) and error.message.startswith("empty file")


def test_log_with_no_rows_says_it_has_no_contacts_naming_the_file(tmp_path, capsys):
    path = write(tmp_path / "log.csv", HEADER)
    err = run(capsys, str(path), "--mapping", str(mapping_file(tmp_path)))
    assert err == (f"sim.calibration: error: {path}: the log has no contacts to calibrate from "
                   "(no rows under the header)")


def test_log_whose_contacts_are_all_filtered_out_says_so_naming_the_file(tmp_path, capsys):
    path = write(tmp_path / "log.csv", HEADER, ROWS[2])
    mapping = mapping_file(tmp_path, MAPPING_YAML + "keep: {outcomes: [answered]}\n")
    err = run(capsys, str(path), "--mapping", str(mapping))
    assert err == (f"sim.calibration: error: {path}: the log has no contacts to calibrate from "
                   "(1 rows read, 0 kept; filtered out: 1 outcome not kept)")


def test_select_days_of_an_empty_log_says_the_log_has_no_contacts(tmp_path):
    table = read_log(write(tmp_path / "log.csv", HEADER), MAPPING).table
    with pytest.raises(ConfigError, match=r"^log: has no contacts"):
        select_days(table)


def test_dates_on_none_of_the_weekdays_name_the_dates():
    table = read_log(SAMPLE, BANK_MAPPING).table
    with pytest.raises(ConfigError, match=r"^dates: none of 1999-01-18 is a Sunday; no contact of the log"):
        select_days(table, ["Sunday"], ["1999-01-18"])


def test_log_reader_keeps_its_results_on_the_bank_sample():
    """The table the reader gave before it read through sim.engine.inputs, to the last bit."""
    imported = read_log(SAMPLE, BANK_MAPPING)
    assert (imported.report.rows_read, imported.report.rows_kept) == (7361, 7076)
    digest = hashlib.sha256(pd.util.hash_pandas_object(imported.table, index=True).to_numpy().tobytes()).hexdigest()
    assert digest == "5a405948a0b8650bbe3ffab76b927c1bbb8da92d22b61ce7009993e32868b0d3"


# ---------------------------------------------------------------- the column mapping


def test_binary_mapping_file_names_the_file_and_line(tmp_path, capsys):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    err = run(capsys, str(SAMPLE), "--mapping", str(mapping))
    assert err == f"sim.calibration: error: {mapping}:3: binary data, not text (expected a column mapping (YAML))"


def test_mapping_not_utf8_names_the_file_and_line(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_bytes(MAPPING_YAML.encode() + "# caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ConfigError) as info:
        load_mapping(mapping)
    assert info.value.where == f"{mapping}:6" and "not utf-8 text" in info.value.message


def test_mapping_with_an_invalid_date_format_names_the_file_and_key(tmp_path, capsys):
    mapping = mapping_file(tmp_path, MAPPING_YAML + 'date_column: day\ndate_format: "%Q%Q"\n',
                           **{'time_format: "%Y-%m-%d %H:%M:%S"': 'time_format: "%H:%M:%S"'})
    err = run(capsys, str(SAMPLE), "--mapping", str(mapping))
    assert err == (f"sim.calibration: error: {mapping}: date_format: not a usable date format ('Q' is a bad "
                   "directive in format '%Q%Q'); expected strptime codes such as '%Y-%m-%d'")


@pytest.mark.parametrize("key, value, kind", [
    ("date_format", "%m-%d", "the year, month and day"),
    ("date_format", "%Y-%m-%d %H:%M", "the year, month and day (and no time of day)"),
    ("date_format", "day one", "expected a date format of strptime codes"),
    ("time_format", "%M:%S", "the hour and minute of the day"),
    ("time_format", 7, "expected a time format of strptime codes"),
])
def test_mapping_with_a_date_or_time_format_that_does_not_read_back_is_refused(key, value, kind):
    raw = {"date_column": "day", "date_format": "%Y-%m-%d", "time_format": "%H:%M:%S", "columns": {"arrival": "a"}}
    raw[key] = value
    with pytest.raises(ConfigError) as info:
        load_mapping(raw)
    assert info.value.where == f"log_mapping.{key}" and kind in info.value.message


def test_mapping_datetime_format_must_hold_the_date():
    with pytest.raises(ConfigError, match=r"^log_mapping\.time_format: '%H:%M' does not hold the year, month, day"):
        load_mapping({"time_format": "%H:%M", "columns": {"arrival": "a"}})


def test_mapping_date_format_without_date_column_is_refused():
    with pytest.raises(ConfigError, match=r"^log_mapping\.date_format: used only with date_column"):
        load_mapping({"date_format": "%Y-%m-%d", "columns": {"arrival": "a"}})


@pytest.mark.parametrize("date_format, time_format", [
    ("%y%m%d", "%H:%M:%S"), ("%d.%m.%Y", "%H:%M"), ("%Y%j", "%I:%M:%S %p"), ("%Y-%m-%d", "%H:%M:%S.%f"),
])
def test_usable_date_and_time_formats_are_accepted(date_format, time_format):
    m = load_mapping({"date_column": "d", "date_format": date_format, "time_format": time_format,
                      "columns": {"arrival": "a"}})
    assert (m.date_format, m.time_format) == (date_format, time_format)


def test_mapping_with_an_unknown_encoding_names_the_file_and_key(tmp_path, capsys):
    mapping = mapping_file(tmp_path, **{"encoding: utf-8": "encoding: klingon"})
    err = run(capsys, str(SAMPLE), "--mapping", str(mapping))
    assert err == (f"sim.calibration: error: {mapping}: encoding: unknown text encoding 'klingon' "
                   "(expected e.g. utf-8, latin-1, cp1252)")


def test_mapping_with_a_codec_that_is_not_a_text_encoding_is_refused():
    with pytest.raises(ConfigError, match=r"^log_mapping\.encoding: 'rot13' is not a text encoding"):
        load_mapping({"encoding": "rot13", "columns": {"arrival": "a"}})


def test_mapping_file_key_errors_name_the_file_then_the_key(tmp_path):
    mapping = mapping_file(tmp_path, **{"arrival: arrived": "arival: arrived"})
    with pytest.raises(ConfigError) as info:
        load_mapping(mapping)
    assert str(info.value).startswith(f"{mapping}: columns.arival: unknown key (did you mean 'arrival'?)")


def test_mapping_with_an_empty_column_name_is_refused():
    with pytest.raises(ConfigError, match=r"^log_mapping\.columns\.arrival: expected a column name, got ''"):
        load_mapping({"columns": {"arrival": ""}})


def test_mapping_with_python_tags_is_refused(tmp_path):
    mapping = mapping_file(tmp_path, MAPPING_YAML + "extra: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError) as info:
        load_mapping(mapping)
    assert info.value.where == f"{mapping}:6"


# ---------------------------------------------------------------- the options


@pytest.mark.parametrize("option, value, expected", [
    ("--break-s", "nan", "expected a finite number in seconds, got 'nan'"),
    ("--break-s", "-1", "expected a number >= 0 in seconds, got '-1'"),
    ("--threshold-s", "-5", "expected a number >= 0 in seconds, got '-5'"),
    ("--threshold-s", "inf", "expected a finite number in seconds, got 'inf'"),
    ("--target", "1.5", "expected a number <= 1, got '1.5'"),
    ("--target", "nan", "expected a finite number, got 'nan'"),
    ("--interval-minutes", "0", "expected a whole number >= 1, got '0'"),
    ("--interval-minutes", "7", "expected a whole number of minutes dividing 24 h (e.g. 15, 30, 60), got '7'"),
    ("--interval-minutes", "7.5", "expected a whole number, got '7.5'"),
    ("--interval-minutes", "2880", "expected a whole number <= 1440, got '2880'"),
    ("--replications", "1", "expected a whole number >= 2, got '1'"),
    ("--replications", str(LIMITS["replications"] + 1), f"expected a whole number <= {LIMITS['replications']}"),
    ("--replications", "2.5", "expected a whole number, got '2.5'"),
    ("--seed", "-1", "expected a whole number >= 0, got '-1'"),
    ("--seed", "1.5", "expected a whole number, got '1.5'"),
    ("--seed", "\uff11\uff12", "expected a whole number, got '\uff11\uff12'"),
    ("--weekdays", "Sunday,Fryday", "expected weekday names among Monday, Tuesday, Wednesday, Thursday, Friday, "
                                    "Saturday, Sunday, got 'Fryday'"),
    ("--weekdays", "Sunday,,Monday", "expected comma-separated weekday names (e.g. Sunday,Monday)"),
    ("--dates", "1999-02-30", "expected dates YYYY-MM-DD, got '1999-02-30' (day is out of range for month)"),
    ("--dates", "99-01-18", "expected dates YYYY-MM-DD, got '99-01-18'"),
    ("--dates", "19990118", "expected dates YYYY-MM-DD, got '19990118'"),
])
def test_bad_calibration_option_is_one_line_naming_it(option, value, expected, capsys):
    err = run(capsys, str(SAMPLE), "--mapping", str(BANK_MAPPING), f"{option}={value}")
    assert err.startswith(f"sim.calibration: error: argument {option}: {expected}"), err


@pytest.mark.parametrize("option", ["--out", "--scenario-dir"])
def test_output_folder_option_that_is_an_existing_file_is_refused(option, tmp_path, capsys):
    existing = write(tmp_path / "taken.txt", "not a folder")
    err = run(capsys, str(SAMPLE), "--mapping", str(BANK_MAPPING), option, str(existing))
    assert err == f"sim.calibration: error: argument {option}: {existing} is a file; expected a folder to write into (see --help)"


def test_output_folder_below_an_existing_file_is_refused(tmp_path, capsys):
    existing = write(tmp_path / "taken.txt", "not a folder")
    err = run(capsys, str(SAMPLE), "--mapping", str(BANK_MAPPING), "--out", str(existing / "out"))
    assert err.startswith(f"sim.calibration: error: argument --out: {existing} is a file; expected {existing / 'out'}")


def test_calibration_options_accept_their_documented_range(tmp_path):
    args = _parser().parse_args([
        "log.csv", "--mapping", "m.yaml", "--break-s", "0", "--threshold-s", "0", "--target", "1",
        "--interval-minutes", "15", "--replications", str(LIMITS["replications"]), "--seed", "0",
        "--weekdays", "sunday,MONDAY", "--dates", "1999-01-18,1999-01-19", "--out", str(tmp_path),
        "--scenario-dir", ""])
    assert (args.break_s, args.threshold_s, args.target, args.interval_minutes) == (0.0, 0.0, 1.0, 15.0)
    assert (args.replications, args.seed) == (LIMITS["replications"], 0)
    assert args.weekdays == ["Sunday", "Monday"] and args.dates == ["1999-01-18", "1999-01-19"]
    assert args.out == tmp_path and args.scenario_dir is None


def test_calibration_defaults_are_unchanged():
    args = _parser().parse_args(["log.csv", "--mapping", "m.yaml"])
    assert (args.interval_minutes, args.threshold_s, args.target, args.break_s) == (30.0, 20.0, 0.8, None)  # auto
    assert (args.break_rule, args.staffing, args.groups) == ("waited", "fractional", "single")
    assert (args.replications, args.seed, args.weekdays, args.dates) == (20, 12345, [], [])
    assert args.scenario_dir == REPO / "configs" / "scenario"


def test_missing_log_names_the_file(tmp_path, capsys):
    err = run(capsys, str(tmp_path / "nowhere.tsv"), "--mapping", str(BANK_MAPPING))
    assert err == f"sim.calibration: error: {tmp_path / 'nowhere.tsv'}: no such file (expected a contact log (CSV or tab-separated, with a header row))"


# ---------------------------------------------------------------- trace files


def trace_error(tmp_path: Path, *lines: str, names=("calls",)) -> ConfigError:
    path = write(tmp_path / "trace.csv", *lines)
    with pytest.raises(ConfigError) as info:
        read_trace(path, dict.fromkeys(names))
    assert "\n" not in str(info.value)
    return info.value


def test_trace_with_full_width_digits_names_the_file_and_line(tmp_path):
    error = trace_error(tmp_path, "arrival_time_s,handle_time_s", "0,60", "\uff11\uff12,30")
    assert str(error) == f"{tmp_path / 'trace.csv'}:3: arrival_time_s: expected a number in seconds, got '\uff11\uff12'"


def test_trace_with_a_duplicated_header_column_names_the_file_and_line(tmp_path):
    error = trace_error(tmp_path, "arrival_time_s,handle_time_s,handle_time_s", "0,60,70")
    assert error.where == f"{tmp_path / 'trace.csv'}:1"
    assert error.message.startswith("column 'handle_time_s' appears twice in the header")


def test_trace_handle_time_of_1e308_is_refused(tmp_path):
    error = trace_error(tmp_path, "arrival_time_s,handle_time_s", "0,60", "5,1e308")
    assert str(error) == f"{tmp_path / 'trace.csv'}:3: handle_time_s: expected at most 604,800 s (7 days), got '1e308'"


@pytest.mark.parametrize("row, expected", [
    ("31622401,60,", "arrival_time_s: expected at most 31,622,400 s (366 days), got '31622401'"),
    ("0,60,1e300", "patience_s: expected at most 31,622,400 s (366 days), got '1e300'"),
    ("0,nan,", "handle_time_s: expected a finite number in seconds, got 'nan'"),
    ("0,60,-1", "patience_s: expected a non-negative number of seconds, got '-1'"),
])
def test_trace_times_outside_their_bounds_are_refused(tmp_path, row, expected):
    error = trace_error(tmp_path, "arrival_time_s,handle_time_s,patience_s", row)
    assert str(error) == f"{tmp_path / 'trace.csv'}:2: {expected}"


def test_trace_times_at_their_bounds_are_accepted(tmp_path):
    path = write(tmp_path / "trace.csv", "arrival_time_s,handle_time_s,patience_s", "0,604800,inf",
                 "31622400,0,31622400", "31622400,1.5,")
    assert read_trace(path, {"calls": None}) == (TraceContact(0.0, "calls", 604800.0, None),
                                                 TraceContact(31622400.0, "calls", 0.0, 31622400.0),
                                                 TraceContact(31622400.0, "calls", 1.5, None))


def test_trace_with_an_oversized_field_names_the_file_and_line(tmp_path):
    error = trace_error(tmp_path, "arrival_time_s,contact_type,handle_time_s", "0,calls,60",
                        "1," + "x" * 200_000 + ",60")
    assert str(error) == f"{tmp_path / 'trace.csv'}:3: not readable as CSV: a field longer than 10,000 characters"


def test_binary_trace_names_the_file_and_line(tmp_path):
    path = tmp_path / "trace.csv"
    path.write_bytes(b"arrival_time_s,handle_time_s\n0,60\n\x00\x00")
    with pytest.raises(ConfigError) as info:
        read_trace(path, {"calls": None})
    assert info.value.where == f"{path}:3" and info.value.message.startswith("binary data, not text")


def test_missing_trace_names_the_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        read_trace(tmp_path / "nowhere.csv", {"calls": None})
    assert info.value.where == str(tmp_path / "nowhere.csv") and info.value.message.startswith("no such file")


def test_trace_with_a_byte_order_mark_reads_its_header(tmp_path):
    path = tmp_path / "trace.csv"
    path.write_bytes(b"\xef\xbb\xbfarrival_time_s,handle_time_s\r\n0,60\r\n")
    assert read_trace(path, {"calls": None}) == (TraceContact(0.0, "calls", 60.0, None),)
