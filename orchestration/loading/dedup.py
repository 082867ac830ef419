"""Duplicate keys within one load: identical repeats are dropped, conflicting ones flagged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

IGNORED = ("source_file", "source_line")


@dataclass(frozen=True)
class Duplicates:
    identical: np.ndarray  # row positions repeating an earlier row's key and values: drop
    conflicts: np.ndarray  # row positions repeating an earlier row's key with other values: quarantine


def find_duplicates(rows: pa.Table, key: Sequence[str]) -> Duplicates:
    """Compare every later row of a key with the first row of that key (rows in load order)."""
    empty = Duplicates(np.empty(0, np.int64), np.empty(0, np.int64))
    if rows.num_rows == 0:
        return empty
    keys = rows.select(list(key)).to_pandas()
    repeated = keys.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return empty
    positions = np.nonzero(repeated)[0]
    subset = rows.take(pa.array(positions)).drop_columns([c for c in IGNORED if c in rows.column_names])
    values = subset.to_pylist()
    first: dict[tuple, dict] = {}
    identical: list[int] = []
    conflicts: list[int] = []
    for pos, row in zip(positions.tolist(), values):
        k = tuple(row[c] for c in key)
        if k not in first:
            first[k] = row
        elif first[k] == row:
            identical.append(pos)
        else:
            conflicts.append(pos)
    return Duplicates(np.array(identical, np.int64), np.array(conflicts, np.int64))
