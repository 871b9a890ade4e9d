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
``blocked`` (turned away: queue full, or every trunk line of its channel busy,
:mod:`sim.journeys.trunk_lines`), ``in_system`` (in self-service, waiting or in service when the
run stopped) or ``deflected`` (resolved in
self-service).  Retrials and repeat contacts are arrivals of their own
(``attempt``), linked to the customer's first contact by ``customer_id``.
``unreached``: the customer accepted a callback but did not answer it.  ``balked``: it would
have had to wait and left at once (:mod:`sim.journeys.balking`), never entering the queue.
``wait_s`` is the wait in the first queue (abandoners: until they left; in system: until the
run stopped; blocked and balked: NaN).

:class:`Segments` holds time integrals between flush points (interval
boundaries, the end of warm-up, the horizon, the end of the run): contact-
seconds waiting per queue, busy and logged-in agent-seconds per group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["OUTCOMES", "ANSWERED", "ABANDONED", "BLOCKED", "IN_SYSTEM", "DEFLECTED", "UNREACHED", "BALKED", "ATTEMPTS",
           "CALLBACKS", "ContactRecords", "Segments",
           "ReplicationResult", "CONTACT_COLUMNS", "TALLY_FIELDS", "N_TALLY"]

OUTCOMES = ("answered", "abandoned", "blocked", "in_system", "deflected", "unreached", "balked")
ANSWERED, ABANDONED, BLOCKED, IN_SYSTEM, DEFLECTED, UNREACHED, BALKED = range(7)

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
    "transfer_wait_s", "transfers_answered",  # escalation-queue waits of escalated contacts answered there (each
    # transfer's queue, with transfer graphs: sim.journeys.transfers)
    "end_to_end_s", "completed",  # first arrival to end of last service, of contacts served to the end
    # customer journeys (sim.journeys.flow)
    "deflected",  # resolved in self-service
    "bot_handoffs",  # handed off by self-service to the agent queue
    "bot_time_s",  # time in self-service of contacts that left it (deflected or handed off)
    "bot_bypassed",  # went straight to the queue: the bot was at its concurrency limit
    "in_self_service",  # still in self-service when the run stopped (also counted in in_system)
    "retrials", "repeat_contacts",  # arrivals that are retrials / repeat contacts
    "issues_resolved",  # answered contacts whose issue was resolved (types with a repeat model)
    "resolved_first_contact",  # of those: no earlier repeat contact, not escalated
    # callbacks (sim.journeys.callbacks)
    "callbacks_offered", "callbacks_accepted",  # offers made to arrivals that had to wait; accepted ones
    "callbacks_placed", "callbacks_reached",  # callbacks an agent made; those the customer answered
    "callback_wait_s",  # sum of acceptance-to-callback times of placed callbacks
    # overflow (sim.journeys.overflow)
    "overflowed",  # still waiting after the overflow time: eligible for the overflow groups
    "overflow_answered",  # of those, answered by an overflow group
    # priority classes (sim.journeys.vip)
    "vip_offered", "vip_answered_within_threshold",  # VIPs that reached their queue; answered within the threshold
    # customer-experience proxies (sim.journeys.cx), modelled
    "csat_sum", "cx_scored", "promoters", "detractors",
    # balking (sim.journeys.balking)
    "balked",  # would have had to wait and left at once: never entered the queue
    # after-call work (sim.journeys.after_call_work)
    "wrap_up_s", "wrap_ups",  # sum and number of agents' wrap-ups after services that ended (0 s where none)
    # trunk lines (sim.journeys.trunk_lines)
    "line_blocked",  # found every line of its channel busy: also counted in ``blocked`` (outcome blocked)
)
N_TALLY = len(TALLY_FIELDS)

CONTACT_COLUMNS = (
    "contact_id", "contact_type", "channel", "arrival_time_s", "wait_s", "answered", "outcome",
    "handle_time_s", "agent_group", "escalated", "transfer_wait_s", "transfer_handle_time_s", "end_time_s",
    "customer_id", "attempt", "bot_time_s", "callback", "overflowed", "vip", "transfers", "wrap_up_s",
)
ATTEMPTS = ("first", "retrial", "repeat")  # values of the contact log's ``attempt``
CALLBACKS = ("none", "declined", "waiting", "reached", "unreached")  # values of the contact log's ``callback``


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
    customer_id: np.ndarray  # int64: the id of the customer's first contact (retrials and repeats share it)
    attempt: np.ndarray  # int8, index into ATTEMPTS
    bot_time_s: np.ndarray  # time in self-service (0 if none)
    callback: np.ndarray  # int8, index into CALLBACKS
    overflowed: np.ndarray  # int8: the leg (1 first queue, 2 escalation queue, 3+ later transfers) it overflowed in; 0 = not
    vip: np.ndarray  # bool: in its contact type's VIP class
    transfers: np.ndarray  # int16: times it was escalated or transferred (sim.journeys.transfers); 0 = never
    wrap_up_s: np.ndarray  # after-call work of its last service (NaN: not served, or no after-call work in the run)

    @classmethod
    def from_rows(cls, rows: list[tuple]) -> "ContactRecords":
        """Build from row tuples in :data:`CONTACT_COLUMNS` order, sorted by contact id."""
        rows.sort(key=lambda r: r[0])
        dtypes = (np.int64, np.int16, np.int16, float, float, bool, np.int8, float, np.int16, bool, float, float, float,
                  np.int64, np.int8, float, np.int8, np.int8, bool, np.int16, float)
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
    backlog_end: np.ndarray | None = None  # (n, n_channels) contacts waiting when the segment ended
    type_tally: np.ndarray | None = None  # (n, n_types, N_TALLY): ``tally`` per contact type (its first queue's)
    offered_work: np.ndarray | None = None  # (n, n_types) handle seconds of the contacts offered to agent queues
    line_area: np.ndarray | None = None  # (n, n_channels) line-seconds busy (sim.journeys.trunk_lines; None: no lines)


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
    workforce: dict = field(default_factory=dict)  # group -> shift, shrinkage and overtime totals (sim.workforce.duty)
    wellbeing: dict = field(default_factory=dict)  # group -> share of agent-time above its fatigue threshold
    served: dict = field(default_factory=dict)  # group -> services its agents started over the whole run
    sites: dict = field(default_factory=dict)  # per-site counts by segment (sim.journeys.sites); {} without sites
    costs_from_s: float = 0.0  # logged-in hours are paid from here (a run from a state: the state's time)
    outbound: dict = field(default_factory=dict)  # per-campaign dial counts by segment (sim.journeys.outbound); {} without
