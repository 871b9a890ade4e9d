"""Intraday: the rest of today from the centre's state now, re-forecast from today's actual arrivals,
and what brings every remaining interval back to target.

    python experiments/intraday.py --state data/state/example_1100.yaml --actuals data/state/actuals_example.csv
    python experiments/intraday.py --state data/state/example_1100.yaml --actuals data/state/actuals_example.csv \\
        --actions data/state/actions_example.yaml

The state file (docs/reference/state-file.md) says what the centre holds now: contacts waiting and in
service, agents on duty and for the rest of the day, the deferrable backlog.  With ``--actuals`` (a CSV
of ``interval,contact_type,arrivals`` for the whole intervals before the state's time) the rest of the
day's volume is re-forecast: the ratio of actual to forecast arrivals so far, and the day factor's
posterior (``sim.planning.intraday.reforecast``) carried into the simulation (the rest of the day's
rates times its mean; each replication draws its own factor from it).  The rest of the day is then
simulated from the state (``--replications``, one seed: common random numbers) and judged per remaining
interval against each channel's service-level target (``--channels``: the channels held; default the
live ones).  Without ``--actions``: the fewest extra agents per group and remaining interval that bring
every one back to target (greedy, as the staffing optimiser adds).  With ``--actions`` (a YAML of named
actions: agents added over a span, overtime, types paused, callbacks opened; each with a cost or costed
from the scenario's wages): each simulated, and the cheapest that meets every remaining interval.

Writes ``reforecast.csv`` (actual and forecast so far, ratio, the factor's mean, CV and interval),
``projection.csv`` (per remaining interval and channel: service level, ASA, abandonment with
t-intervals, as things stand), ``extra_agents.csv`` (per remaining interval: extra agents per group) or
``actions.csv`` (per action: cost, intervals missed, worst margin, cheapest meeting all first),
``recommended.csv`` (the projection with the recommendation) and ``projection.png``.
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402

from sim.engine.checks import hhmm  # noqa: E402
from sim.engine.errors import ConfigError  # noqa: E402
from sim.engine.options import confidence, fail  # noqa: E402
from sim.model.metrics import clock_label  # noqa: E402
from sim.planning.intraday import (cheapest_action, fewest_extra_agents, load_actions, read_actuals,  # noqa: E402
                                   reforecast, reforecast_config)
from sim.planning.staffing import Targets  # noqa: E402
from sim.reporting.style import save_figures  # noqa: E402
from sim.reporting.workforce_figures import intraday_figure  # noqa: E402

NAME = "intraday"


def _table(config, ev):
    t = ev.interval_table(config.run.confidence)
    t.insert(1, "interval", [clock_label(config.scenario.open_time_s + s) for s in t["interval_start_s"]])
    return t


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__, replications=20)
    p.add_argument("--state", required=True, metavar="FILE", help="the centre's state now (YAML; "
                                                                   "docs/reference/state-file.md)")
    p.add_argument("--actuals", metavar="FILE", default=None,
                   help="today's arrivals so far: CSV interval,contact_type,arrivals (whole intervals before the "
                        "state's time); without it the forecast stands")
    p.add_argument("--actions", metavar="FILE", default=None,
                   help="a YAML of named actions to compare (cheapest meeting every interval); without it, the "
                        "fewest extra agents")
    p.add_argument("--scenario", metavar="FILE", default=None,
                   help="the scenario YAML (default configs/scenario/default.yaml)")
    p.add_argument("--channels", nargs="*", default=None, metavar="CHANNEL",
                   help="channels held to their service-level target (default: the live channels)")
    p.add_argument("--confidence", type=confidence(), default=0.95, help="level of the intervals (default 0.95)")
    args = p.parse_args(argv)
    started = time.perf_counter()
    say = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    try:
        raw = _study.default_raw()
        if args.scenario is not None:
            from sim.engine.inputs import load_yaml

            raw = {"scenario": load_yaml(args.scenario, "a scenario YAML"), "run": copy.deepcopy(raw.get("run", {}))}
        raw["state"] = args.state
        raw.setdefault("run", {})["confidence"] = args.confidence
        raw["run"]["warmup_hours"] = 0
        config = _study._config(raw, args)
        channels = tuple(config.scenario.channels)
        held = tuple(args.channels) if args.channels is not None else tuple(
            c for c, spec in config.scenario.channels.items() if not spec.deferrable)
        for c in held:
            if c not in channels:
                raise ConfigError("--channels", f"unknown channel {c!r}; expected among {', '.join(channels)}")
        if not held:
            raise ConfigError("--channels", "expected at least one channel")
        ref = None
        if args.actuals is not None:
            actuals = read_actuals(args.actuals, config)
            ref = reforecast(config, actuals, args.confidence)
            config = reforecast_config(config, ref)
        actions = load_actions(args.actions, config) if args.actions is not None else None
    except ConfigError as exc:
        return fail(args.prog, exc)
    targets = Targets(channels=held)
    scenario = config.scenario
    now = hhmm(scenario.open_time_s + config.state.clock_s)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    if ref is not None:
        _study.write_table(pd.DataFrame([{
            "actual": ref.actual, "forecast": ref.forecast, "ratio": ref.ratio, "intervals": ref.intervals,
            "factor": ref.factor, "factor_cv": ref.factor_cv, "factor_low": ref.low, "factor_high": ref.high,
            "confidence": ref.confidence}]), out / "reforecast.csv")
        print(f"re-forecast at {now}: {ref.actual:.0f} arrivals against {ref.forecast:.1f} forecast over "
              f"{ref.intervals} intervals (ratio {ref.ratio:.3f}); rest of the day x {ref.factor:.3f} "
              f"[{ref.low:.3f}, {ref.high:.3f}] ({100 * ref.confidence:g}%), CV {ref.factor_cv:.3f}")
    if actions is None:
        found = fewest_extra_agents(config, targets, progress=say)
        before, after = found.before, found.evaluation
        k0 = int(config.state.clock_s // scenario.interval_s + 1e-9)
        rows = [{"interval": clock_label(scenario.open_time_s + (k0 + j) * scenario.interval_s),
                 **{g: found.extra[g][j] for g in scenario.agent_groups},
                 "total": sum(found.extra[g][j] for g in scenario.agent_groups)}
                for j in range(scenario.n_intervals - k0)]
        extra = pd.DataFrame(rows)
        _study.write_table(extra, out / "extra_agents.csv")
        total = int(extra["total"].sum())
        label = f"with {total} extra agent-interval{'s' * (total != 1)}"
        print(extra[extra["total"] > 0].to_string(index=False) if total else "no extra agents needed")
        print(f"{found.evaluations} staffings simulated; every remaining interval meets its targets: {found.feasible}")
    else:
        table, evaluations = cheapest_action(config, actions, targets, progress=say)
        _study.write_table(table, out / "actions.csv")
        before = evaluations["none"]
        best = table.iloc[0]["action"]
        after = evaluations[best]
        label = f"with {best.replace('_', ' ')}" if best != "none" else "no action needed"
        print(table.to_string(index=False))
        if not bool(table.iloc[0]["meets_all"]):
            label = f"with {best.replace('_', ' ')} (fewest intervals missed; none meets every interval)"
        print(f"recommended: {label}")
    t_before, t_after = _table(config, before), _table(config, after)
    _study.write_table(t_before, out / "projection.csv")
    _study.write_table(t_after, out / "recommended.csv")
    sl = {c: scenario.channels[c].service_level_target for c in held}
    projections = {"as things stand": t_before}
    if after is not before:
        projections[label] = t_after
    save_figures({"projection": intraday_figure(projections, sl, f"Rest of the day from {now}: projected service "
                                                                 f"level ({config.run.replications} replications, "
                                                                 f"{100 * args.confidence:g}% CI)")}, out)
    missed = t_before[(t_before["channel"].isin(held)) & ~t_before["met"]]
    print(f"as things stand: {missed['interval'].nunique()} of {t_before['interval'].nunique()} remaining intervals "
          f"miss a target" + (f" ({', '.join(dict.fromkeys(missed['interval']))})" if len(missed) else ""))
    print(f"written: {out} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
