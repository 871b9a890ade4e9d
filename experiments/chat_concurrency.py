"""Chat concurrency: how many chats each agent of the chat team handles at once, 1 to 4.

    python experiments/chat_concurrency.py                # ~15 s; results/studies/chat_concurrency/
    python experiments/chat_concurrency.py --slowdown 0.4 # each extra chat slows every chat more
    python experiments/chat_concurrency.py --agents 1     # only one of the team's agents takes more

One knob: ``concurrency.max`` of the default centre's ``chat_team`` (two agents serving both chat
queues), with handle times inflated by ``1 + --slowdown x (n - 1)`` when an agent holds ``n`` chats
(default 0.25 per extra chat).  More concurrent chats give the team more capacity, so chat waits
and abandonment fall and the generalists, who also take chats, are freer for the phone; the price
is longer chats (AHT) and a busier team.  Baseline: one chat at a time.

``--agents N``: only ``N`` of the team's agents hold that many chats (per-agent ``concurrency`` on a
whole-day shift), the others one at a time: e.g. what training one agent of two to juggle is worth.

Writes ``kpis.csv`` (``max_chats``, channel, metric, mean, ci_low, ci_high, n_reps),
``paired_vs_baseline.csv`` and ``chat_concurrency.png`` (service level, chat AHT and chat ASA
against the number of chats at once, with CI bands).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from sim.engine.options import count, number, one_of  # noqa: E402
from _study import Knob, Panel  # noqa: E402

NAME = "chat_concurrency"
MAX_CHATS = (1, 2, 3, 4)
METRICS = ("service_level", "asa_s", "abandon_rate", "aht_s", "occupancy", "csat_modelled", "nps_modelled")


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__)
    groups = tuple(_study.default_raw()["scenario"]["agent_groups"])
    p.add_argument("--group", type=one_of(groups, "scenario agent group"), default="chat_team",
                   help=f"the agent group whose concurrency changes ({', '.join(groups)})")
    p.add_argument("--slowdown", type=number(minimum=0), default=0.25,
                   help="handle-time factor added per extra chat held, >= 0 (default 0.25)")
    p.add_argument("--agents", type=count(minimum=0), default=None,
                   help="only this many of the group's agents hold max_chats at once, the others one "
                        "(the group needs a constant staffing)")
    args = p.parse_args(argv)
    team = _study.default_raw()["scenario"]["agent_groups"][args.group]
    if args.agents is not None and not (isinstance(team.get("staffing"), int) and 0 <= args.agents <= team["staffing"]):
        p.error(f"--agents: expected 0 to the constant staffing of {args.group}, got {args.agents}")

    def apply(raw, k):
        group = raw["scenario"]["agent_groups"][args.group]
        curve = [1.0 + args.slowdown * i for i in range(int(k))]
        if args.agents is None:
            group["concurrency"] = {"max": int(k), "handle_time_factors": curve}
            return
        # the team on one whole-day shift: the others one chat at a time, args.agents of them k at once
        scenario = raw["scenario"]
        day = (_hours(scenario["close_time"]) - _hours(scenario["open_time"]))
        whole_day = {"start": scenario["open_time"], "length_hours": day}
        group["concurrency"] = {"max": 1, "handle_time_factors": curve}
        group["shifts"] = [dict(whole_day, agents=group.pop("staffing") - args.agents),
                           dict(whole_day, agents=args.agents, concurrency=int(k))]

    targets = _study.sl_targets(_study.default_raw(), ("phone", "chat"))
    knob = Knob(NAME, "max_chats", MAX_CHATS, 1, METRICS, (
        Panel("service_level", "Service level (%)", 100.0, ("phone", "chat", "live"), targets),
        Panel("aht_s", "AHT (s)", 1.0, ("chat",)),
        Panel("asa_s", "ASA (s)", 1.0, ("chat", "phone")),
    ), f"Chat concurrency: chats per {args.group} agent at once"
        + ("" if args.agents is None else f" ({args.agents} of its agents)"), "chats at once",
        ("service_level", "asa_s", "aht_s"), ("phone", "chat"))
    return _study.run_knob(knob, args, apply)


def _hours(clock: str) -> float:
    h, m = clock.split(":")[:2]
    return int(h) + int(m) / 60


if __name__ == "__main__":
    sys.exit(main())
