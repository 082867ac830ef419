"""The warehouse: the one interface everything outside dbt reads and writes through.

    from orchestration.warehouse import current_warehouse
    warehouse = current_warehouse()            # NBA_PIPELINE_TARGET: dev = DuckDB file, prod = BigQuery
    with warehouse.reading() as db:
        db.execute("select ...", [params]).fetchall()

- `session.py`: the interface (`Warehouse`, `Session`), and why locks and transactions differ;
- `duck.py`: DuckDB (one file, the project's lock file);
- `bigquery.py`, `bigquery_sql.py`, `bigquery_tables.py`: BigQuery (datasets of one project, the SQL
  transpiled by sqlglot, the tables derived from the schema module);
- `schema.py`: the DDL of every table Python writes (nba_raw, nba_orchestration, the trained model's).
"""

from __future__ import annotations

from pathlib import Path

from orchestration.warehouse.duck import (
    DuckDBSession,
    DuckDBWarehouse,
    connect,
    ensure_orchestration_schema,
    ensure_raw_schema,
)
from orchestration.warehouse.schema import (
    ALL_DATASETS,
    DATED_RAW_TABLES,
    ML_PREDICTIONS,
    ML_REGISTRY,
    ORCHESTRATION_SCHEMA,
    ORCHESTRATION_TABLES,
    RAW_SCHEMA,
    RAW_TABLES,
)
from orchestration.warehouse.session import MissingColumn, Rows, Session, Warehouse

__all__ = [
    "ALL_DATASETS",
    "DATED_RAW_TABLES",
    "DuckDBSession",
    "DuckDBWarehouse",
    "ML_PREDICTIONS",
    "ML_REGISTRY",
    "MissingColumn",
    "ORCHESTRATION_SCHEMA",
    "ORCHESTRATION_TABLES",
    "RAW_SCHEMA",
    "RAW_TABLES",
    "Rows",
    "Session",
    "Warehouse",
    "as_session",
    "as_warehouse",
    "connect",
    "current_warehouse",
    "target_kind",
    "ensure_orchestration_schema",
    "ensure_raw_schema",
]


def current_warehouse() -> Warehouse:
    """The warehouse of the selected target (NBA_PIPELINE_TARGET): BigQuery on prod, else the DuckDB file."""
    from orchestration.bigquery.client import is_bigquery_target

    if is_bigquery_target():
        from orchestration.warehouse.bigquery import BigQueryWarehouse

        return BigQueryWarehouse.from_settings()
    return DuckDBWarehouse()


def target_kind() -> str:
    """The kind of the selected target's warehouse (`bigquery` | `duckdb`), without connecting to it."""
    from orchestration.bigquery.client import is_bigquery_target

    return "bigquery" if is_bigquery_target() else "duckdb"


def as_session(con) -> Session:
    """A session over what a caller holds: a Session already, or a DuckDB connection (callers not yet on the
    warehouse interface)."""
    return con if isinstance(con, Session) else DuckDBSession(con)


def as_warehouse(warehouse: Warehouse | Path | str | None) -> Warehouse:
    """A warehouse from what callers hold: one already, a DuckDB file's path, or None (the current one)."""
    if warehouse is None:
        return current_warehouse()
    if isinstance(warehouse, Warehouse):
        return warehouse
    return DuckDBWarehouse(Path(warehouse))
