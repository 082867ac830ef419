"""The resources DuckDB may use in a process, set on every connection to a warehouse file.

DuckDB's memory_limit and threads are global to a database file opened in a process: the dbt profile sets
them on dbt's connections (dbt_project/profiles.yml) and `open_duckdb` on Python's, from the same two
settings (NBA_PIPELINE_DUCKDB_MEMORY_LIMIT, NBA_PIPELINE_DUCKDB_THREADS), so whichever connection opens
the file first, a process holds DuckDB's buffers to the same limit and spills beyond it to
<warehouse file>.tmp. Without them DuckDB takes 80% of the machine's memory.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.settings import settings


def resource_settings() -> dict[str, str]:
    current = settings()
    return {"memory_limit": current.duckdb_memory_limit, "threads": str(current.duckdb_threads)}


def open_duckdb(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to a warehouse file, within the project's DuckDB resources."""
    con = duckdb.connect(str(path), read_only=read_only)
    for name, value in resource_settings().items():
        con.execute(f"set {name} = '{value}'")
    return con
