"""VIP priority class: what a growing share of priority callers does to them and to everyone else.

    python experiments/vip_share.py                       # ~20 s; results/studies/vip_share/
    python experiments/vip_share.py --priority 5          # VIPs above every other queue

One knob: the share of billing callers in the VIP class (``scenario.contact_types.billing.vip.share``),
0 to 40%, with the default's priority (3, above sales) or ``--priority``.  VIPs wait in a queue of their
own that agents serve first.  ``--staffing-factor`` scales the generalists' staffing (default 1): at
the default staffing the centre has slack and a larger VIP class costs the others little; with fewer
agents the VIPs' head start comes out of the other callers' waits.  Baseline: the default 5%.

Writes ``kpis.csv`` (``vip_share``, channel, metric, mean, ci_low, ci_high, n_reps),
``paired_vs_baseline.csv`` and ``vip_share.png`` (service level of the VIPs and of the other phone
callers, and phone ASA, against the VIP share, with CI bands).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _study  # noqa: E402
from sim.engine.options import LIMITS, count, number  # noqa: E402
from _study import Knob, Panel  # noqa: E402

NAME = "vip_share"
SHARES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4)
METRICS = ("service_level", "vip_service_level", "non_vip_service_level", "asa_s", "abandon_rate", "csat_modelled",
           "nps_modelled")


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__)
    above = int(_study.default_raw()["scenario"]["contact_types"]["billing"].get("priority", 0)) + 1
    p.add_argument("--priority", type=count(minimum=above, maximum=1_000_000), default=None,
                   help=f"the VIP queue's priority, a whole number above billing's, >= {above} "
                        "(default: the scenario's)")
    p.add_argument("--staffing-factor", type=number(minimum=0), default=1.0,
                   help="multiply the generalists' staffing in every interval, >= 0 (default 1)")
    args = p.parse_args(argv)
    staffing = _study.default_raw()["scenario"]["agent_groups"]["generalists"]["staffing"]
    most = max(staffing if isinstance(staffing, list) else [staffing])
    if most * args.staffing_factor > LIMITS["agents"]:
        p.error(f"argument --staffing-factor: expected at most {LIMITS['agents'] / most:g} (at most "
                f"{LIMITS['agents']:,} agents in an interval), got {args.staffing_factor:g}")

    def apply(raw, share):
        generalists = raw["scenario"]["agent_groups"]["generalists"]
        if args.staffing_factor != 1.0:
            staffing = generalists["staffing"]
            staffing = staffing if isinstance(staffing, list) else [staffing]
            generalists["staffing"] = [int(round(n * args.staffing_factor)) for n in staffing]
        billing = raw["scenario"]["contact_types"]["billing"]
        vip = dict(billing.get("vip") or {"priority": 3})
        vip["share"] = float(share)
        if args.priority is not None:
            vip["priority"] = args.priority
        billing["vip"] = vip

    def non_vip(result):
        """Phone service level of the callers who are not VIPs, per replication: (SL x offered - VIP SL x
        VIP offered) / (offered - VIP offered); the VIP service level counts as 0 where there are none."""
        def values(reps):
            get = lambda m: _study.metric_by_replication(reps, "phone", m)  # noqa: E731
            offered, vips = get("offered"), get("vip_offered").fillna(0.0)
            return (get("service_level") * offered - get("vip_service_level").fillna(0.0) * vips) / (offered - vips)
        return _study.add_metric(result, "phone", "non_vip_service_level", values)

    targets = _study.sl_targets(_study.default_raw(), ("phone",))
    knob = Knob(NAME, "vip_share", SHARES, 0.05, METRICS, (
        Panel("vip_service_level", "VIP service level (%)", 100.0, ("phone",), targets),
        Panel("non_vip_service_level", "Service level, other phone callers (%)", 100.0, ("phone",), targets),
        Panel("asa_s", "ASA, all phone (s)", 1.0, ("phone",)),
    ), "VIP class: share of billing callers served first", "share of billing callers who are VIPs",
        ("vip_service_level", "non_vip_service_level", "service_level", "asa_s"), ("phone",))
    return _study.run_knob(knob, args, apply, non_vip)


if __name__ == "__main__":
    sys.exit(main())
