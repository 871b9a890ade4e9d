"""Repeat contacts: how often issues stay unresolved, from perfect resolution to three times the default.

    python experiments/repeat_contacts.py                 # ~15 s; results/studies/repeat_contacts/

One knob, a multiplier: every ``repeat.probability`` (and ``probability_by_group``) of the default
centre (``billing`` 0.10; ``technical`` 0.15, 0.05 for specialists) times the factor, capped at 1;
0 = every issue resolved at the first contact.  Unresolved customers come back (repeat contacts),
so first-contact resolution (FCR) falls, the repeat rate and the offered load rise, and waits get
longer.  The baseline is the default (factor 1).

Writes ``kpis.csv`` (``unresolved_factor``, channel, metric, mean, ci_low, ci_high, n_reps),
``paired_vs_baseline.csv`` and ``repeat_contacts.png`` (FCR, repeat rate and service level against
the factor, with CI bands).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from _study import Knob, Panel  # noqa: E402

NAME = "repeat_contacts"
FACTORS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
METRICS = ("offered", "unique_customers", "repeat_contacts", "repeat_rate", "fcr", "service_level", "asa_s",
           "abandon_rate", "occupancy", "csat_modelled", "nps_modelled")


def main(argv: list[str] | None = None) -> int:
    args = _study.parser(NAME, __doc__).parse_args(argv)

    def apply(raw, factor):
        for ct in raw["scenario"]["contact_types"].values():
            repeat = ct.get("repeat")
            if repeat:
                repeat["probability"] = min(1.0, repeat["probability"] * factor)
                groups = repeat.get("probability_by_group") or {}
                repeat["probability_by_group"] = {g: min(1.0, p * factor) for g, p in groups.items()}

    targets = _study.sl_targets(_study.default_raw(), ("phone", "chat"))
    knob = Knob(NAME, "unresolved_factor", FACTORS, 1.0, METRICS, (
        Panel("fcr", "First-contact resolution (%)", 100.0, ("phone", "all")),
        Panel("repeat_rate", "Repeat contacts (% of arrivals)", 100.0, ("phone", "all")),
        Panel("service_level", "Service level (%)", 100.0, ("phone", "chat", "live"), targets),
    ), "Repeat contacts: unresolved-issue probabilities x factor", "factor on the unresolved probabilities",
        ("fcr", "repeat_rate", "offered", "service_level"), ("phone", "all"))
    return _study.run_knob(knob, args, apply)


if __name__ == "__main__":
    sys.exit(main())
