"""The per-contact log: rows as contacts leave -> Parquet, streamed in chunks.

The model hands each contact's row (:data:`~sim.engine.records.CONTACT_COLUMNS`) to a
sink as the contact leaves.  :class:`ContactLogWriter` is such a sink: it
buffers :data:`CHUNK_ROWS` rows, turns them into named columns and writes them
as one Parquet row group, so memory stays flat however long the run.  Each
replication writes its own part file (replications may run in parallel);
:func:`merge_parts` then concatenates the parts, in replication order and row
group by row group, into ``contacts.parquet``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.engine.records import ATTEMPTS, CALLBACKS, CONTACT_COLUMNS, OUTCOMES, ContactRecords

__all__ = ["CHUNK_ROWS", "ContactLogWriter", "merge_parts", "contacts_frame"]

CHUNK_ROWS = 65_536


def _columns(replication: int, cols: dict[str, np.ndarray], type_names: Sequence[str],
             channel_names: Sequence[str], group_names: Sequence[str]) -> dict[str, np.ndarray]:
    """Index columns -> the log's named columns."""
    n = len(cols["contact_id"])
    return {
        "replication": np.full(n, replication, dtype=np.int32),
        "contact_id": cols["contact_id"].astype(np.int64),
        "contact_type": np.asarray(type_names, dtype=object)[cols["contact_type"].astype(np.intp)],
        "channel": np.asarray(channel_names, dtype=object)[cols["channel"].astype(np.intp)],
        "arrival_time_s": cols["arrival_time_s"].astype(float),
        "wait_s": cols["wait_s"].astype(float),
        "answered": cols["answered"].astype(bool),
        "outcome": np.asarray(OUTCOMES, dtype=object)[cols["outcome"].astype(np.intp)],
        "handle_time_s": cols["handle_time_s"].astype(float),
        "agent_group": np.asarray(tuple(group_names) + ("",), dtype=object)[cols["agent_group"].astype(np.intp)],
        "escalated": cols["escalated"].astype(bool),
        "transfer_wait_s": cols["transfer_wait_s"].astype(float),
        "transfer_handle_time_s": cols["transfer_handle_time_s"].astype(float),
        "end_time_s": cols["end_time_s"].astype(float),
        "end_to_end_s": cols["end_time_s"].astype(float) - cols["arrival_time_s"].astype(float),
        "customer_id": cols["customer_id"].astype(np.int64),
        "attempt": np.asarray(ATTEMPTS, dtype=object)[cols["attempt"].astype(np.intp)],
        "bot_time_s": cols["bot_time_s"].astype(float),
        "callback": np.asarray(CALLBACKS, dtype=object)[cols["callback"].astype(np.intp)],
        "overflowed": cols["overflowed"].astype(bool),
        "vip": cols["vip"].astype(bool),
        "transfers": cols["transfers"].astype(np.int16),
        "wrap_up_s": cols["wrap_up_s"].astype(float),
    }


def contacts_frame(records: ContactRecords, replication: int, type_names: Sequence[str],
                   channel_names: Sequence[str], group_names: Sequence[str]):
    """A replication's in-memory contact log as a pandas table with readable names."""
    import pandas as pd

    cols = {name: getattr(records, name) for name in CONTACT_COLUMNS}
    return pd.DataFrame(_columns(replication, cols, type_names, channel_names, group_names))


class ContactLogWriter:
    """A model sink that streams one replication's contact rows to a Parquet file."""

    def __init__(self, path: Path, replication: int, type_names: Sequence[str], channel_names: Sequence[str],
                 group_names: Sequence[str], chunk_rows: int = CHUNK_ROWS) -> None:
        self.path = path
        self.replication = replication
        self.names = (type_names, channel_names, group_names)
        self.chunk_rows = chunk_rows
        self._rows: list[tuple] = []
        self._writer: pq.ParquetWriter | None = None

    def __call__(self, row: tuple) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.chunk_rows:
            self._write()

    def _write(self) -> None:
        rows, self._rows = self._rows, []
        raw = dict(zip(CONTACT_COLUMNS, (np.asarray(c) for c in zip(*rows)))) if rows else \
            {name: np.zeros(0) for name in CONTACT_COLUMNS}
        table = pa.table(_columns(self.replication, raw, *self.names))
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)

    def close(self) -> None:
        """Write what is buffered (a run with no contacts still gets a file with the columns)."""
        if self._rows or self._writer is None:
            self._write()
        self._writer.close()


def merge_parts(parts: Sequence[Path], path: Path) -> None:
    """Concatenate Parquet part files, row group by row group, into ``path``; removes the parts."""
    tmp = path.with_name(path.name + ".partial")
    writer = None
    for part in parts:
        source = pq.ParquetFile(part)
        for i in range(source.num_row_groups):
            table = source.read_row_group(i)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
    if writer is not None:
        writer.close()
        tmp.replace(path)
    for part in parts:
        part.unlink()
