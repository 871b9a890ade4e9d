"""A run's folder: its tables as CSV and its figures as PNG.

:func:`write_outputs` is what ``python -m sim`` writes after the
replications: ``intervals.csv``, ``groups.csv``, ``replications.csv`` (and
``days.csv`` for multi-day runs), the interval figures under ``figures/``,
and ``summary.csv`` last, so a folder with a ``summary.csv`` has everything.
"""

from __future__ import annotations

from pathlib import Path

from sim.experiments.kpis import wait_units
from sim.experiments.replications import ExperimentResult, write_tables
from sim.reporting import run_figures

__all__ = ["write_outputs"]


def write_outputs(result: ExperimentResult, folder: Path, *, figures: bool = True) -> list[Path]:
    """Write the tables (and figures) of ``result`` into ``folder``; returns the files written.

    Each file is written atomically (:func:`~sim.experiments.files.atomic_write`); ``summary.csv`` comes last.
    """
    def write_figures() -> list[Path]:
        if not figures:
            return []
        targets = {name: (ch.service_level_threshold_s, ch.service_level_target)
                   for name, ch in result.config.scenario.channels.items()}
        deferrable = wait_units(result.config.scenario.channels)
        drawn = run_figures.interval_figures(result.intervals, targets, deferrable=deferrable,
                                             group_intervals=result.group_intervals)
        return run_figures.save_figures(drawn, folder / "figures")

    return write_tables(result, folder, before_summary=write_figures)
