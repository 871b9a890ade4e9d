"""Files that are whole or absent: every table, figure and marker is written atomically.

A writer puts its content into a temporary file in the destination's folder,
then :func:`os.replace` moves it into place, so a reader (a re-run sweep, a
report, a user) never sees half a file, and a process killed mid-write leaves
the previous version (or nothing) behind. A reader of those tables
(:func:`csv_frame`) checks what it reads and names the file and line of a fault.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable

from sim.engine.errors import ConfigError
from sim.engine.inputs import csv_rows, read_text

__all__ = ["atomic_write", "csv_frame"]


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Write ``path`` all at once: ``write(tmp)`` fills a temporary file in the same folder,
    which then replaces ``path`` (``os.replace``, atomic on one file system).

    Readers see the old file or the complete new one, never a partial one; if ``write``
    fails, the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _is_number(cell: str) -> bool:
    """An empty cell or an ASCII number as :func:`float` reads it (``nan`` and ``inf`` included)."""
    text = cell.strip()
    if not text:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return text.isascii()


def csv_frame(path: str | Path, what: str, *, required: Sequence[str] = (), numeric: Sequence[str] = (),
              filled: Sequence[str] = (), allow_empty: bool = True) -> Any:
    """A CSV file as a :class:`pandas.DataFrame`, checked first as :func:`csv_rows` checks it (binary or
    not UTF-8, empty or duplicated header columns, missing ``required`` columns, rows with too few or
    too many cells, all named by ``file:line``); every cell of a ``numeric`` column is a number or empty
    (``nan`` and ``inf`` allowed: tables mark undefined KPIs so), and no cell of a ``filled`` column
    (a key such as ``channel`` or ``replication``) is empty or ``nan``. The values are those of a plain
    :func:`pandas.read_csv` of the file. The rows are checked in C at pandas' speed; a fault found is
    then located line by line."""
    import io

    import pandas as pd

    path = Path(path)
    name = str(path)
    header, rows = csv_rows(path, what, required=required, allow_empty=allow_empty)

    def locate() -> None:
        """Walk the rows with :func:`csv_rows` to raise the exact ``file:line`` of the first fault."""
        for row in rows:
            for column in numeric:
                if column in row.cells and not _is_number(row.cells[column]):
                    raise ConfigError(f"{name}:{row.line}", f"column {column!r}: expected a number, got "
                                                            f"{row.cells[column]!r} ({what})")
            for column in filled:
                cell = row.cells.get(column, "x").strip()
                if not cell or (column in numeric and not math.isfinite(float(cell))):
                    raise ConfigError(f"{name}:{row.line}", f"column {column!r}: expected a value, got "
                                                            f"{cell!r} ({what})")

    text = read_text(path, what)
    try:
        reader = csv.reader(io.StringIO(text), strict=True)
        next(reader, None)
        lengths = set(map(len, reader))
    except csv.Error:
        lengths = {-1}
    if not lengths <= {0, len(header)}:
        locate()  # a truncated or overlong row, or a quoting error (csv_rows raises at its line)
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        locate()
        raise ConfigError(name, f"not readable as CSV: {str(err).splitlines()[0]} (expected {what})") from None
    frame.columns = [str(c).strip() for c in frame.columns]  # as csv_rows read the header
    if frame.empty:
        if not allow_empty:
            raise ConfigError(name, f"no data rows under the header (expected {what})")
        return frame
    for column in numeric:
        if column in frame.columns and not pd.api.types.is_numeric_dtype(frame[column]):
            locate()
            raise ConfigError(name, f"column {column!r}: expected numbers ({what})")
    for column in filled:
        if column in frame.columns and (frame[column].isna().any() or (
                column in numeric and not _all_finite(frame[column]))):
            locate()
            raise ConfigError(name, f"column {column!r}: a cell is empty or not a value ({what})")
    return frame


def _all_finite(column: Any) -> bool:
    """Whether every value of a numeric pandas column is finite."""
    import numpy as np

    return bool(np.isfinite(column.to_numpy(dtype=float)).all())
