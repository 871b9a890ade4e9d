"""The workforce parts of a scenario: shifts (per group, or a roster CSV), shrinkage and costs.

- ``scenario.agent_groups.<group>.shifts``: a list of ``{start, length_hours, agents, breaks,
  concurrency}``; instead of ``staffing``, the group's agents on duty follow the shifts (breaks off duty).
- ``scenario.roster``: a CSV with one row per agent shift (``agent_id, group, start, end`` and
  optional ``breaks`` as ``HH:MM-HH:MM;...``, ``skills`` as ``a;b`` and ``concurrency``); its rows become
  their group's shifts (a group staffed by a roster has no ``staffing``).
- a shift's or roster row's ``concurrency`` (blank or absent: the group's) overrides, for its agents,
  how many contacts they hold at once (:func:`check_agent_concurrency`; :mod:`sim.journeys.concurrency`).
- ``scenario.agent_groups.<group>.shrinkage``: ``absence_probability`` (per agent-day: the agent
  does not come), ``unavailability`` (short random unavailability of on-duty agents: after an
  exponential time with mean ``1 / rate_per_hour`` available, unavailable for ``duration``), and
  ``blocks`` (scheduled meetings, training: ``{start, minutes, agents, kind}``).
- ``scenario.costs``: ``wage_per_hour`` per group, ``overtime_premium`` (an overtime hour costs
  wage x premium), ``telephony_per_minute`` on ``telephony_channels`` (waiting and talking minutes),
  ``per_contact`` per group (a price per service, e.g. an outsourced vendor's, with a wage of 0),
  ``bot_per_contact`` (per contact through a self-service stage).

Times are clock times (``"HH:MM"``) inside the opening hours; errors name the key path, or the roster
file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from sim.engine.checks import boolean, check_keys, clock, hhmm, integer, join, mapping, number, probability, show
from sim.engine.distributions import Distribution, parse_distribution
from sim.engine.errors import ConfigError
from sim.engine.inputs import csv_rows, finite
from sim.engine.options import LIMITS

__all__ = ["Break", "Shift", "Block", "Shrinkage", "Costs", "SHIFT_KEYS", "BREAK_KEYS", "SHRINKAGE_KEYS",
           "UNAVAILABILITY_KEYS", "BLOCK_KEYS", "COST_KEYS", "parse_shifts", "parse_shrinkage", "parse_costs",
           "read_roster", "parse_breaks", "ROSTER_COLUMNS", "check_agent_concurrency"]

SHIFT_KEYS = ("start", "length_hours", "agents", "breaks", "concurrency")
BREAK_KEYS = ("after_hours", "minutes")
SHRINKAGE_KEYS = ("absence_probability", "unavailability", "blocks")
UNAVAILABILITY_KEYS = ("rate_per_hour", "duration")
BLOCK_KEYS = ("start", "minutes", "agents", "kind")
COST_KEYS = ("wage_per_hour", "overtime_premium", "telephony_per_minute", "telephony_channels", "per_contact",
             "bot_per_contact", "absence_paid", "currency")
ROSTER_COLUMNS = ("agent_id", "group", "start", "end", "breaks", "skills", "concurrency")
ROSTER_WHAT = "a roster CSV"


@dataclass(frozen=True)
class Break:
    """Off duty for ``minutes`` starting ``after_hours`` into the shift."""

    after_hours: float
    minutes: float


@dataclass(frozen=True)
class Shift:
    """``agents`` agents on duty from ``start_s`` (clock seconds) for ``length_s``, less the breaks, each
    holding up to ``concurrency`` contacts at once (``None``: as their group's agents).  ``where`` is
    the shift's key path, or a roster row's ``file:line``, for messages."""

    start_s: float
    length_s: float
    agents: int = 1
    breaks: tuple[Break, ...] = ()
    agent_id: str | None = None  # set for a roster row
    concurrency: int | None = None
    where: str = field(default="", compare=False, repr=False)

    @property
    def end_s(self) -> float:
        return self.start_s + self.length_s

    def off_duty(self) -> list[tuple[float, float]]:
        """The breaks as clock-time spans."""
        return [(self.start_s + b.after_hours * 3600, self.start_s + b.after_hours * 3600 + b.minutes * 60)
                for b in self.breaks]


@dataclass(frozen=True)
class Block:
    """Scheduled shrinkage: ``agents`` of the group off the phones from ``start_s`` for ``length_s``."""

    start_s: float
    length_s: float
    agents: int
    kind: str = "meeting"


@dataclass(frozen=True)
class Shrinkage:
    absence_probability: float = 0.0
    unavailability_rate_per_hour: float = 0.0
    unavailability_duration: Distribution | None = None
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Costs:
    wage_per_hour: Mapping[str, float] = field(default_factory=dict)
    overtime_premium: float = 1.5
    telephony_per_minute: float = 0.0
    telephony_channels: tuple[str, ...] = ()
    per_contact: Mapping[str, float] = field(default_factory=dict)  # group -> price per service (a vendor)
    bot_per_contact: float = 0.0  # per contact through self-service (deflected or handed off)
    absence_paid: bool = True  # an absent agent's scheduled hours are paid (sick pay); False: not paid
    currency: str = ""  # how money is written in reports, e.g. "EUR" or "$" ("" = unnamed units)


def parse_breaks(raw: Any, where: str, length_h: float) -> tuple[Break, ...]:
    """A list of ``{after_hours, minutes}`` inside a shift of ``length_h`` hours, in order, not overlapping."""
    if raw is None:
        return ()
    if not isinstance(raw, (list, tuple)):
        raise ConfigError(where, f"expected a list of breaks {{after_hours, minutes}}, got {show(raw)}")
    out: list[Break] = []
    for i, b in enumerate(raw):
        bw = f"{where}[{i}]"
        b = mapping(b, bw)
        check_keys(b, bw, BREAK_KEYS, required=BREAK_KEYS)
        brk = Break(number(b["after_hours"], join(bw, "after_hours")),
                    number(b["minutes"], join(bw, "minutes"), positive=True))
        _check_break(brk, out, bw, length_h)
        out.append(brk)
    return tuple(out)


def _check_break(brk: Break, before: list[Break], where: str, length_h: float) -> None:
    if brk.after_hours * 60 + brk.minutes > length_h * 60 + 1e-9:
        raise ConfigError(where, f"expected a break inside the {length_h:g} h shift")
    if before and brk.after_hours * 60 < before[-1].after_hours * 60 + before[-1].minutes - 1e-9:
        raise ConfigError(where, "overlaps the break before it (breaks in order, not overlapping)")


def _inside(start_s: float, end_s: float, where: str, open_s: float, close_s: float) -> None:
    if start_s < open_s - 1e-9 or end_s > close_s + 1e-9:
        raise ConfigError(where, f"shift {hhmm(start_s)}-{hhmm(end_s)} is outside the opening hours "
                                 f"{hhmm(open_s)}-{hhmm(close_s)}")


def parse_shifts(raw: Any, where: str, open_s: float, close_s: float) -> tuple[Shift, ...]:
    if not isinstance(raw, (list, tuple)) or not raw:
        raise ConfigError(where, f"expected a non-empty list of shifts {{start, length_hours, agents, breaks}}, "
                                 f"got {show(raw)}")
    out = []
    for i, s in enumerate(raw):
        sw = f"{where}[{i}]"
        s = mapping(s, sw)
        check_keys(s, sw, SHIFT_KEYS, required=("start", "length_hours", "agents"))
        start = clock(s["start"], join(sw, "start"))
        length = number(s["length_hours"], join(sw, "length_hours"), positive=True, unit="hours")
        concurrency = s.get("concurrency")
        shift = Shift(start, length * 3600, integer(s["agents"], join(sw, "agents")),
                      parse_breaks(s.get("breaks"), join(sw, "breaks"), length), None,
                      None if concurrency is None else integer(concurrency, join(sw, "concurrency"), minimum=1), sw)
        _inside(shift.start_s, shift.end_s, sw, open_s, close_s)
        out.append(shift)
    return tuple(out)


def parse_shrinkage(raw: Any, where: str, open_s: float, close_s: float) -> Shrinkage | None:
    if raw is None:
        return None
    spec = mapping(raw, where)
    check_keys(spec, where, SHRINKAGE_KEYS)
    rate, duration = 0.0, None
    if spec.get("unavailability") is not None:
        uw = join(where, "unavailability")
        u = mapping(spec["unavailability"], uw)
        check_keys(u, uw, UNAVAILABILITY_KEYS, required=UNAVAILABILITY_KEYS)
        rate = number(u["rate_per_hour"], join(uw, "rate_per_hour"), unit="events per hour")
        duration = parse_distribution(u["duration"], join(uw, "duration"))
    blocks = []
    for i, b in enumerate(spec.get("blocks") or []):
        bw = f"{where}.blocks[{i}]"
        b = mapping(b, bw)
        check_keys(b, bw, BLOCK_KEYS, required=("start", "minutes", "agents"))
        block = Block(clock(b["start"], join(bw, "start")), 60 * number(b["minutes"], join(bw, "minutes"), positive=True),
                      integer(b["agents"], join(bw, "agents"), minimum=1), str(b.get("kind", "meeting")))
        _inside(block.start_s, block.start_s + block.length_s, bw, open_s, close_s)
        blocks.append(block)
    return Shrinkage(probability(spec.get("absence_probability", 0.0), join(where, "absence_probability")),
                     rate, duration, tuple(blocks))


def parse_costs(raw: Any, where: str, groups: tuple[str, ...], channels: tuple[str, ...]) -> Costs | None:
    if raw is None:
        return None
    spec = mapping(raw, where)
    check_keys(spec, where, COST_KEYS, required=("wage_per_hour",))
    wages_raw = mapping(spec["wage_per_hour"], join(where, "wage_per_hour"))
    wages = {}
    for g, w in wages_raw.items():
        gw = join(join(where, "wage_per_hour"), str(g))
        if g not in groups:
            raise ConfigError(gw, f"unknown agent group; expected one of {', '.join(groups)}")
        wages[str(g)] = number(w, gw, unit="money per hour")
    missing = [g for g in groups if g not in wages]
    if missing:
        raise ConfigError(join(where, "wage_per_hour"), f"missing a wage for agent group {missing[0]!r}")
    tel_channels = spec.get("telephony_channels", ["phone"] if "phone" in channels else [])
    if not isinstance(tel_channels, (list, tuple)):
        raise ConfigError(join(where, "telephony_channels"), f"expected a list of channels, got {show(tel_channels)}")
    for i, c in enumerate(tel_channels):
        if c not in channels:
            raise ConfigError(f"{where}.telephony_channels[{i}]", f"unknown channel {show(c)}; expected one of "
                                                                  f"{', '.join(channels)}")
    per_contact = {}
    for g, price in mapping(spec.get("per_contact") or {}, join(where, "per_contact")).items():
        pw = join(join(where, "per_contact"), str(g))
        if g not in groups:
            raise ConfigError(pw, f"unknown agent group; expected one of {', '.join(groups)}")
        per_contact[str(g)] = number(price, pw, unit="money per contact")
    return Costs(wages, number(spec.get("overtime_premium", 1.5), join(where, "overtime_premium"), minimum=1.0),
                 number(spec.get("telephony_per_minute", 0.0), join(where, "telephony_per_minute")),
                 tuple(str(c) for c in tel_channels), per_contact,
                 number(spec.get("bot_per_contact", 0.0), join(where, "bot_per_contact"), unit="money per contact"),
                 boolean(spec.get("absence_paid", True), join(where, "absence_paid")),
                 _currency(spec.get("currency", ""), join(where, "currency")))


def _currency(value: Any, where: str) -> str:
    """A currency code or symbol: a short text without spaces, e.g. ``EUR``, ``USD``, ``£``."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 8 or any(c.isspace() for c in value):
        raise ConfigError(where, f"expected a currency code or symbol (up to 8 characters, no spaces, "
                                 f"e.g. EUR or $), got {show(value)}")
    return value


def read_roster(path: Path, groups: Mapping[str, tuple[str, ...]], contact_types: tuple[str, ...],
                open_s: float, close_s: float) -> dict[str, tuple[Shift, ...]]:
    """Roster rows -> shifts per group (one agent each).  ``groups``: group -> its skills.  A row's
    ``skills``, when given, must be known contact types and the same set as its group's (per-agent
    skills beyond the group's are not modelled: put such agents in their own group).  The file is read
    by :func:`sim.engine.inputs.csv_rows` (UTF-8 text; a binary or UTF-16 file, a duplicated column or
    a truncated row is refused); every fault names the file and line."""
    out: dict[str, list[Shift]] = {g: [] for g in groups}
    seen: set[str] = set()
    header, rows = csv_rows(path, ROSTER_WHAT, required=("agent_id", "group", "start", "end"))
    unknown = [c for c in header if c not in ROSTER_COLUMNS]
    if unknown:
        raise ConfigError(f"{path}:1", f"unknown column {unknown[0]!r}; expected {', '.join(ROSTER_COLUMNS)}")
    for row in rows:
        where = f"{path}:{row.line}"
        cells = row.cells
        agent, group = cells["agent_id"].strip(), cells["group"].strip()
        if not agent:
            raise ConfigError(where, "agent_id is empty")
        if group not in groups:
            raise ConfigError(where, f"unknown group {group!r}; expected one of {', '.join(groups)}")
        start = clock(cells["start"].strip(), f"{where}: start")
        end = clock(cells["end"].strip(), f"{where}: end")
        if end <= start:
            raise ConfigError(where, f"end {cells['end'].strip()} is not after start {cells['start'].strip()}")
        _inside(start, end, where, open_s, close_s)
        key = f"{agent}@{hhmm(start)}"
        if key in seen:
            raise ConfigError(where, f"agent {agent!r} has two shifts starting at {hhmm(start)}")
        seen.add(key)
        breaks: list[Break] = []
        for part in (cells.get("breaks") or "").split(";"):
            part = part.strip()
            if not part:
                continue
            a, sep, b = part.partition("-")
            if not sep:
                raise ConfigError(where, f"breaks: expected HH:MM-HH:MM;..., got {part!r}")
            bs, be = clock(a.strip(), f"{where}: breaks"), clock(b.strip(), f"{where}: breaks")
            if not start <= bs < be <= end:
                raise ConfigError(where, f"break {part} is not inside the shift {hhmm(start)}-{hhmm(end)}")
            brk = Break((bs - start) / 3600, (be - bs) / 60)
            _check_break(brk, breaks, where, (end - start) / 3600)
            breaks.append(brk)
        skills = [s.strip() for s in (cells.get("skills") or "").split(";") if s.strip()]
        for s in skills:
            if s not in contact_types:
                raise ConfigError(where, f"unknown skill {s!r}; expected contact types {', '.join(contact_types)}")
        if skills and set(skills) != set(groups[group]):
            raise ConfigError(where, f"skills {';'.join(skills)} differ from group {group!r}'s "
                                     f"({';'.join(groups[group])}); put this agent in a group with those skills")
        out[group].append(Shift(start, end - start, 1, tuple(breaks), agent,
                                _roster_concurrency(cells.get("concurrency"), where), where))
    return {g: tuple(v) for g, v in out.items() if v}


def _roster_concurrency(cell: str | None, where: str) -> int | None:
    """A roster row's ``concurrency``: blank (the group's) or a whole number from 1 to ``LIMITS["agents"]``
    contacts at once (the ceiling only guards against a typo; the group's curve bounds it further)."""
    text = (cell or "").strip()
    if not text:
        return None
    try:
        return int(finite(text, where, minimum=1, maximum=LIMITS["agents"], integer=True))
    except ConfigError:
        raise ConfigError(where, f"concurrency: expected a whole number >= 1, or blank for the group's, "
                                 f"got {text!r}") from None


def check_agent_concurrency(shifts: tuple[Shift, ...], group: str, n_factors: int | None) -> None:
    """Per-agent ``concurrency`` of a group's shifts or roster rows: above 1 only in a group with a
    ``concurrency`` block, and at most ``n_factors``, the length of its handle-time curve."""
    for shift in shifts:
        k = shift.concurrency
        if k is None or k <= (n_factors or 1):
            continue
        if n_factors is None:
            expected = (f"expected 1 (agent group {group!r} has no concurrency block; add one for agents "
                        "holding several)")
        else:
            expected = f"expected at most {n_factors} (the length of concurrency.handle_time_factors)"
        if shift.agent_id is not None:  # a roster row
            raise ConfigError(shift.where, f"concurrency: {expected}, got {k}")
        raise ConfigError(join(shift.where, "concurrency"), f"{expected}, got {k}")
