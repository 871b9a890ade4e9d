"""Sites: agent groups work at sites, and a contact reaches another site only after a wait.

:class:`Sites` is a mechanism (:mod:`sim.engine.hooks`), on when ``scenario.sites`` is given
(:class:`~sim.journeys.config.SiteSpec`).  Every agent group works at one site; every contact
type has a home site (its ``site``, else the site of the first agent group with the skill).

- Routing: a contact is eligible at once for the skilled groups of its home site.  For the
  skilled groups of another site it becomes eligible once it has waited that site's ``after_s``
  (one event per contact and other site, scheduled when it starts to wait): it goes to the
  longest-idle agent of those groups if there is one, else it also joins the queue's
  :class:`SiteQueue` for that site, which those groups have among their skills in place of the
  contact type's queue (same rank).  It stays in its own queue meanwhile: whichever agent is free
  first takes it (the machinery of :mod:`sim.journeys.overflow`).
- Network delay: when an agent takes a contact from another site (by this rule, an overflow rule or
  an escalation), the agent is seized at once and the customer is connected ``network_delay_s``
  (of the agent's site) later.  The delay counts in the customer's wait (service level, ASA) and in
  the agent's busy time, not in the handle time; the customer no longer abandons during it.
  For an agent holding several contacts (concurrency) it is stretched like the handle time.
  Deferrable work's reserve and hours (:mod:`sim.journeys.deferrable`) hold for its home site's
  groups; another site's agents take it once it has waited their ``after_s``.
- KPIs per site (:func:`sim.model.metrics.replication_sites`): the mechanism counts, per
  arrival segment, the contacts each agent group answered (in their first queue) and, per
  contact type, those answered by an agent of another site than the type's home
  (``result.sites``).
"""

from __future__ import annotations

import numpy as np

from sim.engine.hooks import LEFT, Mechanism
from sim.engine.routing import WAITING, longest_idle, queue_selector
from sim.journeys.callbacks import CB_WAITING
from sim.journeys.overflow import OverflowQueue, _via_overflow

__all__ = ["SiteQueue", "Sites", "sites_on"]


def sites_on(scenario) -> bool:
    """Whether ``scenario`` has sites."""
    return bool(getattr(scenario, "sites", None))


class SiteQueue(OverflowQueue):
    """The side of a contact type's queue (``main``) that the groups of another site see: its contacts
    that have waited that site's ``after_s``.  Stale entries are dropped as in :class:`OverflowQueue`."""

    __slots__ = ()

    def __init__(self, main, groups, site: str) -> None:
        super().__init__(main, groups)
        self.name = f"{main.name}@{site}"


class Sites(Mechanism):
    """Sites: other sites' groups after a wait, with a network delay; per-site counts."""

    @staticmethod
    def needed(scenario, run) -> bool:
        return sites_on(scenario)

    def __init__(self, engine, scenario) -> None:
        super().__init__(engine, scenario)
        names = tuple(scenario.sites)
        index = {s: i for i, s in enumerate(names)}
        of_group = {g: index[s.name] for s in scenario.sites.values() for g in s.groups}
        self.site_of = [of_group[g.name] for g in engine.groups]  # by group index
        self.home = [index[scenario.contact_types[t].site] for t in engine.type_names]  # by contact type index
        self.delay = [scenario.sites[s].network_delay_s for s in names]
        changed = set()
        for name in engine.type_names:
            home = self.home[engine.queues[name].index]
            for main in engine.type_queues[name]:  # its own queue, and its VIP class's (sim.journeys.vip)
                remote: dict[int, list] = {}
                for group in main.groups:
                    site = self.site_of[group.index]
                    if site != home:
                        remote.setdefault(site, []).append(group)
                if not remote:
                    continue
                arms = []
                for site, groups in remote.items():
                    side = SiteQueue(main, groups, names[site])
                    for group in groups:
                        group.skills[group.skills.index(main)] = side
                        changed.add(group)
                    arms.append((scenario.sites[names[site]].after_s, side))
                main.groups = [g for g in main.groups if self.site_of[g.index] == home]
                main.tiers = [t for t in ([g for g in tier if g in main.groups] for tier in main.tiers) if t]
                main.on_wait = self._arming(main.on_wait, tuple(arms))
        for group in sorted(changed, key=lambda g: g.index):
            own = {q.index for q in group.skills if not isinstance(q, OverflowQueue)}
            group.pick_contact = _via_overflow(queue_selector(scenario.routing.queue_selection, group, engine.env),
                                               own)
        for group in engine.groups:
            d = self.delay[self.site_of[group.index]]
            if d > 0:
                group.adjust = self._delaying(group.adjust, self.site_of[group.index], d)
        n_seg = len(engine.ends)
        self.answered = [0.0] * (n_seg * engine.n_groups)  # [segment * n_groups + group]
        self.routed = [0.0] * (n_seg * engine.n_types)  # [segment * n_types + type]: answered at another site
        engine.finish = self._counting(engine.finish)

    def _arming(self, before, arms):
        """The queue's wait hook: ``before`` first, then the contact's eligibility for each other site is
        armed (``arms``: ``(after_s, side queue)``) unless it left the queue."""
        env, on_remote = self.engine.env, self._on_remote

        def on_wait(contact, queue, now: float, first: bool) -> int:
            took = before(contact, queue, now, first) if before is not None else 0
            if took != LEFT:
                for after, side in arms:
                    env.call_at(now + after, on_remote, contact, side)
            return took
        return on_wait

    def _on_remote(self, ev) -> None:
        """A contact has waited a site's ``after_s``: that site's longest-idle skilled agent takes it, or it
        waits for them too."""
        contact, side = ev.arg, ev.tag
        queue = side.main
        if contact.state > WAITING or contact.queue is not queue:
            return  # answered, gone, or moved on to another queue
        agent = longest_idle(side)
        if agent is None:
            side.waiting.append(contact)
            return
        engine = self.engine
        now = engine.env._now
        queue.n -= 1
        queue.waiting.remove(contact)
        engine.leave_queue(contact, now)
        if contact.state:  # held in the queue by a mechanism (a callback)
            queue.on_take(agent, contact, now)
        else:
            engine.start_service(agent, contact, now)

    def _delaying(self, before, site: int, delay: float):
        """The group's handle-time hook: ``before`` (e.g. proficiency) first, then the network delay (s) is
        added to the agent's busy time for a contact from another site."""
        home = self.home

        def adjust(agent, contact, handle: float, now: float) -> float:
            if before is not None:
                handle = before(agent, contact, handle, now)
            return handle + delay if home[contact.queue.index] != site else handle
        return adjust

    def _counting(self, before):
        """The finish hook: the network delay moved from the handle time to the wait, the per-site counts,
        then ``before`` (the tally)."""
        site_of, home, delay, engine = self.site_of, self.home, self.delay, self.engine
        answered, routed = self.answered, self.routed
        n_groups, n_types = engine.n_groups, engine.n_types

        def finish(contact, outcome: int, end: float) -> None:
            leg = contact.leg
            group = contact.group1
            if group >= 0 and leg:
                first = contact.origin if leg == 2 else contact.queue
                site = site_of[group]
                if site != home[first.index]:
                    contact.wait1 += delay[site]
                    contact.handle1 -= delay[site]
                    if getattr(contact, "cb", 0) < CB_WAITING:
                        routed[contact.seg * n_types + first.index] += 1.0
                if getattr(contact, "cb", 0) < CB_WAITING:  # answered (an accepted callback is not offered)
                    answered[contact.seg * n_groups + group] += 1.0
            if leg == 2 and contact.handle2 == contact.handle2:  # served in the escalation queue
                site = site_of[contact.group2]
                if site != home[contact.queue.index]:
                    contact.wait2 += delay[site]
                    contact.handle2 -= delay[site]
            before(contact, outcome, end)
        return finish

    def report(self, result: dict) -> None:
        engine = self.engine
        n_seg = len(engine.ends)
        result["sites"] = {"answered": np.asarray(self.answered).reshape(n_seg, engine.n_groups),
                           "routed": np.asarray(self.routed).reshape(n_seg, engine.n_types)}
