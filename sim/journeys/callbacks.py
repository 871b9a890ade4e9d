"""Callbacks (virtual hold) in the model, for contact types with a ``callback`` rule.

:class:`Callbacks` is the callback part of the journeys mechanism
(:class:`~sim.journeys.flow.Journeys`, which a callback rule turns on); it holds the
callbacks booked for later and plugs into the queue's ``on_wait`` and ``on_take``
hooks (:mod:`sim.engine.hooks`).

- **Offer.**  An arrival that finds no idle agent (and is not blocked) is
  offered a callback when its predicted wait exceeds ``offer_threshold_s``.
  The prediction is ``(n + 1) x mean handle time / m``: ``n`` contacts
  already in the queue (waiting or holding a callback), ``m`` agents logged
  in whose groups have the skill (``m`` = 0: infinite).  It accepts with
  probability ``acceptance``; it then hangs up and keeps its place in the
  queue (virtual hold): routing treats it like any waiting contact, but it no
  longer abandons.  A customer who declines waits as usual.
- **Scheduled callback** (``scheduled_after_s``): the customer books a
  callback that much later instead of keeping its place; it leaves the queue
  and joins it again, at the back, at the booked time (or goes straight to an
  idle agent then).  Its callback wait is the booked delay plus the lateness.
- **Callback.**  When an agent takes it, the agent calls back: with
  probability ``success`` the customer answers and is served as usual (its
  handle time, escalation, repeat contact); otherwise the agent is busy for an
  ``attempt_time`` draw and the contact ends ``unreached``.

Accepted callbacks leave the live queue at the offer, so they are not in
``offered`` (nor in service level, ASA, abandonment); they are reported by
``callbacks_accepted``, ``callback_wait_s`` (acceptance to callback) and
``callback_success``; their services count in AHT and end-to-end time.
"""

from __future__ import annotations

import math

from sim.engine.distributions import UNIFORM, Sampler
from sim.engine.hooks import HELD, LEFT
from sim.engine.records import ANSWERED, IN_SYSTEM, TALLY_FIELDS, UNREACHED
from sim.engine.routing import WAITING

__all__ = ["CALLBACK_WAITING", "CB_NONE", "CB_DECLINED", "CB_WAITING", "CB_REACHED", "CB_UNREACHED", "Callback",
           "Callbacks"]

CALLBACK_WAITING = -1  # contact state while holding a callback in its queue (routing takes states <= WAITING)
CB_NONE, CB_DECLINED, CB_WAITING, CB_REACHED, CB_UNREACHED = range(5)  # contact.cb, indexes into records.CALLBACKS
_F = {name: i for i, name in enumerate(TALLY_FIELDS)}
ARRIVALS, IN_SYSTEM_F, HANDLE_S, HANDLES = _F["arrivals"], _F["in_system"], _F["handle_s"], _F["handles"]
END_TO_END, COMPLETED = _F["end_to_end_s"], _F["completed"]
OFFERED, ACCEPTED, PLACED, REACHED, CB_WAIT = (_F["callbacks_offered"], _F["callbacks_accepted"],
                                               _F["callbacks_placed"], _F["callbacks_reached"], _F["callback_wait_s"])


class Callback:
    """The callback rule of one contact type (samplers from its streams)."""

    __slots__ = ("threshold", "mean_handle", "accept_p", "success_p", "attempt", "scheduled", "_first", "_again")

    def __init__(self, spec, mean_handle_s: float, rng) -> None:
        self.threshold = spec.offer_threshold_s
        self.scheduled = spec.scheduled_after_s  # None: virtual hold (keeps its place)
        self.mean_handle = mean_handle_s
        self.accept_p, self.success_p = spec.acceptance, spec.success
        self.attempt = Sampler(spec.attempt_time, rng("callback_attempt"))
        self._first, self._again = ((Sampler(UNIFORM, rng(f"callback_accept{x}")),
                                     Sampler(UNIFORM, rng(f"callback_success{x}"))) for x in ("", ":again"))

    def draw(self, again: bool) -> tuple[float, float]:
        """``(acceptance, success)`` uniforms for a new contact (drawn in arrival order)."""
        accept, success = self._again if again else self._first
        return accept(), success()


class Callbacks:
    """Offering, placing and tallying callbacks (a part of :class:`~sim.journeys.flow.Journeys`)."""

    def _callback_wait(self, contact, queue, now: float, first: bool) -> int:
        """The ``on_wait`` hook of a queue with a callback rule: an arrival that must wait may take a
        callback (:data:`~sim.engine.hooks.HELD` in the queue, or :data:`~sim.engine.hooks.LEFT` it when
        booked for later)."""
        if not (first and self._offer_callback(contact, queue, now)):
            return 0
        return HELD if queue.callback.scheduled is None else LEFT

    def _offer_callback(self, contact, queue, now: float) -> bool:
        """Offer a callback to an arrival that must wait; ``True`` if it accepted (then it holds no line)."""
        rule = queue.callback
        staffed = 0
        for group in queue.groups:
            staffed += group.n_staffed
        predicted = queue.n * rule.mean_handle / staffed if staffed else math.inf  # n counts this contact
        if predicted <= rule.threshold:
            return False
        if contact.cbk[0] >= rule.accept_p:
            contact.cb = CB_DECLINED
            return False
        contact.cb = CB_WAITING
        contact.state = CALLBACK_WAITING
        if rule.scheduled is not None:  # leaves the queue until the booked time
            queue.waiting.pop()
            queue.n -= 1
            self.booked[contact.id] = contact
            self.engine.env.call_at(self.engine.when_open(now + rule.scheduled), self._on_booked_callback, contact)
        return True

    def _on_booked_callback(self, ev) -> None:
        """A booked callback falls due: an idle agent calls at once, else it joins the queue's back."""
        contact = ev.arg
        del self.booked[contact.id]
        queue = contact.queue
        now = self.engine.env._now
        contact.t_queue = now
        agent = queue.pick_agent(queue)
        if agent is not None:
            self._place_callback(agent, contact, now)
            return
        queue.n += 1
        queue.waiting.append(contact)

    def _place_callback(self, agent, contact, now: float) -> None:
        """An agent takes a callback from the queue and calls the customer."""
        rule = contact.queue.callback
        contact.state = WAITING
        if contact.cbk[1] < rule.success_p:
            contact.cb = CB_REACHED
        else:  # no answer: the agent is busy for the attempt, then the contact ends unreached
            contact.cb = CB_UNREACHED
            contact.leg = 0  # no first service: not answered, never escalated
            contact.handle = rule.attempt()
        self.engine.start_service(agent, contact, now)

    def _finish_callback(self, contact, outcome: int, end: float, acc) -> None:
        """Tally a contact that accepted a callback (it is not in ``offered``)."""
        acc[ARRIVALS] += 1.0
        acc[OFFERED] += 1.0
        acc[ACCEPTED] += 1.0
        cb = contact.cb
        if cb == CB_UNREACHED:
            acc[PLACED] += 1.0
            acc[CB_WAIT] += contact.wait2 + (contact.queue.callback.scheduled or 0.0)
            if outcome == IN_SYSTEM:  # the attempt was still going on
                acc[IN_SYSTEM_F] += 1.0
            else:
                outcome = UNREACHED
        elif cb == CB_REACHED:
            acc[PLACED] += 1.0
            acc[REACHED] += 1.0
            acc[CB_WAIT] += contact.wait1 + ((contact.origin if contact.leg > 1 else contact.queue).callback.scheduled
                                             or 0.0)
            if contact.leg == 1:
                if outcome == ANSWERED:
                    acc[HANDLE_S] += contact.handle1
                    acc[HANDLES] += 1.0
                    acc[END_TO_END] += end - contact.arrival
                    acc[COMPLETED] += 1.0
                else:
                    acc[IN_SYSTEM_F] += 1.0
            else:
                self.engine.finish_escalated(contact, outcome, end, acc)
        else:  # still waiting for its callback when the run stopped
            acc[IN_SYSTEM_F] += 1.0
        contact.state = 2  # GONE
        if self.engine.sink is not None:
            self.engine.log_contact(contact, outcome, end)
