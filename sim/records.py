"""What one replication writes: per-segment tallies and, on request, a per-contact log.

The model aggregates as it goes, so memory does not grow with the number of
contacts.  Time is cut into *segments* between flush points (interval
boundaries, the end of warm-up, the horizon, the end of the run).  For each
segment and channel, :data:`TALLY_FIELDS` counts and sums the contacts that
*arrived* in it, once each contact has left (or when the run stops); time
integrals (contact-seconds waiting per channel, busy and logged-in
agent-seconds per group) are split exactly at segment bounds.

:class:`ContactRecords` holds one row per arrival, as numpy columns (times in
seconds from the start of the day).  ``outcome`` is the contact's final fate,
exactly one of :data:`OUTCOMES`: ``answered`` (served to the end, including any
escalation), ``abandoned`` (left a queue, the first or the escalation queue),
``blocked`` (turned away, queue full) or ``in_system`` (still waiting or in
service when the run stopped).  ``wait_s`` is the wait in the first queue
(abandoners: until they left; in system: until the run stopped; blocked: NaN).

:class:`Segments` holds time integrals between flush points (interval
boundaries, the end of warm-up, the horizon, the end of the run): contact-
seconds waiting per queue, busy and logged-in agent-seconds per group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["OUTCOMES", "ANSWERED", "ABANDONED", "BLOCKED", "IN_SYSTEM", "ContactRecords", "Segments",
           "ReplicationResult", "CONTACT_COLUMNS", "TALLY_FIELDS", "N_TALLY"]

OUTCOMES = ("answered", "abandoned", "blocked", "in_system")
ANSWERED, ABANDONED, BLOCKED, IN_SYSTEM = range(4)

#: per segment x channel, over contacts that arrived in the segment (waits in the first queue)
TALLY_FIELDS = (
    "arrivals", "blocked", "answered", "abandoned", "in_system",
    "answered_within_threshold",  # answered with wait <= the channel's threshold
    "short_abandons",  # abandoned with wait < run.short_abandon_s
    "waited",  # offered with wait > 0
    "wait_answered_s",  # sum of waits of answered contacts
    "wait_offered_s",  # sum of waits of offered contacts (abandoners until they left)
    "handle_s", "handles",  # sum and number of services (tier 1 and escalation) of contacts that left
    "escalated",  # answered and escalated
    "transfer_wait_s", "transfers_answered",  # escalation-queue waits of escalated contacts answered there
    "end_to_end_s", "completed",  # first arrival to end of last service, of contacts served to the end
)
N_TALLY = len(TALLY_FIELDS)

CONTACT_COLUMNS = (
    "contact_id", "contact_type", "channel", "arrival_time_s", "wait_s", "answered", "outcome",
    "handle_time_s", "agent_group", "escalated", "transfer_wait_s", "transfer_handle_time_s", "end_time_s",
)


@dataclass
class ContactRecords:
    """Per-contact columns; categorical columns hold indexes into the name tuples."""

    contact_id: np.ndarray  # int64
    contact_type: np.ndarray  # int16, index into type_names
    channel: np.ndarray  # int16, index into channel_names
    arrival_time_s: np.ndarray
    wait_s: np.ndarray  # first queue
    answered: np.ndarray  # bool: answered in the first queue
    outcome: np.ndarray  # int8, index into OUTCOMES
    handle_time_s: np.ndarray  # first service (NaN if none)
    agent_group: np.ndarray  # int16, -1 if none
    escalated: np.ndarray  # bool
    transfer_wait_s: np.ndarray  # NaN unless escalated
    transfer_handle_time_s: np.ndarray  # NaN unless served after escalation
    end_time_s: np.ndarray  # NaN while in system

    @classmethod
    def from_rows(cls, rows: list[tuple]) -> "ContactRecords":
        """Build from row tuples in :data:`CONTACT_COLUMNS` order, sorted by contact id."""
        rows.sort(key=lambda r: r[0])
        dtypes = (np.int64, np.int16, np.int16, float, float, bool, np.int8, float, np.int16, bool, float, float, float)
        if rows:
            cols = list(zip(*rows))
        else:
            cols = [()] * len(CONTACT_COLUMNS)
        return cls(*(np.asarray(c, dtype=d) for c, d in zip(cols, dtypes)))

    def __len__(self) -> int:
        return len(self.contact_id)


@dataclass
class Segments:
    """Tallies and time integrals of the ``n`` segments between ``bounds_s`` (len n + 1)."""

    bounds_s: np.ndarray  # (n + 1,)
    tally: np.ndarray  # (n, n_channels, N_TALLY), see TALLY_FIELDS
    queue_area: np.ndarray  # (n, n_channels) contact-seconds waiting in the channel's queues
    busy_area: np.ndarray  # (n, n_groups) agent-seconds busy
    staffed_area: np.ndarray  # (n, n_groups) agent-seconds logged in


@dataclass
class ReplicationResult:
    """Everything one replication produced, plus the names behind the indexes."""

    replication: int
    segments: Segments
    contacts: ContactRecords | None  # only when the model was asked to keep them
    type_names: tuple[str, ...]
    channel_names: tuple[str, ...]
    group_names: tuple[str, ...]
    end_time_s: float  # simulation time when the run stopped
    workforce: dict = field(default_factory=dict)  # group -> shift, shrinkage and overtime totals (sim.duty)
    wellbeing: dict = field(default_factory=dict)  # group -> share of agent-time above its fatigue threshold
    served: dict = field(default_factory=dict)  # group -> services its agents started over the whole run
