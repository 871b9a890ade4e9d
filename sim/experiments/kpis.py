"""What each KPI is for a reader: its name, unit, how to show it, and which way is better.

Shared by the figures (axis labels), the report (tables and sentences) and :mod:`sim.compare`
(verdicts). Imports nothing from the model.

:func:`verdict` turns a paired difference's confidence interval into words: an interval that
excludes 0 is a significant change, which is *better* or *worse* when the KPI has a better
direction (service level up, waits, abandonment and cost down) and *higher* or *lower* when it
has none (occupancy, handle time, volumes: whether more is good depends on the goal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["KPI", "KPIS", "kpi", "verdict", "VERDICT_BETTER", "VERDICT_WORSE", "VERDICT_NONE",
           "VERDICT_UNKNOWN"]


@dataclass(frozen=True)
class KPI:
    """``name`` as a reader says it; ``unit`` after scaling by ``scale`` ("%" for shares, shown
    with ``digits`` decimals; differences of shares in percentage points); ``better``: +1 higher
    is better, -1 lower is better, 0 neither."""

    name: str
    unit: str
    scale: float = 1.0
    digits: int = 1
    better: int = 0

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


KPIS: dict[str, KPI] = {
    "arrivals": KPI("Arrivals", "contacts", digits=0),
    "offered": KPI("Offered", "contacts", digits=0),
    "answered": KPI("Answered", "contacts", digits=0),
    "abandoned": KPI("Abandoned", "contacts", digits=0, better=-1),
    "blocked": KPI("Blocked", "contacts", digits=0, better=-1),
    "in_system": KPI("Still in the system at the end", "contacts", digits=0),
    "service_level": KPI("Service level", "%", 100.0, 1, better=+1),
    "sl_risk": KPI("Risk of missing the SL target", "%", 100.0, 0, better=-1),
    "asa_s": KPI("Average speed of answer", "s", digits=1, better=-1),
    "mean_wait_s": KPI("Mean wait", "s", digits=1, better=-1),
    "abandon_rate": KPI("Abandonment", "%", 100.0, 1, better=-1),
    "block_rate": KPI("Blocked", "%", 100.0, 1, better=-1),
    "p_wait": KPI("Share that waited", "%", 100.0, 1, better=-1),
    "aht_s": KPI("Average handle time", "s", digits=0),
    "escalation_rate": KPI("Escalation", "%", 100.0, 1),
    "transfer_asa_s": KPI("Wait after escalation", "s", digits=1, better=-1),
    "end_to_end_time_s": KPI("End-to-end time", "s", digits=0, better=-1),
    "mean_queue_length": KPI("Backlog, mean waiting", "contacts", digits=2, better=-1),
    "backlog": KPI("Backlog at the end", "contacts", digits=1, better=-1),
    "occupancy": KPI("Occupancy", "%", 100.0, 1),
    "agents_staffed": KPI("Agents logged in, time average", "agents", digits=1),
    "agent_hours": KPI("Staffed agent-hours", "agent-h", digits=0, better=-1),
    "cost": KPI("Staff cost", "", digits=0, better=-1),
    # the scenario's own cost model (scenario.costs; sim.workforce.costs), whole day
    "labour_cost": KPI("Labour cost (scenario wages)", "", digits=0, better=-1),
    "vendor_cost": KPI("Vendor cost (per contact)", "", digits=0, better=-1),
    "bot_cost": KPI("Self-service (bot) cost", "", digits=0, better=-1),
    "telephony_cost": KPI("Telephony cost", "", digits=0, better=-1),
    "total_cost": KPI("Total cost (scenario costs)", "", digits=0, better=-1),
    "cost_per_contact": KPI("Cost per contact handled", "", digits=2, better=-1),
}

VERDICT_BETTER = "significantly better"
VERDICT_WORSE = "significantly worse"
VERDICT_NONE = "no detectable difference"
VERDICT_UNKNOWN = "not enough data"


def kpi(metric: str) -> KPI:
    """The :class:`KPI` of ``metric`` (an unknown metric: its own name, no unit, no direction)."""
    return KPIS.get(metric) or KPI(metric, "", digits=3)


def verdict(metric: str, low: float, high: float) -> str:
    """Words for the paired difference (alternative - baseline) with interval ``[low, high]``."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return VERDICT_UNKNOWN
    if low <= 0.0 <= high:
        return VERDICT_NONE
    up = low > 0.0
    better = kpi(metric).better
    if better == 0:
        return "significantly higher" if up else "significantly lower"
    return VERDICT_BETTER if (up == (better > 0)) else VERDICT_WORSE
