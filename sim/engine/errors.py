"""Errors a user can act on.

A :class:`ConfigError` carries the key path (``scenario.agent_groups.tier1.staffing``)
or file and line of the offending input and what was expected.  The command line
prints it as one line, with no traceback, and exits with status 2.
"""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A configuration or input-file value the model cannot use.

    ``where`` is a dotted key path or ``file:line``; ``message`` says what was
    expected and what was found.
    """

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)
