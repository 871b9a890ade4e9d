"""Files that are whole or absent: every table, figure and marker is written atomically.

A writer puts its content into a temporary file in the destination's folder,
then :func:`os.replace` moves it into place, so a reader (a re-run sweep, a
report, a user) never sees half a file, and a process killed mid-write leaves
the previous version (or nothing) behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

__all__ = ["atomic_write"]


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
