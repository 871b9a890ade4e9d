"""Staffing sweep: the generalists' staffing scaled from 80% to 120% of the default.

    python experiments/staffing_sweep.py                 # ~10 s; results/studies/staffing_sweep/
    python experiments/staffing_sweep.py --wage 30 --replications 50

Every interval's generalist count in the default scenario is multiplied by the factor and rounded;
tech support and specialists stay as they are.  Every point runs with the same seed (common random
numbers), so the paired differences against 100% are much tighter than independent ones.

Cost (an assumption, not a model output): logged-in agent-hours in the measurement window (the
whole centre's time-average agents logged in, ``agents_staffed``, x the window's length) x an hourly
wage, ``--wage`` (default 25 per hour, one rate for every group; no overhead, shrinkage or overtime
premium).

Writes ``kpis.csv`` (``staffing_pct``, channel, metric, mean, ci_low, ci_high, n_reps; metric ``cost``
for the whole centre), ``paired_vs_baseline.csv`` (every point against 100%) and ``staffing_sweep.png``
(service level, ASA, abandonment and cost against staffing, with CI bands).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from sim.reporting.cost_basis import agent_hours_by_replication, window_hours  # noqa: E402
from _study import Panel  # noqa: E402

NAME = "staffing_sweep"
KEY = "staffing_pct"
FACTORS = (0.80, 0.85, 0.90, 0.95, 1.00, 1.05, 1.10, 1.15, 1.20)
METRICS = ("service_level", "asa_s", "abandon_rate", "occupancy", "agents_staffed", "cost")


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__)
    p.add_argument("--wage", type=float, default=25.0, help="cost per logged-in agent-hour (default 25)")
    p.add_argument("--group", default="generalists", help="the agent group whose staffing is scaled")
    args = p.parse_args(argv)
    started = time.perf_counter()
    base = _study.default_raw()
    default_staffing = base["scenario"]["agent_groups"][args.group]["staffing"]
    points = []
    for factor in FACTORS:
        raw = _study.copy.deepcopy(base)
        raw["scenario"]["agent_groups"][args.group]["staffing"] = [int(round(n * factor)) for n in default_staffing]
        points.append((round(100 * factor), raw))
    results = _study.run_points(points, args)

    def cost(result):  # the cost basis of sim.reporting.cost_basis: logged-in agent-hours x wage
        window_h = window_hours(result.config.run)
        return lambda reps: agent_hours_by_replication(reps, window_h) * args.wage

    results = [(v, _study.add_metric(r, "all", "cost", cost(r))) for v, r in results]
    kpis = _study.kpi_table(results, KEY, METRICS)
    paired = _study.paired_table(results, KEY, 100, METRICS)
    channels = ("phone", "chat", "email", "all")
    targets = _study.sl_targets(base, ("phone", "chat"))
    figure = _study.draw(kpis, KEY, [
        Panel("service_level", "Service level (%)", 100.0, channels, targets),
        Panel("asa_s", "ASA (s)", 1.0, ("phone", "chat")),
        Panel("abandon_rate", "Abandon rate (%)", 100.0, ("phone", "chat", "live")),
        Panel("cost", f"Cost (at {args.wage:g} per agent-hour)", 1.0, ("all",)),
    ], f"Staffing sweep: {args.group} at 80-120% of the default", f"{args.group} staffing (% of default)",
        baseline=100)
    _study.print_table(kpis, KEY, ("service_level", "asa_s", "abandon_rate", "cost"), ("phone", "chat", "live", "all"))
    _study.finish(NAME, args.out, {"kpis": kpis, "paired_vs_baseline": paired}, figure, started,
                  _study.study_info(KEY, 100, dict(results)[100], x_label=f"{args.group} staffing (% of default)",
                                    wage_per_hour=args.wage,
                                    cost_basis=f"logged-in agent-hours in the measurement window x {args.wage:g} "
                                               "per agent-hour"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
