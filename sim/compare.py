"""``python -m sim.compare BASELINE ALTERNATIVE``: paired differences of every KPI of two run folders.

Two runs of ``python -m sim`` with the same ``run.seed`` see the same customers in each
replication (common random numbers), so their KPIs are paired; this command prints, for the
headline KPIs, the paired difference (alternative - baseline) with its confidence interval and a
verdict ("significantly better / worse / no detectable difference"), and writes every KPI's row as
``comparison.csv`` into the alternative's folder.  The statistics live in
:mod:`sim.experiments.comparison`; its functions are importable from here too::

    from sim import run_experiment
    from sim.compare import compare

    base = run_experiment(config)                      # same run.seed in both
    alt = run_experiment(alternative_config)
    table = compare(base, alt)                         # one row per channel x metric
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.experiments.comparison import COMPARE_COLUMNS, compare, compare_folders, compare_replications, with_verdicts

__all__ = ["COMPARE_COLUMNS", "compare", "compare_replications", "compare_folders", "with_verdicts", "main"]


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m sim.compare",
                                     description="Paired differences (alternative - baseline) of every KPI.")
    parser.add_argument("baseline", type=Path)
    parser.add_argument("alternative", type=Path)
    parser.add_argument("--confidence", type=float, default=None)
    args = parser.parse_args(argv)
    try:
        table = compare_folders(args.baseline, args.alternative, args.confidence)
    except ValueError as exc:
        print(f"sim.compare: error: {exc}", file=sys.stderr)
        return 2
    path = args.alternative / "comparison.csv"
    table.to_csv(path, index=False, float_format="%.10g")
    shown = with_verdicts(table[table.metric.isin(["service_level", "asa_s", "abandon_rate", "occupancy", "aht_s"])])
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
