"""Callbacks: should we offer them?  The share of billing callers who accept one, 0 to 100%.

    python experiments/callbacks.py                       # ~15 s; results/studies/callbacks/
    python experiments/callbacks.py --threshold 10        # offer them sooner

One knob: the ``callback.acceptance`` of every contact type with a callback rule (in the default
centre ``billing``: offered when the predicted wait exceeds ``--threshold`` seconds, default the
scenario's 30).  Acceptance 0 is the centre without callbacks (an offer nobody takes changes
nothing), so ``paired_vs_baseline.csv`` compares each share with no callbacks.  Customers who
accept stop abandoning and leave the live queue (they are not in ``offered``), so abandonment
falls and the live service level changes; the price is the callback wait (acceptance to
callback) and the agent time of unanswered callbacks.

Writes ``kpis.csv`` (``callback_acceptance``, channel, metric, mean, ci_low, ci_high, n_reps),
``paired_vs_baseline.csv`` and ``callbacks.png`` (accepted callbacks, abandonment and callback
wait against the acceptance, with CI bands).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from sim.engine.options import number  # noqa: E402
from _study import Knob, Panel  # noqa: E402

NAME = "callbacks"
ACCEPTANCES = (0.0, 0.25, 0.5, 0.75, 1.0)
METRICS = ("offered", "answered", "abandoned", "abandon_rate", "service_level", "asa_s", "callbacks_offered",
           "callbacks_accepted", "callback_wait_s", "callback_success", "occupancy", "csat_modelled", "nps_modelled")


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__)
    p.add_argument("--threshold", type=number(minimum=0, unit="seconds"), default=None,
                   help="offer a callback above this predicted wait, seconds >= 0 (default: the scenario's)")
    args = p.parse_args(argv)

    def apply(raw, acceptance):
        for ct in raw["scenario"]["contact_types"].values():
            if ct.get("callback"):
                ct["callback"]["acceptance"] = acceptance
                if args.threshold is not None:
                    ct["callback"]["offer_threshold_s"] = args.threshold

    knob = Knob(NAME, "callback_acceptance", ACCEPTANCES, 0.0, METRICS, (
        Panel("callbacks_accepted", "Callbacks accepted", 1.0, ("phone",)),
        Panel("abandon_rate", "Abandonment (%)", 100.0, ("phone", "live")),
        Panel("callback_wait_s", "Callback wait (s)", 1.0, ("phone",)),
    ), "Callbacks: share of the offered billing callers who accept", "callback acceptance",
        ("callbacks_accepted", "abandoned", "abandon_rate", "service_level", "callback_wait_s"), ("phone", "all"))
    return _study.run_knob(knob, args, apply)


if __name__ == "__main__":
    sys.exit(main())
