"""``python -m sim.calculator``: the Erlang calculator on the command line.

Prints, for a range of agent counts around the fewest that meet the target,
P(wait), service level, ASA, abandonment and occupancy, from Erlang C (no
``--patience``) or Erlang A (exponential patience with the given mean), and
Erlang B blocking.  Example::

    python -m sim.calculator --rate 200 --aht 180 --threshold 20 --target 0.8
    python -m sim.calculator --rate 200 --aht 180 --patience 120 --agents 10 14
"""

from __future__ import annotations

import argparse
import sys

from sim.erlang import agents_for_service_level, erlang_a_metrics, erlang_b_blocking, erlang_c_metrics

__all__ = ["main", "table"]


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.calculator", description=__doc__.split("\n\n")[1])
    parser.add_argument("--rate", type=float, required=True, help="arrivals per hour")
    parser.add_argument("--aht", type=float, required=True, help="mean handle time, seconds")
    parser.add_argument("--threshold", type=float, default=20.0, help="service-level threshold, seconds (20)")
    parser.add_argument("--target", type=float, default=0.8, help="service-level target, 0-1 (0.8)")
    parser.add_argument("--patience", type=float, default=None, help="mean patience, seconds (Erlang A); omit for Erlang C")
    parser.add_argument("--agents", type=int, nargs=2, metavar=("FROM", "TO"), help="agent range to tabulate")
    args = parser.parse_args(argv)
    try:
        need = agents_for_service_level(args.rate, args.aht, args.threshold, args.target, args.patience)
        lo, hi = args.agents if args.agents else (max(1, need - 2), need + 3)
        if lo < 1 or hi < lo:
            raise ValueError(f"--agents: expected 1 <= FROM <= TO, got {lo} {hi}")
        model = "Erlang C" if args.patience is None else f"Erlang A, mean patience {args.patience:g} s"
        print(f"{args.rate:g} contacts/h, AHT {args.aht:g} s = {args.rate * args.aht / 3600:.2f} Erlangs; {model}")
        print(table(args.rate, args.aht, range(lo, hi + 1), args.threshold, args.patience))
        print(f"fewest agents for {args.target:.0%} answered within {args.threshold:g} s: {need}")
    except ValueError as exc:
        print(f"sim.calculator: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
