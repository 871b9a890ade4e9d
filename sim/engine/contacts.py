"""Contacts: the customers' requests that move through the queues.

A :class:`Contact` is a small slotted object holding only what every contact
needs (times in seconds since the run's start): its queue and the segment it
arrived in, its arrival and queue-entry times, the handle time and patience
drawn for it, its state (:data:`~sim.engine.routing.WAITING`, ``SERVING``,
``GONE``) and, once served, its wait, handle time and answering group per leg
(leg 1: first service; leg 2: after an escalation).  With transfer graphs
(:mod:`sim.journeys.transfers`) a contact may be transferred several times: its leg is then
1 + the number of transfers so far, ``wait2``/``handle2``/``group2`` are those of its last
transfer's service, and ``wait_mid``/``handle_mid`` sum the services in between (set only
from leg 3 on).  Mechanisms that need more
per contact subclass it (:class:`~sim.journeys.flow.JourneyContact`).
"""

from __future__ import annotations

import math

from sim.engine.routing import WAITING, Queue

__all__ = ["Contact"]

NAN = math.nan


class Contact:
    """A customer contact moving through queues (times in seconds).

    Only what every contact needs is set on creation; ``handle1`` is set when
    it is answered, ``origin``, ``wait2`` and ``handle2`` when it is escalated
    (``origin`` is the queue it arrived on; ``queue`` is where it is now).
    """

    handle_factor = 1.0  # multiplies a handle time drawn per agent group at service start (leg 1)

    __slots__ = ("id", "queue", "seg", "arrival", "t_queue", "handle", "patience", "state", "leg",
                 "wait1", "group1", "handle1", "origin", "wait2", "handle2", "group2", "wait_mid", "handle_mid")

    def __init__(self, cid: int, queue: Queue, seg: int, arrival: float, handle: float, patience: float) -> None:
        self.id = cid
        self.queue = queue
        self.seg = seg
        self.arrival = arrival
        self.t_queue = arrival
        self.handle = handle
        self.patience = patience
        self.state = WAITING
        self.leg = 1
        self.wait1 = NAN
        self.group1 = -1  # agent group that answered it; -1 = not answered
