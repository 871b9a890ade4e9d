"""Deflection: the chatbots' containment (share of chats resolved in self-service) from 0% to 40%.

    python experiments/deflection.py                      # ~15 s; results/studies/deflection/
    python experiments/deflection.py --channel phone      # the IVR instead

One knob: every self-service stage of the chosen channel's contact types (default ``chat``:
``billing_chat`` and ``technical_chat``) gets the same ``containment``.  More containment means
fewer contacts reach the agents (lower offered load), so shorter waits and higher service level on
that channel and, because the generalists also take phone calls, on the phone too.  Staffing stays
as it is.  Every point runs with the same seed (common random numbers); ``paired_vs_baseline.csv``
compares each containment with no deflection (0).

Cost is the scenario's own total cost (``all``, metric ``total_cost``: ``scenario.costs``, labour,
overtime, telephony and the bot's price per self-service session, deflected or handed off, in its
currency); ``--bot-cost`` sets that price (default: the scenario's).  With staffing fixed, labour
hardly moves: what deflection saves is agent workload, which a later staffing change (an option
study: ``python -m sim.study chatbot``) turns into money, while the bot's price grows with
containment's sessions.

Writes ``kpis.csv`` (``containment``, channel, metric, mean, ci_low, ci_high, n_reps),
``paired_vs_baseline.csv`` and ``deflection.png`` (offered load, service level and cost against
the containment, with CI bands).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from sim.engine.options import number, one_of  # noqa: E402
from _study import Knob, Panel  # noqa: E402

NAME = "deflection"
CONTAINMENTS = (0.0, 0.1, 0.2, 0.3, 0.4)
METRICS = ("offered", "deflected", "containment_rate", "service_level", "asa_s", "abandon_rate", "occupancy",
           "agents_staffed", "bot_handoffs", "bot_cost", "total_cost", "csat_modelled", "nps_modelled")


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__)
    channels = tuple(_study.default_raw()["scenario"]["channels"])
    p.add_argument("--channel", type=one_of(channels, "channel"), default="chat",
                   help="channel whose self-service stages change (default chat)")
    p.add_argument("--bot-cost", type=number(minimum=0, unit="money per session"), default=None,
                   help="price per self-service session, >= 0 (default: the scenario's scenario.costs.bot_per_contact)")
    args = p.parse_args(argv)
    base = _study.default_raw()
    types = base["scenario"]["contact_types"]
    bots = [n for n, ct in types.items() if ct.get("channel") == args.channel and ct.get("self_service")]
    if not bots:
        p.error(f"no contact type of channel {args.channel!r} has a self_service stage")

    def apply(raw, containment):
        for name in bots:
            raw["scenario"]["contact_types"][name]["self_service"]["containment"] = containment
        if args.bot_cost is not None and raw["scenario"].get("costs") is not None:
            raw["scenario"]["costs"]["bot_per_contact"] = args.bot_cost

    currency = (base["scenario"].get("costs") or {}).get("currency") or "money units"
    targets = _study.sl_targets(base, ("phone", "chat"))
    knob = Knob(NAME, "containment", CONTAINMENTS, 0.0, METRICS, (
        Panel("offered", "Offered to agents", 1.0, ("phone", "chat", "all")),
        Panel("service_level", "Service level (%)", 100.0, ("phone", "chat", "live"), targets),
        Panel("total_cost", f"Total cost ({currency})", 1.0, ("all",)),
    ), f"Deflection: containment of the {args.channel} self-service ({', '.join(bots)})",
        f"{args.channel} containment (share resolved in self-service)",
        ("offered", "deflected", "service_level", "asa_s", "bot_cost", "total_cost"))
    return _study.run_knob(knob, args, apply)


if __name__ == "__main__":
    sys.exit(main())
