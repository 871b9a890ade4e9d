"""``python -m sim.report``: a strategy report of runs, sweeps and studies, as HTML and Markdown.

::

    python -m sim.report results/more_generalists --baseline results/base --wage-per-hour 25
    python -m sim.report results/sweeps/agents
    python -m sim.report results/studies/staffing_sweep results/studies/channel_shift

Each folder given becomes one page of the report; what a page says depends on what the folder is:

- a **run** (``python -m sim``: ``summary.csv``, ``intervals.csv``, ``replications.csv``,
  ``config.yaml``): a summary paragraph computed from the numbers, the scenario in readable tables
  (channels and targets, contact types, staffing, policies), the KPIs per channel with their
  intervals, and the interval charts (service level against target, ASA and backlog, abandonment,
  occupancy and staffing). With ``--baseline`` (another run, same seed): what differs, the paired
  difference of each KPI with its interval and a verdict ("significantly better / worse / no
  detectable difference", :func:`sim.experiments.kpis.verdict`), a chart of them, and the baseline dotted in
  the interval charts;
- a **sweep** (a Hydra multirun folder: ``sweep.csv`` or job folders): the points in a table (with
  how many intervals each meets its targets in), failed points and their errors, the KPIs
  against the swept value (or a heatmap for two keys), and the cost-service trade-off with its
  Pareto front;
- an **option study** (``python -m sim.study``: ``options.csv``, ``ranking.csv``): the options side by
  side, ranked by cost among those meeting every target, with the paired evidence, then one page per
  option against the baseline (:mod:`sim.reporting.options_page`);
- a **study** (``experiments/*.py``: ``kpis.csv``, ``study.json``, ``paired_vs_baseline.csv``): the
  same as a sweep, plus each point's paired differences against the study's baseline point.

A folder whose run failed, did not finish or measured nothing gives a page that says so; a file in
it that cannot be what the simulator wrote (binary, not UTF-8, a table without the columns the page
reads, YAML or JSON that does not parse) is one line on stderr naming the file (and line), exit
status 2, and no report. So is a bad option: ``--wage-per-hour`` must be a finite number >= 0,
``--service-channel`` a channel of the sweeps and studies reported (or ``all``, ``live``),
``--baseline`` a run folder, ``--out`` a folder (not an existing file). Cost is
staffed agent-hours, times ``--wage-per-hour`` when given (:mod:`sim.reporting.cost_basis`); the report says
which. Written into ``--out`` (default ``<folder>/report``): ``report.html`` (self-contained:
figures embedded, no network needed), ``report.md`` and ``figures/*.png``.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
import warnings
from pathlib import Path

from sim.engine.errors import ConfigError
from sim.engine.options import fail, new_output, number, parser
from sim.reporting.document import Page, Paragraph, write_report
from sim.reporting.grid_page import Grid, grid_page, load_study, load_sweep
from sim.reporting.options_page import load_options, options_pages
from sim.reporting.run_page import load_run, run_page
from sim.reporting.wording import count_text

__all__ = ["folder_kind", "build_report", "main"]

PROG = "sim.report"
KINDS = {"run": "a run folder (python -m sim)", "sweep": "a sweep folder (python -m sim -m)",
         "options": "an option study folder (python -m sim.study)", "study": "a study folder (experiments/*.py)"}


def folder_kind(folder: Path) -> str:
    """``sweep``, ``options`` (``python -m sim.study``), ``study`` (``experiments/*.py``) or ``run``."""
    if (folder / "sweep.csv").is_file() or (folder / "multirun.yaml").is_file():
        return "sweep"
    if (folder / "options.csv").is_file() or (folder / "ranking.csv").is_file():
        return "options"
    if (folder / "kpis.csv").is_file():
        return "study"
    if any((p / ".hydra" / "overrides.yaml").is_file() for p in folder.iterdir() if p.is_dir()):
        return "sweep"
    return "run"


def build_report(folders: list[Path], baseline: Path | None = None, wage: float | None = None,
                 service_channel: str | None = None) -> tuple[str, list[Page]]:
    """The title and pages of a report on ``folders`` (one page each). A file that cannot be read, a
    ``baseline`` that is not a run folder or a ``service_channel`` that no sweep or study reported
    has raise :class:`ConfigError` before any page is written."""
    pages, names = [], []
    if baseline is not None and folder_kind(baseline) != "run":
        raise ConfigError("--baseline", f"{baseline} is {KINDS[folder_kind(baseline)]}; expected a run folder "
                                        "(python -m sim) to compare each run folder with")
    base = load_run(baseline) if baseline is not None else None
    grids = {folder: (load_sweep(folder) if folder_kind(folder) == "sweep" else load_study(folder))
             for folder in folders if folder_kind(folder) in ("sweep", "study")}
    if service_channel is not None:
        _check_service_channel(service_channel, grids)
    many = len(folders) > 1
    for i, folder in enumerate(folders):
        prefix = f"{i + 1:02d}_" if many else ""
        kind = folder_kind(folder)
        if kind == "options":
            study = options_pages(load_options(folder), prefix)
            pages.extend(study)
            names.append(study[0].title)
            continue
        if kind == "run":
            run = load_run(folder)
            page = run_page(run, base, wage, prefix)
        else:
            page = grid_page(grids[folder], wage, service_channel, prefix)
            if base is not None:
                page.blocks.insert(2, Paragraph(f"The baseline ({baseline}) is for run folders: a {kind} is compared "
                                                "point against point.", "note"))
        pages.append(page)
        names.append(page.title)
    title = f"Strategy report: {names[0]}" if len(names) == 1 else f"Strategy report: {count_text(len(pages), 'page')}"
    return title, pages


def _check_service_channel(channel: str, grids: dict[Path, Grid]) -> None:
    """``channel`` is one the sweeps and studies being reported measured (or ``all`` / ``live``)."""
    if not grids:
        raise ConfigError("--service-channel", "only sweep and study pages use it (their cost-service trade-off), "
                                               "and none of the folders is a sweep or a study")
    known: dict[str, None] = {}
    for grid in grids.values():
        known.update(dict.fromkeys(grid.targets))
        if "channel" in grid.table.columns:
            known.update(dict.fromkeys(str(c) for c in grid.table["channel"].dropna().unique()))
    known.setdefault("all", None)  # the whole centre, always measured
    if channel not in known:
        raise ConfigError("--service-channel", f"unknown channel {channel!r}; expected one of {', '.join(known)} "
                                               f"(the channels of {', '.join(str(f) for f in grids)})")


def _out_folder(out: Path) -> Path:
    """``--out`` as a folder to write into: not an existing file, nor under one."""
    new_output(out, "--out")
    for parent in out.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError("--out", f"{parent} is a file; expected a folder to write into")
            break
    return out


def main(argv: list[str] | None = None) -> int:
    cli = parser("python -m sim.report", __doc__.split("\n\n")[0])
    cli.add_argument("folders", type=Path, nargs="+", help="run, sweep or study folders; one page each")
    cli.add_argument("--baseline", type=Path, default=None, help="a run folder to compare each run folder with")
    cli.add_argument("--wage-per-hour", type=number(minimum=0.0), default=None,
                     help="cost per staffed agent-hour (a finite number >= 0); without it, costs are in agent-hours")
    cli.add_argument("--service-channel", default=None,
                     help="the channel whose service level a sweep's or study's cost trade-off uses (default: the "
                          "only channel, else the whole centre, 'all'); one of the channels they report")
    cli.add_argument("--out", type=Path, default=None,
                     help="output folder (default <folder>/report; several folders: report/ in their common parent)")
    cli.add_argument("--title", default=None, help="the report's title")
    args = cli.parse_args(argv)
    try:
        for folder, option in [*((f, "") for f in args.folders), *([(args.baseline, "--baseline")] if args.baseline else [])]:
            if not folder.is_dir():
                problem = "is a file; expected a run, sweep or study folder" if folder.exists() else "no such folder"
                raise ConfigError(f"{option}: {folder}" if option else str(folder), problem)
        out = args.out
        if out is None:
            out = (args.folders[0] if len(args.folders) == 1 else
                   Path(*Path(_common(args.folders)).parts)) / "report"
        out = _out_folder(out)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)  # NaN means of empty tables are reported as "–"
            title, pages = build_report(args.folders, args.baseline, args.wage_per_hour, args.service_channel)
        title = args.title or title
        sources = ", ".join(str(f) for f in args.folders) + (f" against {args.baseline}" if args.baseline else "")
        meta = f"Generated {_dt.datetime.now():%Y-%m-%d %H:%M} by python -m sim.report from {sources}."
        try:
            written = write_report(pages, out, title, meta)
        except OSError as exc:
            raise ConfigError("--out", f"{exc.filename or out}: cannot be written: {exc.strerror or exc}") from None
    except ConfigError as exc:
        return fail(PROG, exc)
    print(f"report: {written['html']}")
    print(f"        {written['markdown']} (figures in {written['figures']})")
    return 0


def _common(folders: list[Path]) -> str:
    return os.path.commonpath([str(f.resolve()) for f in folders])


if __name__ == "__main__":
    sys.exit(main())
