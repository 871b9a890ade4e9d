"""Readers of configuration values: each returns a typed value or raises
:class:`~sim.engine.errors.ConfigError` naming the key path and what was expected.

Used by the schema (:mod:`sim.model.config`); nothing here knows about contact
centres.
"""

from __future__ import annotations

import difflib
import math
from typing import Any, Callable, Mapping

from sim.engine.errors import ConfigError

__all__ = ["mapping", "keyed", "check_keys", "closest", "join", "show", "number", "integer", "probability", "choice",
           "boolean", "clock", "table"]


def mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(path, f"expected a mapping of keys to values, got {show(value)}")
    return value


def keyed(value: Any, path: str, names: tuple[str, ...], what: str, convert: Callable[[Any, str], Any]) -> dict:
    """A mapping (``None`` = empty) whose keys must be among ``names`` (``what`` they are, for the
    message); each value is read by ``convert(value, key path)``."""
    out = {}
    for key, item in mapping(value or {}, path).items():
        where = f"{path}.{key}"
        if key not in names:
            raise ConfigError(where, f"expected {what} ({', '.join(names)}), got {show(key)}")
        out[str(key)] = convert(item, where)
    return out


def check_keys(value: Mapping[str, Any], path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> None:
    for key in value:
        if key not in allowed:
            hint = closest(str(key), allowed)
            extra = f" (did you mean '{hint}'?)" if hint else ""
            raise ConfigError(join(path, str(key)), f"unknown key{extra}; allowed keys: {', '.join(allowed)}")
    for key in required:
        if value.get(key) is None:
            raise ConfigError(join(path, key), "required key is missing")


def closest(key: str, options: tuple[str, ...]) -> str | None:
    found = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
    return found[0] if found else None


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def number(value: Any, path: str, *, minimum: float | None = 0.0, positive: bool = False,
            maximum: float | None = None, unit: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(path, f"expected a number{unit and ' in ' + unit}, got {show(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(path, f"expected a finite number, got {show(value)}")
    if positive and number <= 0:
        raise ConfigError(path, f"expected a positive number{unit and ' in ' + unit}, got {show(value)}")
    if minimum is not None and number < minimum:
        raise ConfigError(path, f"expected a number >= {minimum:g}{unit and ' in ' + unit}, got {show(value)}")
    if maximum is not None and number > maximum:
        raise ConfigError(path, f"expected a number <= {maximum:g}, got {show(value)}")
    return number


def integer(value: Any, path: str, *, minimum: int = 0) -> int:
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or float(value) != int(value)):
        raise ConfigError(path, f"expected a whole number, got {show(value)}")
    number = int(value)
    if number < minimum:
        raise ConfigError(path, f"expected a whole number >= {minimum}, got {show(value)}")
    return number


def probability(value: Any, path: str) -> float:
    return number(value, path, minimum=0.0, maximum=1.0)


def choice(value: Any, path: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ConfigError(path, f"expected one of {', '.join(options)}, got {show(value)}")
    return str(value)


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(path, f"expected true or false, got {show(value)}")
    return value


def clock(value: Any, path: str) -> float:
    """'08:30' -> seconds after midnight."""
    if isinstance(value, str):
        parts = value.split(":")
        if len(parts) in (2, 3) and all(p.isdigit() for p in parts):
            h, m, s = (int(p) for p in (parts + ["0"])[:3])
            if h <= 24 and m < 60 and s < 60 and h * 3600 + m * 60 + s <= 86400:
                return float(h * 3600 + m * 60 + s)
    raise ConfigError(path, f"expected a clock time 'HH:MM', got {show(value)}")


def hhmm(seconds: float) -> str:
    """Seconds after midnight -> ``'HH:MM'`` (the inverse of :func:`clock`, to the minute)."""
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def table(value: Any, path: str, n: int, convert: Callable[[Any, str], Any]) -> tuple:
    """One value per interval, or one value for all intervals."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ConfigError(path, f"expected {n} values (one per interval of the opening hours) or a single "
                                    f"number, got {len(value)} values")
        return tuple(convert(v, f"{path}[{i}]") for i, v in enumerate(value))
    return (convert(value, path),) * n
