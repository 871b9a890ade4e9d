"""Staffing sweep: the generalists' staffing scaled from 80% to 120% of the default.

    python experiments/staffing_sweep.py                 # ~10 s; results/studies/staffing_sweep/
    python experiments/staffing_sweep.py --group tech_support --replications 50

Each point is the relative change ``staffing_scale`` of the group (default the generalists): every
interval of its staffing table x the factor, in whole agents (halves up); the other groups stay as
they are.  Every point runs with the same seed (common random numbers), so the paired differences
against 100% are much tighter than independent ones.

Cost is the scenario's own total cost (``scenario.costs``: each group's wage, overtime, bot and
telephony, in its currency), as in every run and option study.

Writes ``kpis.csv`` (``staffing_pct``, channel, metric, mean, ci_low, ci_high, n_reps; metric
``total_cost`` for the whole centre), ``paired_vs_baseline.csv`` (every point against 100%) and
``staffing_sweep.png`` (service level, ASA, abandonment and cost against staffing, with CI bands).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from sim.engine.options import one_of  # noqa: E402
from _study import Panel  # noqa: E402

NAME = "staffing_sweep"
KEY = "staffing_pct"
FACTORS = (0.80, 0.85, 0.90, 0.95, 1.00, 1.05, 1.10, 1.15, 1.20)
METRICS = ("service_level", "asa_s", "abandon_rate", "occupancy", "agents_staffed", "total_cost")


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__)
    base = _study.default_raw()
    staffed = tuple(n for n, g in base["scenario"]["agent_groups"].items() if (g or {}).get("staffing") is not None)
    p.add_argument("--group", type=one_of(staffed, "group with a staffing table"), default="generalists",
                   help=f"the agent group whose staffing is scaled ({', '.join(staffed)})")
    args = p.parse_args(argv)
    started = time.perf_counter()
    points = []
    for factor in FACTORS:
        raw = _study.copy.deepcopy(base)
        raw["scenario"]["agent_groups"][args.group]["staffing_scale"] = factor
        points.append((round(100 * factor), raw))
    results = _study.run_points(points, args)
    currency = (base["scenario"].get("costs") or {}).get("currency") or "money units"
    kpis = _study.kpi_table(results, KEY, METRICS)
    paired = _study.paired_table(results, KEY, 100, METRICS)
    channels = ("phone", "chat", "email", "all")
    targets = _study.sl_targets(base, ("phone", "chat", "email"))
    figure = _study.draw(kpis, KEY, [
        Panel("service_level", "Service level (%)", 100.0, channels, targets),
        Panel("asa_s", "ASA (s)", 1.0, ("phone", "chat")),
        Panel("abandon_rate", "Abandon rate (%)", 100.0, ("phone", "chat", "live")),
        Panel("total_cost", f"Total cost ({currency})", 1.0, ("all",)),
    ], f"Staffing sweep: {args.group} at 80-120% of the default", f"{args.group} staffing (% of default)",
        baseline=100)
    _study.print_table(kpis, KEY, ("service_level", "asa_s", "abandon_rate", "total_cost"),
                       ("phone", "chat", "live", "all"))
    _study.finish(NAME, args.out, {"kpis": kpis, "paired_vs_baseline": paired}, figure, started,
                  _study.study_info(KEY, 100, dict(results)[100], x_label=f"{args.group} staffing (% of default)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
