"""Costs of one replication (``scenario.costs``), over the whole simulated day (warm-up and drain
included: the centre pays for them too); a run from a state (:mod:`sim.model.state`) pays logged-in
hours from the state's time on (groups with shifts: their whole scheduled day).

- ``labour_cost``: per group, wage x paid hours, plus wage x ``overtime_premium`` x overtime hours.
  Paid hours are the scheduled shift hours for a group with shifts (breaks paid, as the roster is;
  absence too unless ``absence_paid: false``), else its logged-in hours; overtime is the time agents
  finish contacts past their shift ends (groups with shifts; :mod:`sim.workforce.duty`).

Per group (:func:`group_workforce`, in ``groups.csv`` when a group works shifts): ``paid_hours``;
``worked_hours``, the hours agents were logged in (handling contacts or available, overtime
included; not on breaks, absent, in meetings or training, or briefly unavailable); ``absent_hours``,
the scheduled hours of absent agents; ``overtime_hours``; and the planned and realised shrinkage.
- ``vendor_cost``: per group, ``per_contact`` x the services its agents started (an outsourced
  vendor paid per contact; services of escalated contacts count at each tier).
- ``bot_cost``: ``bot_per_contact`` x contacts that went through self-service (deflected there or
  handed off to an agent; :mod:`sim.journeys.flow`).
- ``telephony_cost``: ``telephony_per_minute`` x the minutes contacts of the ``telephony_channels``
  spend on the line: waiting (also abandoners, until they hang up), in service, and waiting after an
  escalation.
- ``total_cost`` = labour + vendor + bot + telephony; ``cost_per_contact`` = total / contacts
  handled (answered by an agent, or deflected by self-service).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.records import TALLY_FIELDS, ReplicationResult

if TYPE_CHECKING:  # pragma: no cover (type-only: never runs, so no import circle)
    from sim.model.config import Scenario

__all__ = ["COST_METRICS", "WORKFORCE_METRICS", "replication_costs", "group_workforce", "labour_cost", "group_costs"]

COST_METRICS = ("labour_cost", "vendor_cost", "bot_cost", "telephony_cost", "total_cost", "cost_per_contact")
WORKFORCE_METRICS = ("paid_hours", "worked_hours", "absent_hours", "overtime_hours", "shrinkage_planned",
                     "shrinkage_realised")
_F = {name: i for i, name in enumerate(TALLY_FIELDS)}


def group_workforce(result: ReplicationResult, group: str, index: int, absence_paid: bool = True) -> dict[str, float]:
    """:data:`WORKFORCE_METRICS` of a group over the whole day (shrinkage NaN without shifts).  A group without
    shifts is paid for its logged-in hours; with shifts, for its scheduled hours, less the absent ones
    unless ``absence_paid``."""
    seg = result.segments
    staffed = seg.staffed_area[:, index]
    if result.costs_from_s > 0.0:  # a run from a state: logged-in time from its time on (staffing is
        # constant within a segment, so a segment the state's time cuts counts pro rata)
        starts, ends = seg.bounds_s[:-1], seg.bounds_s[1:]
        share = np.clip((ends - result.costs_from_s) / np.maximum(ends - starts, 1e-300), 0.0, 1.0)
        staffed = staffed * share
    worked = float(staffed.sum()) / 3600.0
    wf = result.workforce.get(group)
    if wf is None:
        return {"paid_hours": worked, "worked_hours": worked, "absent_hours": 0.0, "overtime_hours": 0.0,
                "shrinkage_planned": math.nan, "shrinkage_realised": math.nan}
    absent = wf["absent_s"] / 3600.0
    scheduled = wf["scheduled_s"] / 3600.0
    return {"paid_hours": scheduled if absence_paid else scheduled - absent, "worked_hours": worked,
            "absent_hours": absent, "overtime_hours": wf["overtime_s"] / 3600.0,
            "shrinkage_planned": wf["shrinkage_planned"], "shrinkage_realised": wf["shrinkage_realised"]}


def labour_cost(wage: float, paid_hours: float, overtime_hours: float, overtime_premium: float) -> float:
    """A group's labour cost: wage x (paid hours + overtime premium x overtime hours)."""
    return wage * (paid_hours + overtime_premium * overtime_hours)


def group_costs(result: ReplicationResult, scenario: Scenario) -> dict[str, tuple[float, float]]:
    """``{group: (labour cost, vendor cost)}`` of one replication over the whole day, as in
    :func:`replication_costs` (empty without ``scenario.costs``); e.g. summed per site."""
    costs = scenario.costs
    if costs is None:
        return {}
    out = {}
    for i, group in enumerate(result.group_names):
        hours = group_workforce(result, group, i, costs.absence_paid)
        out[group] = (labour_cost(costs.wage_per_hour[group], hours["paid_hours"], hours["overtime_hours"],
                                  costs.overtime_premium),
                      costs.per_contact.get(group, 0.0) * result.served.get(group, 0))
    return out


def replication_costs(result: ReplicationResult, scenario: Scenario) -> dict[str, float]:
    """:data:`COST_METRICS` of one replication (empty without ``scenario.costs``)."""
    costs = scenario.costs
    if costs is None:
        return {}
    labour = 0.0
    for i, group in enumerate(result.group_names):
        hours = group_workforce(result, group, i, costs.absence_paid)
        labour += labour_cost(costs.wage_per_hour[group], hours["paid_hours"], hours["overtime_hours"],
                              costs.overtime_premium)
    tally = result.segments.tally.sum(axis=0)  # (channels, fields), the whole day
    line_s = 0.0
    for channel in costs.telephony_channels:
        row = tally[result.channel_names.index(channel)]
        line_s += row[_F["wait_offered_s"]] + row[_F["handle_s"]] + row[_F["transfer_wait_s"]]
    telephony = costs.telephony_per_minute * line_s / 60.0
    vendor = sum(price * result.served.get(group, 0) for group, price in costs.per_contact.items())
    bot = costs.bot_per_contact * float(tally[:, _F["deflected"]].sum() + tally[:, _F["bot_handoffs"]].sum())
    handled = float(tally[:, _F["answered"]].sum() + tally[:, _F["deflected"]].sum())
    total = labour + vendor + bot + telephony
    return {"labour_cost": labour, "vendor_cost": vendor, "bot_cost": bot, "telephony_cost": telephony,
            "total_cost": total, "cost_per_contact": total / handled if handled else math.nan}
