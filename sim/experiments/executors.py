"""Where replications run: local processes or a Dask cluster (``run.executor``).

:func:`map_replications` runs :func:`sim.experiments.replicate.replicate` for a list of
replication numbers and returns the outputs in replication order, whatever the
executor.  Replication ``r`` depends only on ``(seed, r)`` (its own random
streams), so the executor and the number of workers never change the numbers.

- ``processes`` (default): ``run.workers`` processes on this machine (0 = one
  per CPU core available to this process; 1 = in this process, no pool).
- ``dask``: with ``run.scheduler_address: null``, a ``distributed.LocalCluster``
  of ``run.workers`` single-threaded worker processes (0 = one per core) is
  started for the job and closed at its end; else a ``distributed.Client``
  connects to that scheduler (``tcp://host:8786``) and the cluster's workers run
  the replications (``run.workers`` is then not used).  Workers need the ``sim``
  package installed (same version), and with ``run.save_contacts`` they write
  the per-contact log parts to the run's folder, so a remote cluster needs that
  folder on a file system shared with the workers.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Callable, Sequence

from sim.engine.errors import ConfigError
from sim.experiments.replicate import replicate
from sim.model.config import EXECUTORS, SimConfig

__all__ = ["EXECUTORS", "map_replications", "available_cores"]

#: seconds to wait for a remote Dask scheduler before giving up
CONNECT_TIMEOUT_S = 10

Progress = Callable[[int, int], None] | None


def available_cores() -> int:
    """CPU cores this process may use (respects affinity masks, e.g. a Slurm allocation)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def map_replications(config: SimConfig, reps: Sequence[int], log_paths: Sequence[Path | None] | None = None,
                     progress: Progress = None) -> list[dict]:
    """``[replicate(config, r, log_path) for r in reps]``, run by ``config.run.executor``.

    ``log_paths``: one Parquet part file (or ``None``) per replication.  ``progress(done, total)``
    is called as replications finish (in any order); the result is in the order of ``reps``.
    """
    reps = list(reps)
    paths = list(log_paths) if log_paths is not None else [None] * len(reps)
    if len(paths) != len(reps):
        raise ValueError(f"{len(paths)} log paths for {len(reps)} replications")
    if not reps:
        return []
    executor = getattr(config.run, "executor", "processes")
    if executor == "dask":
        return _dask(config, reps, paths, progress)
    if executor != "processes":
        raise ConfigError("run.executor", f"expected one of {', '.join(EXECUTORS)}, got {executor!r}")
    return _processes(config, reps, paths, progress)


def _workers(workers: int, tasks: int) -> int:
    return max(1, min(workers or available_cores(), tasks))


def _processes(config: SimConfig, reps: list[int], paths: list, progress: Progress) -> list[dict]:
    n = len(reps)
    workers = _workers(config.run.workers, n)
    if workers == 1:
        outputs = []
        for done, (rep, path) in enumerate(zip(reps, paths), start=1):
            outputs.append(replicate(config, rep, path))
            if progress:
                progress(done, n)
        return outputs
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(replicate, config, rep, path) for rep, path in zip(reps, paths)]
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress:
                progress(done, n)
        return [future.result() for future in futures]


def _dask(config: SimConfig, reps: list[int], paths: list, progress: Progress) -> list[dict]:
    import logging

    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_as_completed

    address = getattr(config.run, "scheduler_address", None)
    n = len(reps)
    cluster = None
    try:
        if address is None:
            cluster = LocalCluster(n_workers=_workers(config.run.workers, n), threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
        else:
            try:
                client = Client(address, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError) as exc:
                raise ConfigError("run.scheduler_address",
                                  f"cannot connect to a Dask scheduler at {address!r}: {exc}") from None
        with client:
            [shared] = client.scatter([config], broadcast=True)
            futures = [client.submit(replicate, shared, rep, path, pure=False) for rep, path in zip(reps, paths)]
            for done, _ in enumerate(dask_as_completed(futures), start=1):
                if progress:
                    progress(done, n)
            return client.gather(futures)
    finally:
        if cluster is not None:
            cluster.close()
