"""Named random streams.

Every source of randomness in a replication has its own stream, derived from
``(seed, replication, stream name)`` and nothing else.  Two scenarios run with
the same seed therefore draw the same arrival times, handle times and patience
for the same contact types (common random numbers), and adding a contact type
or an agent group does not shift the draws of the others.  Names are hashed
with CRC-32, which, unlike Python's ``hash``, is the same in every process.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["stream"]


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator for stream ``name`` of ``replication`` under ``seed``."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, replication, key])))
