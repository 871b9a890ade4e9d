"""``python -m sim.calculator``: the Erlang calculators on the command line.

Prints, for a range of agent counts around the fewest that meet the target,
P(wait), service level, ASA, abandonment and occupancy, from Erlang C (no
``--patience``) or Erlang A (exponential patience with the given mean), and
Erlang B blocking; ``--model`` picks Erlang X (lines and redials), chat
(concurrency with handle-time inflation) or blend (inbound first, outbound in
the idle time, a table over the reserve).  Examples::

    python -m sim.calculator --rate 200 --aht 180 --threshold 20 --target 0.8
    python -m sim.calculator --rate 200 --aht 180 --patience 120 --agents 10 14
    python -m sim.calculator --model erlang-x --rate 200 --aht 180 --patience 120 --lines 16 --redial 0.5
    python -m sim.calculator --model chat --rate 120 --aht 600 --concurrency 3 --patience 300
    python -m sim.calculator --model blend --rate 200 --aht 180 --agents 14 14 --outbound-aht 300

Every option is a finite number in its range (:mod:`sim.engine.options`): a bad
value is one line and exit status 2. The time a table takes grows with the agents
it covers, so the rate, the offered load, the agents and the rows of a table have
ceilings (:data:`sim.engine.options.LIMITS`, :data:`MAX_ROWS`); ``--allow-large``
lifts them.
"""

from __future__ import annotations

import math
import sys

from sim.engine.options import LIMITS, count, number, one_of, parser, probability
from sim.erlang import (SPREADS, UnstableQueue, agents_for_service_level, blend_table, chat_metrics, default_inflation,
                        erlang_a_metrics, erlang_b_blocking, erlang_c_metrics, erlang_x_metrics, fewest_agents)

__all__ = ["main", "table", "table_x", "table_chat", "table_blend", "MAX_ROWS", "MODELS"]

#: The most rows (agent counts) one table may have without ``--allow-large``.
MAX_ROWS = 1_000
#: The most agents of a blend table without ``--allow-large`` (its 2-D chain grows as agents squared, per reserve).
MAX_BLEND_AGENTS = 60
#: The most chats an agent may hold at once (``--concurrency``) without ``--allow-large``.
MAX_CONCURRENCY = 50
#: ``--model``: Erlang C/A (the default), Erlang X, chat, blend.
MODELS = ("erlang", "erlang-x", "chat", "blend")
#: the options that belong to one model only, and their defaults (None: none)
MODEL_OPTIONS = {"--lines": ("erlang-x", None), "--redial": ("erlang-x", 0.0), "--redial-delay": ("erlang-x", 600.0),
                 "--concurrency": ("chat", None), "--inflation": ("chat", None), "--spread": ("chat", "random"),
                 "--outbound-aht": ("blend", None), "--reserve": ("blend", None)}
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


def table_x(rate: float, aht: float, agents: range, threshold: float, patience: float | None,
            lines: int | None, redial: float, redial_delay: float) -> str:
    """Erlang X (:func:`sim.erlang.erlang_x_metrics`), one row per agent count."""
    lines_out = [f"{'agents':>6} {'attempts/h':>10} {'blocked':>8} {'P(wait)':>8} {'SL':>7} {'ASA s':>8} "
                 f"{'abandon':>8} {'lost':>7} {'occupancy':>9} {'lines busy':>10}"]
    for n in agents:
        try:
            m = erlang_x_metrics(rate, aht, n, threshold, mean_patience_s=patience, lines=lines,
                                 redial_probability=redial, mean_redial_delay_s=redial_delay)
        except UnstableQueue:  # no lines, no patience, load >= agents
            unstable = f"unstable: offered load {rate * aht / 3600:.2f} Erlangs >= agents"
            lines_out.append(f"{n:>6} {unstable:>52}")
            continue
        lines_out.append(f"{n:>6} {m.attempts_per_hour:>10.1f} {m.block_rate:>8.2%} {m.p_wait:>8.4f} "
                         f"{m.service_level:>7.2%} {m.asa_s:>8.2f} {m.abandon_rate:>8.2%} {m.customers_lost:>7.2%} "
                         f"{m.occupancy:>9.2%} {m.lines_busy:>10.2f}")
    return "\n".join(lines_out)


def table_chat(rate: float, aht: float, agents: range, threshold: float, patience: float | None,
               concurrency: int, factors: tuple[float, ...], spread: str = "random") -> str:
    """The chat model (:func:`sim.erlang.chat_metrics`), one row per agent count."""
    out = [f"{'agents':>6} {'P(wait)':>8} {'SL':>7} {'ASA s':>8} {'abandon':>8} {'occupancy':>9} "
           f"{'chats/agent':>11} {'AHT s':>8}"]
    for n in agents:
        try:
            m = chat_metrics(rate, aht, n, concurrency, threshold, handle_time_factors=factors,
                             mean_patience_s=patience, spread=spread)
        except UnstableQueue:
            out.append(f"{n:>6} {'unstable: more chats arrive than the agents can finish':>56}")
            continue
        out.append(f"{n:>6} {m.p_wait:>8.4f} {m.service_level:>7.2%} {m.asa_s:>8.2f} {m.abandon_rate:>8.2%} "
                   f"{m.occupancy:>9.2%} {m.chats_per_agent:>11.2f} {m.aht_s:>8.1f}")
    return "\n".join(out)


def table_blend(rate: float, aht: float, agents: int, threshold: float, patience: float | None,
                outbound_aht: float, reserves: range, target: float) -> str:
    """The blend model (:func:`sim.erlang.blend_table`), one row per reserve, and the best reserve."""
    out = [f"{'reserve':>7} {'SL':>7} {'ASA s':>8} {'abandon':>8} {'P(wait)':>8} {'outbound/h':>10} "
           f"{'occupancy':>9}"]
    rows = blend_table(rate, aht, agents, outbound_aht, threshold, mean_patience_s=patience, reserves=reserves)
    for m in rows:
        out.append(f"{m.reserve:>7} {m.service_level:>7.2%} {m.asa_s:>8.2f} {m.abandon_rate:>8.2%} {m.p_wait:>8.4f} "
                   f"{m.outbound_per_hour:>10.2f} {m.occupancy:>9.2%}")
    meets = [m for m in rows if m.service_level >= target]
    if meets:
        best = max(meets, key=lambda m: m.outbound_per_hour)
        out.append(f"most outbound with {target:.0%} answered within {threshold:g} s: reserve {best.reserve}, "
                   f"{best.outbound_per_hour:.1f} outbound calls/h")
    elif len(rows) == 1:
        out.append(f"reserve {rows[0].reserve} misses {target:.0%} answered within {threshold:g} s "
                   f"with {agents} agents")
    else:
        out.append(f"no reserve meets {target:.0%} answered within {threshold:g} s with {agents} agents")
    return "\n".join(out)


def _build_parser():
    p = parser("python -m sim.calculator", __doc__.split("\n\n")[1].removesuffix("  Examples::"))
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
    p.add_argument("--model", type=one_of(MODELS, "model"), default="erlang",
                   help="erlang (C, or A with --patience; the default), erlang-x (lines and redials), "
                        "chat (concurrency), blend (inbound with outbound in the idle time)")
    x = p.add_argument_group("Erlang X (--model erlang-x)")
    x.add_argument("--lines", type=count(minimum=1), default=None,
                   help="trunk lines, a whole number >= 1 (a call holds one while it waits and is served); "
                        "omit for unlimited")
    x.add_argument("--redial", type=number(minimum=0.0, maximum=1.0), default=None,
                   help="probability that a blocked or abandoned call redials, 0 <= r < 1 (0)")
    x.add_argument("--redial-delay", type=number(minimum=0.0, unit="seconds"), default=None,
                   help="mean time before a redial, seconds, >= 0 (600); it sizes only the callers waiting "
                        "to redial, not the queue")
    chat = p.add_argument_group("chat (--model chat)")
    chat.add_argument("--concurrency", type=count(minimum=1), default=None,
                      help="chats an agent holds at once, a whole number >= 1 (required)")
    chat.add_argument("--inflation", type=number(positive=True), nargs="+", metavar="FACTOR", default=None,
                      help="handle-time factor of an agent's 1st, 2nd, ... chat at once, one per chat up to "
                           "--concurrency, each > 0 (default 1 + 0.3 (n - 1), as the simulator)")
    chat.add_argument("--spread", type=one_of(SPREADS, "spread"), default=None,
                      help="how chats spread over agents: random (a random idle slot, as the simulator's "
                           "routing; the default) or even (the least loaded agent first)")
    blend = p.add_argument_group("blend (--model blend)")
    blend.add_argument("--outbound-aht", type=number(positive=True, unit="seconds"), default=None,
                       help="mean outbound handle time, seconds, > 0 (required)")
    blend.add_argument("--reserve", type=count(minimum=0), default=None,
                       help="agents kept idle for inbound: outbound calls start only while more are idle, "
                            "0 <= R <= agents (default: a row for each R from 0 to the agents)")
    return p


def _check_model(p, args) -> None:
    """The options of one model only (then their defaults), and the options a model needs."""
    for option, (model, default) in MODEL_OPTIONS.items():
        key = option[2:].replace("-", "_")
        if getattr(args, key) is None:
            setattr(args, key, default)
        elif args.model != model:
            p.error(f"argument {option}: only with --model {model}")
    if args.model == "erlang-x" and args.lines is not None and args.lines > LIMITS["agents"] and not args.allow_large:
        p.error(f"argument --lines: {args.lines:,} lines is above the {LIMITS['agents']:,} allowed ({RAISE})")
    if args.model == "erlang-x" and args.redial >= 1.0:
        p.error(f"argument --redial: expected a probability below 1 (every lost call redialling for ever "
                f"has no steady state), got {args.redial:g}")
    if args.model == "chat":
        if args.concurrency is None:
            p.error("argument --concurrency: required with --model chat (chats an agent holds at once)")
        if args.concurrency > MAX_CONCURRENCY and not args.allow_large:
            p.error(f"argument --concurrency: {args.concurrency} chats at once is above the {MAX_CONCURRENCY} "
                    f"allowed ({RAISE})")
        if args.inflation is not None and len(args.inflation) < args.concurrency:
            p.error(f"argument --inflation: expected {args.concurrency} factors (one per chat held, 1 to "
                    f"--concurrency), got {len(args.inflation)}")
    if args.model == "blend":
        if args.outbound_aht is None:
            p.error("argument --outbound-aht: required with --model blend (mean outbound handle time, seconds)")
        if args.agents and args.agents[0] != args.agents[1]:
            p.error(f"argument --agents: --model blend takes one agent count (FROM = TO), got "
                    f"{args.agents[0]} {args.agents[1]}")
        if args.agents and args.reserve is not None and args.reserve > args.agents[0]:
            p.error(f"argument --reserve: expected at most the {args.agents[0]} agents, got {args.reserve}")
        if args.agents and args.agents[0] > MAX_BLEND_AGENTS and not args.allow_large:
            p.error(f"argument --agents: {args.agents[0]} agents is above the {MAX_BLEND_AGENTS} a blend table "
                    f"allows ({RAISE})")


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
        _check_model(p, args)
    except SystemExit as stop:  # the parser's one-line error (2), or --help (0)
        return stop.code if isinstance(stop.code, int) else 2
    try:
        if args.model == "erlang":
            _erlang(args)
        elif args.model == "erlang-x":
            _erlang_x(args)
        elif args.model == "chat":
            _chat(args)
        else:
            _blend(p, args)
    except SystemExit as stop:  # a one-line error found once the staffing is known (blend)
        return stop.code if isinstance(stop.code, int) else 2
    except (ValueError, RuntimeError) as exc:  # e.g. an Erlang A state space too large for this overload
        print(f"sim.calculator: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    return 0


def _header(args, model: str) -> None:
    print(f"{args.rate:g} contacts/h, AHT {args.aht:g} s = {args.rate * args.aht / 3600:.2f} Erlangs; {model}")


def _patience(args) -> str:
    return "no abandonment" if args.patience is None else f"mean patience {args.patience:g} s"


def _fewest(args, service_level, lowest: int) -> int:
    """The fewest agents whose ``service_level(agents)`` meets the target (unstable counts fail)."""
    def ok(n: int) -> bool:
        try:
            return service_level(n) >= args.target
        except UnstableQueue:
            return False
    load = args.rate * args.aht / 3600.0
    return fewest_agents(ok, max(1, lowest), step=max(1, math.ceil(math.sqrt(load))))


def _erlang(args) -> None:
    need = agents_for_service_level(args.rate, args.aht, args.threshold, args.target, args.patience)
    lo, hi = args.agents if args.agents else (max(1, need - 2), need + 3)
    _header(args, "Erlang C" if args.patience is None else f"Erlang A, mean patience {args.patience:g} s")
    print(table(args.rate, args.aht, range(lo, hi + 1), args.threshold, args.patience))
    print(f"fewest agents for {args.target:.0%} answered within {args.threshold:g} s: {need}")


def _erlang_x(args) -> None:
    def sl(n: int) -> float:
        return erlang_x_metrics(args.rate, args.aht, n, args.threshold, mean_patience_s=args.patience,
                                lines=args.lines, redial_probability=args.redial,
                                mean_redial_delay_s=args.redial_delay).service_level
    need = _fewest(args, sl, 1)
    lines = "unlimited lines" if args.lines is None else f"{args.lines} lines"
    _header(args, f"Erlang X, {lines}, {_patience(args)}, redial {args.redial:g} after {args.redial_delay:g} s")
    lo, hi = args.agents if args.agents else (max(1, need - 2), need + 3)
    print(table_x(args.rate, args.aht, range(lo, hi + 1), args.threshold, args.patience, args.lines,
                  args.redial, args.redial_delay))
    print(f"fewest agents for {args.target:.0%} of the calls that get a line answered within "
          f"{args.threshold:g} s: {need}")


def _chat(args) -> None:
    k = args.concurrency
    factors = default_inflation(k) if args.inflation is None else tuple(args.inflation)

    def sl(n: int) -> float:
        return chat_metrics(args.rate, args.aht, n, k, args.threshold, handle_time_factors=factors,
                            mean_patience_s=args.patience, spread=args.spread).service_level
    need = _fewest(args, sl, 1)
    shown = ", ".join(format(f, "g") for f in factors[:k])
    _header(args, f"chat, {k} at once (handle time x {shown}, {args.spread} spread), {_patience(args)}")
    lo, hi = args.agents if args.agents else (max(1, need - 2), need + 3)
    print(table_chat(args.rate, args.aht, range(lo, hi + 1), args.threshold, args.patience, k, factors,
                     args.spread))
    print(f"fewest agents for {args.target:.0%} answered within {args.threshold:g} s: {need}")


def _blend(p, args) -> None:
    if args.agents:
        agents = args.agents[0]
    else:
        agents = agents_for_service_level(args.rate, args.aht, args.threshold, args.target, args.patience) + 2
        if agents > MAX_BLEND_AGENTS and not args.allow_large:
            p.error(f"argument --agents: the default {agents} agents is above the {MAX_BLEND_AGENTS} a blend "
                    f"table allows; give --agents N N or {RAISE}")
    if args.reserve is not None and args.reserve > agents:
        p.error(f"argument --reserve: expected at most the {agents} agents, got {args.reserve}")
    if args.patience is None and args.rate * args.aht / 3600.0 >= agents:
        p.error(f"argument --agents: unstable inbound queue, offered load {args.rate * args.aht / 3600:.2f} "
                f"Erlangs >= {agents} agents (add agents or --patience)")
    reserves = range(agents + 1) if args.reserve is None else range(args.reserve, args.reserve + 1)
    table = table_blend(args.rate, args.aht, agents, args.threshold, args.patience, args.outbound_aht, reserves,
                        args.target)
    _header(args, f"blend, {agents} agents, outbound AHT {args.outbound_aht:g} s, {_patience(args)}")
    print(table)


if __name__ == "__main__":
    sys.exit(main())
