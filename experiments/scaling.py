"""Scaling measurements: throughput of the default scenario, memory, parallel replications.

Run alone (``python experiments/scaling.py``) or as part of ``experiments/benchmark.py``.

- **Default scenario**: contacts per second of the built-in multi-channel centre
  (skills, abandonment, escalation, interval metrics), one process, all KPIs.
- **Memory**: peak resident memory of a fresh process that runs one replication
  of M/M/50 at rho 0.9 with 1 million and 10 million contacts, with the
  per-contact log off (aggregated as it goes), and with 1 million contacts and
  the log on (streamed to Parquet in chunks).  The import baseline is printed
  too: what the run adds on top of it is what scales.
- **Overload**: microseconds per contact of a stable M/M/12 queue and of an overloaded one (15
  erlangs on 12 agents, no abandonment) over 1,000 hours in 15-minute intervals: waits that span
  thousands of intervals cost no more than short ones (the ratio is about 1).
- **Parallel replications**: wall time of 8 replications with 1 worker process
  and with 2, and the speed-up; the numbers produced are identical.  A
  pure-Python CPU task run through the same pool alongside gives the speed-up
  the shared machine allows at that moment, to read the first against.

The machine is shared and noisy: medians of repeats are printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB.

    Read from ``VmHWM`` in ``/proc/self/status`` where there is one: unlike
    ``getrusage``'s ``ru_maxrss``, it is not inherited from the parent across
    fork and exec, so a fresh child process reports its own peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def mm50(contacts: int, replications: int = 1, workers: int = 1, seed: int = 12345):
    """A config for M/M/50 at rho 0.9 (mean handle 300 s) sized for ``contacts`` per replication."""
    from sim import SimConfig, single_queue_scenario
    from sim.model.config import RunSpec, resolve_run

    rate = 540.0
    horizon = contacts / rate * 3600.0
    scenario = single_queue_scenario(rate, 300.0, 50, horizon_s=horizon)
    run = RunSpec(replications=replications, seed=seed, horizon_s=horizon, figures=False, workers=workers)
    return SimConfig(scenario, resolve_run(run, scenario))


def default_config(replications: int = 10, workers: int = 1):
    """The built-in default scenario, as `python -m sim` runs it (figures off)."""
    import yaml

    from sim.model.config import load_config

    raw = yaml.safe_load((REPO / "configs/scenario/default.yaml").read_text())
    return load_config({"scenario": raw, "run": {"replications": replications, "workers": workers, "figures": False}})


def _arrivals(result) -> int:
    reps = result.replications
    return int(reps[(reps.channel == "all") & (reps.metric == "arrivals")]["value"].sum())


def default_throughput(repeats: int = 3) -> dict:
    """Contacts per second of the default scenario (10 replications, one process)."""
    from sim import run_experiment

    config = default_config()
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = run_experiment(config)
        rates.append(_arrivals(result) / (time.perf_counter() - started))
    return {"contacts_per_s": statistics.median(rates), "runs": rates}


def overload_cost(hours: float = 1000.0, interval_minutes: float = 15.0, repeats: int = 3) -> dict:
    """Microseconds per contact of a stable queue (12 agents, 10 erlangs offered) and of one that grows
    without bound (15 erlangs, no abandonment) over ``hours`` in ``interval_minutes`` intervals, one
    replication each, interleaved, medians: waits spanning thousands of intervals must not cost more."""
    from sim import run_experiment, single_queue_scenario
    from sim.model.config import RunSpec, SimConfig, resolve_run

    def once(rate: float) -> float:
        scenario = single_queue_scenario(rate, 180.0, 12, horizon_s=hours * 3600.0, interval_minutes=interval_minutes)
        run = resolve_run(RunSpec(replications=1, seed=12345, warmup_s=0.0, horizon_s=hours * 3600.0,
                                  figures=False), scenario)
        started = time.perf_counter()
        result = run_experiment(SimConfig(scenario, run))
        return 1e6 * (time.perf_counter() - started) / _arrivals(result)

    runs: dict[str, list[float]] = {"stable": [], "overloaded": []}
    for _ in range(repeats):
        runs["stable"].append(once(200.0))
        runs["overloaded"].append(once(300.0))
    stable, overloaded = statistics.median(runs["stable"]), statistics.median(runs["overloaded"])
    return {"hours": hours, "interval_minutes": interval_minutes, "us_per_contact_stable": stable,
            "us_per_contact_overloaded": overloaded, "ratio": overloaded / stable, "runs": runs}


def spin(n: int) -> int:
    """Pure-Python CPU work with nothing shared: the machine's own ceiling for a 2-process speed-up."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def _reference_seconds(workers: int, tasks: int, n: int) -> float:
    started = time.perf_counter()
    if workers == 1:
        for _ in range(tasks):
            spin(n)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            list(pool.map(spin, [n] * tasks))
    return time.perf_counter() - started


def parallel_speedup(contacts: int = 100_000, replications: int = 8, repeats: int = 3) -> dict:
    """Wall time of ``replications`` with 1 and with 2 worker processes.

    Interleaved with the same pool running :func:`spin` tasks of similar length,
    whose speed-up is what this (shared) machine allows at that moment.
    """
    from sim import run_experiment

    times = {1: [], 2: []}
    reference = {1: [], 2: []}
    tables = {}
    spin_n = max(1000, contacts * 12)  # roughly one replication's CPU time
    for _ in range(repeats):
        for workers in (1, 2):
            started = time.perf_counter()
            result = run_experiment(mm50(contacts, replications, workers))
            times[workers].append(time.perf_counter() - started)
            tables[workers] = result.summary
            reference[workers].append(_reference_seconds(workers, replications, spin_n))
    identical = tables[1].equals(tables[2])
    t1, t2 = statistics.median(times[1]), statistics.median(times[2])
    r1, r2 = statistics.median(reference[1]), statistics.median(reference[2])
    return {"replications": replications, "contacts_per_replication": contacts, "seconds_1_worker": t1,
            "seconds_2_workers": t2, "speedup": t1 / t2, "machine_ceiling_speedup": r1 / r2,
            "identical_results": identical}


def memory_child(contacts: int, log: bool) -> dict:
    """Run in a fresh process: peak RSS after imports and after one replication of ``contacts``."""
    import sim  # noqa: F401  (the import baseline)
    from sim import run_experiment

    baseline = peak_rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = run_experiment(mm50(contacts), contact_log=Path(tmp) / "contacts.parquet" if log else None)
        seconds = time.perf_counter() - started
    return {"contacts": _arrivals(result), "log": log, "seconds": seconds, "import_mb": baseline,
            "peak_mb": peak_rss_mb()}


def memory(sizes=(1_000_000, 10_000_000), log_size: int | None = 1_000_000) -> list[dict]:
    """Peak RSS of fresh processes running :func:`memory_child`."""
    runs = [(n, False) for n in sizes] + ([(log_size, True)] if log_size else [])
    out = []
    for n, log in runs:
        cmd = [sys.executable, __file__, "--memory-child", str(n)] + (["--log"] if log else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def format_report(out: dict) -> str:
    lines = []
    if "default" in out:
        d = out["default"]
        lines.append(f"default scenario (10 replications, 1 process): {d['contacts_per_s']:,.0f} contacts/s "
                     f"(runs: {', '.join(f'{r:,.0f}' for r in d['runs'])})")
    if "parallel" in out:
        p = out["parallel"]
        lines.append(f"parallel: {p['replications']} replications x {p['contacts_per_replication']:,} contacts: "
                     f"1 worker {p['seconds_1_worker']:.2f} s, 2 workers {p['seconds_2_workers']:.2f} s, "
                     f"speed-up {p['speedup']:.2f}x (pure-CPU reference on the same pool: "
                     f"{p['machine_ceiling_speedup']:.2f}x), identical results: {p['identical_results']}")
    if "overload" in out:
        o = out["overload"]
        lines.append(f"overload: {o['hours']:g} h in {o['interval_minutes']:g}-minute intervals: stable queue "
                     f"{o['us_per_contact_stable']:.2f} us/contact, overloaded (queue grows without bound) "
                     f"{o['us_per_contact_overloaded']:.2f} us/contact, ratio {o['ratio']:.2f}")
    for m in out.get("memory", []):
        lines.append(f"memory: {m['contacts']:>10,} contacts, log {'on ' if m['log'] else 'off'}: peak RSS "
                     f"{m['peak_mb']:.0f} MiB (imports {m['import_mb']:.0f} MiB), {m['seconds']:.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    from sim.engine.options import count, parser as new_parser

    parser = new_parser("python experiments/scaling.py", __doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=count(minimum=1), default=3)
    parser.add_argument("--memory-sizes", type=count(minimum=1), nargs="*", default=[1_000_000, 10_000_000],
                        help="contacts per memory run (log off); none to skip")
    parser.add_argument("--memory-log-size", type=count(minimum=0), default=1_000_000,
                        help="contacts for the log-on run; 0 skips")
    parser.add_argument("--memory-child", type=count(minimum=1), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--log", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here (a file, not a folder)")
    args = parser.parse_args(argv)
    if args.json is not None and args.json.is_dir():
        parser.error(f"argument --json: {args.json} is a folder; expected a file to write")
    if args.memory_child is not None:
        print(json.dumps(memory_child(args.memory_child, args.log)))
        return {}
    out = {"default": default_throughput(args.repeats), "parallel": parallel_speedup(repeats=args.repeats),
           "overload": overload_cost(repeats=args.repeats)}
    if args.memory_sizes or args.memory_log_size:
        out["memory"] = memory(tuple(args.memory_sizes), args.memory_log_size or None)
    print(format_report(out))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main()
