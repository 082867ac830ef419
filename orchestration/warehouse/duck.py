"""The DuckDB implementation of the warehouse interface (the dev target: one file).

Only this module (with the loader, warehouse_lock.py and the scratch databases of the BigQuery writer
and source_versions.py) holds DuckDB connections; everything else gets a `Session`.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from orchestration.duckdb_resources import open_duckdb
from orchestration.paths import warehouse_path
from orchestration.warehouse.schema import (
    LOAD_SCHEMAS,
    ORCHESTRATION_SCHEMA,
    ORCHESTRATION_TABLES,
    SCHEMAS,
    qualified_tables,
)
from orchestration.warehouse.session import MissingColumn, Params, Rows, Say, Session, Warehouse

_MISSING_COLUMN = re.compile(
    r"Referenced column .* not found|column .* does not exist|Column .* not found", re.IGNORECASE
)


def connect(path: Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a warehouse file (creating its folder), never a shared in-memory db."""
    target = Path(path) if path else warehouse_path()
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
    return open_duckdb(target, read_only=read_only)


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables a load writes (`nba_raw`, `nba_orchestration`) if missing; safe on every load. The
    trained model's tables are created by its step (ml/store.py): a load builds no later phase's schema."""
    for schema in LOAD_SCHEMAS:
        con.execute(f"create schema if not exists {schema}")
        for ddl in SCHEMAS[schema].values():
            con.execute(ddl)


def ensure_orchestration_schema(con: duckdb.DuckDBPyConnection | Session) -> None:
    """Create the nba_orchestration tables if missing, on a DuckDB connection or any warehouse's session."""
    session = con if isinstance(con, Session) else DuckDBSession(con)
    session.ensure_tables(*(f"{ORCHESTRATION_SCHEMA}.{name}" for name in ORCHESTRATION_TABLES))


# Connections with a transaction opened through a session: a nested `transaction()` joins it (DuckDB has no
# nested transactions, and a second `begin` aborts the first).
_IN_TRANSACTION: weakref.WeakSet = weakref.WeakSet()


def _frame(data: pa.Table | pd.DataFrame | list[dict]) -> pa.Table | pd.DataFrame:
    return pd.DataFrame(data) if isinstance(data, list) else data


class DuckDBSession(Session):
    """A session over one DuckDB connection (the caller's, or one the warehouse opened)."""

    kind = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection, on_close=None):
        self.con = con
        self._on_close = on_close

    def execute(self, sql: str, params: Params = None) -> Rows:
        try:
            cursor = self.con.execute(sql, params if params is not None else [])
        except duckdb.BinderException as error:
            if _MISSING_COLUMN.search(str(error)):
                raise MissingColumn(str(error)) from error
            raise
        if cursor.description is None:
            return Rows([], [])
        return Rows([d[0] for d in cursor.description], cursor.fetchall())

    def executemany(self, sql: str, rows) -> None:
        if rows:
            self.con.executemany(sql, rows)

    def arrow(self, sql: str, params: Params = None) -> pa.Table:
        # a relation, not a DB-API result: DuckDB 2 warns (and copies the rows once more) for the latter
        return self.con.sql(sql, params=params or None).to_arrow_table()

    def append(self, table: str, data) -> int:
        frame = _frame(data)
        if len(frame) == 0:
            return 0
        self.con.register("_appended_rows", frame)
        try:
            self.con.execute(f"insert into {table} by name select * from _appended_rows")
        finally:
            self.con.unregister("_appended_rows")
        return len(frame)

    def tables(self) -> set[str]:
        rows = self.con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_catalog = current_database()"
        ).fetchall()
        return {row[0] for row in rows}

    def columns(self, table: str) -> list[str]:
        schema, name = table.split(".", 1)
        return [
            row[0]
            for row in self.con.execute(
                "select column_name from information_schema.columns where table_catalog = current_database() "
                "and table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
        ]

    def ensure_tables(self, *names: str) -> None:
        ddls = qualified_tables()
        for name in names or tuple(ddls):
            self.con.execute(f"create schema if not exists {name.split('.')[0]}")
            self.con.execute(ddls[name])

    @property
    def file(self) -> Path:
        """The database file (for an in-memory database, the configured warehouse's)."""
        row = self.con.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()
        return Path(row[0]).resolve() if row and row[0] else warehouse_path()

    @property
    def folder(self) -> Path:
        """The database file's folder."""
        return self.file.parent

    @property
    def default_model_store(self) -> Path:
        # a folder per warehouse file: model ids are per season, so two files in one folder (the demo's
        # nba.duckdb and nba_real.duckdb) would overwrite each other's artifacts and retrain on every run
        return self.folder / "models" / self.file.stem

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; inside one already open on the connection through a session (the loader's), part
        of it: DuckDB has no nested transactions, and a second `begin` aborts the first."""
        if self.con in _IN_TRANSACTION:
            yield
            return
        self.con.execute("begin transaction")
        _IN_TRANSACTION.add(self.con)
        try:
            yield
        except BaseException:
            _IN_TRANSACTION.discard(self.con)
            self.con.execute("rollback")
            raise
        _IN_TRANSACTION.discard(self.con)
        self.con.execute("commit")

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
            self._on_close = None


class DuckDBWarehouse(Warehouse):
    """One DuckDB file; writers hold the project's lock file for a whole command (warehouse_lock.py)."""

    kind = "duckdb"

    def __init__(self, path: Path | None = None):
        self.path = Path(path).resolve() if path else warehouse_path()

    def __repr__(self) -> str:
        return f"DuckDBWarehouse({self.path})"

    def __eq__(self, other) -> bool:
        return isinstance(other, DuckDBWarehouse) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def describe(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    @property
    def folder(self) -> Path:
        return self.path.parent

    def lock(self, command: str, timeout: float | None = None, say: Say = print):
        from orchestration.warehouse_lock import writer_lock

        return writer_lock(self.path, command, timeout=timeout, say=say)

    def session(self, say: Say = print, read_only: bool = False) -> DuckDBSession:
        from orchestration.warehouse_lock import connect_writer

        if read_only:
            from orchestration.warehouse_lock import _open_reader

            con, release = _open_reader(self.path, None, say)
            return DuckDBSession(con, on_close=lambda: (con.close(), release()))
        con = connect_writer(self.path, say=say)
        return DuckDBSession(con, on_close=con.close)

    @contextmanager
    def reading(self, timeout: float | None = None, say: Say = print) -> Iterator[DuckDBSession]:
        from orchestration.warehouse_lock import reading

        with reading(self.path, timeout=timeout, say=say) as con:
            yield DuckDBSession(con)

    def load(
        self,
        landing: Path,
        start: date | None,
        end: date | None,
        tables=None,
        progress: Say | None = None,
        allow_other_dataset: bool = False,
    ):
        from orchestration.loading.loader import load_landing
        from orchestration.warehouse_lock import connect_writer

        with connect_writer(self.path, say=progress or print) as con:
            return load_landing(
                Path(landing),
                start,
                end,
                con=con,
                tables=tables,
                progress=progress,
                allow_other_dataset=allow_other_dataset,
            )
