"""``python -m sim.calculator``: the Erlang calculator on the command line.

Prints, for a range of agent counts around the fewest that meet the target,
P(wait), service level, ASA, abandonment and occupancy, from Erlang C (no
``--patience``) or Erlang A (exponential patience with the given mean), and
Erlang B blocking.  Example::

    python -m sim.calculator --rate 200 --aht 180 --threshold 20 --target 0.8
    python -m sim.calculator --rate 200 --aht 180 --patience 120 --agents 10 14

Every option is a finite number in its range (:mod:`sim.engine.options`): a bad
value is one line and exit status 2. The time a table takes grows with the agents
it covers, so the rate, the offered load, the agents and the rows of a table have
ceilings (:data:`sim.engine.options.LIMITS`, :data:`MAX_ROWS`); ``--allow-large``
lifts them.
"""

from __future__ import annotations

import sys

from sim.engine.options import LIMITS, count, number, parser, probability
from sim.erlang import agents_for_service_level, erlang_a_metrics, erlang_b_blocking, erlang_c_metrics

__all__ = ["main", "table", "MAX_ROWS"]

#: The most rows (agent counts) one table may have without ``--allow-large``.
MAX_ROWS = 1_000
RAISE = "add --allow-large to raise the limit"


def table(rate: float, aht: float, agents: range, threshold: float, patience: float | None) -> str:
    """The calculator's table, one row per agent count."""
    lines = [f"{'agents':>6} {'P(wait)':>8} {'SL':>7} {'ASA s':>8} {'abandon':>8} {'occupancy':>9} {'Erlang B':>9}"]
    load = rate * aht / 3600.0
    for n in agents:
        if patience is None and load >= n:
            lines.append(f"{n:>6} {'unstable: offered load ' + format(load, '.2f') + ' Erlangs >= agents':>52}")
            continue
        m = erlang_c_metrics(rate, aht, n, threshold) if patience is None else \
            erlang_a_metrics(rate, aht, n, patience, threshold)
        lines.append(f"{n:>6} {m.p_wait:>8.4f} {m.service_level:>7.2%} {m.asa_s:>8.2f} {m.abandon_rate:>8.2%} "
                     f"{m.occupancy:>9.2%} {erlang_b_blocking(rate, aht, n):>9.4f}")
    return "\n".join(lines)


def _build_parser():
    p = parser("python -m sim.calculator", __doc__.split("\n\n")[1])
    p.add_argument("--rate", type=number(positive=True, unit="contacts per hour"), required=True,
                   help=f"arrivals per hour, > 0 (at most {LIMITS['rate_per_hour']:,.0f})")
    p.add_argument("--aht", type=number(positive=True, unit="seconds"), required=True,
                   help="mean handle time, seconds, > 0")
    p.add_argument("--threshold", type=number(minimum=0.0, unit="seconds"), default=20.0,
                   help="service-level threshold, seconds, >= 0 (20)")
    p.add_argument("--target", type=probability(), default=0.8,
                   help="service-level target, a share strictly between 0 and 1 (0.8)")
    p.add_argument("--patience", type=number(positive=True, unit="seconds"), default=None,
                   help="mean patience, seconds, > 0 (Erlang A); omit for Erlang C")
    p.add_argument("--agents", type=count(minimum=1), nargs=2, metavar=("FROM", "TO"),
                   help=f"agent range to tabulate, 1 <= FROM <= TO (TO at most {LIMITS['agents']:,}, "
                        f"at most {MAX_ROWS:,} rows)")
    p.add_argument("--allow-large", action="store_true",
                   help="lift the ceilings on --rate, the offered load, --agents and the rows of the table")
    return p


def _check(p, args) -> None:
    """What one option's type cannot see: the target below 1, FROM <= TO, and the ceilings."""
    if not 0.0 < args.target < 1.0:
        p.error(f"argument --target: expected a share strictly between 0 and 1 (e.g. 0.8), got {args.target:g}")
    if args.agents and args.agents[0] > args.agents[1]:
        p.error(f"argument --agents: expected FROM <= TO, got {args.agents[0]} {args.agents[1]}")
    if args.allow_large:
        return
    agents = LIMITS["agents"]
    if args.rate > LIMITS["rate_per_hour"]:
        p.error(f"argument --rate: {args.rate:g} contacts per hour is above the {LIMITS['rate_per_hour']:,.0f} "
                f"allowed ({RAISE})")
    load = args.rate * args.aht / 3600.0
    if load > agents:
        p.error(f"argument --aht: an offered load of {load:,.0f} Erlangs ({args.rate:g} contacts/h x {args.aht:g} s) "
                f"needs more than the {agents:,} agents allowed ({RAISE})")
    if args.agents:
        lo, hi = args.agents
        if hi > agents:
            p.error(f"argument --agents: TO {hi} is above the {agents:,} agents allowed ({RAISE})")
        if hi - lo + 1 > MAX_ROWS:
            p.error(f"argument --agents: {lo} {hi} is {hi - lo + 1:,} rows, above the {MAX_ROWS:,} allowed ({RAISE})")


def main(argv: list[str] | None = None) -> int:
    """Print the table; a bad option is one line on stderr and exit status 2 (returned)."""
    p = _build_parser()
    try:
        args = p.parse_args(argv)
        _check(p, args)
    except SystemExit as stop:  # the parser's one-line error (2), or --help (0)
        return stop.code if isinstance(stop.code, int) else 2
    try:
        need = agents_for_service_level(args.rate, args.aht, args.threshold, args.target, args.patience)
        lo, hi = args.agents if args.agents else (max(1, need - 2), need + 3)
        model = "Erlang C" if args.patience is None else f"Erlang A, mean patience {args.patience:g} s"
        print(f"{args.rate:g} contacts/h, AHT {args.aht:g} s = {args.rate * args.aht / 3600:.2f} Erlangs; {model}")
        print(table(args.rate, args.aht, range(lo, hi + 1), args.threshold, args.patience))
        print(f"fewest agents for {args.target:.0%} answered within {args.threshold:g} s: {need}")
    except (ValueError, RuntimeError) as exc:  # e.g. an Erlang A state space too large for this overload
        print(f"sim.calculator: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
