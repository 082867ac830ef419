"""Small DuckDB helpers shared by the writers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import duckdb
import pyarrow as pa


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **views: pa.Table) -> Iterator[None]:
    """Expose arrow tables as views for the block; unregistering never hides the block's own error."""
    for name, data in views.items():
        con.register(name, data)
    try:
        yield
    finally:
        for name in views:
            with suppress(duckdb.Error):
                con.unregister(name)


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """The single value of a query (fetches everything, so the connection is free afterwards)."""
    return con.execute(sql, params or []).fetchall()[0][0]
