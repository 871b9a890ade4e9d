"""Chat concurrency: how many chats each agent of the chat team handles at once, 1 to 4.

    python experiments/chat_concurrency.py                # ~15 s; results/studies/chat_concurrency/
    python experiments/chat_concurrency.py --slowdown 0.4 # each extra chat slows every chat more

One knob: ``concurrency.max`` of the default centre's ``chat_team`` (two agents serving both chat
queues), with handle times inflated by ``1 + --slowdown x (n - 1)`` when an agent holds ``n`` chats
(default 0.25 per extra chat).  More concurrent chats give the team more capacity, so chat waits
and abandonment fall and the generalists, who also take chats, are freer for the phone; the price
is longer chats (AHT) and a busier team.  Baseline: one chat at a time.

Writes ``kpis.csv`` (``max_chats``, channel, metric, mean, ci_low, ci_high, n_reps),
``paired_vs_baseline.csv`` and ``chat_concurrency.png`` (service level, chat AHT and chat ASA
against the number of chats at once, with CI bands).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from _study import Knob, Panel  # noqa: E402

NAME = "chat_concurrency"
MAX_CHATS = (1, 2, 3, 4)
METRICS = ("service_level", "asa_s", "abandon_rate", "aht_s", "occupancy", "csat_modelled", "nps_modelled")


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__)
    p.add_argument("--group", default="chat_team", help="the agent group whose concurrency changes")
    p.add_argument("--slowdown", type=float, default=0.25,
                   help="handle-time factor added per extra chat held (default 0.25)")
    args = p.parse_args(argv)

    def apply(raw, k):
        raw["scenario"]["agent_groups"][args.group]["concurrency"] = {
            "max": int(k), "handle_time_factors": [1.0 + args.slowdown * i for i in range(int(k))]}

    targets = _study.sl_targets(_study.default_raw(), ("phone", "chat"))
    knob = Knob(NAME, "max_chats", MAX_CHATS, 1, METRICS, (
        Panel("service_level", "Service level (%)", 100.0, ("phone", "chat", "all"), targets),
        Panel("aht_s", "AHT (s)", 1.0, ("chat",)),
        Panel("asa_s", "ASA (s)", 1.0, ("chat", "phone")),
    ), f"Chat concurrency: chats per {args.group} agent at once", "chats at once",
        ("service_level", "asa_s", "aht_s"), ("phone", "chat"))
    return _study.run_knob(knob, args, apply)


if __name__ == "__main__":
    sys.exit(main())
