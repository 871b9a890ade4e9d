"""``python -m sim.compare BASELINE ALTERNATIVE``: paired differences of every KPI of two run folders.

Two runs of ``python -m sim`` with the same ``run.seed`` see the same customers in each
replication (common random numbers), so their KPIs are paired; this command prints, for the
headline KPIs, the paired difference (alternative - baseline) with its confidence interval and a
verdict ("significantly better / worse / no detectable difference"), and writes every KPI's row as
``comparison.csv`` into the alternative's folder.  A KPI of a mechanism that only one run has
(balking, trunk lines, after-call work) is compared at the other run's exact value without it (0
balked, 0 s of wrap-up; :data:`~sim.experiments.comparison.MECHANISM_OFF`), which its ``note`` says.  The statistics live in
:mod:`sim.experiments.comparison`; its functions are importable from here too::

    from sim import run_experiment
    from sim.compare import compare

    base = run_experiment(config)                      # same run.seed in both
    alt = run_experiment(alternative_config)
    table = compare(base, alt)                         # one row per channel x metric
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd

from sim.engine.errors import ConfigError
from sim.engine.options import confidence, fail, parser
from sim.experiments.comparison import (COMPARE_COLUMNS, MECHANISM_OFF, compare, compare_folders, compare_replications,
                                       with_verdicts)

__all__ = ["COMPARE_COLUMNS", "compare", "compare_replications", "compare_folders", "with_verdicts", "main"]

PROG = "sim.compare"


def main(argv: list[str] | None = None) -> int:
    """Compare two run folders; bad folders or options are one line on stderr and exit status 2."""
    cli = parser("python -m sim.compare", "Paired differences (alternative - baseline) of every KPI of two run "
                                           "folders written by python -m sim with the same run.seed.")
    cli.add_argument("baseline", type=Path, help="the baseline's run folder")
    cli.add_argument("alternative", type=Path, help="the alternative's run folder (comparison.csv is written there)")
    cli.add_argument("--confidence", type=confidence(), default=None,
                     help="confidence level of the intervals, between 0 and 1 (default: the baseline's run.confidence)")
    args = cli.parse_args(argv)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = compare_folders(args.baseline, args.alternative, args.confidence)
    except ConfigError as exc:
        return fail(PROG, exc)
    for warning in caught:  # the unpaired-seeds warning, as one line (numpy's RuntimeWarnings are not news)
        if issubclass(warning.category, UserWarning):
            print(f"{PROG}: warning: {warning.message}", file=sys.stderr)
    path = args.alternative / "comparison.csv"
    try:
        table.to_csv(path, index=False, float_format="%.10g")
    except OSError as exc:
        return fail(PROG, ConfigError(str(path), f"cannot be written: {exc.strerror or exc}"))
    headline = ["service_level", "asa_s", "abandon_rate", "occupancy", "aht_s", *MECHANISM_OFF]
    shown = with_verdicts(table[table.metric.isin(headline)])
    if not shown["note"].astype(bool).any():
        shown = shown.drop(columns="note")  # a note only says that a run lacks a mechanism the other has
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 60):
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
