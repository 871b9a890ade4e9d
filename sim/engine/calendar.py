"""The event calendar: SimPy's environment with plain callbacks at absolute times.

SimPy is the event calendar of the model.  Instead of a process per contact,
every event is a light callback scheduled at an absolute time
(:meth:`Calendar.call_at`), so a contact costs one arrival event, one
service-end event per service, and one abandonment event only if it has to
wait with finite patience.  A :class:`Timer` is a reusable event with at most
one pending occurrence (an agent's service end, an arrival stream's next
arrival), which saves creating an event object per occurrence.  Times are in
seconds; simultaneous events run by priority (``URGENT`` before ``NORMAL``),
then in the order they were scheduled, so a seed gives the same run every time.
"""

from __future__ import annotations

from heapq import heappush

import simpy
from simpy.core import NORMAL

__all__ = ["Calendar", "Timer"]


class _Call:
    """A bare SimPy event that calls one function; ``arg`` and ``tag`` are its payload."""

    __slots__ = ("callbacks", "_ok", "arg", "tag")


class Timer:
    """A reusable SimPy event with at most one pending occurrence, calling ``fn(timer)``.

    An agent (one service at a time) and an arrival stream (one next arrival)
    each own one, which saves creating an event object per occurrence.
    """

    __slots__ = ("callbacks", "_ok", "arg", "tag", "_fns", "_queue", "_eid")

    def __init__(self, env: simpy.Environment, fn, arg=None) -> None:
        self.callbacks = None
        self._ok = True
        self.arg = arg
        self.tag = None
        self._fns = [fn]  # never mutated by SimPy, so it can be handed out again
        self._queue = env._queue
        self._eid = env._eid

    def at(self, t: float) -> None:
        """Fire at time ``t`` (s)."""
        self.callbacks = self._fns
        heappush(self._queue, (t, NORMAL, next(self._eid), self))


class Calendar(simpy.Environment):
    """A SimPy environment with callbacks at absolute times (exact for trace replay)."""

    def call_at(self, t: float, fn, arg=None, tag=0, priority=NORMAL) -> None:
        """Run ``fn(event)`` at time ``t`` (s); ``event.arg``/``event.tag`` carry the payload."""
        ev = _Call()
        ev.callbacks = [fn]
        ev._ok = True
        ev.arg = arg
        ev.tag = tag
        heappush(self._queue, (t, priority, next(self._eid), ev))
