"""Import contact logs (CSV or tab-separated ACD / ticket exports) through a column mapping.

A mapping (YAML file or dict; ``configs/logs/anonymous_bank.yaml`` is an example) says which column
of the export holds each canonical field, how times are written, which raw values mean "did not
happen", how raw outcomes map to ``answered`` / ``abandoned`` / ``other``, and which contacts to
keep.  :func:`read_log` returns an :class:`ImportedLog`: a tidy table with the canonical columns
(:data:`CANONICAL_COLUMNS`) and an :class:`ImportReport`.

Times of events are seconds after midnight of the arrival's date (``queue_entry_s``, ``answer_s``,
``end_s``; more than 86,400 for events after midnight).  ``queue_entry_s`` is when the contact was
offered to the agents: its queue entry, or for a contact answered without queueing its answer time
(wait 0); NaN if it reached neither (without a ``queue_entry`` column: the arrival).  ``wait_s`` is the wait in the queue (queue exit, else answer,
else end, minus queue entry; clamped at 0), ``handle_time_s`` is end minus answer (answered only).

Bad rows (wrong number of fields, unparseable date or time, unknown outcome value, end before
answer, no arrival time, a row no CSV reader accepts, such as one with a field longer than
:data:`~sim.engine.inputs.MAX_FIELD_CHARS` characters) raise :class:`~sim.engine.errors.ConfigError`
naming ``file:line`` by default; with ``on_bad_rows="skip"`` they are dropped and counted by reason in
the report.  What is wrong with the file as a whole is always an error: missing, a folder, too large,
binary or not in the mapping's ``encoding`` (read by :func:`sim.engine.inputs.read_text`), empty, or
a header naming a column twice.  The mapping file is read by :func:`sim.engine.inputs.load_yaml`; its
``encoding`` must be one Python knows, and ``date_format`` / ``time_format`` must write and read back
a sample date (so ``%Q`` or a date format without the year is refused before the log is opened).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from sim.engine.checks import check_keys, choice, join, mapping, show
from sim.engine.errors import ConfigError
from sim.engine.inputs import MAX_FIELD_CHARS, check_encoding, load_yaml, read_text

__all__ = ["LogMapping", "ImportReport", "ImportedLog", "load_mapping", "read_log", "CANONICAL_COLUMNS",
           "TIME_FIELDS", "OUTCOME_VALUES", "REACHED"]

TIME_FIELDS = ("arrival", "queue_entry", "queue_exit", "answer", "end")
ID_FIELDS = ("outcome", "contact_type", "agent_id", "customer_id")
FIELDS = TIME_FIELDS + ID_FIELDS
OUTCOME_VALUES = ("answered", "abandoned", "other")
REACHED = ("any", "queue", "queue_or_agent")
MAPPING_KEYS = ("name", "delimiter", "encoding", "date_column", "date_format", "time_format", "columns",
                "missing", "outcomes", "keep", "on_bad_rows")
KEEP_KEYS = ("reached", "outcomes")
ROLLOVER_S = 43200.0  # an event time of day this much before the arrival's is on the next day
DAY_S = 86400.0

#: the columns of :attr:`ImportedLog.table`, in order
CANONICAL_COLUMNS = ("line", "arrival_time", "date", "weekday", "arrival_s", "queue_entry_s", "queued",
                     "wait_s", "answer_s", "end_s", "handle_time_s", "outcome", "contact_type", "agent_id",
                     "customer_id")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LOG_FILE = "a contact log (CSV or tab-separated, with a header row)"
MAPPING_FILE = "a column mapping (YAML)"
#: the moment a date or time format must write and read back (aware, so that ``%z`` writes an offset)
FORMAT_SAMPLE = datetime(2024, 3, 5, 13, 47, 29, tzinfo=timezone.utc)
#: per kind of format: what it must read back, and an example
FORMAT_KINDS = {
    "date": ("the year, month and day (and no time of day)", "%Y-%m-%d"),
    "time": ("the hour and minute of the day", "%H:%M:%S"),
    "datetime": ("the year, month, day, hour and minute", "%Y-%m-%d %H:%M:%S"),
}


@dataclass(frozen=True)
class LogMapping:
    """How to read one kind of export; see the module docstring and ``configs/logs/anonymous_bank.yaml``."""

    columns: Mapping[str, str]  # canonical field -> column in the file
    name: str = "log"
    delimiter: str | None = None  # None: sniffed
    encoding: str = "utf-8"
    date_column: str | None = None
    date_format: str | None = None
    time_format: str | None = None  # time of day with date_column, else a datetime format (None: inferred)
    missing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    outcomes: Mapping[str, str] | None = None  # raw -> canonical; None: inferred from the times
    keep_reached: str = "any"
    keep_outcomes: tuple[str, ...] = OUTCOME_VALUES
    on_bad_rows: str = "error"


@dataclass
class ImportReport:
    """What :func:`read_log` read, dropped and why."""

    path: str
    rows_read: int = 0
    bad_rows: dict[str, int] = field(default_factory=dict)  # reason -> rows skipped
    first_bad: list[tuple[int, str]] = field(default_factory=list)  # (line, message), up to 5
    filtered: dict[str, int] = field(default_factory=dict)  # keep rule -> rows dropped
    clamped_waits: int = 0  # negative waits set to 0
    rows_kept: int = 0

    def __str__(self) -> str:
        return f"{self.path}: {self.counts()}"

    def counts(self) -> str:
        """Rows read, kept, skipped and filtered, by reason (the report without the file name)."""
        bad = sum(self.bad_rows.values())
        parts = [f"{self.rows_read} rows read, {self.rows_kept} kept"]
        if bad:
            parts.append(f"{bad} bad rows skipped (" + ", ".join(f"{n} {r}" for r, n in self.bad_rows.items()) + ")")
        if self.filtered:
            parts.append("filtered out: " + ", ".join(f"{n} {r}" for r, n in self.filtered.items()))
        if self.clamped_waits:
            parts.append(f"{self.clamped_waits} negative waits clamped to 0")
        return "; ".join(parts)


@dataclass
class ImportedLog:
    table: pd.DataFrame
    report: ImportReport


# ------------------------------------------------------------------- mapping


def load_mapping(source: str | Path | Mapping[str, Any] | LogMapping) -> LogMapping:
    """A mapping from a YAML file or a dict; errors name the file (or ``log_mapping``) and key."""
    if isinstance(source, LogMapping):
        return source
    if isinstance(source, (str, Path)):
        path = Path(source)
        raw = load_yaml(path, MAPPING_FILE)
        try:
            return _parse_mapping(raw, "")
        except ConfigError as exc:  # the file, then the key: "anonymous_bank.yaml: columns.arival: unknown key"
            raise ConfigError(str(path), f"{exc.where}: {exc.message}" if exc.where else exc.message) from None
    return _parse_mapping(source, "log_mapping")


def _parse_mapping(raw: Any, where: str) -> LogMapping:
    raw = mapping(raw, where)
    check_keys(raw, where, MAPPING_KEYS, required=("columns",))
    columns = mapping(raw["columns"], join(where, "columns"))
    check_keys(columns, join(where, "columns"), FIELDS, required=("arrival",))
    cols = {k: _text(v, join(where, f"columns.{k}")) for k, v in columns.items() if v is not None}
    missing_raw = mapping(raw.get("missing") or {}, join(where, "missing"))
    check_keys(missing_raw, join(where, "missing"), FIELDS)
    missing = {}
    for k, v in missing_raw.items():
        values = v if isinstance(v, (list, tuple)) else [v]
        missing[k] = tuple(str(x) for x in values)
    outcomes = raw.get("outcomes")
    if outcomes is not None:
        outcomes = mapping(outcomes, join(where, "outcomes"))
        outcomes = {str(k): choice(v, join(where, f"outcomes.{k}"), OUTCOME_VALUES) for k, v in outcomes.items()}
        if "outcome" not in cols:
            raise ConfigError(join(where, "columns.outcome"), "required when 'outcomes' maps raw outcome values")
    keep = mapping(raw.get("keep") or {}, join(where, "keep"))
    check_keys(keep, join(where, "keep"), KEEP_KEYS)
    reached = choice(keep.get("reached", "any"), join(where, "keep.reached"), REACHED)
    if reached != "any" and "queue_entry" not in cols and "answer" not in cols:
        raise ConfigError(join(where, "keep.reached"), f"'{reached}' needs columns.queue_entry or columns.answer")
    kept = keep.get("outcomes", list(OUTCOME_VALUES))
    if not isinstance(kept, (list, tuple)):
        raise ConfigError(join(where, "keep.outcomes"), f"expected a list of outcomes, got {show(kept)}")
    kept = tuple(choice(v, join(where, f"keep.outcomes[{i}]"), OUTCOME_VALUES) for i, v in enumerate(kept))
    date_column = raw.get("date_column")
    if date_column is not None and raw.get("time_format") is None:
        raise ConfigError(join(where, "time_format"), "required with date_column (e.g. '%H:%M:%S')")
    if date_column is None and raw.get("date_format") is not None:
        raise ConfigError(join(where, "date_format"), "used only with date_column (without it, time_format reads "
                                                      "date and time from each time column)")
    delimiter = raw.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ConfigError(join(where, "delimiter"), f"expected one character (or null: sniffed), got {show(delimiter)}")
    encoding = raw.get("encoding", "utf-8")
    if not isinstance(encoding, str):
        raise ConfigError(join(where, "encoding"), f"expected the name of a text encoding such as utf-8, got {show(encoding)}")
    return LogMapping(
        columns=cols, name=str(raw.get("name", "log")), delimiter=delimiter,
        encoding=check_encoding(encoding, join(where, "encoding")),
        date_column=None if date_column is None else _text(date_column, join(where, "date_column")),
        date_format=_format(raw.get("date_format"), join(where, "date_format"), "date"),
        time_format=_format(raw.get("time_format"), join(where, "time_format"),
                            "datetime" if date_column is None else "time"),
        missing=missing,
        outcomes=outcomes, keep_reached=reached, keep_outcomes=kept,
        on_bad_rows=choice(raw.get("on_bad_rows", "error"), join(where, "on_bad_rows"), ("error", "skip")),
    )


def _text(value: Any, where: str) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        raise ConfigError(where, f"expected a column name, got {show(value)}")
    return str(value)


def _format(value: Any, where: str, kind: str) -> str | None:
    """A strptime format (``None`` stays ``None``) that writes :data:`FORMAT_SAMPLE` and reads it back
    with what a ``kind`` format must hold (:data:`FORMAT_KINDS`)."""
    if value is None:
        return None
    needs, example = FORMAT_KINDS[kind]
    if not isinstance(value, str) or "%" not in value or len(value) > 100:
        raise ConfigError(where, f"expected a {kind} format of strptime codes such as {example!r} (at most 100 "
                                 f"characters), got {show(value)}")
    try:
        text = FORMAT_SAMPLE.strftime(value)
        back = datetime.strptime(text, value).replace(tzinfo=None)
    except ValueError as exc:
        raise ConfigError(where, f"not a usable {kind} format ({exc}); expected strptime codes such as "
                                 f"{example!r}") from None
    sample = FORMAT_SAMPLE.replace(tzinfo=None)
    day, clock = (back.year, back.month, back.day), (back.hour, back.minute)
    holds = {"date": day == (sample.year, sample.month, sample.day) and clock == (0, 0) and back.second == 0,
             "time": clock == (sample.hour, sample.minute),
             "datetime": day == (sample.year, sample.month, sample.day) and clock == (sample.hour, sample.minute)}
    if not holds[kind]:
        raise ConfigError(where, f"{show(value)} does not hold {needs}: {sample:%Y-%m-%d %H:%M:%S} written as {text!r} "
                                 f"reads back as {back:%Y-%m-%d %H:%M:%S}; expected e.g. {example!r}")
    return value


# -------------------------------------------------------------------- import


def read_log(path: str | Path, log_mapping: str | Path | Mapping[str, Any] | LogMapping, *,
             on_bad_rows: str | None = None) -> ImportedLog:
    """Read a contact log into the canonical table; ``on_bad_rows`` (``error``/``skip``) overrides the mapping's."""
    m = load_mapping(log_mapping)
    mode = choice(on_bad_rows or m.on_bad_rows, "on_bad_rows", ("error", "skip"))
    path = Path(path)
    report = ImportReport(path=str(path))
    header, rows, lines, short = _read_rows(path, m)
    report.rows_read = len(rows) + len(short)
    needed = [c for c in m.columns.values()] + ([m.date_column] if m.date_column else [])
    for col in needed:
        if col not in header:
            raise ConfigError(f"{path}:1", f"no column {col!r} (named in the mapping {m.name!r}); the header has "
                                           f"{', '.join(header[:20])}")
    raw = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header, dtype=object)
    n = len(raw)
    bad = np.zeros(n, dtype=object)  # first reason per row, 0 = fine
    detail = np.zeros(n, dtype=object)

    def flag(mask: np.ndarray, reason: str, describe) -> None:
        new = mask & (bad == 0)
        if new.any():
            bad[new] = reason
            for i in np.flatnonzero(new)[:5]:
                detail[i] = describe(i)

    def col(fieldname: str) -> pd.Series | None:
        name = m.columns.get(fieldname)
        if name is None:
            return None
        values = raw[name].astype(str).str.strip()
        missing = values.eq("") | values.isin(m.missing.get(fieldname, ()))
        return values.where(~missing, None)

    # dates and times -> seconds after midnight of the arrival's date
    seconds: dict[str, np.ndarray] = {}
    if m.date_column:
        text = raw[m.date_column].astype(str).str.strip()
        date = pd.to_datetime(text, format=m.date_format, errors="coerce")
        flag(date.isna().to_numpy(), "unparseable date",
             lambda i: f"column {m.date_column!r}: expected a date like {m.date_format or 'YYYY-MM-DD'}, got {text.iloc[i]!r}")
        for f in TIME_FIELDS:
            s = col(f)
            if s is None:
                continue
            t = pd.to_datetime(s, format=m.time_format, errors="coerce")
            secs = (t - t.dt.normalize()).dt.total_seconds().to_numpy(dtype=float, copy=True)
            flag((s.notna() & t.isna()).to_numpy(), f"unparseable {f} time",
                 lambda i, s=s, f=f: f"column {m.columns[f]!r} ({f}): expected a time like {m.time_format}, got {s.iloc[i]!r}")
            seconds[f] = secs
        arrival = seconds["arrival"]
        for f, secs in seconds.items():
            if f != "arrival":
                secs[secs < arrival - ROLLOVER_S] += DAY_S  # no date roll-over in the export
        arrival_time = date + pd.to_timedelta(np.nan_to_num(arrival), unit="s")
    else:
        stamps = {}
        for f in TIME_FIELDS:
            s = col(f)
            if s is None:
                continue
            t = pd.to_datetime(s, format=m.time_format, errors="coerce")
            flag((s.notna() & t.isna()).to_numpy(), f"unparseable {f} time",
                 lambda i, s=s, f=f: f"column {m.columns[f]!r} ({f}): expected a date and time like "
                                     f"{m.time_format or 'YYYY-MM-DD HH:MM:SS'}, got {s.iloc[i]!r}")
            stamps[f] = t
        date = stamps["arrival"].dt.normalize()
        for f, t in stamps.items():
            seconds[f] = (t - date).dt.total_seconds().to_numpy(dtype=float, copy=True)
        arrival_time = stamps["arrival"]
    flag(np.isnan(seconds["arrival"]) & (bad == 0), "no arrival time",
         lambda i: f"column {m.columns['arrival']!r} (arrival): empty or marked missing")

    nan = np.full(n, np.nan)
    # an export without a queue-entry column: every contact joins the queue on arrival
    q_in = seconds["queue_entry"] if "queue_entry" in seconds else seconds["arrival"].copy()
    q_out = seconds.get("queue_exit", nan)
    answer, end = seconds.get("answer", nan), seconds.get("end", nan)

    # outcome
    if m.outcomes is not None:
        rawout = raw[m.columns["outcome"]].astype(str).str.strip()
        outcome = rawout.map(m.outcomes)
        flag(outcome.isna().to_numpy(), "unknown outcome",
             lambda i: f"column {m.columns['outcome']!r}: unknown outcome {rawout.iloc[i]!r}; the mapping knows "
                       f"{', '.join(m.outcomes)}")
        outcome = outcome.fillna("other").to_numpy(dtype=object)
    elif "outcome" in m.columns:
        outcome = raw[m.columns["outcome"]].astype(str).str.strip().str.lower().to_numpy(dtype=object)
        unknown = ~np.isin(outcome, OUTCOME_VALUES)
        flag(unknown, "unknown outcome", lambda i: f"column {m.columns['outcome']!r}: expected answered, abandoned "
                                                   f"or other (or give 'outcomes' in the mapping), got {outcome[i]!r}")
    else:
        outcome = np.where(~np.isnan(answer), "answered",
                           np.where(~np.isnan(q_in) | ~np.isnan(q_out), "abandoned", "other")).astype(object)

    answered = outcome == "answered"
    handle = np.where(answered, end - answer, np.nan)
    flag(handle < 0, "end before answer",
         lambda i: f"service ends ({m.columns.get('end')}) {-handle[i]:g} s before it starts ({m.columns.get('answer')})")

    if (bad != 0).any():
        if mode == "error":
            i = int(np.flatnonzero(bad != 0)[0])
            if not short or lines[i] < short[0][0]:
                raise ConfigError(f"{path}:{lines[i]}", f"{detail[i]} (on_bad_rows: skip drops such rows)")
    if short and mode == "error":
        line, reason, message = short[0]
        raise ConfigError(f"{path}:{line}", f"{message} (on_bad_rows: skip drops such rows)")

    counts: Counter[str] = Counter()
    firsts: list[tuple[int, str]] = []
    for line, reason, message in short:
        counts[reason] += 1
        firsts.append((line, message))
    good = bad == 0
    for i in np.flatnonzero(~good):
        counts[str(bad[i])] += 1
        if detail[i] != 0:
            firsts.append((int(lines[i]), str(detail[i])))
    report.bad_rows = dict(counts)
    report.first_bad = sorted(firsts)[:5]

    # offered time and wait
    queued = ~np.isnan(q_in)
    offered = np.where(queued, q_in, np.where(answered & ~np.isnan(answer), answer, np.nan))
    exit_ = np.where(~np.isnan(q_out), q_out, np.where(answered, answer, end))
    wait = np.where(queued, exit_ - q_in, np.where(~np.isnan(offered), 0.0, np.nan))
    negative = good & (wait < 0)
    report.clamped_waits = int(negative.sum())
    wait = np.where(wait < 0, 0.0, wait)

    def ids(fieldname: str) -> pd.Series:
        s = col(fieldname)
        return pd.Series([None] * n, dtype=object) if s is None else s

    table = pd.DataFrame({
        "line": np.asarray(lines, dtype=np.int64),
        "arrival_time": arrival_time.to_numpy(),
        "date": pd.to_datetime(date).dt.normalize().to_numpy(),
        "arrival_s": seconds["arrival"],
        "queue_entry_s": offered,
        "queued": queued,
        "wait_s": wait,
        "answer_s": np.where(answered, answer, np.nan),
        "end_s": end,
        "handle_time_s": handle,
        "outcome": outcome,
        "contact_type": ids("contact_type").to_numpy(dtype=object),
        "agent_id": ids("agent_id").to_numpy(dtype=object),
        "customer_id": ids("customer_id").to_numpy(dtype=object),
    })[good]
    table.insert(3, "weekday", pd.Categorical(table["date"].dt.day_name(), categories=WEEKDAYS, ordered=True))

    keep = np.ones(len(table), dtype=bool)
    if m.keep_reached == "queue":
        drop = ~table["queued"].to_numpy()
        report.filtered["never queued"] = int(drop.sum())
        keep &= ~drop
    elif m.keep_reached == "queue_or_agent":
        drop = table["queue_entry_s"].isna().to_numpy()
        report.filtered["reached neither queue nor agent"] = int(drop.sum())
        keep &= ~drop
    out = ~table["outcome"].isin(m.keep_outcomes).to_numpy() & keep
    if out.any() or set(m.keep_outcomes) != set(OUTCOME_VALUES):
        report.filtered["outcome not kept"] = int(out.sum())
    keep &= ~out
    table = table[keep].sort_values(["arrival_time", "line"], kind="stable").reset_index(drop=True)
    report.rows_kept = len(table)
    return ImportedLog(table=table[list(CANONICAL_COLUMNS)], report=report)


def _read_rows(path: Path, m: LogMapping) -> tuple[list[str], list[list[str]], list[int], list[tuple[int, str, str]]]:
    """Header, rows of the right length with their line numbers, and ``(line, reason, message)`` of the
    rows that are not (wrong number of fields, or not readable as CSV: a field longer than
    :data:`MAX_FIELD_CHARS`, say)."""
    text = read_text(path, LOG_FILE, encoding=m.encoding)
    if not text.strip():
        raise ConfigError(str(path), f"empty file (expected {LOG_FILE})")
    delimiter = m.delimiter
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:65536], delimiters=",\t;|").delimiter
        except csv.Error:
            raise ConfigError(f"{path}:1", "cannot tell the delimiter; set 'delimiter' in the mapping") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    limit = csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        try:
            header = next(reader)
        except csv.Error as exc:
            raise ConfigError(f"{path}:{reader.line_num}", f"not a readable header: {exc} (expected {LOG_FILE})") from None
        header = [h.strip() for h in header]
        seen: set[str] = set()
        for column in header:
            if column and column in seen:
                raise ConfigError(f"{path}:1", f"column {column!r} appears twice in the header (expected {LOG_FILE})")
            seen.add(column)
        rows, lines, short = [], [], []
        width = len(header)
        while True:
            try:
                for row in reader:
                    if not row:
                        continue  # blank line
                    if len(row) != width:
                        short.append((reader.line_num, "wrong number of fields", f"expected {width} fields, got {len(row)}"))
                        continue
                    rows.append(row)
                    lines.append(reader.line_num)
                break
            except csv.Error as exc:  # the reader goes on with the next line
                why = f"a field longer than {MAX_FIELD_CHARS:,} characters" if "field limit" in str(exc) else str(exc)
                short.append((reader.line_num, "unreadable row", f"not readable as CSV: {why}"))
    finally:
        csv.field_size_limit(limit)
    return header, rows, lines, short
