"""Shared code of the ready what-if studies in ``experiments/`` (staffing_sweep.py, channel_shift.py,
escalation_change.py, forecast_risk.py, deflection.py, retrials.py, repeat_contacts.py).

A study changes one thing in the built-in default scenario over a few values (its *points*),
runs every point through the Python API with the **same seed** (common random numbers: replication
``r`` of every point sees the same customers, so differences between points are paired), and
writes into ``results/studies/<name>/``:

- ``kpis.csv``: one row per point x channel x metric: ``<key>, channel, metric, mean, ci_low,
  ci_high, n_reps`` (Student-t intervals across replications);
- ``paired_vs_baseline.csv``: :func:`sim.compare.compare` of every point against the baseline point
  (``<key>`` plus the columns of :data:`sim.compare.COMPARE_COLUMNS`): the paired difference and its
  interval, next to the half-width an independent comparison would have had;
- ``<name>.png``: the study's figure, one panel per KPI, a line per channel with its CI band, in the
  common style of :mod:`sim.reporting.style`;
- ``study.json``: what ``python -m sim.report`` needs to report the study: its key and baseline value,
  the channels' service-level targets, the measurement window, replications, seed, confidence and,
  where the study has one, its cost basis.

Every study takes ``--replications``, ``--hours`` (horizon: arrivals stop after this many hours of
the day; default the whole day), ``--seed``, ``--workers`` and ``--out``. :func:`parser` builds the
command line on :func:`sim.engine.options.parser` and types these options (replications 2 to
``LIMITS["replications"]``, hours above 0 and at most the scenario's day, seed and workers >= 0, an
output folder that is not an existing file), so a bad value is one line on stderr and exit status 2;
a study's own options use the same option types, and a point whose config is refused stops the study
the same way (:func:`refuse`).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as `python experiments/<study>.py` from a clone without installing
    sys.path.insert(0, str(REPO))

from sim import ExperimentResult, load_config, run_experiment  # noqa: E402
from sim.engine import options  # noqa: E402
from sim.engine.checks import clock  # noqa: E402
from sim.engine.errors import ConfigError  # noqa: E402
from sim.engine.inputs import load_yaml  # noqa: E402
from sim.engine.options import LIMITS, count, fail, new_output, number  # noqa: E402
from sim.experiments.comparison import COMPARE_COLUMNS, compare  # noqa: E402
from sim.reporting.cost_basis import window_hours  # noqa: E402
from sim.experiments.files import atomic_write  # noqa: E402
from sim.reporting.style import (ALL_LABEL, GREY, LABEL_SIZE, LIVE_LABEL, TITLE_SIZE, channel_order,  # noqa: E402
                                 legend, new_figure, plot_line, reference_line, save_figures, share_target_lines)
from sim.experiments.progress import Progress  # noqa: E402
from sim.experiments.stats import t_interval  # noqa: E402

__all__ = ["REPO", "RESULTS", "Panel", "Knob", "default_raw", "parser", "output_folder", "refuse",
           "run_points", "add_metric", "kpi_table",
           "paired_table", "write_table", "draw", "study_info", "finish", "run_knob"]

RESULTS = REPO / "results" / "studies"
CONFIGS = REPO / "configs"
#: The largest ``--seed`` (whole numbers this large are still read exactly).
MAX_SEED = 10 ** 15
TABLE_COLUMNS = ["channel", "metric", "mean", "ci_low", "ci_high", "n_reps"]
_ALL = "all"


def default_raw() -> dict[str, Any]:
    """The built-in default scenario and the run keys of ``configs/config.yaml``, as a plain mapping
    (``{"scenario": ..., "run": ...}``) to change and pass to :func:`sim.load_config`."""
    top = load_yaml(CONFIGS / "config.yaml", "the top-level config")
    scenario = load_yaml(CONFIGS / "scenario" / "default.yaml", "the default scenario")
    return {"scenario": scenario, "run": dict(top.get("run") or {})}


def sl_targets(raw: dict[str, Any], channels: Sequence[str]) -> tuple[tuple[str, float], ...]:
    """``(channel, target %)`` of the given channels, for the target lines of a service-level panel."""
    return tuple((name, 100 * ch["service_level_target"])
                 for name, ch in raw["scenario"]["channels"].items() if name in channels)


def _day_hours() -> float:
    """The default scenario's day (opening hours) in hours: the longest ``--hours`` a study takes."""
    scenario = default_raw()["scenario"]
    open_s, close_s = (clock(scenario[key], f"scenario.{key}") for key in ("open_time", "close_time"))
    return (close_s - open_s) / 3600.0


def _hours(day: float) -> Callable[[str], float]:
    """``--hours``: a positive finite number of hours, at most the scenario's day."""
    positive = number(positive=True, unit="hours")

    def hours(text: str) -> float:
        value = positive(text)
        if value > day + 1e-9:
            raise argparse.ArgumentTypeError(f"expected at most the scenario's day of {day:g} hours, got {text!r}")
        return value
    return hours


def output_folder(text: str) -> Path:
    """``--out``: a folder to write into (absent or a folder; never an existing file, nor below one)."""
    try:
        path = new_output(text, "--out")
        for parent in path.absolute().parents:
            if parent.exists():
                if not parent.is_dir():
                    raise ConfigError("--out", f"{parent} is a file, so {path} cannot be a folder; expected a folder "
                                               "to write into")
                break
    except ConfigError as err:
        raise argparse.ArgumentTypeError(err.message) from None
    return path


def parser(name: str, description: str, replications: int = 30) -> argparse.ArgumentParser:
    """The study's command line, with the options every study has; a bad option is one line on stderr
    and exit status 2 (:func:`sim.engine.options.parser`)."""
    p = options.parser(f"python experiments/{name}.py", description)
    p.add_argument("--replications", type=count(minimum=2, maximum=LIMITS["replications"]), default=replications,
                   help=f"replications per point, 2 to {LIMITS['replications']:,} (default {replications})")
    p.add_argument("--hours", type=_hours(_day_hours()), default=None,
                   help="horizon in hours from opening, above 0 and at most the scenario's day (default: the whole "
                        "day); small values for a quick look")
    p.add_argument("--seed", type=count(minimum=0, maximum=MAX_SEED), default=12345,
                   help="one seed for every point: common random numbers (a whole number >= 0)")
    p.add_argument("--workers", type=count(minimum=0), default=1, help="processes per point (0 = one per core)")
    p.add_argument("--out", type=output_folder, default=str(RESULTS / name),  # a text default is checked too
                   help=f"output folder, not an existing file (default results/studies/{name})")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(prog=p.prog)
    return p


def refuse(args: argparse.Namespace, error: ConfigError | str) -> NoReturn:
    """Stop the study: ``error`` as one line on stderr (``prog: error: ...``) and exit status 2."""
    raise SystemExit(fail(getattr(args, "prog", "study"), error))


def _config(raw: dict[str, Any], args: argparse.Namespace):
    """The point's config with the study's run options; a :class:`ConfigError` names the key or option."""
    raw = copy.deepcopy(raw)
    run = raw.setdefault("run", {})
    run.update(replications=args.replications, seed=args.seed, workers=args.workers, figures=False,
               save_contacts=False, target_half_width=None)
    if args.hours is not None and int(run.get("days") or 1) > 1:
        interval = float(raw["scenario"]["interval_minutes"])
        minutes = args.hours * 60
        if abs(minutes / interval - round(minutes / interval)) > 1e-9:
            raise ConfigError("--hours", f"over several days the day is shortened: expected whole intervals of "
                                         f"{interval:g} minutes (e.g. {interval / 60:g}, {2 * interval / 60:g}), "
                                         f"got {args.hours:g}")
        shorten_day(raw["scenario"], args.hours)  # a multi-day run covers whole days: shorter days instead
    elif args.hours is not None:
        run["horizon_hours"] = args.hours
    return load_config(raw)


def shorten_day(scenario: dict[str, Any], hours: float) -> None:
    """Close the centre ``hours`` after it opens: the per-interval tables (arrival profiles, rates,
    staffing) keep their first intervals (a day's volume then arrives in the shorter day)."""
    h, m = (int(x) for x in str(scenario["open_time"]).split(":"))
    close = h * 60 + m + round(hours * 60)
    scenario["close_time"] = f"{close // 60:02d}:{close % 60:02d}"
    n = round(hours * 60 / scenario["interval_minutes"])
    for ct in scenario["contact_types"].values():
        arrivals = ct.get("arrivals") or {}
        for key in ("profile", "rate_per_hour"):
            if isinstance(arrivals.get(key), list):
                arrivals[key] = arrivals[key][:n]
    for group in scenario["agent_groups"].values():
        if isinstance(group.get("staffing"), list):
            group["staffing"] = group["staffing"][:n]


def run_points(points: Sequence[tuple[Any, dict[str, Any]]], args: argparse.Namespace
               ) -> list[tuple[Any, ExperimentResult]]:
    """Run every ``(value, raw config)`` point with the study's run options and one seed.

    Every config is validated before the first replication runs (a bad one stops the study with one
    line, :func:`refuse`).  Progress over all replications of all points goes to stderr
    (:class:`sim.experiments.progress.Progress`).
    """
    try:
        configs = [(value, _config(raw, args)) for value, raw in points]
    except ConfigError as exc:
        refuse(args, exc)
    total = sum(c.run.replications for _, c in configs)
    results = []
    with Progress("replications", total, enabled=not args.quiet) as progress:
        offset = 0
        for value, config in configs:
            results.append((value, run_experiment(config, progress=lambda d, n, o=offset: progress(o + d, total))))
            offset += config.run.replications
    return results


def add_metric(result: ExperimentResult, channel: str, metric: str,
               per_replication: Callable[[pd.DataFrame], pd.Series]) -> ExperimentResult:
    """``result`` with a derived KPI: ``per_replication(replications table)`` returns its value per
    replication (a Series indexed by replication); it is added to ``replications`` (so
    :func:`paired_table` compares it too) and to ``summary`` with its t-interval."""
    values = per_replication(result.replications).astype(float)
    rows = pd.DataFrame({"replication": values.index.astype(int), "channel": channel, "metric": metric,
                         "value": values.to_numpy()})
    est = t_interval(values.to_numpy(), result.config.run.confidence)
    summary_row = pd.DataFrame([{"channel": channel, "metric": metric, "mean": est.mean, "ci_low": est.low,
                                 "ci_high": est.high, "n_reps": est.n}])
    return replace(result, replications=pd.concat([result.replications, rows], ignore_index=True),
                   summary=pd.concat([result.summary, summary_row], ignore_index=True))


def metric_by_replication(replications: pd.DataFrame, channel: str, metric: str) -> pd.Series:
    """One KPI's value per replication (indexed by replication number)."""
    rows = replications[(replications["channel"] == channel) & (replications["metric"] == metric)]
    return rows.set_index("replication")["value"].astype(float).sort_index()


def kpi_table(results: Sequence[tuple[Any, ExperimentResult]], key: str,
              metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """The points' summaries stacked: ``key`` then the columns of ``summary.csv``."""
    parts = []
    for value, result in results:
        part = result.summary
        if metrics is not None:
            part = part[part["metric"].isin(metrics)]
        parts.append(part.reindex(columns=TABLE_COLUMNS).assign(**{key: value}))
    table = pd.concat(parts, ignore_index=True)
    return table[[key, *TABLE_COLUMNS]]


def paired_table(results: Sequence[tuple[Any, ExperimentResult]], key: str, baseline: Any,
                 metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Paired differences (common random numbers) of every point against the ``baseline`` point."""
    by_value = dict(results)
    base = by_value[baseline]
    parts = []
    for value, result in results:
        if value == baseline:
            continue
        part = compare(base, result)
        if metrics is not None:
            part = part[part["metric"].isin(metrics)]
        parts.append(part.assign(**{key: value}))
    if not parts:
        return pd.DataFrame(columns=[key, *COMPARE_COLUMNS])
    return pd.concat(parts, ignore_index=True)[[key, *COMPARE_COLUMNS]]


def write_table(table: pd.DataFrame, path: Path) -> Path:
    """Write ``table`` as CSV, atomically."""
    return atomic_write(path, lambda tmp: table.to_csv(tmp, index=False, float_format="%.10g"))


@dataclass(frozen=True)
class Panel:
    """One panel of a study figure: ``metric`` per channel against the study's key.

    ``label``: the y-axis label (with unit); ``scale``: multiply values by it (100 for %);
    ``channels``: which channels, in order (``live`` = the live channels together, ``all`` = whole
    centre, drawn dashed; waits and service level have no ``all`` in a centre with email);
    ``targets``: ``{channel: value}`` horizontal dotted lines (in plotted units, e.g. SL targets).
    """

    metric: str
    label: str
    scale: float = 1.0
    channels: tuple[str, ...] = ("phone", "chat", "email", "live", _ALL)
    targets: tuple[tuple[str, float], ...] = ()
    bands: bool = True


def draw(table: pd.DataFrame, key: str, panels: Sequence[Panel], title: str, xlabel: str,
         x_scale: float = 1.0, baseline: float | None = None):
    """The study figure: one panel per :class:`Panel`, a line per channel with its CI band against
    ``key`` (times ``x_scale``); targets dashed, a grey dotted vertical line marks the ``baseline``."""
    fig, axes = new_figure(nrows=len(panels), sharex=True, size=(10.0, 2.7 * len(panels) + 0.9))
    channels_seen = channel_order([c for p in panels for c in p.channels])
    handles: dict[str, Any] = {}
    for ax, panel in zip(axes, panels):
        rows = table[table["metric"] == panel.metric]
        top = 0.0
        for ch in panel.channels:
            part = rows[rows["channel"] == ch].sort_values(key)
            if part.empty or not np.isfinite(part["mean"].to_numpy(dtype=float)).any():
                continue
            x = part[key].to_numpy(dtype=float) * x_scale
            mean = part["mean"].to_numpy(dtype=float) * panel.scale
            line = plot_line(ax, x, mean, ch, channels_seen)
            handles.setdefault(line.get_label(), line)
            high = mean
            if panel.bands:
                low = part["ci_low"].to_numpy(dtype=float) * panel.scale
                high = part["ci_high"].to_numpy(dtype=float) * panel.scale
                ax.fill_between(x, low, high, color=line.get_color(), alpha=0.18, linewidth=0)
            finite = np.concatenate([mean[np.isfinite(mean)], high[np.isfinite(high)]])
            top = max(top, float(finite.max()) if finite.size else 0.0)
        for mark in share_target_lines(ax, dict(panel.targets), channels_seen):
            handles.setdefault(mark.get_label(), mark)
        if baseline is not None:
            reference_line(ax, baseline * x_scale, "baseline")
        cap = 100.0 if panel.scale == 100.0 else math.inf
        ax.set_ylim(0, min(max(top * 1.1, 1.0), cap) if cap < math.inf else max(top * 1.1, 1.0))
        ax.set_ylabel(panel.label, fontsize=LABEL_SIZE)
    axes[-1].set_xlabel(xlabel, fontsize=LABEL_SIZE)
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    axes[0].set_title(title, fontsize=TITLE_SIZE)
    order = [*channels_seen, LIVE_LABEL, ALL_LABEL]
    shown = [handles[k] for k in sorted(handles, key=lambda k: order.index(k) if k in order else len(order))]
    from matplotlib.lines import Line2D

    if baseline is not None:
        shown.append(Line2D([], [], color=GREY, linestyle=":", linewidth=1.5, label="baseline"))
    legend(axes[0], shown)
    return fig


def study_info(key: str, baseline: Any, result: ExperimentResult, **extra: Any) -> dict[str, Any]:
    """``study.json``: what the report needs beyond the tables (the baseline point's ``result``
    gives the targets, window and run options; ``extra``: e.g. the study's cost basis)."""
    config = result.config
    costs = config.scenario.costs
    return {
        "key": key, "baseline": baseline, "scenario": config.scenario.name,
        # the scenario's cost model, for the report's cost note and currency (None without scenario.costs)
        "costs": dataclasses.asdict(costs) if costs is not None else None,
        "targets": {name: {"threshold_s": ch.service_level_threshold_s, "target": ch.service_level_target,
                           "deferrable": ch.deferrable}
                    for name, ch in config.scenario.channels.items()},
        "window_hours": window_hours(config.run),
        "replications": config.run.replications, "seed": config.run.seed, "confidence": config.run.confidence,
        **extra,
    }


def finish(name: str, out: Path, tables: dict[str, pd.DataFrame], figure, started: float,
           info: dict[str, Any] | None = None) -> list[Path]:
    """Write the tables (``<stem>.csv``), the figure (``<name>.png``) and ``info`` (``study.json``,
    :func:`study_info`) into ``out``; print where."""
    out.mkdir(parents=True, exist_ok=True)
    written = [write_table(table, out / f"{stem}.csv") for stem, table in tables.items()]
    if info is not None:
        text = json.dumps({"study": name, **info}, indent=2, default=float) + "\n"
        written.append(atomic_write(out / "study.json", lambda tmp: tmp.write_text(text, encoding="utf-8")))
    written.extend(save_figures({name: figure}, out))
    print(f"{name}: {time.perf_counter() - started:.1f} s; wrote:")
    for path in written:
        print(f"  {path}")
    return written


def print_table(table: pd.DataFrame, key: str, metrics: Sequence[str], channels: Sequence[str]) -> None:
    """A compact view of ``kpi_table``: one row per point, one column per channel.metric (means)."""
    rows = table[table["metric"].isin(metrics) & table["channel"].isin(channels)]
    wide = rows.pivot_table(index=key, columns=["channel", "metric"], values="mean", sort=False)
    wide.columns = [f"{c}.{m}" for c, m in wide.columns]
    ordered = [f"{c}.{m}" for m in metrics for c in channels if f"{c}.{m}" in wide.columns]
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(wide[ordered].to_string(float_format=lambda v: f"{v:.4g}"))


@dataclass(frozen=True)
class Knob:
    """A one-knob study: the default scenario with one value changed over ``values``.

    ``key`` names the value's column; ``baseline`` is the point the others are paired against
    (added to ``values`` if missing); ``metrics`` go into the tables, ``shown`` are printed for
    ``channels``; ``panels``, ``title`` and ``xlabel`` make the figure.
    """

    name: str
    key: str
    values: tuple[float, ...]
    baseline: float
    metrics: tuple[str, ...]
    panels: tuple[Panel, ...]
    title: str
    xlabel: str
    shown: tuple[str, ...]
    channels: tuple[str, ...] = ("phone", "chat", "live", _ALL)


def run_knob(knob: Knob, args: argparse.Namespace, apply: Callable[[dict[str, Any], float], None],
             derive: Callable[[ExperimentResult], ExperimentResult] | None = None) -> int:
    """Run ``knob``: ``apply(raw, value)`` changes a copy of the default config for each value;
    ``derive(result)`` may add KPIs (:func:`add_metric`); writes the tables and the figure."""
    started = time.perf_counter()
    base = default_raw()
    points = []
    for value in sorted(set(knob.values) | {knob.baseline}):
        raw = copy.deepcopy(base)
        apply(raw, value)
        points.append((value, raw))
    results = run_points(points, args)
    if derive is not None:
        results = [(value, derive(result)) for value, result in results]
    kpis = kpi_table(results, knob.key, knob.metrics)
    paired = paired_table(results, knob.key, knob.baseline, knob.metrics)
    figure = draw(kpis, knob.key, knob.panels, knob.title, knob.xlabel, baseline=knob.baseline)
    print_table(kpis, knob.key, knob.shown, knob.channels)
    finish(knob.name, args.out, {"kpis": kpis, "paired_vs_baseline": paired}, figure, started,
           study_info(knob.key, knob.baseline, dict(results)[knob.baseline]))
    return 0
