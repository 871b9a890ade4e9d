"""What each KPI is for a reader: its name, unit, how to show it, and which way is better.

Shared by the figures (axis labels), the report (tables and sentences) and :mod:`sim.compare`
(verdicts). Imports nothing from the model.

:func:`verdict` turns a paired difference's confidence interval into words: an interval that
excludes 0 is a significant change, which is *better* or *worse* when the KPI has a better
direction (service level up, waits, abandonment and cost down) and *higher* or *lower* when it
has none (occupancy, handle time, volumes: whether more is good depends on the goal).

Statistically significant is not the same as worth acting on: with common random numbers even a
0.02 pp change can have an interval that excludes 0. Each KPI has a *practical threshold*
(:attr:`KPI.practical`, e.g. 0.1 pp of service level, half an agent-hour, 0.5 s of ASA); a
significant difference whose mean is smaller than it is called "no practical difference"
(:data:`VERDICT_NEGLIGIBLE`), and the reports state the threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["KPI", "KPIS", "kpi", "verdict", "VERDICT_BETTER", "VERDICT_WORSE", "VERDICT_NONE",
           "VERDICT_NEGLIGIBLE", "VERDICT_UNKNOWN", "verdict_words", "WAIT_UNITS", "wait_unit", "wait_units",
           "unit_of"]


@dataclass(frozen=True)
class KPI:
    """``name`` as a reader says it; ``unit`` after scaling by ``scale`` ("%" for shares, shown
    with ``digits`` decimals; differences of shares in percentage points); ``better``: +1 higher
    is better, -1 lower is better, 0 neither; ``practical``: the smallest difference worth acting
    on, in the table's units (before ``scale``; 0: any significant difference counts)."""

    name: str
    unit: str
    scale: float = 1.0
    digits: int = 1
    better: int = 0
    practical: float = 0.0

    @property
    def label(self) -> str:
        """Axis label with the unit, e.g. ``Service level (%)``."""
        return f"{self.name} ({self.unit})" if self.unit else self.name

    @property
    def diff_unit(self) -> str:
        return "pp" if self.unit == "%" else self.unit

    def show(self, value: float, unit: bool = True) -> str:
        """``value`` (in the table's units) as text with its unit, e.g. ``83.2%``, ``7.0 s`` (``unit``
        False: the number alone, but shares keep their %)."""
        if value is None or not math.isfinite(value):
            return "–"
        text = f"{value * self.scale:,.{self.digits}f}"
        return f"{text}%" if self.unit == "%" else (f"{text} {self.unit}" if self.unit and unit else text)

    def show_diff(self, value: float) -> str:
        """A difference with its sign and unit, e.g. ``+8.0 pp``, ``-3.1 s``."""
        if value is None or not math.isfinite(value):
            return "–"
        text = f"{value * self.scale:+,.{self.digits}f}"
        return f"{text} {self.diff_unit}" if self.diff_unit else text

    def show_threshold(self) -> str:
        """The practical threshold as text, e.g. ``0.1 pp``, ``0.5 s``, ``0.5 agent-h``."""
        text = f"{self.practical * self.scale:,.{max(self.digits, 1)}g}"
        return f"{text} {self.diff_unit}" if self.diff_unit else text


KPIS: dict[str, KPI] = {
    "arrivals": KPI("Arrivals", "contacts", digits=0),
    "offered": KPI("Offered", "contacts", digits=0),
    "answered": KPI("Answered", "contacts", digits=0),
    "abandoned": KPI("Abandoned", "contacts", digits=0, better=-1),
    "blocked": KPI("Blocked", "contacts", digits=0, better=-1),
    "in_system": KPI("Still in the system at the end", "contacts", digits=0),
    "service_level": KPI("Service level", "%", 100.0, 1, better=+1, practical=0.001),
    "sl_risk": KPI("Risk of missing the SL target", "%", 100.0, 0, better=-1),
    "asa_s": KPI("Average speed of answer", "s", digits=1, better=-1, practical=0.5),
    "mean_wait_s": KPI("Mean wait", "s", digits=1, better=-1, practical=0.5),
    "abandon_rate": KPI("Abandonment", "%", 100.0, 1, better=-1, practical=0.001),
    "block_rate": KPI("Blocked", "%", 100.0, 1, better=-1),
    "balked": KPI("Balked (left at once)", "contacts", digits=0, better=-1),
    "balk_rate": KPI("Balked (left at once)", "%", 100.0, 1, better=-1, practical=0.001),
    "line_blocked": KPI("Blocked, all lines busy", "contacts", digits=0, better=-1),
    "line_block_rate": KPI("Blocked, all lines busy", "%", 100.0, 1, better=-1, practical=0.001),
    "lines_busy": KPI("Lines busy, mean", "lines", digits=1),
    "dials": KPI("Outbound dials", "dials", digits=0),
    "connects": KPI("Outbound dials answered", "calls", digits=0),
    "connect_rate": KPI("Outbound dials answered", "%", 100.0, 1),
    "right_party_contacts": KPI("Right-party contacts", "calls", digits=0, better=+1),
    "nuisance_calls": KPI("Nuisance calls (answered, no agent)", "calls", digits=0, better=-1),
    "nuisance_rate": KPI("Nuisance rate (of answered dials)", "%", 100.0, 2, better=-1, practical=0.001),
    "list_completed_share": KPI("Calling list completed", "%", 100.0, 1, better=+1),
    "list_reached_share": KPI("Calling list reached (right party)", "%", 100.0, 1, better=+1),
    "outbound_utilisation": KPI("Agent time on outbound work", "%", 100.0, 1),
    "p_wait": KPI("Share that waited", "%", 100.0, 1, better=-1, practical=0.001),
    "aht_s": KPI("Average handle time", "s", digits=0, practical=0.5),
    "talk_time_s": KPI("Talk time", "s", digits=0, practical=0.5),  # with after-call work: aht_s = talk + wrap-up
    "wrap_up_s": KPI("After-call work", "s", digits=0, practical=0.5),
    "escalation_rate": KPI("Escalation", "%", 100.0, 1, practical=0.001),
    "transfer_asa_s": KPI("Wait after escalation", "s", digits=1, better=-1),
    "end_to_end_time_s": KPI("End-to-end time", "s", digits=0, better=-1),
    "mean_queue_length": KPI("Backlog, mean waiting", "contacts", digits=2, better=-1),
    "backlog": KPI("Backlog at the end", "contacts", digits=1, better=-1),
    "occupancy": KPI("Occupancy", "%", 100.0, 1, practical=0.001),
    "agents_staffed": KPI("Agents logged in, time average", "agents", digits=1),
    "routed_out": KPI("Answered at another site", "contacts", digits=0),
    "routed_share": KPI("Share answered at another site", "%", 100.0, 1),
    "agent_hours": KPI("Staffed agent-hours", "agent-h", digits=0, better=-1, practical=0.5),
    "cost": KPI("Staff cost", "", digits=0, better=-1, practical=1.0),
    # the scenario's own cost model (scenario.costs; sim.workforce.costs), whole day, in its currency
    "labour_cost": KPI("Labour cost", "", digits=0, better=-1, practical=1.0),
    "vendor_cost": KPI("Vendor cost (per contact)", "", digits=0, better=-1, practical=1.0),
    "bot_cost": KPI("Self-service (bot) cost", "", digits=0, better=-1, practical=1.0),
    "telephony_cost": KPI("Telephony cost", "", digits=0, better=-1, practical=1.0),
    "total_cost": KPI("Total cost", "", digits=0, better=-1, practical=1.0),
    "cost_per_contact": KPI("Cost per contact handled", "", digits=2, better=-1, practical=0.005),
    # the journeys' mechanisms (sim.journeys)
    "deflected": KPI("Resolved in self-service", "contacts", digits=0),
    "containment_rate": KPI("Self-service containment", "%", 100.0, 1, better=+1, practical=0.001),
    "bot_handoffs": KPI("Handed off by self-service", "contacts", digits=0),
    "bot_time_s": KPI("Time in self-service", "s", digits=0),
    "retrials": KPI("Retrials", "contacts", digits=0, better=-1),
    "retrial_rate": KPI("Retrial rate", "%", 100.0, 1, better=-1, practical=0.001),
    "unique_customers": KPI("Customers", "customers", digits=0),
    "repeat_contacts": KPI("Repeat contacts", "contacts", digits=0, better=-1),
    "repeat_rate": KPI("Repeat contacts", "%", 100.0, 1, better=-1, practical=0.001),
    "fcr": KPI("First-contact resolution", "%", 100.0, 1, better=+1, practical=0.001),
    "callbacks_offered": KPI("Callbacks offered", "contacts", digits=0),
    "callbacks_accepted": KPI("Callbacks accepted", "contacts", digits=0),
    "callback_wait_s": KPI("Wait for a callback", "s", digits=0, better=-1, practical=0.5),
    "callback_success": KPI("Callbacks reached", "%", 100.0, 1, better=+1, practical=0.001),
    "overflowed": KPI("Overflowed", "contacts", digits=0),
    "overflow_rate": KPI("Overflowed", "%", 100.0, 1, practical=0.001),
    "overflow_answered": KPI("Answered after overflow", "contacts", digits=0),
    "vip_offered": KPI("VIP offered", "contacts", digits=0),
    "vip_service_level": KPI("VIP service level", "%", 100.0, 1, better=+1, practical=0.001),
    "csat_modelled": KPI("CSAT (modelled, 1-5)", "", digits=2, better=+1, practical=0.01),
    "nps_modelled": KPI("NPS (modelled)", "", digits=1, better=+1, practical=0.1),
}

VERDICT_BETTER = "significantly better"
VERDICT_WORSE = "significantly worse"
VERDICT_NONE = "no detectable difference"
VERDICT_UNKNOWN = "not enough data"
VERDICT_NEGLIGIBLE = "no practical difference"


def kpi(metric: str) -> KPI:
    """The :class:`KPI` of ``metric`` (an unknown metric: its own name, no unit, no direction)."""
    return KPIS.get(metric) or KPI(metric, "", digits=3)


def verdict(metric: str, low: float, high: float, mean: float | None = None) -> str:
    """Words for the paired difference (alternative - baseline) with interval ``[low, high]`` and,
    when given, mean ``mean``: a significant difference smaller than the KPI's practical threshold
    is :data:`VERDICT_NEGLIGIBLE`."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return VERDICT_UNKNOWN
    if low <= 0.0 <= high:
        return VERDICT_NONE
    info = kpi(metric)
    if mean is not None and math.isfinite(mean) and abs(mean) < info.practical:
        return VERDICT_NEGLIGIBLE
    up = low > 0.0
    better = info.better
    if better == 0:
        return "significantly higher" if up else "significantly lower"
    return VERDICT_BETTER if (up == (better > 0)) else VERDICT_WORSE


def verdict_words(metric: str, word: str) -> str:
    """A verdict as a report prints it: "no practical difference" says why (its threshold)."""
    if word == VERDICT_NEGLIGIBLE:
        return f"{word} (significant, but under {kpi(metric).show_threshold()})"
    return word


#: the units a wait is shown in, with their length in seconds: a live channel's in seconds, a deferrable
#: channel's in minutes when its target is under an hour (social posts, 80% in 30 min), else in hours (email)
WAIT_UNITS = {"s": 1.0, "min": 60.0, "h": 3600.0}


def wait_unit(threshold_s: float, deferrable: bool = True) -> str:
    """The unit of a channel's waits (a key of :data:`WAIT_UNITS`) from its service-level threshold (s)."""
    if not deferrable:
        return "s"
    return "min" if threshold_s < 3600.0 else "h"


def wait_units(channels) -> dict[str, str]:
    """``{channel: "min" or "h"}`` for the deferrable channels of ``channels`` (name -> an object with
    ``service_level_threshold_s`` and ``deferrable``, e.g. a scenario's channels): a mapping that is also
    the collection of deferrable channels the reports take (``ch in deferrable``)."""
    return {name: wait_unit(ch.service_level_threshold_s) for name, ch in channels.items() if ch.deferrable}


def unit_of(deferrable, channel: str) -> str:
    """The unit of ``channel``'s waits given ``deferrable``: a mapping from :func:`wait_units` (its unit),
    or a plain collection of deferrable channels (hours), else seconds."""
    if channel not in deferrable:
        return "s"
    return deferrable[channel] if hasattr(deferrable, "get") else "h"
