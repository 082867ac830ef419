"""The warehouse interface everything outside dbt uses: a `Warehouse` (where the tables are, who may
write) and the `Session` it opens (queries and writes).

    warehouse = current_warehouse()                  # DuckDB file or BigQuery project (NBA_PIPELINE_TARGET)
    with warehouse.reading(say=note) as db:          # status, gaps, validate, reports
        rows = db.execute("select ... where game_date between ? and ?", [start, end]).fetchall()
    with warehouse.writing("nba-pipeline heal") as db:   # runs, heal, alerts, breakers
        db.append("nba_orchestration.alerts", rows)

SQL is written once, in DuckDB's dialect, with `?` (or `$name`) parameters. The DuckDB implementation
runs it as is; the BigQuery implementation transpiles it with sqlglot (bigquery_sql.py: the dialect,
the project qualified on every `schema.table`, parameters as literals). Queries that need what one
dialect lacks are written in plain SQL and finished in Python (percentiles, string splitting).

What differs by design:
- Locks: DuckDB has one writer per file, so `lock()` holds the project's lock file for a whole
  command (orchestration/warehouse_lock.py). BigQuery needs none: every statement is atomic and
  every date records its own freshness, so two writers racing show up as stale or unverified dates
  that `gaps` lists and `heal` rebuilds; `lock()` is a no-op there, and every call site stays the same.
- Transactions: `transaction()` is one DuckDB transaction; on BigQuery each statement commits on its
  own, and writers order their statements so that a kill in between leaves dates stale, never
  fresh-looking (see orchestration/source_versions.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

Say = Callable[[str], None]
Params = Sequence[Any] | Mapping[str, Any] | None


class MissingColumn(Exception):
    """A query named a column its table does not have."""


@dataclass
class Rows:
    """The rows of one statement, fetched."""

    columns: list[str]
    rows: list[tuple]

    def fetchall(self) -> list[tuple]:
        return self.rows

    def fetchone(self) -> tuple | None:
        return self.rows[0] if self.rows else None

    def scalar(self):
        return self.rows[0][0] if self.rows else None

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


class Session(ABC):
    """Queries and writes against one warehouse (a connection on DuckDB, a client on BigQuery)."""

    kind: str  # duckdb | bigquery

    @abstractmethod
    def execute(self, sql: str, params: Params = None) -> Rows:
        """Run one statement (DuckDB dialect) and fetch its rows."""

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        for values in rows:
            self.execute(sql, values)

    def scalar(self, sql: str, params: Params = None):
        return self.execute(sql, params).scalar()

    @abstractmethod
    def arrow(self, sql: str, params: Params = None) -> pa.Table:
        """A (large) result as an arrow table."""

    def frame(self, sql: str, params: Params = None) -> pd.DataFrame:
        """A result as a pandas frame, the same on every implementation (dates as datetime64)."""
        return arrow_frame(self.arrow(sql, params))

    @abstractmethod
    def append(self, table: str, data: pa.Table | pd.DataFrame | list[dict]) -> int:
        """Insert rows into `table` ("schema.table") by column name (missing columns: null); returns rows."""

    @abstractmethod
    def tables(self) -> set[str]:
        """Every table and view, as "schema.table"."""

    @abstractmethod
    def columns(self, table: str) -> list[str]:
        """The columns of "schema.table" in order ([] when it does not exist)."""

    @abstractmethod
    def ensure_tables(self, *names: str) -> None:
        """Create these tables of the schema module ("schema.table"; none given: all) when missing."""

    @property
    def folder(self) -> Path | None:
        """The folder of the file this session is on (None for BigQuery)."""
        return None

    @property
    @abstractmethod
    def default_model_store(self) -> Path:
        """Where the trained model keeps its artifacts when NBA_PIPELINE_MODEL_STORE is not set."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction where the warehouse has them (DuckDB); else every statement commits alone."""
        yield

    def close(self) -> None:  # noqa: B027 (a default: a session holding nothing closes nothing)
        """Release what the session holds."""

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Warehouse(ABC):
    """One warehouse: the DuckDB file of the dev target or the BigQuery project of the prod target."""

    kind: str

    @abstractmethod
    def describe(self) -> str:
        """How messages name it: the file, or `BigQuery project <p>`."""

    @abstractmethod
    def exists(self) -> bool:
        """Whether there is anything to read yet."""

    @abstractmethod
    def lock(self, command: str, timeout: float | None = None, say: Say = print):
        """Held for a whole writing command (a context manager; re-entrant within a process)."""

    @abstractmethod
    def session(self, say: Say = print, read_only: bool = False) -> Session:
        """A session; a writing one is for code inside `lock()`."""

    @contextmanager
    def reading(self, timeout: float | None = None, say: Say = print) -> Iterator[Session]:
        """A read-only session for one block (waits while a writer holds a DuckDB file)."""
        with self.session(say=say, read_only=True) as session:
            yield session

    @contextmanager
    def writing(self, command: str, timeout: float | None = None, say: Say = print) -> Iterator[Session]:
        """The lock and a writing session for one block."""
        with self.lock(command, timeout=timeout, say=say), self.session(say=say) as session:
            yield session

    @abstractmethod
    def load(
        self,
        landing: Path,
        start: date | None,
        end: date | None,
        tables: Sequence[str] | None = None,
        progress: Say | None = None,
        allow_other_dataset: bool = False,
    ):
        """Phase 2: the landing folder into nba_raw (a LoadReport); the caller holds `lock()`."""

    @property
    def folder(self) -> Path | None:
        """The folder of a file warehouse (None for BigQuery)."""
        return None


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas the same way for every implementation: dates and timestamps as datetime64, decimals
    as float64 (what the trained model and the reports compute with)."""
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        kind = column.type
        if pa.types.is_decimal(kind):
            # through the decimal's text: arrow's decimal -> float64 cast is not correctly rounded, and its error
            # depends on the scale (NUMERIC's 9 on BigQuery, the declared 2 or 4 on DuckDB); parsing the text
            # gives the nearest float to the value, so the same value is the same float on every warehouse
            column = column.cast(pa.string()).cast(pa.float64())
        elif pa.types.is_date(kind):
            column = column.cast(pa.timestamp("us"))
        elif pa.types.is_timestamp(kind) and kind.tz is not None:
            column = column.cast(pa.timestamp(kind.unit))
        columns[name] = column
    return pa.table(columns).to_pandas() if columns else pd.DataFrame()
