"""Speed benchmark: the simulator against Ciw and plain SimPy on one M/M/c queue.

What it measures
----------------
Throughput (contacts simulated per second of wall-clock time) of three engines
on the same M/M/c queue — by default M/M/50 at load rho = 0.9 with a mean
handle time of 300 s (540 contacts/hour) and about 200,000 contacts:

``sim``
    this package through its public API, *with all KPIs computed*:
    :func:`sim.single_queue_scenario` + :class:`sim.RunSpec` (one replication,
    no warm-up, no figures) resolved with :func:`sim.model.config.resolve_run`, and
    :func:`sim.run_experiment`, which simulates and then builds the summary,
    per-interval and per-group tables.  Contacts = ``arrivals`` of channel
    ``all`` in ``result.summary``.
``ciw``
    Ciw 3.x: ``create_network`` / ``Simulation`` / ``simulate_until_max_time``.
    Contacts = ``len(get_all_records())`` (services completed by the horizon).
``simpy``
    plain idiomatic SimPy: a source process with exponential gaps, one process
    per contact that requests a ``simpy.Resource(capacity=agents)``, holds it
    for an exponential service time and releases it; waits go into a list and
    SL(20 s) and mean wait are computed at the end.  Contacts = contacts served
    (arrivals stop at the horizon, the run drains).

The horizon is ``H = contacts / arrival rate``, so each engine sees about the
requested number of contacts (Poisson).  Each timing covers everything that
engine does for a result (building the model, simulating, computing SL and
mean wait, or all of the simulator's tables).  Repeats run interleaved
(sim, ciw, simpy, sim, ciw, simpy, ...) with the same seed each time, so every
engine does identical work in every repeat and machine noise hits all alike.
The report gives the median contacts/s of each engine (no run is discarded),
the simulator's ratios to Ciw and to plain SimPy, the process's peak RSS, and
a sanity line comparing SL(20 s) and mean wait of each engine with Erlang C.

Then, unless ``--peers-only``, the scaling part (``experiments/scaling.py``):
the default multi-channel scenario's contacts/s on one core, peak RSS of fresh
processes running 1 million and 10 million contacts (log off) and 1 million
with the per-contact log streamed to Parquet, and the speed-up of 8
replications on 2 worker processes, and the cost per contact of a queue that grows without bound
over 1,000 hours against a stable one.  The whole run takes a few minutes.

How to run
----------
::

    python experiments/benchmark.py                     # 200,000 contacts, 5 repeats, then scaling
    python experiments/benchmark.py --contacts 50000 --repeats 3 --peers-only --json bench.json

Options: ``--contacts``, ``--repeats``, ``--agents``, ``--rho``,
``--mean-handle-s``, ``--seed``, ``--json PATH``.

The machine is shared (and small), so absolute contacts/s move from run to run:
quote the *ratios* and *medians*, not single timings.  Peak RSS is of the whole
process (``ru_maxrss``, all engines and repeats), an upper bound for each
engine; the peak after the imports and after the first simulator run (printed
too) come before any Ciw or plain-SimPy run.  One replication of 200,000 contacts has a 95%
half-width of about +-3 pp on SL(20 s) and +-13% on mean wait, so the sanity
line only catches gross errors.

Ciw's seed (``ciw.seed``) is global; it is set once before each Ciw run, here
only.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import resource
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = [
    "Params",
    "EngineRun",
    "ENGINES",
    "params_from",
    "run_sim",
    "run_ciw",
    "run_simpy",
    "benchmark",
    "erlang_reference",
    "format_report",
    "peak_rss_mb",
    "main",
]

SL_THRESHOLD_S = 20.0


@dataclass(frozen=True)
class Params:
    """One M/M/c benchmark problem (rates per hour, times in seconds)."""

    contacts: int = 200_000
    agents: int = 50
    rho: float = 0.9
    mean_handle_s: float = 300.0
    seed: int = 12345

    @property
    def arrival_rate_per_hour(self) -> float:
        return self.rho * self.agents * 3600.0 / self.mean_handle_s

    @property
    def horizon_s(self) -> float:
        """Chosen so that ``contacts`` arrive on average."""
        return self.contacts / self.arrival_rate_per_hour * 3600.0

    @property
    def expected_contacts(self) -> float:
        return self.arrival_rate_per_hour * self.horizon_s / 3600.0


@dataclass(frozen=True)
class EngineRun:
    """One timed run of one engine."""

    engine: str
    contacts: int
    seconds: float
    service_level: float  # share of contacts answered within SL_THRESHOLD_S
    mean_wait_s: float

    @property
    def contacts_per_s(self) -> float:
        return self.contacts / self.seconds if self.seconds > 0 else math.nan


def params_from(contacts: int = 200_000, agents: int = 50, rho: float = 0.9, mean_handle_s: float = 300.0,
                seed: int = 12345) -> Params:
    if contacts <= 0 or agents <= 0 or mean_handle_s <= 0 or not 0 < rho < 1:
        raise ValueError("need contacts > 0, agents > 0, mean handle > 0 and 0 < rho < 1")
    return Params(contacts, agents, rho, mean_handle_s, seed)


# ------------------------------------------------------------------ engines


def run_sim(p: Params) -> EngineRun:
    """The simulator through its public API, with all KPI tables computed."""
    from sim import RunSpec, SimConfig, run_experiment, single_queue_scenario
    from sim.model.config import resolve_run

    scenario = single_queue_scenario(p.arrival_rate_per_hour, p.mean_handle_s, p.agents, horizon_s=p.horizon_s,
                                     service_level_threshold_s=SL_THRESHOLD_S)
    run = resolve_run(RunSpec(replications=1, seed=p.seed, warmup_s=0.0, horizon_s=p.horizon_s, figures=False),
                      scenario)
    config = SimConfig(scenario, run)
    start = time.perf_counter()
    result = run_experiment(config)
    seconds = time.perf_counter() - start
    kpi = {m: v for ch, m, v in result.summary[["channel", "metric", "mean"]].itertuples(index=False)
           if ch == "all"}
    return EngineRun("sim", int(kpi["arrivals"]), seconds, float(kpi["service_level"]), float(kpi["mean_wait_s"]))


def run_ciw(p: Params) -> EngineRun:
    """Ciw 3.x on the same queue; SL and mean wait from its records."""
    import ciw

    lam = p.arrival_rate_per_hour / 3600.0
    mu = 1.0 / p.mean_handle_s
    ciw.seed(p.seed)  # global: acceptable inside this benchmark only
    start = time.perf_counter()
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(lam)],
        service_distributions=[ciw.dists.Exponential(mu)],
        number_of_servers=[p.agents],
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(p.horizon_s)
    records = simulation.get_all_records()
    waits = [r.waiting_time for r in records]
    n = len(waits)
    sl = sum(1 for w in waits if w <= SL_THRESHOLD_S) / n if n else math.nan
    mean_wait = sum(waits) / n if n else math.nan
    seconds = time.perf_counter() - start
    return EngineRun("ciw", n, seconds, sl, mean_wait)


def run_simpy(p: Params) -> EngineRun:
    """Plain idiomatic SimPy: a process per contact and a ``simpy.Resource``."""
    import simpy

    rng = random.Random(p.seed)  # a private generator, not the global one
    lam = p.arrival_rate_per_hour / 3600.0
    mu = 1.0 / p.mean_handle_s
    horizon = p.horizon_s
    start = time.perf_counter()
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=p.agents)
    waits: list[float] = []

    def contact(env, arrived):
        with agents.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(mu))

    def source(env):
        while True:
            yield env.timeout(rng.expovariate(lam))
            if env.now >= horizon:
                return
            env.process(contact(env, env.now))

    env.process(source(env))
    env.run()  # arrivals stop at the horizon; the queue drains
    n = len(waits)
    sl = sum(1 for w in waits if w <= SL_THRESHOLD_S) / n if n else math.nan
    mean_wait = sum(waits) / n if n else math.nan
    seconds = time.perf_counter() - start
    return EngineRun("simpy", n, seconds, sl, mean_wait)


ENGINES = {"sim": run_sim, "ciw": run_ciw, "simpy": run_simpy}


# ---------------------------------------------------------------- benchmark


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux: ru_maxrss in KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024.0 if sys.platform != "darwin" else kib / 1024.0 / 1024.0


def erlang_reference(p: Params) -> dict[str, float] | None:
    """Erlang C SL(20 s) and mean wait, or ``None`` if :mod:`sim.erlang` is not there."""
    try:
        from sim.erlang import erlang_c_metrics
    except ImportError:
        return None
    m = erlang_c_metrics(p.arrival_rate_per_hour, p.mean_handle_s, p.agents, SL_THRESHOLD_S)
    return {"service_level": float(m.service_level), "mean_wait_s": float(m.mean_wait_s)}


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 and math.isfinite(a) and math.isfinite(b) else math.nan


def benchmark(p: Params, repeats: int = 3, engines=ENGINES, progress=None) -> dict:
    """Run every engine ``repeats`` times, interleaved; returns the numbers as a dict."""
    if repeats < 1:
        raise ValueError("repeats must be >= 1")
    import ciw, simpy, sim, sim.model.config  # noqa: E401,F401  (imports out of the timings and the baseline RSS)

    baseline_rss = peak_rss_mb()
    runs: dict[str, list[EngineRun]] = {name: [] for name in engines}
    rss_after_first: dict[str, float] = {}
    for rep in range(repeats):
        for name, fn in engines.items():
            gc.collect()
            r = fn(p)
            runs[name].append(r)
            rss_after_first.setdefault(name, peak_rss_mb())
            if progress is not None:
                progress(f"  repeat {rep + 1}/{repeats}  {name:<5} {r.contacts:>8,d} contacts "
                         f"in {r.seconds:7.2f} s  = {r.contacts_per_s:>9,.0f} contacts/s")
    median = {name: statistics.median(r.contacts_per_s for r in rs) for name, rs in runs.items()}
    ratios = {}
    if "sim" in median:
        ratios = {f"sim/{other}": _ratio(median["sim"], median[other]) for other in median if other != "sim"}
    return {
        "params": asdict(p) | {"arrival_rate_per_hour": p.arrival_rate_per_hour, "horizon_s": p.horizon_s,
                               "expected_contacts": p.expected_contacts, "sl_threshold_s": SL_THRESHOLD_S},
        "repeats": repeats,
        "runs": {name: [asdict(r) | {"contacts_per_s": r.contacts_per_s} for r in rs] for name, rs in runs.items()},
        "median_contacts_per_s": median,
        "ratios": ratios,
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_mb_before_runs": baseline_rss,
        "peak_rss_mb_after_first_run": rss_after_first,
        "erlang_c": erlang_reference(p),
        "python": sys.version.split()[0],
    }


def format_report(out: dict) -> str:
    p = out["params"]
    lines = [
        f"M/M/{p['agents']} rho {p['rho']:g}, mean handle {p['mean_handle_s']:g} s, "
        f"{p['arrival_rate_per_hour']:g} contacts/h, horizon {p['horizon_s'] / 3600:.2f} h "
        f"(~{p['expected_contacts']:,.0f} contacts), seed {p['seed']}, {out['repeats']} repeat(s), median shown",
        f"{'engine':<8}{'contacts/s':>12}{'runs (contacts/s)':>40}",
    ]
    for name, rate in out["median_contacts_per_s"].items():
        each = ", ".join(f"{r['contacts_per_s']:,.0f}" for r in out["runs"][name])
        lines.append(f"{name:<8}{rate:>12,.0f}{each:>40}")
    for key, value in out["ratios"].items():
        lines.append(f"ratio {key}: {value:.2f}x")
    rss = ", ".join(f"after first {k}: {v:,.0f}" for k, v in out["peak_rss_mb_after_first_run"].items())
    lines.append(f"peak RSS: {out['peak_rss_mb']:,.0f} MiB (cumulative peak after imports: "
                 f"{out['peak_rss_mb_before_runs']:,.0f}, {rss} MiB)")
    firsts = {name: rs[0] for name, rs in out["runs"].items()}
    sanity = "  ".join(f"{name} {100 * r['service_level']:.1f}% / {r['mean_wait_s']:.1f} s"
                       for name, r in firsts.items())
    ref = out["erlang_c"]
    if ref is not None:
        lines.append(f"sanity SL({p['sl_threshold_s']:g} s) / mean wait: {sanity}  "
                     f"| Erlang C {100 * ref['service_level']:.1f}% / {ref['mean_wait_s']:.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    from sim.engine.options import LIMITS, count, number, parser as new_parser

    parser = new_parser("python experiments/benchmark.py", __doc__.split("\n\n")[0],
                        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--contacts", type=count(minimum=1), default=200_000, help="expected contacts per run")
    parser.add_argument("--repeats", type=count(minimum=1), default=5, help="runs of each engine (median reported)")
    parser.add_argument("--agents", type=count(minimum=1, maximum=LIMITS["agents"]), default=50)
    parser.add_argument("--rho", type=number(positive=True, maximum=1), default=0.9, help="load per agent, 0 < rho < 1")
    parser.add_argument("--mean-handle-s", type=number(positive=True, unit="seconds"), default=300.0)
    parser.add_argument("--seed", type=count(minimum=0), default=12345)
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="also write the numbers here (a file, not a folder)")
    parser.add_argument("--peers-only", action="store_true",
                        help="skip the scaling part (default scenario, memory at 1M/10M contacts, parallel)")
    args = parser.parse_args(argv)
    if args.json is not None and args.json.is_dir():
        parser.error(f"argument --json: {args.json} is a folder; expected a file to write")
    try:
        p = params_from(args.contacts, args.agents, args.rho, args.mean_handle_s, args.seed)
    except ValueError as err:
        parser.error(str(err))
    out = benchmark(p, args.repeats, progress=lambda line: print(line, flush=True))
    print(format_report(out))
    if not args.peers_only:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import scaling

        out["scaling"] = {"default": scaling.default_throughput(args.repeats),
                          "parallel": scaling.parallel_speedup(repeats=args.repeats),
                          "overload": scaling.overload_cost(repeats=args.repeats),
                          "memory": scaling.memory()}
        print(scaling.format_report(out["scaling"]))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {args.json}")
    return out


if __name__ == "__main__":
    main()
