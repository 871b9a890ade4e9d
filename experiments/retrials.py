"""Retrials: the probability that an abandoned or blocked phone customer tries again, 0 to 0.9.

    python experiments/retrials.py                        # ~15 s; results/studies/retrials/

One knob: the ``retrial.probability`` of every contact type that has a retrial rule (in the default
centre ``billing``, a quarter of whose retrials switch to chat, and ``technical``).  Retrials are
extra arrivals of the same customers: offered load and the retrial rate rise while the number of
unique customers stays exactly the same (common random numbers), and waits and abandonment rise
with the load.  The baseline is the default, 0.5.

Writes ``kpis.csv`` (``retrial_probability``, channel, metric, mean, ci_low, ci_high, n_reps),
``paired_vs_baseline.csv`` and ``retrials.png`` (offered load, retrial rate and service level
against the probability, with CI bands).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from _study import Knob, Panel  # noqa: E402

NAME = "retrials"
PROBABILITIES = (0.0, 0.25, 0.5, 0.75, 0.9)
METRICS = ("arrivals", "offered", "unique_customers", "retrials", "retrial_rate", "service_level", "asa_s",
           "abandon_rate", "abandoned", "csat_modelled", "nps_modelled")


def main(argv: list[str] | None = None) -> int:
    args = _study.parser(NAME, __doc__).parse_args(argv)

    def apply(raw, probability):
        for ct in raw["scenario"]["contact_types"].values():
            if ct.get("retrial"):
                ct["retrial"]["probability"] = probability

    targets = _study.sl_targets(_study.default_raw(), ("phone", "chat"))
    knob = Knob(NAME, "retrial_probability", PROBABILITIES, 0.5, METRICS, (
        Panel("offered", "Offered", 1.0, ("phone", "chat", "all")),
        Panel("retrial_rate", "Retrials (% of arrivals)", 100.0, ("phone", "chat", "all")),
        Panel("service_level", "Service level (%)", 100.0, ("phone", "chat", "live"), targets),
    ), "Retrials: probability that an abandoned or blocked customer tries again", "retrial probability",
        ("offered", "unique_customers", "retrial_rate", "abandon_rate", "service_level"))
    return _study.run_knob(knob, args, apply)


if __name__ == "__main__":
    sys.exit(main())
