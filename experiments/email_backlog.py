"""Email backlog over a working week: how many dedicated email agents keep 90% of email answered within 24 h?

    python experiments/email_backlog.py                   # ~25 s; results/studies/email_backlog/

A multi-day run (``run.days: 5``, sim/workforce/days.py) of the default centre on a heavy email week: 800 emails
a day in opening hours (the default has 350) with a weekly pattern (Monday 1.3 to Friday 0.8:
``arrivals.day_factors``) and 150 more sent each night (``arrivals.overnight_volume``), a 24-hour
response target (90% first responses within 24 h, the clock running overnight), worked by the
generalists when no live contact waits (2 kept free) and by an email desk of 0 to 4 agents.  The
backlog left at each closing carries over to the next morning.  One knob: the email desk's agents;
baseline 0.

Writes ``kpis.csv`` (``email_agents``, channel, metric, mean, ci_low, ci_high, n_reps),
``paired_vs_baseline.csv``, ``backlog_by_interval.csv`` (mean email backlog at the end of every
interval of the week, per desk size), ``email_backlog.png`` (share within 24 h, first response and
backlog at the end of the week against the desk) and ``email_backlog_week.png`` (the backlog over the
week, one line per desk size).
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import _study  # noqa: E402
from sim.engine.options import LIMITS, count, number  # noqa: E402
from _study import Panel  # noqa: E402
from sim.reporting.style import GREY, LABEL_SIZE, PALETTE, TITLE_SIZE, legend, new_figure, save_figures  # noqa: E402

NAME = "email_backlog"
DESK = (0, 1, 2, 3, 4)
WEEK = [1.3, 1.1, 1.0, 0.9, 0.8]  # Monday to Friday
BASELINE = 0
MAX_DAYS = 366  # --days: a year of opening days at most
METRICS = ("service_level", "asa_s", "backlog", "mean_queue_length", "occupancy", "in_system")


def apply(raw: dict, agents: int, days: int, volume: float, overnight: float) -> None:
    """The heavy email week with an email desk of ``agents``."""
    scenario = raw["scenario"]
    raw["run"]["days"] = days
    scenario["channels"]["email"]["service_level_threshold_s"] = 86400
    scenario["contact_types"]["email"]["arrivals"].update(volume=volume, day_factors=WEEK, overnight_volume=overnight)
    scenario["agent_groups"]["email_desk"] = {"skills": ["email"], "staffing": int(agents)}
    if scenario.get("costs"):  # paid as the generalists are
        scenario["costs"]["wage_per_hour"]["email_desk"] = scenario["costs"]["wage_per_hour"]["generalists"]


def week_figure(backlog: pd.DataFrame, days: int, day_open_h: float):
    """Mean email backlog at each interval end over the week, one line per desk size."""
    fig, axes = new_figure(nrows=1, size=(12.0, 4.2))
    ax = axes[0]
    lines = []
    for i, (agents, part) in enumerate(backlog.groupby("email_agents")):
        part = part.sort_values("interval_start_s")
        # opening hours end to end: day d's intervals at d x day_open_h hours (the nights left out)
        x = part["day"].to_numpy() * day_open_h + part["hour_of_day"].to_numpy()
        lines += ax.plot(x, part["backlog"].to_numpy(), linewidth=2, color=PALETTE[i % (len(PALETTE) - 1)],
                         label=f"{agents} email agents")
    for d in range(1, days):
        ax.axvline(d * day_open_h, color=GREY, linestyle=":", linewidth=1)
    ax.set_xticks([(d + 0.5) * day_open_h for d in range(days)], [f"day {d + 1}" for d in range(days)])
    ax.set_xlabel("opening hours of the week (dotted: overnight closings)", fontsize=LABEL_SIZE)
    ax.set_ylabel("emails waiting at interval end", fontsize=LABEL_SIZE)
    ax.set_ylim(bottom=0)
    ax.set_title("Email backlog carried over the week", fontsize=TITLE_SIZE)
    legend(ax, lines)
    return fig


def main(argv: list[str] | None = None) -> int:
    p = _study.parser(NAME, __doc__, replications=20)
    most = 24 * LIMITS["rate_per_hour"]  # a whole day at the arrival-rate ceiling
    p.add_argument("--days", type=count(minimum=1, maximum=MAX_DAYS), default=5,
                   help=f"days of opening hours, 1 to {MAX_DAYS} (default 5)")
    p.add_argument("--volume", type=number(minimum=0, maximum=most), default=800.0,
                   help="emails per day in opening hours, >= 0 (default 800)")
    p.add_argument("--overnight", type=number(minimum=0, maximum=most), default=150.0,
                   help="emails sent each night, >= 0 (default 150)")
    args = p.parse_args(argv)
    started = time.perf_counter()
    base = _study.default_raw()
    points = []
    for agents in DESK:
        raw = copy.deepcopy(base)
        apply(raw, agents, args.days, args.volume, args.overnight)
        points.append((agents, raw))
    results = _study.run_points(points, args)
    kpis = _study.kpi_table(results, "email_agents", METRICS)
    paired = _study.paired_table(results, "email_agents", BASELINE, METRICS)
    parts = []
    for agents, result in results:
        rows = result.intervals[result.intervals["channel"] == "email"]
        start = rows["interval_start_s"].to_numpy(dtype=float)
        parts.append(pd.DataFrame({"email_agents": agents, "interval_start_s": start, "interval": rows["interval"],
                                   "day": np.floor_divide(start, 86400.0).astype(int),
                                   "hour_of_day": (start % 86400.0) / 3600.0, "backlog": rows["backlog"]}))
    backlog = pd.concat(parts, ignore_index=True)
    figure = _study.draw(kpis, "email_agents", (
        Panel("service_level", "Email answered within 24 h (%)", 100.0, ("email",), (("email", 90.0),)),
        Panel("asa_s", "Email first response (h)", 1 / 3600, ("email",)),
        Panel("backlog", "Emails waiting at the week's end", 1.0, ("email",)),
    ), f"Email desk over a {args.days}-day week of {args.volume:g} emails a day (+{args.overnight:g} a night)",
        "email desk agents",
        baseline=BASELINE)
    config = dict(results)[BASELINE].config
    week = week_figure(backlog, args.days, config.run.day_open_s / 3600.0)
    _study.print_table(kpis, "email_agents", ("service_level", "asa_s", "backlog"), ("email",))
    _study.finish(NAME, args.out, {"kpis": kpis, "paired_vs_baseline": paired,
                                             "backlog_by_interval": backlog}, figure, started,
                            _study.study_info("email_agents", BASELINE, dict(results)[BASELINE], days=args.days))
    for path in save_figures({f"{NAME}_week": week}, args.out):
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
