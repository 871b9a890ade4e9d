"""Email reserve: how many blended agents to keep free for live work before anyone answers email, 0 to 6.

    python experiments/email_reserve.py                   # ~15 s; results/studies/email_reserve/

One knob: ``deferrable.reserve_agents`` of the default centre's ``email`` type (the generalists
answer email when no live contact waits, and only while that many others of their group stay idle).
A larger reserve protects phone and chat waits, and lengthens email first response (the email
channel's ASA) and the backlog at the end of the day.  Baseline: the default, 2.

Writes ``kpis.csv`` (``reserve_agents``, channel, metric, mean, ci_low, ci_high, n_reps),
``paired_vs_baseline.csv`` and ``email_reserve.png`` (service level, ASA and backlog against the
reserve, with CI bands).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from sim.engine.options import one_of  # noqa: E402
from _study import Knob, Panel  # noqa: E402

NAME = "email_reserve"
RESERVES = (0, 1, 2, 4, 6)
METRICS = ("service_level", "asa_s", "abandon_rate", "backlog", "mean_queue_length", "occupancy", "csat_modelled",
           "nps_modelled")


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__)
    types = tuple(n for n, ct in _study.default_raw()["scenario"]["contact_types"].items()
                  if ct.get("channel") == "email")
    p.add_argument("--contact-type", type=one_of(types, "contact type of the email channel"), default="email",
                   help=f"the deferrable contact type ({', '.join(types)}; default email)")
    args = p.parse_args(argv)

    def apply(raw, reserve):
        raw["scenario"]["contact_types"][args.contact_type]["deferrable"] = {"reserve_agents": int(reserve)}

    targets = _study.sl_targets(_study.default_raw(), ("phone", "chat", "email"))
    knob = Knob(NAME, "reserve_agents", RESERVES, 2, METRICS, (
        Panel("service_level", "Service level (%)", 100.0, ("phone", "chat", "email"), targets),
        Panel("asa_s", "ASA / first response (s)", 1.0, ("phone", "chat", "email")),
        Panel("mean_queue_length", "Mean queue length", 1.0, ("email",)),
    ), f"Email reserve: agents kept free for live work before {args.contact_type} is answered", "reserve agents",
        ("service_level", "asa_s", "backlog"), ("phone", "email"))
    return _study.run_knob(knob, args, apply)


if __name__ == "__main__":
    sys.exit(main())
