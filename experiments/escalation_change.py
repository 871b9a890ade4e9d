"""Escalation change: technical contacts' escalation probability to tier 2 from 0 to 0.35.

    python experiments/escalation_change.py              # ~8 s; results/studies/escalation_change/

Escalated technical calls queue again for the tier-2 specialists (``technical_tier2``), so more
escalation means longer end-to-end times, longer tier-2 waits (tier-2 ASA: ``transfer_asa_s``, the
mean wait in the escalation queue of escalated contacts answered there) and, because specialists
also take first-line technical calls, lower first-line service level.  Staffing stays as it is.
Every point runs with the same seed (common random numbers); ``paired_vs_baseline.csv`` compares
each probability with the default, 0.15.

Writes ``kpis.csv`` (``escalation_probability``, channel, metric, mean, ci_low, ci_high, n_reps),
``paired_vs_baseline.csv`` and ``escalation_change.png`` (end-to-end time, tier-2 ASA and service
level against the probability, with CI bands).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from sim.engine.options import one_of  # noqa: E402
from _study import Panel  # noqa: E402

NAME = "escalation_change"
KEY = "escalation_probability"
PROBABILITIES = (0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35)
METRICS = ("service_level", "asa_s", "abandon_rate", "escalation_rate", "transfer_asa_s", "end_to_end_time_s",
           "occupancy")


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__)
    types = tuple(n for n, ct in _study.default_raw()["scenario"]["contact_types"].items() if ct.get("escalation"))
    p.add_argument("--contact-type", type=one_of(types, "contact type with an escalation"), default="technical",
                   help=f"the contact type whose escalation changes ({', '.join(types)})")
    args = p.parse_args(argv)
    started = time.perf_counter()
    base = _study.default_raw()
    escalation = base["scenario"]["contact_types"][args.contact_type]["escalation"]
    baseline = float(escalation["probability"])
    points = []
    for prob in sorted(set(PROBABILITIES) | {baseline}):
        raw = _study.copy.deepcopy(base)
        raw["scenario"]["contact_types"][args.contact_type]["escalation"]["probability"] = prob
        points.append((prob, raw))
    results = _study.run_points(points, args)
    kpis = _study.kpi_table(results, KEY, METRICS)
    paired = _study.paired_table(results, KEY, baseline, METRICS)
    targets = _study.sl_targets(base, ("phone",))
    figure = _study.draw(kpis, KEY, [
        Panel("end_to_end_time_s", "End-to-end time (s)", 1.0, ("phone", "live")),
        Panel("transfer_asa_s", "Tier-2 ASA (s)", 1.0, ("phone",)),
        Panel("service_level", "Service level (%)", 100.0, ("phone", "chat", "live"), targets),
    ], f"Escalation change: {args.contact_type} escalation probability",
        f"{args.contact_type} escalation probability", baseline=baseline)
    _study.print_table(kpis, KEY, ("escalation_rate", "transfer_asa_s", "end_to_end_time_s", "service_level"),
                       ("phone", "all"))
    _study.finish(NAME, args.out, {"kpis": kpis, "paired_vs_baseline": paired}, figure, started,
                  _study.study_info(KEY, baseline, dict(results)[baseline],
                                    x_label=f"{args.contact_type} escalation probability"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
