"""Customer journeys in the model: self-service, retrials and repeat contacts.

:class:`Journeys` is a mechanism (:mod:`sim.engine.hooks`), built only for a run
whose contact types configure any journey (the engine then keeps its fast
paths).  It makes the run's contacts :class:`JourneyContact` and sets the
engine's ``finish`` hook to :meth:`Journeys._finish_journey`, which adds the
journey tallies, decides retrials and repeat contacts, then tallies the contact
as usual.  Callbacks (:mod:`sim.journeys.callbacks`) and the modelled customer
experience (:mod:`sim.journeys.cx`) are its parts; overflow and VIP classes are
mechanisms of their own built after it.

- **Self-service** (``self_service``): an arrival of the contact type first
  spends a bot handling-time draw in the bot (one event); with probability
  ``containment`` it ends there (outcome ``deflected``), otherwise it is
  handed off to the agent queue at the end of the bot time, with its handle
  time and patience multiplied by the hand-off factors.  Its wait is counted
  from the hand-off; its end-to-end time from its arrival, bot time included.
  With a ``concurrency`` limit, arrivals finding the bot full bypass it.
- **Retrials** (``retrial`` of the contact's first contact type): a contact
  that abandons (any queue), is blocked or balks (:mod:`sim.journeys.balking`) comes back with the probability,
  after a delay draw, as a new arrival (``attempt`` = retrial) on the same
  contact type or, for a share, on ``switch_to``.
- **Repeat contacts** (``repeat``): when a contact's last service ends, its
  issue is unresolved with the probability (per agent group of that service,
  if given); the customer comes back after a delay draw as a new arrival
  (``attempt`` = repeat) of the same or the ``to`` contact type.  Otherwise
  the issue counts as resolved, and as resolved on first contact when the
  customer had no earlier repeat contact and the contact was not escalated.
  With skill levels (:mod:`sim.workforce.proficiency`), the probability is
  also multiplied by the ``repeat_factor`` of the serving group's level on the
  contact type it served (folded into a table per group and type when the run
  is built).

Returns are new arrivals (new contact id, same ``customer_id``), tallied in
the segment and channel they arrive in, so every arrival still ends exactly
once.  Returns falling at or after the horizon are not simulated (they would
come on another day).  Returning contacts draw handle time, patience and bot
decisions from their own streams (``...:again``), so turning returns on does
not change the draws of first contacts (common random numbers).
"""

from __future__ import annotations

import math

from sim.engine.contacts import Contact
from sim.engine.distributions import UNIFORM, Sampler
from sim.engine.hooks import Mechanism
from sim.engine.records import ABANDONED, ANSWERED, BALKED, BLOCKED, DEFLECTED, IN_SYSTEM, TALLY_FIELDS
from sim.engine.routing import WAITING, Queue
from sim.engine.streams import stream
from sim.journeys.callbacks import CB_REACHED, CB_UNREACHED, CB_WAITING, Callback, Callbacks
from sim.journeys.cx import CxScorer

__all__ = ["FIRST", "RETRIAL", "REPEAT", "IN_BOT", "Bot", "Return", "JourneyContact", "Journeys"]

FIRST, RETRIAL, REPEAT = 0, 1, 2  # contact.kind, indexes into sim.engine.records.ATTEMPTS
IN_BOT = 3  # contact state while in self-service (WAITING 0, SERVING 1, GONE 2)
INF = math.inf
_F = {name: i for i, name in enumerate(TALLY_FIELDS)}
ARRIVALS, IN_SYSTEM_F = _F["arrivals"], _F["in_system"]
DEFLECTED_F, HANDOFFS, BOT_TIME, BYPASSED, IN_BOT_F = (
    _F["deflected"], _F["bot_handoffs"], _F["bot_time_s"], _F["bot_bypassed"], _F["in_self_service"])
CALLBACKS_OFFERED = _F["callbacks_offered"]
RETRIALS_F, REPEATS_F, RESOLVED, RESOLVED_FIRST = (
    _F["retrials"], _F["repeat_contacts"], _F["issues_resolved"], _F["resolved_first_contact"])


class Bot:
    """The self-service stage of one contact type (samplers from its streams)."""

    __slots__ = ("containment", "time", "decide", "time_again", "decide_again", "capacity", "n", "aht_factor",
                 "patience_factor")

    def __init__(self, spec, rng) -> None:
        self.containment = spec.containment
        self.time, self.time_again = Sampler(spec.handle_time, rng("bot")), Sampler(spec.handle_time, rng("bot:again"))
        self.decide, self.decide_again = Sampler(UNIFORM, rng("containment")), Sampler(UNIFORM, rng("containment:again"))
        self.capacity = spec.concurrency
        self.n = 0  # contacts in the bot now
        self.aht_factor = spec.handoff_aht_factor
        self.patience_factor = spec.handoff_patience_factor


class Return:
    """A retrial or repeat rule of one contact type: probability, delay, limit, where to.

    ``samplers(tag)`` gives the sampler of a named stream of the type; the rule's random
    numbers are drawn when a contact arrives (:meth:`draw`), from streams of their own for
    first contacts and for returns, so that whether and when a customer comes back does not
    depend on the order in which contacts end (common random numbers across scenarios).
    """

    __slots__ = ("p", "p_by_group", "p_by_level", "limit", "target", "switch_to", "switch_p", "_first", "_again")

    def __init__(self, p: float, delay, tag: str, samplers, limit: int, target, p_by_group=None, switch_to=None,
                 switch_p: float = 0.0) -> None:
        self.p, self.limit, self.target = p, limit, target
        self.p_by_group = p_by_group or {}
        self.p_by_level = None  # with skill levels: [group index][type index] -> probability (Journeys)
        self.switch_to, self.switch_p = switch_to, switch_p
        self._first, self._again = ((samplers(UNIFORM, f"{tag}{x}"), samplers(UNIFORM, f"{tag}_switch{x}"),
                                     samplers(delay, f"{tag}_delay{x}")) for x in ("", ":again"))

    def draw(self, again: bool) -> tuple[float, float, float]:
        """``(decision, switch, delay)`` for a new contact: uniforms and a delay in seconds."""
        decide, switch, delay = self._again if again else self._first
        return decide(), switch() if self.switch_to is not None else 1.0, delay()



class JourneyContact(Contact):
    """A contact of a run with customer journeys (:mod:`sim.journeys.flow`).

    ``kind`` is first (0), retrial (1) or repeat (2); returning contacts also
    carry ``customer`` (the first contact's id), ``tries`` and ``repeats`` so
    far; ``bot`` is the time spent in self-service (0 = none, -1 = bypassed a
    full bot), ``handle_factor`` its hand-off handle-time factor; ``cb`` is its callback status (:mod:`sim.journeys.callbacks`); ``ov``
    the leg in which it overflowed, 0 if not (:mod:`sim.journeys.overflow`).  The
    random numbers of its queue's retrial, repeat and callback rules are drawn
    on creation (``ret``, ``rep``, ``cbk``; ``again``: from the streams of
    returning contacts), so they follow arrival order (common random numbers).
    """

    __slots__ = ("kind", "customer", "tries", "repeats", "bot", "cb", "ov", "ret", "rep", "cbk", "handle_factor")

    def __init__(self, cid: int, queue: Queue, seg: int, arrival: float, handle: float, patience: float,
                 again: bool = False) -> None:
        super().__init__(cid, queue, seg, arrival, handle, patience)
        self.kind = 0
        self.bot = 0.0
        self.cb = 0
        self.ov = 0
        self.handle_factor = 1.0  # the self-service hand-off factor once handed off
        if queue.retrial is not None:
            self.ret = queue.retrial.draw(again)
        if queue.repeat is not None:
            self.rep = queue.repeat.draw(again)
        if queue.callback is not None:
            self.cbk = queue.callback.draw(again)



class Journeys(Callbacks, Mechanism):
    """Self-service, retrials, repeat contacts and callbacks: the contacts' journeys."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return scenario.cx is not None or any(
            x is not None for ct in scenario.contact_types.values()
            for x in (ct.self_service, ct.retrial, ct.repeat, ct.callback, ct.overflow, ct.vip))

    def __init__(self, engine, scenario) -> None:
        """Attach bots, return rules and callbacks to the queues."""
        super().__init__(engine, scenario)
        self.bot_sessions: dict[int, JourneyContact] = {}  # contacts in self-service, by id
        self.booked: dict[int, JourneyContact] = {}  # booked callbacks not yet due, by id (sim.journeys.callbacks)
        queues = engine.queues
        seed, replication = engine.run_spec.seed, engine.replication
        group_index = {g.name: g.index for g in engine.groups}
        self.cx = None if scenario.cx is None else CxScorer(
            scenario.cx, [ch.service_level_threshold_s for ch in scenario.channels.values()])
        for name, ct in scenario.contact_types.items():
            q = queues[name]

            def rng(tag: str, name=name):
                return stream(seed, replication, f"{tag}:{name}")

            if ct.self_service is not None:
                q.bot = Bot(ct.self_service, rng)
                q.enter = self._enter_bot

            def samplers(dist, tag: str, rng=rng):
                return Sampler(dist, rng(tag))

            if ct.retrial is not None:
                r = ct.retrial
                q.retrial = Return(r.probability, r.delay, "retrial", samplers, r.max_retrials, q,
                                   switch_to=None if r.switch_to is None else queues[r.switch_to],
                                   switch_p=r.switch_probability)
            if ct.repeat is not None:
                r = ct.repeat
                q.repeat = Return(r.probability, r.delay, "repeat", samplers, r.max_repeats, queues[r.to or name],
                                  p_by_group={group_index[g]: p for g, p in r.probability_by_group.items()})
                if scenario.skill_levels is not None:
                    q.repeat.p_by_level = self._by_level(r, scenario)
            if ct.callback is not None:
                q.callback = Callback(ct.callback, ct.handle_time.mean_s, rng)
                q.on_wait = self._callback_wait
                q.on_take = self._place_callback
        for name, ct in scenario.contact_types.items():
            q = queues[name]
            q.handle_again = Sampler(ct.handle_time, stream(seed, replication, f"handle:{name}:again"))
            if ct.patience is not None:
                q.patience_again = Sampler(ct.patience, stream(seed, replication, f"patience:{name}:again"))
        if scenario.skill_levels is not None:
            self._resolve = self._resolve_by_level  # the serving group's skill level scales the probability
        engine.Contact = JourneyContact
        engine.finish = self._finish_journey  # the engine's finish hook, for this run
        engine.on_leave = []  # counts other mechanisms add for every journey contact that leaves
        engine.on_offered_leave = []  # ... for those that did not end in self-service or a callback

    def held(self):
        """Contacts in self-service, then callbacks booked for later."""
        return [*self.bot_sessions.values(), *self.booked.values()]

    # ------------------------------------------------------------ self-service

    def _enter_bot(self, contact, queue, now: float, first: bool) -> None:
        """An arrival reaches the bot of its contact type (or bypasses it when the bot is full)."""
        bot = queue.bot
        if bot.capacity is not None and bot.n >= bot.capacity:
            contact.bot = -1.0  # bypassed
            self.engine.offer(contact, queue, now, first)
            return
        bot.n += 1
        t = (bot.time_again if contact.kind else bot.time)()
        contact.bot = t
        contact.state = IN_BOT
        self.bot_sessions[contact.id] = contact
        self.engine.env.call_at(now + t, self._on_bot_end, contact)

    def _on_bot_end(self, ev) -> None:
        contact = ev.arg
        queue = contact.queue
        bot = queue.bot
        engine = self.engine
        now = engine.env._now
        bot.n -= 1
        del self.bot_sessions[contact.id]
        contact.state = WAITING  # out of the bot
        if (bot.decide_again if contact.kind else bot.decide)() < bot.containment:
            engine.finish(contact, DEFLECTED, now)
            return
        contact.t_queue = now
        contact.handle *= bot.aht_factor
        if contact.bot > 0.0:  # also for a handle time drawn per agent group at service start
            contact.handle_factor = bot.aht_factor
        contact.patience *= bot.patience_factor
        engine.offer(contact, queue, now, True)

    # ---------------------------------------------------------------- records

    def _finish_journey(self, contact, outcome: int, end: float) -> None:
        """Journey tallies, then retrial or resolution, then the usual tally (:meth:`~sim.engine.tallies.TallyModel.finish_contact`)."""
        engine = self.engine
        first = contact.origin if contact.leg > 1 else contact.queue
        acc = engine.tally[contact.seg * engine.n_types + first.index]
        kind = contact.kind
        if kind:
            acc[RETRIALS_F if kind == RETRIAL else REPEATS_F] += 1.0
        for count in engine.on_leave:  # other mechanisms' counts of every leaving contact (overflow)
            count(contact, first, outcome, acc)
        bot = contact.bot
        if bot:
            if bot < 0.0:
                acc[BYPASSED] += 1.0
            elif contact.state == IN_BOT:  # still in the bot when the run stopped
                acc[IN_BOT_F] += 1.0
                acc[IN_SYSTEM_F] += 1.0
                self._end_in_self_service(contact, acc, IN_SYSTEM, end)
                return
            else:
                acc[BOT_TIME] += bot
                if outcome == DEFLECTED:
                    acc[DEFLECTED_F] += 1.0
                    if self.cx is not None:
                        self.cx.deflected(acc)
                    self._end_in_self_service(contact, acc, DEFLECTED, end)
                    return
                acc[HANDOFFS] += 1.0
        cb = contact.cb
        cx = self.cx
        if cb >= CB_WAITING:  # accepted a callback
            if cb == CB_REACHED and outcome == ANSWERED:
                unresolved = self._resolve(contact, first, end, acc)
                if cx is not None:  # no hold time before the callback
                    leg2 = contact.leg > 1
                    cx.answered(acc, contact.wait2 if leg2 else 0.0, leg2, bot > 0.0, unresolved, first.channel)
            elif cb == CB_UNREACHED and outcome != IN_SYSTEM and cx is not None:
                cx.lost(acc)
            self._finish_callback(contact, outcome, end, acc)
            return
        if cb:
            acc[CALLBACKS_OFFERED] += 1.0
        for count in engine.on_offered_leave:  # ... of those that did not end in self-service or a callback (VIP)
            count(contact, first, outcome, acc)
        if outcome == ANSWERED:
            unresolved = self._resolve(contact, first, end, acc)
            if cx is not None:
                leg2 = contact.leg > 1
                hold = contact.wait1 + contact.wait2 if leg2 else contact.wait1
                if contact.leg > 2:  # transferred more than once (sim.journeys.transfers)
                    hold += contact.wait_mid
                cx.answered(acc, hold, leg2, bot > 0.0, unresolved,
                            first.channel)
        elif outcome == ABANDONED or outcome == BLOCKED or outcome == BALKED:
            self._retry(contact, first)
            if cx is not None:
                cx.lost(acc)
        engine.finish_contact(contact, outcome, end)

    def _end_in_self_service(self, contact, acc, outcome: int, end: float) -> None:
        acc[ARRIVALS] += 1.0
        contact.state = 2  # GONE
        if self.engine.sink is not None:
            self.engine.log_contact(contact, outcome, end)

    def _resolve(self, contact, first, end: float, acc) -> bool:
        """Was the issue resolved by this contact's last service?  If not (``True``), the customer may come back."""
        rule = first.repeat
        if rule is None:
            return False  # resolution is not modelled for this contact type
        group = contact.group1 if contact.leg == 1 else contact.group2
        return self._settle(contact, rule, rule.p_by_group.get(group, rule.p), end, acc)

    def _settle(self, contact, rule, p: float, end: float, acc) -> bool:
        """Unresolved with probability ``p`` (``True``: the customer comes back while under the repeat
        limit); else counted resolved, at first contact if it was."""
        repeats = contact.repeats if contact.kind else 0
        decide, _, delay = contact.rep
        if decide < p:
            if repeats < rule.limit:
                tries = contact.tries if contact.kind else 0
                self._schedule_return(contact, rule.target, REPEAT, end + delay, tries, repeats + 1)
            return True
        acc[RESOLVED] += 1.0
        if repeats == 0 and contact.leg == 1:
            acc[RESOLVED_FIRST] += 1.0
        return False

    @staticmethod
    def _by_level(rule, scenario) -> list[list[float]]:
        """A repeat rule's probability per agent group (by index) and served contact type (by queue index):
        the group's probability times the ``repeat_factor`` of its skill level on that type."""
        levels = scenario.skill_levels
        return [[rule.probability_by_group.get(g, rule.probability) * levels.of(g, t).repeat_factor
                 for t in scenario.contact_types] for g in scenario.agent_groups]

    def _resolve_by_level(self, contact, first, end: float, acc) -> bool:
        """:meth:`_resolve` with skill levels: the probability is that of the group and the contact type
        of the last service (``contact.queue``: the escalation target after an escalation)."""
        rule = first.repeat
        if rule is None:
            return False
        group = contact.group1 if contact.leg == 1 else contact.group2
        return self._settle(contact, rule, rule.p_by_level[group][contact.queue.index], end, acc)

    def _retry(self, contact, first) -> None:
        """An abandoned or blocked customer may try again."""
        rule = first.retrial
        if rule is None:
            return
        tries = contact.tries if contact.kind else 0
        decide, switch, delay = contact.ret
        if decide >= rule.p or tries >= rule.limit:
            return
        target = rule.target
        if rule.switch_to is not None and switch < rule.switch_p:
            target = rule.switch_to
        repeats = contact.repeats if contact.kind else 0
        self._schedule_return(contact, target, RETRIAL, self.engine.env._now + delay, tries + 1, repeats)

    # ---------------------------------------------------------------- returns

    def _schedule_return(self, contact, queue, kind: int, t: float, tries: int, repeats: int) -> None:
        engine = self.engine
        t = engine.when_open(t)  # multi-day runs: the nights are skipped (sim.workforce.days)
        if t >= engine.run_spec.horizon_s:
            return  # would come on another day
        customer = contact.customer if contact.kind else contact.id
        engine.env.call_at(t, self._on_return, (queue, kind, customer, tries, repeats))

    def _on_return(self, ev) -> None:
        queue, kind, customer, tries, repeats = ev.arg
        engine = self.engine
        now = engine.env._now
        patience = queue.patience_again() if queue.patience is not None else INF
        contact = engine.new_contact(queue, now, queue.handle_again(), patience, True)
        contact.kind = kind
        contact.customer = customer
        contact.tries = tries
        contact.repeats = repeats
        queue.enter(contact, queue, now, True)
