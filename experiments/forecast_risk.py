"""Forecast risk: how often the service-level target is missed when the day's volume is uncertain.

    python experiments/forecast_risk.py                  # ~15 s; results/studies/forecast_risk/

``scenario.busyness_cv`` makes each simulated day draw one busyness factor (Gamma, mean 1, that CV)
multiplying every arrival rate (Poisson-gamma arrivals): the forecast is right on average but any
one day is busier or quieter.  The study runs the default scenario with the CV from 0 (a perfect
forecast) to 0.3 and reports ``sl_risk``, the share of replications (days) whose service level
misses the channel's target (for ``all``: days where any channel misses; Wilson intervals), next to
the mean service level, which hides that risk.  A replication is one day, so use many:
``--replications`` defaults to 100.  Every point runs with the same seed (common random numbers);
``paired_vs_baseline.csv`` compares each CV with 0.

Writes ``kpis.csv`` (``busyness_cv``, channel, metric, mean, ci_low, ci_high, n_reps),
``paired_vs_baseline.csv`` and ``forecast_risk.png`` (SL risk per channel and mean service level
against the CV, with CI bands).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from _study import Panel  # noqa: E402

NAME = "forecast_risk"
KEY = "busyness_cv"
CVS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30)
METRICS = ("offered", "service_level", "asa_s", "abandon_rate", "occupancy", "sl_risk")


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__, replications=100)
    args = p.parse_args(argv)
    started = time.perf_counter()
    base = _study.default_raw()
    points = []
    for cv in CVS:
        raw = _study.copy.deepcopy(base)
        raw["scenario"]["busyness_cv"] = cv
        points.append((cv, raw))
    results = _study.run_points(points, args)
    kpis = _study.kpi_table(results, KEY, METRICS)
    paired = _study.paired_table(results, KEY, 0.0, METRICS)
    targets = _study.sl_targets(base, ("phone", "chat"))
    figure = _study.draw(kpis, KEY, [
        Panel("sl_risk", "SL risk: days missing\nthe target (%)", 100.0, ("phone", "chat", "email", "all")),
        Panel("service_level", "Mean service level (%)", 100.0, ("phone", "chat", "live"), targets),
    ], "Forecast risk: day-level busyness (Poisson-gamma arrivals)", "busyness CV (day-to-day forecast error)",
        baseline=0.0)
    _study.print_table(kpis, KEY, ("sl_risk", "service_level"), ("phone", "chat", "email", "live", "all"))
    _study.finish(NAME, args.out, {"kpis": kpis, "paired_vs_baseline": paired}, figure, started,
                  _study.study_info(KEY, 0.0, dict(results)[0.0], x_label="busyness CV (day-to-day forecast error)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
