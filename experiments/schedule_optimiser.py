"""Schedule optimiser on the default scenario: from requirement to roster to verified service.

    python experiments/schedule_optimiser.py                          # ~15 s; results/studies/schedule_optimiser/
    python experiments/schedule_optimiser.py --shifts configs/workforce/default.yaml --requirements req.csv

1. The requirement: per group and interval, from ``--requirements`` (a ``requirements.csv`` written by
   ``experiments/staffing_optimiser.py``) or, by default, by running the staffing optimiser.
2. The roster: how many agents on each shift pattern of the shift plan (``--shifts``, default
   ``configs/workforce/default.yaml``) cover it at least cost (``sim.planning.schedule.schedule``, a
   mixed-integer programme solved by ``scipy.optimize.milp``); intervals the plan's limits leave
   uncovered are reported, not a failure.
3. The check: the roster's staffing (agents on duty, net of breaks, rounded down) simulated afresh
   (another seed): are the targets met in every interval?

Writes ``roster.csv`` (agents per pattern, paid hours, cost), ``coverage.csv`` (per group and interval:
required, on duty, whole agents, gap), ``uncovered.csv``, ``verification.csv`` (KPIs with t-intervals
per interval and channel), ``coverage_<group>.png`` and ``verification.png``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402

from sim.engine.errors import ConfigError  # noqa: E402
from sim.engine.inputs import csv_rows, finite  # noqa: E402
from sim.engine.options import LIMITS, count, fail  # noqa: E402
from sim.model.metrics import clock_label  # noqa: E402
from sim.reporting.style import save_figures  # noqa: E402
from sim.planning.schedule import load_shift_plan, schedule  # noqa: E402
from sim.planning.staffing import optimise_staffing, verify  # noqa: E402
from sim.reporting.workforce_figures import coverage_figure, verification_figure  # noqa: E402

NAME = "schedule_optimiser"


def read_requirements(path: Path, groups, n_intervals: int) -> dict[str, list[int]]:
    """Agents per group and interval from a ``requirements.csv`` (one column per group, one row per
    interval): whole numbers from 0 to ``LIMITS["agents"]``; errors name the file and line."""
    _, rows = csv_rows(path, "a requirements table (one row per interval, a column per agent group)",
                       required=tuple(groups))
    required: dict[str, list[int]] = {g: [] for g in groups}
    n = 0
    for row in rows:
        n += 1
        if n > n_intervals:
            raise ConfigError(f"{path}:{row.line}", f"expected {n_intervals} rows (one per interval), found more")
        for g in groups:
            required[g].append(int(finite(row.cells[g], f"{path}:{row.line}: {g}", minimum=0,
                                          maximum=LIMITS["agents"], integer=True)))
    if n != n_intervals:
        raise ConfigError(str(path), f"expected {n_intervals} rows (one per interval), got {n}")
    return required


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__, replications=20)
    p.add_argument("--shifts", type=Path, default=_study.REPO / "configs" / "workforce" / "default.yaml",
                   help="shift plan YAML (default configs/workforce/default.yaml)")
    p.add_argument("--requirements", type=Path, default=None,
                   help="requirements.csv of the staffing optimiser (default: run it now)")
    p.add_argument("--verify-replications", type=count(minimum=2, maximum=LIMITS["replications"]), default=40,
                   help=f"replications of the fresh check, 2 to {LIMITS['replications']:,} (default 40)")
    args = p.parse_args(argv)
    started = time.perf_counter()
    try:
        config = _study._config(_study.default_raw(), args)
        plan = load_shift_plan(args.shifts, config.scenario)
        if args.requirements is not None:
            required = read_requirements(args.requirements, list(config.scenario.agent_groups),
                                         config.scenario.n_intervals)
        else:
            required = optimise_staffing(config).staffing
        roster = schedule(plan, required, config.scenario)
    except ConfigError as exc:
        return fail(args.prog, exc)
    staffing = {g: roster.staffing.get(g, list(config.scenario.agent_groups[g].staffing))
                for g in config.scenario.agent_groups}
    fresh = verify(config, staffing, replications=args.verify_replications)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    shifts = roster.shifts_table()
    coverage = roster.coverage_table(config.scenario)
    uncovered = roster.uncovered(config.scenario)
    check = fresh.interval_table(config.run.confidence)
    check.insert(1, "interval", [clock_label(config.scenario.open_time_s + s) for s in check["interval_start_s"]])
    for name, table in (("roster", shifts), ("coverage", coverage), ("uncovered", uncovered),
                        ("verification", check)):
        _study.write_table(table, out / f"{name}.csv")
    figures = {f"coverage_{g}": coverage_figure(coverage[coverage["group"] == g], g) for g in roster.groups}
    targets = {c: spec.service_level_target for c, spec in config.scenario.channels.items()}
    figures["verification"] = verification_figure(check, targets, f"Roster in a fresh simulation "
                                                                   f"({args.verify_replications} replications)")
    save_figures(figures, out)
    print(shifts.groupby(["group", "family"])[["agents", "cost"]].sum().to_string())
    print(f"\nroster: {int(shifts['agents'].sum())} agents, {shifts['paid_hours'].mul(shifts['agents']).sum():g} paid "
          f"hours, cost {roster.cost:,.0f} ({roster.status})")
    print("uncovered: none" if uncovered.empty else f"uncovered: {len(uncovered)} group-intervals, "
          f"{uncovered['gap'].sum():.1f} agent-intervals short:\n{uncovered.to_string(index=False)}")
    met = check.groupby("interval", sort=False)["met"].all()
    print(f"fresh simulation of the roster: targets met (mean) in {int(met.sum())} of {len(met)} intervals")
    print(f"written: {out} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
