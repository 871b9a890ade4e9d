"""Sweeps: the points of a Hydra multirun, their bookkeeping, and one tidy table of their results.

A sweep (``python -m sim -m scenario.agents='range(10,16,2)' scenario=single_queue``)
runs one job per point; each job writes its tables into its own folder
(``<sweep dir>/<job number>/``).  This module holds what makes a sweep robust:

- **job bookkeeping**: a finished point's folder has ``summary.csv`` (written last,
  atomically) and a ``done`` marker holding the point's overrides
  (:func:`mark_done`, with the fingerprint of the point's composed config and the package's
  version, :func:`config_fingerprint`); re-running the same sweep into the same folder skips such
  points only when the fingerprint matches, and runs them again when the config changed
  (:func:`done_status`).  A point that fails gets a one-line ``error.txt``
  (:func:`record_failure`) and the sweep goes on.
- **sweep expansion** (:func:`expand_sweep`): the command-line overrides expanded
  with Hydra's override parser into the points the basic sweeper will run, with
  one-line errors naming the key for bad specs (used by the pre-check in
  :mod:`sim.__main__` and by :func:`collect_sweep`).
- **aggregation** (:func:`collect_sweep`): every point's ``summary.csv`` plus one
  column per swept key, and ``status`` / ``error`` columns, as one tidy table.

Writing the table and the sweep figures when a multirun ends is :mod:`sim.sweep`'s
job (the Hydra callback, at the command-line edge).
"""

from __future__ import annotations


import itertools
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.files import atomic_write

__all__ = ["DONE", "ERROR", "SUMMARY", "SUMMARY_COLUMNS", "SweepSpecError", "expand_sweep", "sweep_points",
           "is_done", "done_status", "config_fingerprint", "mark_done", "clear_status", "record_failure", "collect_sweep", "point_folders", "swept_keys", "job_folders",
           "read_multirun", "multirun_task", "summarise"]

DONE = "done"
ERROR = "error.txt"
SUMMARY = "summary.csv"
SUMMARY_COLUMNS = ["channel", "metric", "mean", "ci_low", "ci_high", "n_reps"]
STATUS_COLUMNS = ["status", "error"]
MULTIRUN = "a sweep's multirun.yaml written by Hydra (python -m sim -m)"


# ------------------------------------------------------------- sweep expansion


class SweepSpecError(ValueError):
    """A sweep override that cannot be expanded; the message starts with the key."""


def _key_name(key_element: str) -> str:
    """``+scenario.agents`` / ``scenario@pkg`` -> the column name ``scenario.agents`` / ``scenario``."""
    return key_element.lstrip("+~").split("@", 1)[0]


def expand_sweep(overrides: Sequence[str],
                 group_options: Callable[[str], list[str]] | None = None) -> list[tuple[str, list[str], bool]]:
    """The axes of a sweep, in command-line order: ``(key, ["key=value", ...], swept)``.

    Mirrors Hydra's basic sweeper (one axis per key, the last override of a key
    wins, points are the cartesian product of the axes in order).  ``group_options(group)``
    lists the config names of a group, for ``glob(...)`` sweeps.  Raises
    :class:`SweepSpecError` naming the key for an override that does not parse,
    a sweep that cannot be enumerated, or an empty sweep such as ``range(5,5)``.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ValueType

    parser = OverridesParser.create()
    axes: dict[str, tuple[str, list[str], bool]] = {}
    for raw in overrides:
        key = _key_name(raw.split("=", 1)[0].strip())
        spec = raw.split("=", 1)[1] if "=" in raw else ""
        try:
            (override,) = parser.parse_overrides([raw])
        except Exception as exc:
            raise SweepSpecError(f"{key}: bad sweep '{spec}': {_reason(exc)}") from None
        element = override.get_key_element()
        key = _key_name(element)
        if not override.is_sweep_override():
            axes[element] = (key, [f"{element}={override.get_value_element_as_str()}"], False)
            continue
        try:
            if override.value_type == ValueType.GLOB_CHOICE_SWEEP:
                options = group_options(override.key_or_group) if group_options else []
                values = [str(v) for v in override.value().filter(options)]
            elif override.is_discrete_sweep():
                values = list(override.sweep_string_iterator())
            else:
                raise SweepSpecError(f"{key}: cannot sweep '{spec}': only lists, choice(), range() and glob() "
                                     "sweeps can be enumerated")
        except SweepSpecError:
            raise
        except Exception as exc:
            raise SweepSpecError(f"{key}: bad sweep '{spec}': {_reason(exc)}") from None
        if not values:
            raise SweepSpecError(f"{key}: empty sweep '{spec}': it gives no values to run")
        axes[element] = (key, [f"{element}={v}" for v in values], True)
    return list(axes.values())


def _reason(exc: BaseException) -> str:
    """Hydra's parse errors in one line, without the 'Error parsing' header and the docs link."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(("Error parsing override", "See https://"))]
    text = " ".join(lines) or type(exc).__name__
    if " while evaluating " in text and "': " in text:
        text = text.split("': ", 1)[1]
    return text


def sweep_points(axes: list[tuple[str, list[str], bool]]) -> list[list[str]]:
    """Every point of the sweep (lists of ``key=value`` overrides), in the order Hydra runs them."""
    return [list(p) for p in itertools.product(*(values for _, values, _ in axes))]


# ------------------------------------------------------------- job bookkeeping


def _same(a: Sequence[str], b: Sequence[str]) -> bool:
    return sorted(a) == sorted(b)


#: Run settings that change how a point runs, not its numbers: left out of its config's fingerprint.
HOW_IT_RUNS = ("workers", "executor", "scheduler_address", "figures", "save_contacts")


def config_fingerprint(raw: dict[str, Any]) -> str:
    """SHA-256 of a point's fully composed config (a plain mapping, resolved) and of the package's
    version, leaving out :data:`HOW_IT_RUNS`: same fingerprint, same numbers."""
    import hashlib

    from sim.version import __version__

    run = {k: v for k, v in (raw.get("run") or {}).items() if k not in HOW_IT_RUNS}
    data = {**raw, "run": run, "__version__": __version__}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def done_status(folder: Path, overrides: Sequence[str], fingerprint: str | None = None) -> str:
    """``"done"``: ``folder`` holds the finished results of this point under this config; ``"changed"``:
    it finished under another config (its fingerprint differs, or an older marker has none), so it
    must run again; ``"not done"`` otherwise."""
    marker = Path(folder) / DONE
    if not marker.is_file() or not (Path(folder) / SUMMARY).is_file():
        return "not done"
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        same = _same(recorded["overrides"], overrides)
    except (OSError, ValueError, KeyError, TypeError):
        return "not done"
    if not same:
        return "not done"
    if fingerprint is not None and recorded.get("config_sha256") != fingerprint:
        return "changed"
    return "done"


def is_done(folder: Path, overrides: Sequence[str], fingerprint: str | None = None) -> bool:
    """Whether ``folder`` holds the finished results of the point given by ``overrides`` (and, given a
    ``fingerprint``, :func:`config_fingerprint` of its config)."""
    return done_status(folder, overrides, fingerprint) == "done"


def mark_done(folder: Path, overrides: Sequence[str], fingerprint: str | None = None) -> Path:
    """Write the ``done`` marker (after ``summary.csv``): the point is complete, with its overrides and
    its config's fingerprint."""
    text = json.dumps({"overrides": list(overrides), "config_sha256": fingerprint}) + "\n"
    return atomic_write(Path(folder) / DONE, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def clear_status(folder: Path) -> None:
    """Forget an earlier attempt's outcome before a point runs again."""
    for name in (DONE, ERROR):
        (Path(folder) / name).unlink(missing_ok=True)


def record_failure(folder: Path, exc: BaseException) -> str:
    """Write ``error.txt`` (one line: what went wrong) into the point's folder; returns the line."""
    from sim.engine.errors import ConfigError

    text = " ".join(str(exc).split())
    line = text if isinstance(exc, ConfigError) and text else f"{type(exc).__name__}: {text}".rstrip(": ")
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / DONE).unlink(missing_ok=True)
    atomic_write(Path(folder) / ERROR, lambda tmp: tmp.write_text(line + "\n", encoding="utf-8"))
    return line


# ------------------------------------------------------------- aggregation


def _read_overrides(folder: Path) -> list[str]:
    """A point's overrides (``.hydra/overrides.yaml``); a file that is not a YAML list of overrides is a
    :class:`~sim.engine.errors.ConfigError` naming it."""
    from sim.engine.errors import ConfigError
    from sim.engine.inputs import load_yaml

    path = folder / ".hydra" / "overrides.yaml"
    what = "a sweep point's .hydra/overrides.yaml written by Hydra (a list of key=value overrides)"
    data = load_yaml(path, what)
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(x, (str, int, float, bool)) for x in data):
        raise ConfigError(str(path), f"expected a list of key=value overrides, got {data!r:.80} ({what})")
    return [str(x) for x in data]


def read_multirun(sweep_dir: Path) -> dict[str, Any] | None:
    """A sweep's ``multirun.yaml`` (the config the sweep started from), or None without one; a file
    that is not YAML, or not a mapping, is a :class:`~sim.engine.errors.ConfigError` naming it."""
    from sim.engine.errors import ConfigError
    from sim.engine.inputs import load_yaml

    path = Path(sweep_dir) / "multirun.yaml"
    if not path.exists():
        return None
    data = load_yaml(path, MULTIRUN)
    if not isinstance(data, dict):
        raise ConfigError(str(path), f"expected a mapping, got {type(data).__name__} ({MULTIRUN})")
    return data


def multirun_task(sweep_dir: Path, data: dict[str, Any]) -> list[str]:
    """The overrides the sweep was started with (``hydra.overrides.task`` of its ``multirun.yaml``)."""
    from sim.engine.errors import ConfigError

    node: Any = data
    for key in ("hydra", "overrides", "task"):
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, list) or not all(isinstance(x, (str, int, float, bool)) for x in node):
        raise ConfigError(f"{Path(sweep_dir) / 'multirun.yaml'}: hydra.overrides.task",
                          f"expected the list of the sweep's overrides ({MULTIRUN})")
    return [str(x) for x in node]


def _sweep_axes(sweep_dir: Path) -> list[tuple[str, list[str], bool]] | None:
    """The sweep's axes from ``multirun.yaml`` (the overrides it was started with); None without it."""
    from sim.engine.errors import ConfigError

    multirun = read_multirun(sweep_dir)
    if multirun is None:
        return None
    task = multirun_task(sweep_dir, multirun)
    groups = Path(__file__).resolve().parent.parent / "configs"
    try:
        return expand_sweep(task, lambda g: sorted(p.stem for p in (groups / g).glob("*.yaml")))
    except SweepSpecError as exc:
        raise ConfigError(f"{Path(sweep_dir) / 'multirun.yaml'}: hydra.overrides.task", str(exc)) from None


def _value(override: str) -> Any:
    """The value of ``key=value`` as Hydra parses it (numbers as numbers)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        (parsed,) = OverridesParser.create().parse_overrides([override])
        value = parsed.value()
        return value if isinstance(value, (int, float, str, bool)) or value is None else str(value)
    except Exception:
        return override.split("=", 1)[1] if "=" in override else None


def point_dirname(number: Any, override_dirname: str) -> str:
    """The folder of sweep point ``number`` (from 0): its number, then its overrides shortened to
    the last part of each key (``03_staffing_delta=3__volume_scale=1.1``); the number keeps names
    unique and in order, the rest says what the point is. ``override_dirname``: Hydra's
    ``hydra.job.override_dirname`` (items joined by ``__``)."""
    items = []
    for item in str(override_dirname or "").split("__"):
        if not item:
            continue
        key, sep, value = item.partition("=")
        short = key.lstrip("+~").rsplit(".", 1)[-1]
        items.append(re.sub(r"[^A-Za-z0-9._=+-]+", "_", f"{short}{sep}{value}").strip("_"))
    body = "__".join(items)[:80].rstrip("_")
    return f"{int(number):02d}_{body}" if body else f"{int(number):02d}"


def _job_order(folder: Path) -> tuple:
    lead = re.match(r"\d+", folder.name)
    return (0, int(lead.group()), folder.name) if lead else (1, 0, folder.name)


def job_folders(sweep_dir: Path) -> list[Path]:
    """The point folders of a sweep (those Hydra wrote ``.hydra/overrides.yaml`` into), in point order."""
    jobs = [p for p in sweep_dir.iterdir() if p.is_dir() and (p / ".hydra" / "overrides.yaml").is_file()]
    return sorted(jobs, key=_job_order)


def _point_rows(folder: Path | None) -> tuple[pd.DataFrame | None, str, str]:
    """A point's summary rows (or None), status and error. A ``summary.csv`` or ``error.txt`` that cannot
    be what the point wrote (binary, not UTF-8, without the summary's columns) makes the point
    ``failed``, its error the one-line :class:`~sim.engine.errors.ConfigError` naming the file: the
    other points are still collected."""
    from sim.engine.errors import ConfigError
    from sim.engine.inputs import read_text
    from sim.experiments.files import csv_frame

    if folder is None:
        return None, "incomplete", "not run"
    try:
        if (folder / DONE).is_file() and (folder / SUMMARY).exists():
            numeric = SUMMARY_COLUMNS[2:]
            return csv_frame(folder / SUMMARY, "a sweep point's summary.csv written by python -m sim",
                             required=SUMMARY_COLUMNS, numeric=numeric, filled=SUMMARY_COLUMNS[:2],
                             allow_empty=False), "ok", ""
        if (folder / ERROR).exists():
            text = read_text(folder / ERROR, "a sweep point's error.txt written by python -m sim").strip().splitlines()
            return None, "failed", text[0] if text else "failed"
    except ConfigError as exc:
        return None, "failed", str(exc)
    return None, "incomplete", "no results (interrupted or still running)"


def collect_sweep(sweep_dir: str | Path) -> pd.DataFrame:
    """One tidy table of every point of the sweep in ``sweep_dir``.

    Columns: one per swept key (named after it, e.g. ``scenario.agents``), the
    columns of ``summary.csv`` (``channel, metric, mean, ci_low, ci_high,
    n_reps``), ``status`` and ``error``.  A finished point gives one row per
    channel x metric with status ``ok``; a failed point one row with status
    ``failed`` and its ``error.txt`` line; a point that has not finished
    (interrupted, or never started) one row with status ``incomplete``.

    The points and swept keys come from ``multirun.yaml`` (the sweep as started);
    each job folder is matched to its point by its ``.hydra/overrides.yaml``.
    Without ``multirun.yaml``, every job folder is a point and the swept keys are
    those whose value differs between points. A ``multirun.yaml`` or
    ``overrides.yaml`` that cannot be read is a :class:`~sim.engine.errors.ConfigError`
    naming it; a point's unreadable ``summary.csv`` makes that point ``failed``.
    """
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise FileNotFoundError(f"no sweep folder {sweep_dir}")
    jobs = {p: _read_overrides(p) for p in job_folders(sweep_dir)}
    axes = _sweep_axes(sweep_dir)
    points: list[tuple[list[str], Path | None]] = []
    if axes is not None:
        keys = [key for key, _, swept in axes if swept]
        by_point = {frozenset(ov): p for p, ov in jobs.items() if ov is not None}
        points = [(point, by_point.get(frozenset(point))) for point in sweep_points(axes)]
    else:
        points = [(ov, p) for p, ov in jobs.items() if ov is not None]
        values: dict[str, set[str]] = {}
        for ov, _ in points:
            for item in ov:
                k, _, v = item.partition("=")
                values.setdefault(_key_name(k), set()).add(v)
        keys = [k for k, vs in values.items() if len(vs) > 1]
    parts = []
    for overrides, folder in points:
        swept = {k: None for k in keys}
        for item in overrides:
            k = _key_name(item.partition("=")[0])
            if k in swept:
                swept[k] = _value(item)
        rows, status, error = _point_rows(folder)
        if rows is None:
            rows = pd.DataFrame([{c: None for c in SUMMARY_COLUMNS}])
        rows = rows.reindex(columns=SUMMARY_COLUMNS)
        for i, (k, v) in enumerate(swept.items()):
            rows.insert(i, k, [v] * len(rows))
        rows["status"] = status
        rows["error"] = error
        parts.append(rows)
    columns = [*keys, *SUMMARY_COLUMNS, *STATUS_COLUMNS]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    table = table.reindex(columns=columns)
    for k in keys:  # one type per column (Parquet): numbers if all numeric, else text
        numeric = pd.to_numeric(table[k], errors="coerce")
        if numeric.notna().sum() == table[k].notna().sum() and not table[k].map(lambda v: isinstance(v, bool)).any():
            table[k] = numeric
        else:
            table[k] = table[k].map(lambda v: None if v is None else str(v)).astype("string")
    for c in ("mean", "ci_low", "ci_high", "n_reps"):
        table[c] = pd.to_numeric(table[c], errors="coerce")
    for c in ("channel", "metric", "error", "status"):
        table[c] = table[c].astype("string")
    return table


def point_folders(sweep_dir: str | Path, keys: Sequence[str]) -> list[tuple[dict[str, Any], Path]]:
    """Every job folder of the sweep with the values of the swept ``keys`` it ran with (parsed as
    :func:`collect_sweep` parses them), to find a point's own files (e.g. its ``config.yaml``)."""
    out = []
    for folder in job_folders(Path(sweep_dir)):
        overrides = _read_overrides(folder)
        values = {k: None for k in keys}
        for item in overrides:
            k = _key_name(item.partition("=")[0])
            if k in values:
                values[k] = _value(item)
        out.append((values, folder))
    return out


def swept_keys(table: pd.DataFrame) -> list[str]:
    """The swept-key columns of a table from :func:`collect_sweep`."""
    return [c for c in table.columns if c not in (*SUMMARY_COLUMNS, *STATUS_COLUMNS)]


def summarise(table: pd.DataFrame) -> str:
    """One line: how many points are ok, failed, incomplete."""
    cols = swept_keys(table)
    per_point = table.drop_duplicates(subset=[*cols, "status"]) if cols else table.drop_duplicates("status")
    counts = per_point["status"].value_counts()
    return ", ".join(f"{int(counts.get(s, 0))} {s}" for s in ("ok", "failed", "incomplete") if counts.get(s, 0))
