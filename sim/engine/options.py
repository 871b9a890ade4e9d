"""Command-line options checked as configs are: one parser and one set of option types.

Every command (``python -m sim.report``, ``sim.compare``, ``sim.sweep``, ``sim.calculator``,
``sim.calibration``, ``sim.study`` and the scripts in ``experiments/``) builds its parser with
:func:`parser` and types its options with the readers below, so a bad value gets the same answer
everywhere: one line ``prog: error: argument --x: expected ..., got ...`` on stderr and exit status
2, never a traceback and never a value silently used. Numbers must be finite; probabilities lie in
[0, 1]; a confidence level in (0, 1); counts are whole numbers with a floor (and a ceiling where a
larger value would only exhaust memory or time, see :data:`LIMITS`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from sim.engine.errors import ConfigError
from sim.engine.inputs import finite

__all__ = ["Parser", "parser", "command_name", "typed", "number", "count", "probability", "confidence", "channel_values", "one_of",
           "new_output", "fail", "LIMITS"]

#: Ceilings on what a command may be asked to do in one go; ``--allow-large`` (where offered) lifts them.
LIMITS = {
    "replications": 10_000,
    "agents": 100_000,
    "rate_per_hour": 1_000_000.0,
}


class Parser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose errors are one line (no usage block) and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{command_name(self.prog)}: error: {message} (see --help)\n")


def command_name(prog: str) -> str:
    """The name a command's errors start with: ``python -m sim.report`` -> ``sim.report`` (as its
    other errors do); a script keeps its path (``python experiments/x.py``)."""
    return prog.removeprefix("python -m ")


def parser(prog: str, description: str | None = None, **kwargs: Any) -> Parser:
    kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
    return Parser(prog=prog, description=description, **kwargs)


def typed(name: str, convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """``convert`` (text -> value, raising :class:`ConfigError`) as an argparse type: its error becomes
    the option's one-line error; ``name`` names the type in argparse's messages."""
    def read(text: str) -> Any:
        try:
            return convert(text)
        except ConfigError as err:
            raise argparse.ArgumentTypeError(err.message) from None
    read.__name__ = name  # argparse names the type in its messages
    return read


def number(*, minimum: float | None = None, maximum: float | None = None, positive: bool = False,
           unit: str = "") -> Callable[[str], float]:
    """A finite number in ``[minimum, maximum]`` (``positive``: above zero)."""
    def convert(text: str) -> float:
        value = finite(text, "", minimum=minimum, maximum=maximum, unit=unit)
        if positive and value <= 0:
            raise ConfigError("", f"expected a positive number{' in ' + unit if unit else ''}, got {text!r}")
        return value
    return typed("number", convert)


def count(*, minimum: int = 1, maximum: int | None = None) -> Callable[[str], int]:
    """A whole number in ``[minimum, maximum]``."""
    return typed("count", lambda text: int(finite(text, "", minimum=minimum, maximum=maximum, integer=True)))


def probability() -> Callable[[str], float]:
    """A share in [0, 1]."""
    return number(minimum=0.0, maximum=1.0)


def confidence() -> Callable[[str], float]:
    """A confidence level strictly between 0 and 1 (e.g. 0.95)."""
    def convert(text: str) -> float:
        value = finite(text, "")
        if not 0.0 < value < 1.0:
            raise ConfigError("", f"expected a confidence level between 0 and 1 (e.g. 0.95), got {text!r}")
        return value
    return typed("confidence", convert)


def one_of(options: Sequence[str], what: str = "value") -> Callable[[str], str]:
    """One of ``options`` (argparse's ``choices`` without its long message)."""
    def convert(text: str) -> str:
        if text not in options:
            raise ConfigError("", f"expected a {what} among {', '.join(options)}, got {text!r}")
        return text
    return typed(what, convert)


def channel_values(items: Sequence[str], option: str, channels: Sequence[str], *, minimum: float | None = 0.0,
                   maximum: float | None = None, unit: str = "") -> dict[str, float]:
    """``["phone=30", ...]`` -> ``{"phone": 30.0}``: each a known channel with a finite number in
    range; :class:`ConfigError` naming ``option`` otherwise."""
    out: dict[str, float] = {}
    for item in items:
        channel, sep, value = str(item).partition("=")
        if not sep:
            raise ConfigError(option, f"expected CHANNEL=NUMBER, got {item!r}")
        if channel not in channels:
            raise ConfigError(option, f"unknown channel {channel!r}; expected one of {', '.join(channels)}")
        if channel in out:
            raise ConfigError(option, f"channel {channel!r} given twice")
        out[channel] = finite(value, option, minimum=minimum, maximum=maximum, unit=unit)
    return out


def new_output(path: str | Path, option: str = "--out") -> Path:
    """An output folder: absent or a folder, never an existing file."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(option, f"{path} is a file; expected a folder to write into")
    return path


def fail(prog: str, error: ConfigError | str) -> int:
    """Print ``prog: error: ...`` on one line to stderr (``prog`` as :func:`command_name` gives it);
    returns exit status 2."""
    print(f"{command_name(prog)}: error: {error}", file=sys.stderr)
    return 2
