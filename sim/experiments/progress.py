"""Progress of long runs on stderr: a bar with ETA on a terminal, quiet lines otherwise.

:class:`Progress` is a ``progress(done, total)`` callback, the signature
:func:`sim.experiments.replications.run_experiment` calls as replications finish::

    from sim.experiments.progress import Progress

    with Progress("replications") as progress:
        result = run_experiment(config, progress=progress)

- On a terminal (``stream.isatty()``), one line redrawn in place with a carriage
  return, at most every ``redraw_s`` seconds and always at the end::

      replications [##############------]  8/10  80% | 12 s elapsed | ETA 3 s

  and a newline when the count reaches the total (or on :meth:`close`).
- Otherwise (a log file, a pipe, CI), one plain line at most every
  ``interval_s`` seconds (default 10) and one at the end, so logs stay short::

      replications 8/10 (80%), 12 s, ETA 3 s
      replications 10/10 (100%), 15 s

The ETA is the elapsed time per finished item times the items left.  The clock is
injectable (``clock``, default :func:`time.monotonic`) for tests.  No dependency
beyond the standard library.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float) -> str:
    """``7 s``, ``2 min 05 s``, ``1 h 02 min``: short and readable."""
    if not math.isfinite(seconds):
        return "?"
    s = max(0, int(seconds + 0.5))  # half up
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class Progress:
    """A ``progress(done, total)`` callback drawing a bar (TTY) or quiet lines (no TTY) on ``stream``.

    ``label``: what is counted (``"replications"``).  ``total``: may be given here or
    with each call.  ``stream``: default ``sys.stderr`` (looked up when created).
    ``tty``: force the terminal (``True``) or plain-line (``False``) style; default:
    ``stream.isatty()``.  ``interval_s``: the least time between plain lines;
    ``redraw_s``: between bar redraws.  ``width``: the bar's width in characters.
    ``enabled=False`` makes every call a no-op.
    """

    def __init__(self, label: str = "replications", total: int | None = None, *, stream: TextIO | None = None,
                 tty: bool | None = None, clock: Callable[[], float] = time.monotonic, interval_s: float = 10.0,
                 redraw_s: float = 0.1, width: int = 20, enabled: bool = True) -> None:
        self.label = label
        self.total = total
        self.stream = sys.stderr if stream is None else stream
        if tty is None:
            isatty = getattr(self.stream, "isatty", None)
            try:
                tty = bool(isatty()) if isatty else False
            except (ValueError, OSError):  # a closed stream
                tty = False
        self.tty = tty
        self.clock = clock
        self.interval_s = interval_s
        self.redraw_s = redraw_s
        self.width = width
        self.enabled = enabled
        self.done = 0
        self.start = clock()
        self._last_shown: float | None = None
        self._open_line = False  # a bar is drawn without its newline yet
        self._finished = False

    # -- the callback
    def __call__(self, done: int, total: int | None = None) -> None:
        self.update(done, total)

    def update(self, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` items are finished (absolute counts)."""
        if total is not None:
            self.total = total
        self.done = done
        if not self.enabled or self._finished:
            return
        now = self.clock()
        final = self.total is not None and done >= self.total
        if self.tty:
            if final or self._last_shown is None or now - self._last_shown >= self.redraw_s:
                self._write("\r" + self.bar(now) + ("\n" if final else ""))
                self._open_line = not final
                self._last_shown = now
        else:
            since = now - (self.start if self._last_shown is None else self._last_shown)
            if final or since >= self.interval_s:
                self._write(self.line(now) + "\n")
                self._last_shown = now
        if final:
            self._finished = True

    def close(self) -> None:
        """End an unfinished bar's line (e.g. after an error), so later output starts on a new line."""
        if self.enabled and self._open_line:
            self._write("\n")
            self._open_line = False
        self._finished = True

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- text
    def _counts(self, now: float) -> tuple[float, str, str]:
        elapsed = now - self.start
        total = self.total or 0
        fraction = min(1.0, self.done / total) if total else 0.0
        eta = elapsed / self.done * (total - self.done) if self.done and total else math.nan
        return fraction, format_duration(elapsed), format_duration(eta)

    def line(self, now: float | None = None) -> str:
        """The plain line: ``replications 8/10 (80%), 12 s, ETA 3 s`` (no ETA when done)."""
        fraction, elapsed, eta = self._counts(self.clock() if now is None else now)
        total = "?" if self.total is None else str(self.total)
        text = f"{self.label} {self.done}/{total} ({100 * fraction:.0f}%), {elapsed}"
        if self.total is not None and self.done < self.total:
            text += f", ETA {eta}"
        return text

    def bar(self, now: float | None = None) -> str:
        """The terminal line: ``replications [####----]  8/10  80% | 12 s elapsed | ETA 3 s``."""
        fraction, elapsed, eta = self._counts(self.clock() if now is None else now)
        filled = int(fraction * self.width)
        total = "?" if self.total is None else str(self.total)
        count = f"{self.done:>{len(total)}}/{total}"
        text = f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {count} {100 * fraction:3.0f}% | {elapsed} elapsed"
        if self.total is not None and self.done < self.total:
            text += f" | ETA {eta}"
        return text + "\033[K"  # clear what a longer previous line left

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (ValueError, OSError):  # stderr closed: progress is never worth a crash
            self.enabled = False
