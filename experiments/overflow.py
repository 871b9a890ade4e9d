"""Overflow to a vendor team: how many vendor agents, taking billing and technical calls after a wait.

    python experiments/overflow.py                        # ~20 s; results/studies/overflow/
    python experiments/overflow.py --after 30             # overflow sooner

One knob: the staffing of an outsourced ``vendor`` group (every interval), 0 to 8 agents, added to the
default centre with no skills of its own; billing and technical calls still waiting after ``--after``
seconds (default 60) overflow to it (``scenario.contact_types.<type>.overflow``).  More vendor agents
take more of the long waits: phone service level and ASA improve, and the overflow share answered by
the vendor rises.  Baseline: no vendor agents (the overflow rule is there but nobody takes it).

Writes ``kpis.csv`` (``vendor_agents``, channel, metric, mean, ci_low, ci_high, n_reps),
``paired_vs_baseline.csv`` and ``overflow.png`` (service level, ASA and calls answered by the vendor
against the vendor staffing, with CI bands).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from sim.engine.options import number  # noqa: E402
from _study import Knob, Panel  # noqa: E402

NAME = "overflow"
#: what the vendor charges per call its agents take (the default centre\'s currency), as scenario.costs.per_contact
VENDOR_PRICE = 4.0
VENDOR_AGENTS = (0, 2, 4, 6, 8)
METRICS = ("service_level", "asa_s", "abandon_rate", "overflowed", "overflow_rate", "overflow_answered", "occupancy",
           "agents_staffed", "csat_modelled", "nps_modelled")
TYPES = ("billing", "technical")


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__)
    p.add_argument("--after", type=number(minimum=0, unit="seconds"), default=60.0,
                   help="wait in seconds (>= 0) after which calls overflow (default 60)")
    args = p.parse_args(argv)

    def apply(raw, agents):
        scenario = raw["scenario"]
        scenario["agent_groups"]["vendor"] = {"skills": [], "staffing": int(agents)}
        if scenario.get("costs"):  # an outsourced team: no wage, a price per call it takes
            scenario["costs"]["wage_per_hour"]["vendor"] = 0
            scenario["costs"]["per_contact"] = {**(scenario["costs"].get("per_contact") or {}), "vendor": VENDOR_PRICE}
        for name in TYPES:
            overflow = scenario["contact_types"][name].get("overflow") or {"groups": []}
            scenario["contact_types"][name]["overflow"] = {"after_s": args.after,
                                                           "groups": [*overflow["groups"], "vendor"]}

    targets = _study.sl_targets(_study.default_raw(), ("phone",))
    knob = Knob(NAME, "vendor_agents", VENDOR_AGENTS, 0, METRICS, (
        Panel("service_level", "Service level (%)", 100.0, ("phone", "chat", "live"), targets),
        Panel("asa_s", "ASA (s)", 1.0, ("phone", "chat")),
        Panel("overflow_answered", "Answered after overflow", 1.0, ("phone",)),
    ), f"Overflow: billing and technical calls to a vendor team after {args.after:g} s", "vendor agents",
        ("service_level", "asa_s", "overflowed", "overflow_answered"), ("phone", "all"))
    return _study.run_knob(knob, args, apply)


if __name__ == "__main__":
    sys.exit(main())
