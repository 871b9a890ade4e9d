"""Sweep tables and figures: what happens when a Hydra multirun ends (the command-line edge).

:class:`SweepCallback` (``hydra.callbacks`` in ``configs/config.yaml``) calls
:func:`write_sweep` when a multirun ends: every point's results are collected
into one tidy table (:func:`sim.experiments.sweeps.collect_sweep`), written as
``sweep.csv`` and ``sweep.parquet``, with the sweep figures
(:mod:`sim.reporting.sweep_figures`).  ``python -m sim.sweep <sweep dir>`` does
it by hand (e.g. after an interrupted sweep).  The sweep machinery (expansion,
done markers, failures, collection) lives in :mod:`sim.experiments.sweeps`; its
names are importable from here too.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.errors import ConfigError
from sim.engine.options import fail, parser
from sim.experiments.files import atomic_write
from sim.experiments.sweeps import (DONE, ERROR, SUMMARY, SUMMARY_COLUMNS, SweepSpecError, clear_status, collect_sweep,
                                    expand_sweep, is_done, job_folders, mark_done, point_dirname, point_folders,
                                    record_failure, summarise, sweep_points, swept_keys)

try:  # Hydra is a dependency; the callback base class is only needed when Hydra runs the sweep
    from hydra.experimental.callback import Callback as _Callback
except ImportError:  # pragma: no cover
    _Callback = object

#: ``${sim_point:num,override_dirname}`` in configs/config.yaml (hydra.sweep.subdir) names each point's
#: folder (:func:`sim.experiments.sweeps.point_dirname`). Registered when this module is imported:
#: in the main process when Hydra instantiates :class:`SweepCallback`, and in a launcher's worker
#: processes when they unpickle it, before they resolve the point's folder.
try:
    from omegaconf import OmegaConf

    if not OmegaConf.has_resolver("sim_point"):
        OmegaConf.register_new_resolver("sim_point", point_dirname)
except ImportError:  # pragma: no cover
    pass

__all__ = ["DONE", "ERROR", "SUMMARY", "SUMMARY_COLUMNS", "SweepSpecError", "SweepCallback", "expand_sweep",
           "sweep_points", "is_done", "mark_done", "clear_status", "record_failure", "collect_sweep", "point_folders",
           "swept_keys", "summarise", "write_sweep", "main"]


def write_sweep(sweep_dir: str | Path, *, figures: bool = True) -> list[Path]:
    """Collect the sweep (:func:`collect_sweep`) and write ``sweep.csv``, ``sweep.parquet`` and the
    sweep figures into ``sweep_dir``; returns the files written."""
    sweep_dir = Path(sweep_dir)
    table = collect_sweep(sweep_dir)
    written = [
        atomic_write(sweep_dir / "sweep.csv", lambda tmp: table.to_csv(tmp, index=False, float_format="%.10g")),
        atomic_write(sweep_dir / "sweep.parquet", lambda tmp: table.to_parquet(tmp, index=False)),
    ]
    if figures:
        from sim.reporting import sweep_figures as sweep_plots
        from sim.reporting.style import save_figures

        swept_target = any("service_level_target" in k for k in swept_keys(table))
        targets, deferrable = _channels(sweep_dir)
        written.extend(save_figures(sweep_plots.sweep_figures(table, None if swept_target else targets, deferrable),
                                    sweep_dir))
    return written


def _channels(sweep_dir: Path) -> tuple[dict[str, float] | None, list[str]]:
    """``({channel: service-level target}, deferrable channels)`` from the first point's ``config.yaml``
    that validates (for the target lines and the wait panels of the sweep figures); ``(None, [])`` if
    none does. A ``config.yaml`` that is not YAML is a :class:`ConfigError` naming it."""
    from sim.reporting.run_page import read_config

    for folder in job_folders(sweep_dir):
        _, config, _, _ = read_config(folder)
        if config is not None:
            channels = config.scenario.channels
            return ({name: ch.service_level_target for name, ch in channels.items()},
                    [name for name, ch in channels.items() if ch.deferrable])
    return None, []


class SweepCallback(_Callback):
    """Hydra callback (``hydra.callbacks`` in configs/config.yaml): when a multirun ends, write
    the sweep table and figures into the sweep folder."""

    def __init__(self, figures: bool = True) -> None:
        self.figures = figures

    def on_multirun_end(self, config, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        figures = self.figures and bool(config.get("run", {}).get("figures", True))
        try:
            written = write_sweep(sweep_dir, figures=figures)
            table = pd.read_parquet(written[1])
            print(service_level_table(table))
            from sim.reporting.grid_page import replaced_profiles

            for line in replaced_profiles(sweep_dir, swept_keys(table), table):
                print(f"sim: note: {line}")
            print(f"sweep: {summarise(table)} points; table: {written[0]}")
        except Exception as exc:  # the points' own results are on disk whatever happens here
            print(f"sim: warning: sweep table not written: {type(exc).__name__}: {exc}", file=sys.stderr)


def service_level_table(table: pd.DataFrame) -> str:
    """The sweep at a glance: one row per point (its swept values), the mean service level per channel."""
    keys = swept_keys(table)
    sl = table[(table["metric"] == "service_level") & ~table["channel"].isin(("all", "live"))]
    if sl.empty:
        return "no service level in the sweep table"
    wide = sl.pivot_table(index=keys or ["status"], columns="channel", values="mean", sort=False) * 100.0
    wide.columns = [f"{c} SL %" for c in wide.columns]
    wide.index.names = [k.rsplit(".", 1)[-1] for k in wide.index.names]
    return wide.round(1).to_string()


PROG = "sim.sweep"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.sweep <sweep dir>``: (re)write the sweep table and figures by hand. A folder
    without a sweep, or a ``multirun.yaml``, ``overrides.yaml`` or point ``config.yaml`` that cannot be
    read, is one line on stderr naming it, exit status 2; a point whose ``summary.csv`` cannot be read
    is a failed point of the table, with the reason."""
    cli = parser("python -m sim.sweep", main.__doc__)
    cli.add_argument("sweep_dir", type=Path, help="the sweep folder (hydra.sweep.dir)")
    cli.add_argument("--no-figures", action="store_true", help="write the table only")
    args = cli.parse_args(argv)
    folder = args.sweep_dir
    if not folder.is_dir():
        return fail(PROG, ConfigError(str(folder), "is a file; expected a sweep folder (hydra.sweep.dir)"
                                      if folder.exists() else "no such folder"))
    try:
        if not job_folders(folder):
            return fail(PROG, ConfigError(str(folder), "no sweep in this folder (no point folder with "
                                          ".hydra/overrides.yaml: give the hydra.sweep.dir of a python -m sim -m run)"))
        written = write_sweep(folder, figures=not args.no_figures)
    except ConfigError as exc:
        return fail(PROG, exc)
    except OSError as exc:
        return fail(PROG, ConfigError(str(getattr(exc, "filename", None) or folder),
                                      f"cannot be written: {exc.strerror or exc}"))
    table = pd.read_parquet(written[1])
    print(f"sweep: {summarise(table)} points; table: {written[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
