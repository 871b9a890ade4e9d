"""Staffing optimiser on the default scenario: the fewest agents per group and interval that meet
every channel's service-level target, by simulation with common random numbers, seeded by Erlang A.

    python experiments/staffing_optimiser.py                     # ~10 s; results/studies/staffing_optimiser/
    python experiments/staffing_optimiser.py --max-asa phone=30 --max-abandon phone=0.05

The search (``sim.planning.staffing.optimise_staffing``) judges each candidate on the mean over
``--replications`` replications with one seed; the answer is then checked in a fresh simulation
(another seed, ``--verify-replications`` replications). When that check misses a target (its mean)
in more intervals than ``--max-missed-intervals`` (default 0), the search was too noisy to decide
them: they get one agent more and the plan is checked again on new customers with twice the
replications, up to ``--max-replications``; a plan that still misses is refused (exit status 1, the
tables written for inspection). Next to the plan, the probability that each interval meets its
targets given the replications used (search and last check). The binding
interval where one agent fewer fell furthest below target is also checked with that agent removed.

Writes ``requirements.csv`` (per interval: agents per group, binding flags, the total, the Erlang A
seed and the Erlang C requirement, whether the targets are met in the search and in the fresh check
and the probability that they are given the replications used, ``p_meets_target`` and
``check_p_meets_target``), ``verification.csv`` (per interval and channel: KPIs with t-intervals in
the fresh simulation, offered, met, ``p_meets_target``), ``one_fewer.csv`` (the same with one agent fewer in
the most binding interval), ``requirements.png`` (stacked requirement against Erlang C) and
``verification.png`` (service level with CI bands against the targets).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402

from sim.engine.errors import ConfigError  # noqa: E402
from sim.engine.options import LIMITS, channel_values, count, fail  # noqa: E402
from sim.model.metrics import clock_label  # noqa: E402
from sim.reporting.style import save_figures  # noqa: E402
from sim.planning.staffing import Targets, plan_staffing, verify  # noqa: E402
from sim.reporting.workforce_figures import requirements_figure, verification_figure  # noqa: E402

NAME = "staffing_optimiser"


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__, replications=20)
    reps = count(minimum=2, maximum=LIMITS["replications"])
    p.add_argument("--verify-replications", type=reps, default=40,
                   help=f"replications of the fresh check, 2 to {LIMITS['replications']:,} (default 40)")
    p.add_argument("--max-asa", nargs="*", default=[], metavar="CHANNEL=S",
                   help="ASA caps per channel, in seconds above 0")
    p.add_argument("--max-abandon", nargs="*", default=[], metavar="CHANNEL=SHARE",
                   help="abandonment caps per channel, shares in [0, 1]")
    p.add_argument("--max-missed-intervals", type=count(minimum=0), default=0,
                   help="intervals the fresh check may miss a target in before the plan is refused (default 0)")
    p.add_argument("--max-replications", type=reps, default=320,
                   help="cap on the fresh check's replications when stepping them up, at least "
                        "--verify-replications (default 320)")
    args = p.parse_args(argv)
    started = time.perf_counter()
    try:
        if args.max_replications < args.verify_replications:
            raise ConfigError("--max-replications", f"expected at least --verify-replications "
                                                    f"({args.verify_replications}), got {args.max_replications}")
        config = _study._config(_study.default_raw(), args)
        channels = tuple(config.scenario.channels)
        targets = Targets(max_asa_s=channel_values(args.max_asa, "--max-asa", channels, minimum=None, unit="seconds"),
                          max_abandon_rate=channel_values(args.max_abandon, "--max-abandon", channels,
                                                          minimum=0.0, maximum=1.0))
        for channel, cap in targets.max_asa_s.items():
            if cap <= 0:
                raise ConfigError("--max-asa", f"expected an ASA cap above 0 seconds, got '{channel}={cap:g}'")
    except ConfigError as exc:
        return fail(args.prog, exc)
    say = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    plan = plan_staffing(config, targets, verify_replications=args.verify_replications,
                         max_missed=args.max_missed_intervals, max_replications=args.max_replications, progress=say)
    result, fresh = plan.result, plan.check
    table = result.requirements_table(config.scenario.open_time_s, fresh, plan.staffing)
    checks = [("verification", fresh, plan.staffing)]
    worst = min(((v, g, i) for g, values in result.shortfall.items() for i, v in enumerate(values) if v == v),
                default=None)
    if worst is not None:
        _, group, interval = worst
        fewer = {g: list(v) for g, v in plan.staffing.items()}
        fewer[group][interval] -= 1
        checks.append(("one_fewer", verify(config, fewer, targets, replications=plan.rounds[-1][0],
                                           seed=plan.rounds[-1][1]), fewer))
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    _study.write_table(table, out / "requirements.csv")
    labels = {}
    for name, ev, _ in checks:
        t = ev.interval_table(config.run.confidence)
        t.insert(1, "interval", [clock_label(config.scenario.open_time_s + s) for s in t["interval_start_s"]])
        labels[name] = t
        _study.write_table(t, out / f"{name}.csv")
    targets_sl = {c: spec.service_level_target for c, spec in config.scenario.channels.items()}
    figures = {"requirements": requirements_figure(table, list(config.scenario.agent_groups)),
               "verification": verification_figure(labels["verification"], targets_sl,
                                                    f"Optimised staffing in a fresh simulation "
                                                    f"({plan.rounds[-1][0]} replications, other seed)")}
    save_figures(figures, out)
    print(table.to_string(index=False))
    print(f"\n{result.evaluations} staffings simulated; targets met in the search: {result.feasible}; "
          f"total {int(table['total'].sum())} agent-intervals vs Erlang C {int(table['erlang_c'].sum())}")
    v = labels["verification"]
    print(f"fresh simulation: targets met (mean) in {int(v.groupby('interval')['met'].all().sum())} of "
          f"{v['interval'].nunique()} intervals; checks: "
          + ", ".join(f"{n} replications, seed {seed}: {m} missed" for n, seed, m in plan.rounds)
          + (f"; {plan.added} agent-intervals added where checks missed" if plan.added else ""))
    unsure = table[table["check_p_meets_target"] < 0.8]
    if len(unsure):
        print("least sure (probability of meeting the targets, given the last check's replications): "
              + ", ".join(f"{r.interval} {r.check_p_meets_target:.0%}" for r in unsure.itertuples()))
    if worst is not None:
        o = labels["one_fewer"]
        row = o[(o["interval"] == clock_label(config.scenario.open_time_s + interval * config.scenario.interval_s))]
        print(f"one {group} agent fewer at {row['interval'].iloc[0]}: " + ", ".join(
            f"{r.channel} SL {100 * r.service_level:.1f}% [{100 * r.service_level_low:.1f}, "
            f"{100 * r.service_level_high:.1f}]" for r in row.itertuples() if r.offered > 0))
    print(f"written: {out} ({time.perf_counter() - started:.0f} s)")
    if not plan.accepted:
        print(f"{NAME}: REFUSED: the fresh check misses a target in {plan.missed} interval(s), more than the "
              f"{plan.max_missed} allowed (--max-missed-intervals), with {plan.rounds[-1][0]} replications "
              f"(--max-replications {args.max_replications}); the tables are written for inspection, do not "
              f"use this plan", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
