"""Trunk lines: a channel's phone lines; an arrival that finds them all busy is blocked.

A phone centre has a fixed number of trunk lines (``scenario.channels.<channel>.lines``; null,
the default, is unlimited).  Every call of the channel holds one line for as long as the caller
is connected to the centre, whether an agent talks to it or not.  :class:`TrunkLines` is a
mechanism (:mod:`sim.engine.hooks`), built last, that wraps the ``enter`` hook of each contact
type's queue of a channel with lines, the ``on_wait`` hooks of queues with a callback rule, and
the engine's ``finish`` hook.

- **Seized.**  On arrival (first contacts, retrials, repeat contacts; before self-service and
  before the VIP class is drawn): if every line of the contact type's channel is busy the
  contact is *line-blocked*: it ends at once with outcome ``blocked`` (wait NaN, never in the
  bot nor in a queue), counted in the tally fields ``blocked`` and ``line_blocked``, and it may come back under its type's retrial rule like a contact blocked
  by a full queue.  Otherwise it takes a line.
- **Held** while it is in self-service (the IVR or voice bot answers on the line: a bot at its
  concurrency limit is bypassed but the caller is still on the line), waits, is served, waits
  again and is served again after an escalation, transfer or overflow inside the centre (the
  line stays the one of the channel it arrived on, even if the escalation queue is another
  channel's).
- **Released** when the contact leaves: answered and its last service ended (the agent's
  after-call work is not on the line), abandoned, balked, blocked by the queue's capacity
  (it had taken a line on arrival: the busy signal comes after the line is seized),
  deflected by self-service; and when it accepts a callback (virtual hold or booked: the
  customer hangs up; the agent's outbound callback is not on the inbound trunk).  Contacts
  still connected when the run stops hold their line to the end.
- **Measured.**  ``line_blocked`` and ``line_block_rate`` = line_blocked / arrivals (per channel,
  contact type and interval) and ``lines_busy``: the time-average number of busy lines of the
  channel (summary, with its interval over replications; only for channels with lines:
  ``segments.line_area`` is NaN for the others).
  ``blocked`` and ``block_rate`` count both kinds of blocking, so a scenario without lines
  reports exactly what it did before.  With Poisson arrivals and no waiting (at least as many
  agents as lines) the line-blocked share is Erlang B of the lines and the offered load in
  erlangs (:func:`sim.erlang.erlang_b`; tests/test_trunk_lines.py).

Turning lines on draws no random number, so a seed gives the same first arrivals, handle times
and patience with and without them; only who gets in (and so who comes back) differs.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.contacts import Contact
from sim.engine.hooks import Mechanism
from sim.engine.records import BLOCKED, IN_SYSTEM, TALLY_FIELDS

__all__ = ["TrunkLines", "lines_on", "LINE_METRICS"]

LINE_BLOCKED = TALLY_FIELDS.index("line_blocked")
NAN = math.nan
#: the KPIs reported only when a channel has lines (:func:`sim.model.metrics.with_lines`)
LINE_METRICS = ("line_blocked", "line_block_rate", "lines_busy")


def lines_on(scenario) -> bool:
    """Whether a channel of ``scenario`` has a finite number of lines."""
    return any(ch.lines is not None for ch in scenario.channels.values())


class LineContact(Contact):
    """A plain contact, as its own class so that arrivals go through the queues' ``enter`` hook."""

    __slots__ = ()


class TrunkLines(Mechanism):
    """Per channel with lines: how many are busy; arrivals that find none free are blocked."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return lines_on(scenario)

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        n_ch = engine.n_channels
        #: per channel index: the number of lines (None: unlimited, not tracked) and how many are busy
        self.lines = [scenario.channels[name].lines for name in engine.channel_names]
        self.busy = [0] * n_ch
        self.area = [0.0] * (len(engine.ends) * n_ch)  # line-seconds busy, per segment x channel
        self.holding: dict[int, tuple[int, float]] = {}  # contact id -> (channel, time it took the line)
        for queue in engine.queues.values():
            if self.lines[queue.channel] is not None:
                queue.enter = self._entering(queue.enter)
        for queue in engine.all_queues:
            if queue.on_wait is not None and queue.callback is not None:
                queue.on_wait = self._waiting(queue.on_wait)
        self.before_finish = engine.finish
        engine.finish = self._finish
        if engine.Contact is Contact:  # the sampled arrivals then go through the enter hook
            engine.Contact = LineContact

    def _entering(self, before):
        """The queue's ``enter`` hook: take a line or be blocked, then go on to ``before``."""
        engine = self.engine
        lines, busy, holding = self.lines, self.busy, self.holding

        def enter(contact, queue, now: float, first: bool) -> None:
            ch = queue.channel
            if busy[ch] >= lines[ch]:
                engine.tally[contact.seg * engine.n_types + queue.index][LINE_BLOCKED] += 1.0
                engine.finish(contact, BLOCKED, NAN)
                return
            busy[ch] += 1
            holding[contact.id] = (ch, now)
            before(contact, queue, now, first)
        return enter

    def _waiting(self, before):
        """A callback queue's ``on_wait`` hook: a contact that accepts a callback hangs up (frees its line)."""
        def on_wait(contact, queue, now: float, first: bool) -> int:
            took = before(contact, queue, now, first)
            if took and contact.id in self.holding:
                self._release(contact.id, now)
            return took
        return on_wait

    def _finish(self, contact, outcome: int, end: float) -> None:
        """The engine's ``finish`` hook: a contact that leaves frees its line, then the tally as before."""
        if outcome != IN_SYSTEM and contact.id in self.holding:
            self._release(contact.id, self.engine.env._now)
        self.before_finish(contact, outcome, end)

    def _release(self, cid: int, now: float) -> None:
        ch, t0 = self.holding.pop(cid)
        self.busy[ch] -= 1
        engine = self.engine
        if t0 >= engine.seg_start:
            self.area[engine.seg * engine.n_channels + ch] += now - t0
        else:
            engine.add_span(self.area, engine.n_channels, ch, t0, now)

    def stop(self, end_s: float) -> None:
        """Lines still held when the run stopped: busy up to ``end_s``."""
        engine = self.engine
        for ch, t0 in self.holding.values():
            engine.add_span(self.area, engine.n_channels, ch, t0, end_s)
        self.holding.clear()

    def report(self, result: dict) -> None:
        """The line-seconds busy per segment and channel (``segments.line_area``; NaN without lines)."""
        segments = result["segments"]
        area = np.asarray(self.area).reshape(-1, self.engine.n_channels)
        area[:, [ch for ch, n in enumerate(self.lines) if n is None]] = NAN
        segments.line_area = area
