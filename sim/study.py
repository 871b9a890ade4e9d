"""``python -m sim.study NAME_OR_PATH``: run an option study and write its decision report.

A study file (``configs/study/NAME.yaml``, or any path) names a baseline and the options a manager
weighs, each a list of the same overrides ``python -m sim`` takes (relative changes included)::

    title: Staffing - how many more generalists?
    question: Does the centre meet its targets with 1, 3 or 5 more generalists, and at what cost?
    replications: 20                  # per option; --replications overrides it
    baseline: []                      # overrides every option starts from (default: none)
    options:
      +1 generalist: [scenario.agent_groups.generalists.staffing_delta=1]
      +3 generalists: [scenario.agent_groups.generalists.staffing_delta=3]

Every option runs on top of the baseline's overrides with the same seed, so replication ``r`` of
each sees the same customers (common random numbers) and each difference from the baseline is
paired. Every option's config is composed and checked before anything runs: a bad override is one
line naming the option and the key, exit status 2. Written into ``--out`` (default
``results/studies/NAME``):

- one run folder per option (``baseline/``, ``option_1_.../``: the files of ``python -m sim``, no
  per-run figures), reused when a later run of the study finds it complete with the same config;
  an option that fails leaves ``error.txt`` there and the study goes on;
- ``options.csv``: every KPI of every option against the baseline: means, paired difference, its
  interval and a verdict (:func:`sim.experiments.options.options_table`);
- ``ranking.csv``: the options ranked by cost among those that meet every service-level target
  (:func:`sim.experiments.options.ranking`); ``kpis.csv``: every option's KPIs with intervals;
- ``study.json`` (what the report needs) and ``options.png`` (the options side by side);
- ``report/report.html`` (and ``report.md``): the decision report, its first page the comparison of
  all options (:mod:`sim.reporting.options_page`), then one page per option against the baseline.

The study file is read as configs are (:func:`sim.engine.inputs.load_yaml`: plain YAML data only, no
``!!python`` tags, aliases bounded); ``replications`` (in the file or ``--replications``) is a whole
number from 2 to 10,000 (:data:`sim.engine.options.LIMITS`), ``--workers`` a whole number >= 0 and
``--out`` a folder. Every fault is one line ``sim.study: error: ...`` and exit status 2.
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.engine.errors import ConfigError
from sim.engine.options import LIMITS, count, fail, new_output, parser

__all__ = ["Study", "StudyError", "load_study_file", "study_configs", "run_study", "main"]

REPO = Path(__file__).resolve().parent.parent
STUDY_DIR = REPO / "configs" / "study"
STUDY_KEYS = ("title", "question", "replications", "baseline", "options")
EXIT_CONFIG = 2


class StudyError(Exception):
    """A study file or option that cannot run: one line, naming the file (and line) or the option."""


@dataclass
class Study:
    """A parsed study file: its ``name`` (file stem), ``baseline`` overrides and ``options``
    (name -> overrides), in the file's order."""

    name: str
    path: Path
    title: str
    question: str
    replications: int | None
    baseline: list[str]
    options: dict[str, list[str]] = field(default_factory=dict)


def resolve_path(name_or_path: str) -> Path:
    """``staffing`` -> ``configs/study/staffing.yaml``; a path is taken as it is."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.exists():
            raise StudyError(f"{path}: no such study file")
        if not path.is_file():
            raise StudyError(f"{path}: is {'a folder' if path.is_dir() else 'not a regular file'}; expected a study "
                             "file (YAML)")
        return path
    found = STUDY_DIR / f"{name_or_path}.yaml"
    if not found.is_file():
        known = sorted(p.stem for p in STUDY_DIR.glob("*.yaml"))
        raise StudyError(f"{name_or_path}: no study of that name in configs/study/ (available: {', '.join(known)}) "
                         "and no such file")
    return found


def _line_of(node: Any, path: list[Any]) -> int | None:
    """The 1-based line of ``path`` (keys and list indices) in a composed YAML node, if found."""
    import yaml

    line = node.start_mark.line + 1 if node is not None else None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            hits = [(k, v) for k, v in node.value if k.value == step]
            if not hits:
                return line
            key, node = hits[0]
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def load_study_file(name_or_path: str) -> Study:
    """Read and check a study file; a problem raises :class:`StudyError` as ``file:line: key: what``."""
    import yaml

    from sim.engine.inputs import parse_yaml, read_text

    path = resolve_path(name_or_path)
    what = "a study file: a baseline and options, each a list of overrides"
    try:
        text = read_text(path, what, max_bytes=16 * 1024 ** 2)
    except ConfigError as exc:
        raise StudyError(str(exc)) from None
    try:
        raw = parse_yaml(text, str(path), what)
    except ConfigError as exc:
        said = exc.message if exc.message.startswith("not valid YAML") else f"not valid YAML: {exc.message}"
        raise StudyError(f"{exc.where}: {said}") from None
    root = yaml.compose(text, Loader=yaml.SafeLoader)  # for the lines of keys (parse_yaml accepted the text)

    def fail(keys: list[Any], message: str) -> None:
        line = _line_of(root, keys)
        key = ".".join(str(k) if not isinstance(k, int) else f"[{k}]" for k in keys).replace(".[", "[")
        raise StudyError(f"{path}:{line or 1}: {key + ': ' if key else ''}{message}")

    if not isinstance(raw, dict):
        fail([], "expected a mapping with options (and optionally title, question, replications, baseline)")
    for key in raw:
        if key not in STUDY_KEYS:
            fail([key], f"unknown key; allowed keys: {', '.join(STUDY_KEYS)}")

    def overrides(value: Any, keys: list[Any]) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            fail(keys, f"expected a list of overrides like scenario.agent_groups.generalists.staffing_delta=3, "
                       f"got {value!r}")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or "=" not in item or item.startswith("="):
                fail([*keys, i], f"expected an override key=value (as on the command line of python -m sim), "
                                 f"got {item!r}")
            key = item.split("=", 1)[0].lstrip("+~")
            if key.startswith("hydra"):
                fail([*keys, i], "a study writes its own folders: no hydra.* key")
            if key == "run.seed" and keys[0] == "options":
                fail([*keys, i], "every option runs with the baseline's seed (common random numbers): "
                                 "set run.seed in the baseline")
            out.append(item)
        return out

    title = raw.get("title", path.stem)
    question = raw.get("question", "")
    for key, value in (("title", title), ("question", question)):
        if not isinstance(value, str):
            fail([key], f"expected a text, got {value!r}")
    replications = raw.get("replications")
    limit = LIMITS["replications"]
    if replications is not None and (isinstance(replications, bool) or not isinstance(replications, int)
                                     or not 2 <= replications <= limit):
        fail(["replications"], f"expected a whole number >= 2 (paired intervals need two) and <= {limit:,}, "
                               f"got {replications!r}")
    baseline = overrides(raw.get("baseline"), ["baseline"])
    options_raw = raw.get("options")
    if not isinstance(options_raw, dict) or not options_raw:
        fail(["options"], "expected a mapping of option names to lists of overrides, with at least one option")
    options: dict[str, list[str]] = {}
    for name, value in options_raw.items():
        if not isinstance(name, str) or not name.strip():
            fail(["options", name], f"expected an option name (a text), got {name!r}")
        if name.strip().lower() == "baseline":
            fail(["options", name], "'baseline' is the study's starting point: name the option differently")
        options[name] = overrides(value, ["options", name])
        if not options[name]:
            fail(["options", name], "an option changes something: give at least one override")
    return Study(path.stem, path, title, question, replications, baseline, options)


def slug(index: int, name: str) -> str:
    """A folder name for option ``index`` (from 1): ``option_2_plus3_generalists``."""
    text = name.lower().replace("+", "plus").replace("-", "minus").replace("%", "pct")
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:40].rstrip("_")
    return f"option_{index}_{text}" if text else f"option_{index}"


def study_configs(study: Study, extra: list[str]) -> dict[str, tuple[list[str], dict]]:
    """Every option's overrides and composed, checked config mapping (``baseline`` first).

    ``extra``: overrides from the command line (``--replications``, ``--workers``), applied last.
    Raises :class:`StudyError` naming the option for the first one that does not compose or validate.
    """
    from sim.__main__ import _one_line, composed
    from sim.engine.errors import ConfigError
    from sim.model.config import load_config

    plans = {"baseline": study.baseline, **{name: study.baseline + o for name, o in study.options.items()}}
    out = {}
    for name, overrides in plans.items():
        full = ["run.figures=false", *overrides, *extra]
        where = f"{study.path}: {'baseline' if name == 'baseline' else f'option {name!r}'}"
        try:
            raw = composed(full)
            load_config(raw)
        except ConfigError as exc:
            raise StudyError(f"{where}: {exc}") from None
        except Exception as exc:  # Hydra's composition errors
            raise StudyError(f"{where}: {_one_line(exc)}") from None
        out[name] = (overrides, raw)
    return out


def _same_config(folder: Path, text: str) -> bool:
    config = folder / "config.yaml"
    return (folder / "summary.csv").is_file() and config.is_file() and config.read_bytes() == text.encode("utf-8")


def _load_done(folder: Path, raw: dict):
    """An option already run into ``folder`` (same config), as an :class:`ExperimentResult`; its tables
    are checked as the report checks a run folder's (:data:`sim.reporting.run_page.RUN_TABLES`), so a
    damaged one is a :class:`~sim.engine.errors.ConfigError` naming it."""
    import pandas as pd

    from sim.experiments.files import csv_frame
    from sim.experiments.replications import ExperimentResult
    from sim.model.config import load_config
    from sim.reporting.run_page import RUN_TABLES

    config = load_config(raw)

    def table(name: str) -> pd.DataFrame:
        path = folder / name
        if not path.exists():
            return pd.DataFrame()
        required, numeric, filled = RUN_TABLES.get(name, ((), (), ()))
        return csv_frame(path, f"an option's {name} written by python -m sim.study", required=required,
                         numeric=numeric, filled=filled)

    def optional(name: str) -> pd.DataFrame | None:
        return table(name) if (folder / name).is_file() else None

    return ExperimentResult(config, table("summary.csv"), table("intervals.csv"), table("groups.csv"),
                            table("replications.csv"), optional("days.csv"), optional("types.csv"),
                            optional("type_intervals.csv"), optional("group_intervals.csv"))


def run_study(study: Study, out: Path, extra: list[str] | None = None, *, report: bool = True,
              echo=print) -> dict[str, Path]:
    """Run ``study`` into ``out`` and write its tables, figure and report; returns the files written.

    An option that fails is recorded in its folder (``error.txt``) and in ``study.json``; the others
    are still compared. A failed baseline leaves nothing to compare with: :class:`StudyError`.
    """
    import pandas as pd
    import yaml

    from sim.experiments.files import atomic_write
    from sim.experiments.options import BASELINE, cost_basis, options_table, ranking, with_agent_hours
    from sim.experiments.sequential import run_configured
    from sim.experiments.stats import t_interval
    from sim.experiments.sweeps import record_failure
    from sim.model.config import load_config
    from sim.reporting.outputs import write_outputs

    plans = study_configs(study, list(extra or []))
    out.mkdir(parents=True, exist_ok=True)
    results, folders, failed = {}, {}, {}
    total = len(plans)
    for k, (name, (overrides, raw)) in enumerate(plans.items()):
        folder = out / ("baseline" if name == BASELINE else slug(k, name))
        folders[name] = folder
        text = yaml.safe_dump(raw, sort_keys=False)
        started = time.perf_counter()
        if _same_config(folder, text):
            results[name] = _load_done(folder, raw)
            echo(f"option {k + 1}/{total} {name}: already run with this config, reused -> {folder}")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "error.txt").unlink(missing_ok=True)
        (folder / "summary.csv").unlink(missing_ok=True)
        try:
            config = load_config(raw)
            atomic_write(folder / "config.yaml", lambda tmp: tmp.write_text(text, encoding="utf-8"))
            result, _ = run_configured(config)
            write_outputs(result, folder, figures=False)
        except Exception as exc:
            line = record_failure(folder, exc)
            failed[name] = line
            echo(f"option {k + 1}/{total} {name}: FAILED: {line}")
            if name == BASELINE:
                raise StudyError(f"{study.path}: the baseline failed ({line}); nothing to compare the options with")
            continue
        # compared as written (10 significant digits), so a re-run that reuses it gives the same tables
        results[name] = _load_done(folder, raw)
        echo(f"option {k + 1}/{total} {name}: {_headline(result)} ({time.perf_counter() - started:.1f} s)")

    baseline = results.pop(BASELINE)
    options = dict(results)
    table = options_table(baseline, options)
    ranked = ranking(baseline, options)
    confidence = baseline.config.run.confidence
    kpi_rows = []
    for name, result in {BASELINE: baseline, **options}.items():
        summary = result.summary.assign(option=name)
        hours = with_agent_hours(result)
        hours = hours[hours["metric"] == "agent_hours"]["value"].to_numpy()
        est = t_interval(hours, confidence)
        extra_row = pd.DataFrame([{"option": name, "channel": "all", "metric": "agent_hours", "mean": est.mean,
                                   "ci_low": est.low, "ci_high": est.high, "n_reps": est.n}])
        kpi_rows += [summary, extra_row]
    kpis = pd.concat(kpi_rows, ignore_index=True)
    kpis = kpis[["option", *[c for c in kpis.columns if c != "option"]]]
    basis = cost_basis(baseline)
    run = baseline.config.run
    info = {
        "kind": "option study", "study": study.name, "title": study.title, "question": study.question,
        "file": str(study.path), "baseline": study.baseline,
        "options": {name: {"overrides": study.options[name], "folder": folders[name].name} for name in study.options},
        "baseline_folder": folders[BASELINE].name, "failed": failed,
        "scenario": baseline.config.scenario.name, "replications": run.replications, "seed": run.seed,
        "confidence": confidence, "cost_metric": basis.metric, "cost_unit": basis.unit,
        "targets": {name: {"threshold_s": ch.service_level_threshold_s, "target": ch.service_level_target,
                           "deferrable": ch.deferrable}
                    for name, ch in baseline.config.scenario.channels.items()},
        "window_hours": run.open_seconds(run.warmup_s, run.horizon_s) / 3600.0,
    }
    written = {}
    for file, frame in (("options.csv", table), ("ranking.csv", ranked), ("kpis.csv", kpis)):
        path = out / file
        atomic_write(path, lambda tmp, f=frame: f.to_csv(tmp, index=False, float_format="%.10g"))
        written[file] = path
    data = json.dumps(info, indent=2) + "\n"
    atomic_write(out / "study.json", lambda tmp: tmp.write_text(data, encoding="utf-8"))
    written["study.json"] = out / "study.json"
    from sim.reporting.options_page import load_options, options_pages, study_figure
    from sim.reporting.style import save_figures

    loaded = load_options(out)
    written["options.png"] = save_figures({"options": study_figure(loaded)}, out)[0]
    if report:
        from sim.reporting.document import write_report

        pages = options_pages(loaded)
        meta = f"Generated by python -m sim.study from {study.path}."
        files = write_report(pages, out / "report", f"Option study: {study.title}", meta)
        written["report"] = files["html"]
    return written


def _headline(result) -> str:
    """Service level per channel, e.g. ``service level phone 86.9%, chat 94.4%, email 100.0%``."""
    s = result.summary
    cells = {(r.channel, r.metric): r.mean for r in s.itertuples()}
    channels = list(result.config.scenario.channels)
    return "service level " + ", ".join(f"{ch} {100 * cells.get((ch, 'service_level'), float('nan')):.1f}%"
                                        for ch in channels)


def _ranking_lines(out: Path, unit: str = "") -> list[str]:
    """The ranking as printed: each option's targets and cost (in ``unit``, e.g. the currency)."""
    import pandas as pd

    ranked = pd.read_csv(out / "ranking.csv", keep_default_na=False)
    lines = []
    unit = f" {unit}" if unit else ""
    for r in ranked.itertuples():
        status = "meets every target" if str(r.meets_targets) == "True" else f"misses {r.missed}"
        lines.append(f"  {r.rank}. {r.option}: {status}; {r.cost_metric.replace('_', ' ')} {float(r.cost_mean):,.0f}"
                     f"{unit}" + ("" if r.option == "baseline"
                                  else f" ({float(r.cost_difference):+,.0f}{unit} on the baseline)"))
    return lines


def main(argv: list[str] | None = None) -> int:
    cli = parser("python -m sim.study", "Run an option study (configs/study/NAME.yaml or a path): the baseline "
                                        "and every option with common random numbers, then the decision report.",
                 epilog="available studies: " + ", ".join(sorted(p.stem for p in STUDY_DIR.glob("*.yaml"))))
    cli.add_argument("study", help="a study name in configs/study/ or a path to a study file")
    cli.add_argument("--replications", type=count(minimum=2, maximum=LIMITS["replications"]), default=None,
                     help=f"replications per option, 2 to {LIMITS['replications']:,} (default: the study file's, "
                          "else run.replications)")
    cli.add_argument("--workers", type=count(minimum=0), default=None,
                     help="processes running replications in parallel (run.workers; 0 = one per core)")
    cli.add_argument("--out", type=Path, default=None, help="output folder (default results/studies/NAME)")
    cli.add_argument("--no-report", action="store_true", help="write the tables and figure only")
    args = cli.parse_args(argv)
    try:
        study = load_study_file(args.study)
        replications = args.replications or study.replications
        extra = ([f"run.replications={replications}"] if replications else []) + \
                ([f"run.workers={args.workers}"] if args.workers is not None else [])
        out = new_output(args.out or REPO / "results" / "studies" / study.name, "--out")
        print(f"study '{study.title}': baseline and {len(study.options)} options -> {out}")
        started = time.perf_counter()
        written = run_study(study, out, extra, report=not args.no_report)
    except (StudyError, ConfigError) as exc:
        return fail("sim.study", str(exc))
    except OSError as exc:  # the output folder cannot be made or written
        return fail("sim.study", f"{exc.filename or args.out}: cannot be written: {exc.strerror or exc}")
    print("ranking (cheapest first among options meeting every service-level target):")
    info = json.loads((out / "study.json").read_text(encoding="utf-8")) if (out / "study.json").is_file() else {}
    print("\n".join(_ranking_lines(out, str(info.get("cost_unit", "")))))
    print(f"written in {time.perf_counter() - started:.1f} s: {out / 'options.csv'}, {out / 'ranking.csv'}, "
          f"{written['options.png']}")
    if "report" in written:
        print(f"report: {written['report']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
