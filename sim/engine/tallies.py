"""What a replication measures, as it goes: tallies, time integrals, the contact log, the result.

:class:`TallyModel` is the base of the engine (:class:`~sim.engine.core.Engine`).  When a
contact leaves (or is still there when the run stops), its outcome and times
are added to the tally of the segment and contact type it arrived in (summed per channel
at the end) (fields in
:data:`~sim.engine.records.TALLY_FIELDS` order); waiting, busy and logged-in times go
into integrals split exactly at segment bounds (:meth:`TallyModel.add_span`, whose cost does not
grow with a span's length),
and the backlog is noted at each segment's end.  Memory stays flat however many
contacts pass; the per-contact rows go to the model's optional ``sink``
(:data:`~sim.engine.records.CONTACT_COLUMNS` order).  :meth:`TallyModel._result` turns
it all into a :class:`~sim.engine.records.ReplicationResult`.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.records import (ABANDONED, ANSWERED, BALKED, BLOCKED, IN_SYSTEM, N_TALLY, TALLY_FIELDS, ContactRecords,
                                ReplicationResult, Segments)
from sim.engine.routing import GONE, WAITING

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.contacts import Contact

__all__ = ["TallyModel"]

NAN = math.nan
BALKED_F = TALLY_FIELDS.index("balked")


class TallyModel:
    """Tallies and integrals of one replication, the base of :class:`~sim.engine.core.Engine`."""

    def leave_queue(self, contact: Contact, now: float) -> None:
        """Add the contact's time in its queue to the queue-length integral."""
        t0 = contact.t_queue
        ch = contact.queue.channel
        if t0 >= self.seg_start:
            self.queue_area[self.seg * self.n_channels + ch] += now - t0
        else:
            self.add_span(self.queue_area, self.n_channels, ch, t0, now)

    def out_of_queue(self, contact: "Contact", now: float, outcome: int) -> None:
        """A waiting contact leaves its queue without service (abandons, or is there when the run stops):
        its wait in the current leg, then its record (end time ``now`` if it left, else NaN)."""
        self.leave_queue(contact, now)
        if contact.leg == 1:
            contact.wait1 = now - contact.t_queue
        else:
            contact.wait2 = now - contact.t_queue
        self.finish(contact, outcome, NAN if outcome == IN_SYSTEM else now)

    def add_span(self, area: list[float], stride: int, index: int, t0: float, t1: float) -> None:
        """Add the time in ``[t0, t1)`` to ``area[segment * stride + index]``, split at segment bounds.

        The cost does not grow with the number of segments the span covers: its first and last
        segments get their parts now; the whole segments between them are counted in a difference
        table (+1 where they start, -1 after they end) that :meth:`_fold_spans` turns into
        ``count x segment length`` once, at the end. So a contact that waited 1,000 hours in
        15-minute intervals costs two binary searches, not 4,000 steps.
        """
        ends = self.ends
        a = bisect_right(ends, t0)
        end = ends[a]
        if t1 <= end:
            area[a * stride + index] += t1 - t0
            return
        area[a * stride + index] += end - t0
        b = bisect_left(ends, t1, a + 1)  # ends[b - 1] < t1 <= ends[b]: the last segment
        area[b * stride + index] += t1 - ends[b - 1]
        if b > a + 1:
            whole = self.whole_spans.get(id(area))
            if whole is None:
                whole = self.whole_spans[id(area)] = (area, stride, [0] * (len(area) + stride))
            counts = whole[2]
            counts[(a + 1) * stride + index] += 1
            counts[b * stride + index] -= 1

    def _fold_spans(self) -> None:
        """Add the whole segments counted by :meth:`add_span` to their areas (once; the counts are cleared)."""
        ends = self.ends
        for area, stride, counts in self.whole_spans.values():
            running = [0] * stride
            start = 0.0
            for k in range(len(area) // stride):
                length = ends[k] - start
                start = ends[k]
                base = k * stride
                for i in range(stride):
                    running[i] += counts[base + i]
                    if running[i]:
                        area[base + i] += running[i] * length
            counts[:] = [0] * len(counts)

    def _on_flush(self, ev) -> None:
        """A segment bound: close the logged-in integrals, note the backlog, move to the next segment."""
        now = self.env._now
        self._flush_staffed(now)
        self._note_backlog()
        self._flush_work()
        self.seg += 1
        self.seg_start = now
        self.seg_end = self.ends[self.seg]

    def _note_backlog(self) -> None:
        """Contacts waiting (or holding a callback) in each channel's queues, at the current segment's end."""
        base = self.seg * self.n_channels
        for queue in self.all_queues:
            if queue.n:
                self.backlog_end[base + queue.channel] += queue.n

    def _flush_work(self) -> None:
        """The handle seconds offered to each queue in the current segment, into its contact type's cell."""
        base = self.seg * self.n_types
        for queue in self.all_queues:
            if queue.work:
                self.offered_work[base + queue.index] += queue.work
                queue.work = 0.0

    def _flush_staffed(self, now: float) -> None:
        base = self.seg * len(self.groups)
        for group in self.groups:
            self.staffed_area[base + group.index] += group.flush(now)

    def finish_contact(self, contact: Contact, outcome: int, end: float) -> None:
        """Add a contact that left (or is still there at the end) to its arrival segment's tally.

        Offsets into the tally follow :data:`~sim.engine.records.TALLY_FIELDS`.
        """
        contact.state = GONE
        if outcome == ANSWERED and contact.leg == 1 and self.sink is None:
            # the common case: answered in the first queue, served, gone
            kind = contact.queue.index
            acc = self.tally[contact.seg * self.n_types + kind]
            wait = contact.wait1
            acc[0] += 1.0  # arrivals
            acc[2] += 1.0  # answered
            acc[8] += wait  # wait_answered_s
            acc[9] += wait  # wait_offered_s
            if wait > 0.0:
                acc[7] += 1.0  # waited
            if wait <= self.type_thresholds[kind]:
                acc[5] += 1.0  # answered_within_threshold
            acc[10] += contact.handle1  # handle_s
            acc[11] += 1.0  # handles
            acc[15] += end - contact.arrival  # end_to_end_s
            acc[16] += 1.0  # completed
            return
        kind = (contact.queue if contact.leg == 1 else contact.origin).index
        acc = self.tally[contact.seg * self.n_types + kind]
        acc[0] += 1.0  # arrivals
        if outcome == BLOCKED:
            acc[1] += 1.0
        elif outcome == BALKED:  # left at once instead of waiting (sim.journeys.balking)
            acc[BALKED_F] += 1.0
        else:
            wait = contact.wait1
            acc[9] += wait  # wait_offered_s
            if wait > 0.0:
                acc[7] += 1.0  # waited
            if contact.group1 >= 0:  # answered
                acc[2] += 1.0
                acc[8] += wait  # wait_answered_s
                if wait <= self.type_thresholds[kind]:
                    acc[5] += 1.0
                if contact.leg == 1:
                    if outcome == ANSWERED:  # the common case: answered, served, gone
                        acc[10] += contact.handle1
                        acc[11] += 1.0
                        acc[15] += end - contact.arrival
                        acc[16] += 1.0
                    else:
                        acc[4] += 1.0  # in system (in service)
                else:
                    self.finish_escalated(contact, outcome, end, acc)
            else:
                if outcome == ABANDONED:
                    acc[3] += 1.0
                    if wait < self.short_abandon_s:
                        acc[6] += 1.0
                else:
                    acc[4] += 1.0  # in system (waiting)
        if self.sink is not None:
            self.log_contact(contact, outcome, end)

    finish = finish_contact  # the finish hook: a mechanism may replace it for its run (sim.engine.hooks)

    def log_contact(self, contact: Contact, outcome: int, end: float) -> None:
        """Hand the contact's row (:data:`~sim.engine.records.CONTACT_COLUMNS` order) to the sink (a
        mechanism may replace it for its run, e.g. :mod:`sim.journeys.after_call_work` to add the wrap-up)."""
        self.sink(self.contact_row(contact, outcome, end))

    def contact_row(self, contact: Contact, outcome: int, end: float, wrap_up: float = NAN) -> tuple:
        """The contact's row in :data:`~sim.engine.records.CONTACT_COLUMNS` order; ``wrap_up``: the
        after-call work of its last service (s)."""
        escalated = contact.leg > 1  # escalated or transferred (leg 1 + transfers; sim.journeys.transfers)
        first = contact.origin if escalated else contact.queue
        answered = contact.group1 >= 0
        kind = getattr(contact, "kind", 0)
        bot = getattr(contact, "bot", 0.0)
        cb = getattr(contact, "cb", 0)
        ov = getattr(contact, "ov", 0)
        return (
            contact.id, first.index, first.channel, contact.arrival, contact.wait1 if contact.leg else contact.wait2,
            answered, outcome,
            contact.handle1 if answered else NAN, contact.group1, escalated,
            contact.wait2 if escalated else NAN, contact.handle2 if escalated else NAN, end,
            contact.customer if kind else contact.id, kind, bot if bot > 0.0 else 0.0, cb, ov, first.klass == 1,
            contact.leg - 1 if escalated else 0,
            wrap_up,
        )

    def finish_escalated(self, contact: Contact, outcome: int, end: float, acc: list[float]) -> None:
        acc[12] += 1.0  # escalated
        left = outcome != IN_SYSTEM
        if left:
            acc[10] += contact.handle1
            acc[11] += 1.0
        if contact.leg > 2:  # transferred again (sim.journeys.transfers): the services between first and last
            mid = contact.leg - 2.0
            acc[13] += contact.wait_mid
            acc[14] += mid
            if left:
                acc[10] += contact.handle_mid
                acc[11] += mid
        handle2 = contact.handle2
        if handle2 == handle2:  # answered in the escalation queue
            acc[13] += contact.wait2
            acc[14] += 1.0
            if left:
                acc[10] += handle2
                acc[11] += 1.0
        if outcome == ANSWERED:
            acc[15] += end - contact.arrival
            acc[16] += 1.0
        elif outcome == IN_SYSTEM:
            acc[4] += 1.0

    def _record_in_system(self, end: float) -> None:
        """Contacts still in self-service, waiting or in service when the run stopped."""
        for contact in self.held_contacts():  # held by mechanisms outside the queues (self-service, callbacks)
            self.finish(contact, IN_SYSTEM, NAN)
        for queue in self.all_queues:
            for contact in queue.waiting:
                if contact.state <= WAITING:  # waiting, or holding a callback
                    self.out_of_queue(contact, end, IN_SYSTEM)
        for group in self.groups:
            for agent in group.members.values():
                if agent.contact is not None:
                    self.finish(agent.contact, IN_SYSTEM, NAN)

    def _result(self, end: float, contacts: ContactRecords | None = None) -> ReplicationResult:
        self._fold_spans()
        self._flush_work()  # the segment the run stopped in
        n_seg, n_ch, n_g = len(self.ends), len(self.channel_names), len(self.groups)
        type_tally = np.asarray(self.tally, dtype=float).reshape(n_seg, len(self.type_names), N_TALLY)
        tally = np.zeros((n_seg, n_ch, N_TALLY))
        for queue in self.queues.values():  # each channel's tally: its contact types', in type order
            tally[:, queue.channel] += type_tally[:, queue.index]
        segments = Segments(
            bounds_s=np.asarray([0.0] + self.ends[:-1] + [end]),
            tally=tally,
            type_tally=type_tally,
            queue_area=np.asarray(self.queue_area).reshape(n_seg, n_ch),
            busy_area=np.asarray(self.busy_area).reshape(n_seg, n_g),
            staffed_area=np.asarray(self.staffed_area).reshape(n_seg, n_g),
            backlog_end=np.asarray(self.backlog_end).reshape(n_seg, n_ch),
            offered_work=np.asarray(self.offered_work).reshape(n_seg, len(self.type_names)),
        )
        fields = dict(
            replication=self.replication, segments=segments, contacts=contacts,
            type_names=self.type_names, channel_names=self.channel_names, group_names=self.group_names,
            end_time_s=end, workforce={}, wellbeing={}, served={g.name: g.served for g in self.groups},
        )
        for mechanism in self.mechanisms:
            mechanism.report(fields)
        return ReplicationResult(**fields)
