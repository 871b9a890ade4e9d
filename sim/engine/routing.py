"""Queues and routing: which idle agent takes a contact, which contact a freed agent takes.

Each contact type has one FIFO queue.  Contacts that abandon stay in the deque
marked as gone and are dropped when they reach its head, so abandonment costs
O(1); ``n`` counts only those still waiting.

Two decisions, each a small function chosen by the scenario's ``routing``:

* **agent selection** (a contact arrives and several eligible agents are idle):
  ``longest_idle`` takes the agent idle longest across all groups with the
  skill (ties: the group listed first); ``skill_rank`` first restricts to the
  groups for which the contact type ranks highest in their skill list, then
  takes the longest idle among them; ``score`` takes the agent with the highest
  score: its group's score for the contact type plus a score per second idle;
  ``expected_delay`` takes the longest idle agent like ``longest_idle``, and
  when no eligible agent is idle commits the contact to the eligible group
  with the smallest predicted delay (a mechanism, :mod:`sim.journeys.expected_delay`).
* **queue selection** (an agent becomes free and several of its queues have
  contacts waiting): ``priority_fcfs`` takes the highest contact-type priority
  and, within a priority, the contact that entered its queue first;
  ``fcfs`` takes the contact that entered its queue first, whatever the
  priority; ``skill_order`` takes the first non-empty queue in the agent's
  skill order; ``longest_queue`` the head of the longest queue;
  ``longest_weighted_wait`` and ``score`` the head with the highest score (a
  base score of its type, plus a weight per second waited, plus a bonus after a
  transfer: ContactCenters' longest weighted waiting time and Herzog's
  score-based routing).

Staged routing (per agent group and contact type, :mod:`sim.journeys.conditions`): a group may
take a type only after the contact has waited, only while its queue is long, or only while the
group keeps agents idle; it filters the two decisions above.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Callable, Optional

from sim.engine.agents import Agent, AgentGroup

__all__ = ["Queue", "WAITING", "AGENT_SELECTORS", "QUEUE_SELECTORS", "queue_selector", "agent_selector", "pick_among", "longest_idle_among"]

WAITING = 0  # contact state while in a queue
SERVING, GONE = 1, 2  # in service; left (or recorded at the end)


class Queue:
    """The queue of one contact type, and what its contacts need."""

    __slots__ = ("name", "index", "channel", "priority", "waiting", "n", "capacity", "handle",
                 "handle_by_group", "patience", "escalate_p", "escalate_to", "escalate_draw",
                 "groups", "tiers", "enter", "bot", "retrial", "repeat", "handle_again", "patience_again",
                 "callback", "on_wait", "overflow", "overflow_after", "overflow_set", "vip", "vip_share", "vip_draw",
                 "klass", "base_enter", "pick_agent", "on_take", "reserve", "window", "work", "weight", "base_score",
                 "transfer_bonus", "agent_scores")

    def __init__(self, name: str, index: int, channel: int, priority: int, capacity: Optional[int]) -> None:
        self.name = name
        self.index = index
        self.channel = channel
        self.priority = priority
        self.capacity = capacity
        self.waiting: deque = deque()
        self.n = 0
        self.work = 0.0  # handle seconds offered in the current segment (the engine's load check)
        self.weight = 1.0  # score per second waited (routing.wait_weights, routing.contact_scores.<type>.per_second)
        self.base_score = 0.0  # a contact's score on arrival (routing.contact_scores.<type>.base)
        self.transfer_bonus = 0.0  # added to the score of a contact transferred here (routing.transfer_bonus)
        self.agent_scores: tuple[float, ...] = ()  # by group index: an agent's score for this type (routing.agent_scores)
        self.handle: Callable[[], float] | None = None
        self.handle_by_group: dict[int, Callable[[], float]] = {}
        self.patience: Callable[[], float] | None = None
        self.escalate_p = 0.0
        self.escalate_to: "Queue | None" = None
        self.escalate_draw: Callable[[], float] | None = None
        self.groups: list[AgentGroup] = []  # eligible groups, in config order
        self.tiers: list[list[AgentGroup]] = []  # eligible groups by skill rank, best first
        # customer journeys (sim.journeys.flow): how an arrival enters (the model's _offer, or the bot first),
        # the self-service stage, retrial and repeat rules, samplers for returning contacts
        self.enter = None
        self.bot = self.retrial = self.repeat = self.callback = None
        self.on_wait = self.overflow = self.overflow_set = None  # overflow: sim.journeys.overflow
        self.overflow_after = 0.0
        self.vip = self.vip_share = self.vip_draw = self.base_enter = None  # priority class: sim.journeys.vip
        self.klass = 0  # 1 for a VIP queue
        self.pick_agent: Callable[["Queue"], Agent | None] | None = None  # agent selection, set by the model
        self.on_take = None  # hook: on_take(agent, contact, now), an agent takes a contact a mechanism holds here
        self.reserve = 0  # deferrable work: agents of a group kept idle for live work (sim.journeys.deferrable)
        self.window: tuple[float, float] | None = None  # deferrable work: hours it is worked (simulation s)
        self.handle_again: Callable[[], float] | None = None
        self.patience_again: Callable[[], float] | None = None

    def head(self):
        """The first contact still waiting (drops abandoned ones), or ``None``."""
        waiting = self.waiting
        while waiting:
            contact = waiting[0]
            if contact.state <= WAITING:  # waiting, or holding a callback (-1)
                return contact
            waiting.popleft()
        return None


def longest_idle_among(groups: list[AgentGroup]) -> Agent | None:
    """The agent idle longest across ``groups`` (left in its idle pool), or ``None``."""
    best: Agent | None = None
    for group in groups:
        if group.idle:
            agent = group.idle[0]
            if best is None or agent.idle_since < best.idle_since:
                best = agent
    return best


def longest_idle(queue: Queue) -> Agent | None:
    """The eligible agent idle longest (removed from its idle pool), or ``None``."""
    groups = queue.groups
    if len(groups) == 1:  # one eligible group: its idle deque is already in idle order
        idle = groups[0].idle
        return idle.popleft() if idle else None
    agent = longest_idle_among(groups)
    if agent is not None:
        agent.group.idle.popleft()
    return agent


def skill_rank(queue: Queue) -> Agent | None:
    """Among groups ranking this contact type highest, the longest-idle agent."""
    for tier in queue.tiers:
        agent = longest_idle_among(tier)
        if agent is not None:
            agent.group.idle.popleft()
            return agent
    return None


def priority_fcfs(group: AgentGroup):
    """Highest priority first, then first in queue; the contact is removed from its queue."""
    best = None
    best_queue = None
    for queue in group.skills:
        if queue.n:
            contact = queue.head()
            if best is None or queue.priority > best_queue.priority or (
                    queue.priority == best_queue.priority and contact.t_queue < best.t_queue):
                best, best_queue = contact, queue
    return best


def fcfs(group: AgentGroup):
    """The contact that entered its queue first, whatever its priority."""
    best = None
    for queue in group.skills:
        if queue.n:
            contact = queue.head()
            if best is None or contact.t_queue < best.t_queue:
                best = contact
    return best


def skill_order(group: AgentGroup):
    """The head of the first non-empty queue in the group's skill order."""
    for queue in group.skills:
        if queue.n:
            return queue.head()
    return None


def longest_queue(group: AgentGroup):
    """The head of the eligible queue with the most contacts waiting; ties go to the higher
    priority, then to the contact that entered its queue first."""
    best = None
    best_queue = None
    for queue in group.skills:
        n = queue.n
        if n:
            contact = queue.head()
            if best is None or n > best_queue.n or (n == best_queue.n and (
                    queue.priority > best_queue.priority or (
                    queue.priority == best_queue.priority and contact.t_queue < best.t_queue))):
                best, best_queue = contact, queue
    return best


def highest_score(group: AgentGroup, now: float):
    """The head with the highest score: its queue's ``base_score``, plus ``weight`` per second waited,
    plus ``transfer_bonus`` if it was transferred there (Herzog's score routing; with base 0 and no
    bonus, ContactCenters' longest weighted waiting time); ties go to the contact that entered its
    queue first. A queue's head scores highest in it (same base and weight, longest wait)."""
    best = None
    best_score = -math.inf
    for queue in group.skills:
        if queue.n:
            contact = queue.head()
            score = queue.base_score + queue.weight * (now - contact.t_queue)
            if contact.leg > 1:  # escalated or transferred
                score += queue.transfer_bonus
            if score > best_score or (score == best_score and contact.t_queue < best.t_queue):
                best, best_score = contact, score
    return best


def highest_scoring_agent(queue: Queue, now: float, idle_weight: float) -> Agent | None:
    """The idle eligible agent with the highest score: its group's score for this contact type
    (``queue.agent_scores``) plus ``idle_weight`` per second idle; ties go to the group listed
    first. Within a group the longest idle scores highest, so only each group's first is compared."""
    best = None
    best_score = -math.inf
    scores = queue.agent_scores
    for group in queue.groups:
        idle = group.idle
        if idle:
            agent = idle[0]
            score = scores[group.index] + idle_weight * (now - agent.idle_since)
            if score > best_score:
                best, best_score = agent, score
    if best is not None:
        best.group.idle.popleft()
    return best


def only_skill(group: AgentGroup):
    """The head of the group's only queue (every policy agrees when there is one skill)."""
    queue = group.skills[0]
    return queue.head() if queue.n else None


def pick_among(pick: Callable[[AgentGroup], object], group: AgentGroup, allowed: list[Queue]):
    """``pick(group)`` as if the group's skills were only ``allowed`` (in their order): how a mechanism
    that closes some queues to a group for now (a reserve, a window, a routing condition) keeps the
    group's own queue-selection policy. ``None`` when nothing is allowed."""
    if not allowed:
        return None
    skills = group.skills
    group.skills = allowed
    try:
        return pick(group)
    finally:
        group.skills = skills


def queue_selector(policy: str, group: AgentGroup, env=None) -> Callable[[AgentGroup], object]:
    """The queue-selection function for ``group`` under ``policy`` (``env``: the calendar, for the
    policies that need the time now)."""
    if len(group.skills) == 1:
        return only_skill
    if policy in ("longest_weighted_wait", "score"):
        return lambda g: highest_score(g, env._now)
    return QUEUE_SELECTORS[policy]


def agent_selector(policy: str, env=None, idle_weight: float = 1.0) -> Callable[[Queue], Agent | None]:
    """The agent-selection function of every queue under ``policy`` (``env``: the calendar, for ``score``)."""
    if policy == "score":
        return lambda q: highest_scoring_agent(q, env._now, idle_weight)
    return AGENT_SELECTORS[policy]


AGENT_SELECTORS: dict[str, Callable[[Queue], Agent | None]] = {
    "longest_idle": longest_idle,
    "skill_rank": skill_rank,
    "score": highest_scoring_agent,  # built by agent_selector with the clock
    "expected_delay": longest_idle,  # an idle agent as longest_idle; waiting contacts: sim.journeys.expected_delay
}
QUEUE_SELECTORS = {
    "priority_fcfs": priority_fcfs,
    "fcfs": fcfs,
    "skill_order": skill_order,
    "longest_queue": longest_queue,
    "longest_weighted_wait": highest_score,  # built by queue_selector with the clock: score per second waited
    "score": highest_score,  # the same with base scores and a transfer bonus
}
