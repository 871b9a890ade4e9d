"""Channel shift: a share of the phone billing volume moved to chat, from 0% to 50%.

    python experiments/channel_shift.py                  # ~5 s; results/studies/channel_shift/

At share ``s`` the default scenario's phone billing volume becomes ``1300 x (1 - s)`` a day and chat
billing ``450 + 1300 x s`` (both have the same time-of-day profile, so the same share moves in every
interval).  Chats are longer to handle (mean 540 s against 300 s by phone) and wait up to 60 s for
their service level against 20 s by phone, so moving volume is not free: the study shows where
each channel's service level and ASA go and how busy the agents get.  Staffing stays as it is.
Every point runs with the same seed (common random numbers); ``paired_vs_baseline.csv`` compares
each share with 0%.

Writes ``kpis.csv`` (``chat_share``, channel, metric, mean, ci_low, ci_high, n_reps),
``paired_vs_baseline.csv`` and ``channel_shift.png`` (service level and ASA per channel, and the
centre's occupancy, against the share moved, with CI bands).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from sim.engine.options import one_of  # noqa: E402
from _study import Panel  # noqa: E402

NAME = "channel_shift"
KEY = "chat_share"
SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
METRICS = ("offered", "service_level", "asa_s", "abandon_rate", "occupancy", "aht_s")


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__)
    types = _study.default_raw()["scenario"]["contact_types"]

    def of(channel: str) -> tuple[str, ...]:
        """The contact types of ``channel`` whose arrivals are a daily volume (what the study moves)."""
        return tuple(n for n, ct in types.items() if ct.get("channel") == channel
                     and (ct.get("arrivals") or {}).get("volume") is not None)
    p.add_argument("--source", type=one_of(of("phone"), "phone contact type"), default="billing",
                   help=f"the phone contact type whose volume moves ({', '.join(of('phone'))})")
    p.add_argument("--target", type=one_of(of("chat"), "chat contact type"), default="billing_chat",
                   help=f"the chat contact type it moves to ({', '.join(of('chat'))})")
    args = p.parse_args(argv)
    started = time.perf_counter()
    base = _study.default_raw()
    types = base["scenario"]["contact_types"]
    phone = float(types[args.source]["arrivals"]["volume"])
    chat = float(types[args.target]["arrivals"]["volume"])
    points = []
    for share in SHARES:
        raw = _study.copy.deepcopy(base)
        raw["scenario"]["contact_types"][args.source]["arrivals"]["volume"] = phone * (1 - share)
        raw["scenario"]["contact_types"][args.target]["arrivals"]["volume"] = chat + phone * share
        points.append((share, raw))
    results = _study.run_points(points, args)
    kpis = _study.kpi_table(results, KEY, METRICS)
    paired = _study.paired_table(results, KEY, 0.0, METRICS)
    targets = _study.sl_targets(base, ("phone", "chat"))
    figure = _study.draw(kpis, KEY, [
        Panel("service_level", "Service level (%)", 100.0, ("phone", "chat", "live"), targets),
        Panel("asa_s", "ASA (s)", 1.0, ("phone", "chat")),
        Panel("occupancy", "Occupancy (%)", 100.0, ("all",)),
    ], f"Channel shift: phone {args.source} volume moved to chat", f"share of {args.source} volume moved to chat (%)",
        x_scale=100.0, baseline=0.0)
    _study.print_table(kpis, KEY, ("offered", "service_level", "asa_s", "occupancy"), ("phone", "chat", "live", "all"))
    _study.finish(NAME, args.out, {"kpis": kpis, "paired_vs_baseline": paired}, figure, started,
                  _study.study_info(KEY, 0.0, dict(results)[0.0], x_label=f"share of {args.source} volume moved to chat"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
