"""The BigQuery implementation of the warehouse interface (the prod target), through google-cloud-bigquery.

Every schema of the pipeline is a dataset of the target project (`NBA_BQ_PROJECT`): dbt's
(nba_staging ... nba_predictions), and Python's (`nba_raw`, `nba_orchestration`, the trained model's
tables in `nba_predictions`), created from the one schema module (bigquery_tables.py). Jobs run in
`NBA_BQ_EXECUTION_PROJECT`; every statement names its tables with the target project.

Writes:
- a few rows (a run record, an alert): one `INSERT ... VALUES` statement (DML has no daily quota);
- many rows (run history, node timings): one CSV load job appending to the table (CSV is the load
  format both BigQuery and the local emulator accept);
- no transactions (BigQuery's need scripting): each statement is atomic, and the writers order their
  statements so that a kill in between leaves dates stale (source_versions.py).
- no locks: see session.py.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from orchestration.warehouse.bigquery_sql import is_create_schema, literal, to_bigquery
from orchestration.warehouse.bigquery_tables import Column, duckdb_type, table_specs
from orchestration.warehouse.schema import ALL_DATASETS
from orchestration.warehouse.session import MissingColumn, Params, Rows, Say, Session, Warehouse

# Tables this process created or found (project, "schema.table"): `ensure_tables` runs their DDL once per
# process, not once per alert or run record (each DDL statement is a job on BigQuery).
_ENSURED: set[tuple[str, str]] = set()

# Above this many rows an append is a CSV load job rather than one INSERT statement. Load jobs cost nothing on
# BigQuery and are not DML; on the emulator an INSERT's VALUES list is translated row by row: 50 rows took
# 0.29 s against 0.06 s as a load job, 184 (a step's node timings) 1.77 s against 0.09 s, 10 rows 0.06 s either
# way (/tmp bench, 2026-12-01).
INSERT_ROWS_LIMIT = 20
# Rows with line breaks in their text stay one INSERT up to this many (statement size): their CSV needs
# allow_quoted_newlines, which the emulator refuses.
INSERT_ROWS_WITH_LINE_BREAKS_LIMIT = 500
_CSV_FORMATS = {"DATETIME": "%Y-%m-%d %H:%M:%S.%f", "TIMESTAMP": "%Y-%m-%d %H:%M:%S.%f"}


def _plain(value):
    """BigQuery's TIMESTAMP comes back in UTC: as a naive datetime, like DATETIME and DuckDB's TIMESTAMP."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _as_column(value, column_type: str):
    """A value as its column stores it: pandas' NaN is null, an integer column's float (pandas turns
    integers with nulls into floats) an integer again, and a NUMERIC column's float the decimal it prints
    as (BigQuery assigns no FLOAT64 to NUMERIC)."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if column_type in ("INT64", "INTEGER") and value.is_integer():
            return int(value)
        if column_type in ("NUMERIC", "BIGNUMERIC"):
            return Decimal(repr(value))
    return value


def has_line_breaks(scratch: duckdb.DuckDBPyConnection, rows_sql: str, columns: list[Column]) -> bool:
    """Whether a text column of the scratch rows `select * <rows_sql>` holds a line break (their CSV then needs
    allow_quoted_newlines)."""
    text_columns = [c.name for c in columns if c.type == "STRING"]
    return (
        bool(text_columns)
        and scratch.execute(
            f"select count(*) from (select * {rows_sql}) "
            f"where {' or '.join(f'contains({c}, chr(10))' for c in text_columns)}"
        ).fetchall()[0][0]
        > 0
    )


def _is_missing_column(error: Exception) -> bool:
    text = str(error)
    return "Unrecognized name" in text or ("Name " in text and " not found inside " in text)


def upload_csv(
    client,
    table_id: str,
    rows_sql: str,
    scratch: duckdb.DuckDBPyConnection,
    columns: list[Column],
    append: bool,
    multiline: bool | None = None,
) -> None:
    """Load the scratch rows `select <columns> <rows_sql>` into `table_id` as one CSV load job (WRITE_APPEND,
    or WRITE_TRUNCATE into a staging table). `multiline`: whether their text has line breaks, when the caller
    knows already."""
    from google.cloud import bigquery

    select = ", ".join(
        f"strftime({c.name}, '{_CSV_FORMATS[c.type]}')" if c.type in _CSV_FORMATS else c.name for c in columns
    )
    if multiline is None:
        multiline = has_line_breaks(scratch, rows_sql, columns)
    with tempfile.TemporaryDirectory(prefix="nba-bq-csv-") as tmp:
        path = Path(tmp) / "rows.csv"
        scratch.execute(f"copy (select {select} {rows_sql}) to '{path}' (format csv, header false)")
        config = bigquery.LoadJobConfig(
            schema=[bigquery.SchemaField(c.name, c.type) for c in columns],
            source_format=bigquery.SourceFormat.CSV,
            write_disposition=(
                bigquery.WriteDisposition.WRITE_APPEND if append else bigquery.WriteDisposition.WRITE_TRUNCATE
            ),
        )
        if multiline:
            config.allow_quoted_newlines = True  # real BigQuery only; the emulator refuses it loudly
        with open(path, "rb") as data:
            client.load_table_from_file(data, table_id, job_config=config).result()


class BigQuerySession(Session):
    kind = "bigquery"

    def __init__(self, client, project: str, location: str):
        self.client, self.project, self.location = client, project, location
        self._tables: set[str] | None = None

    # -- statements
    def _run(self, sql: str):
        try:
            return self.client.query(sql).result()
        except Exception as error:
            if _is_missing_column(error):
                raise MissingColumn(str(error)) from error
            raise

    def translate(self, sql: str, params: Params = None) -> str:
        return to_bigquery(sql, self.project, params)

    def execute(self, sql: str, params: Params = None) -> Rows:
        schema = is_create_schema(sql)
        if schema is not None:
            self._create_dataset(schema)
            return Rows([], [])
        lowered = sql.lstrip().lower()
        if lowered.startswith(("create", "drop", "alter")):
            self._tables = None
        result = self._run(self.translate(sql, params))
        columns = [field.name for field in (result.schema or [])]
        return Rows(columns, [tuple(_plain(value) for value in row.values()) for row in result])

    def arrow(self, sql: str, params: Params = None) -> pa.Table:
        return self._run(self.translate(sql, params)).to_arrow(create_bqstorage_client=False)

    # -- writes
    def append(self, table: str, data) -> int:
        frame = pd.DataFrame(data) if isinstance(data, list) else data
        arrow = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        if arrow.num_rows == 0:
            return 0
        columns = self._schema(table)
        if arrow.num_rows > INSERT_ROWS_LIMIT:
            with duckdb.connect() as scratch:
                scratch.register("appended", arrow)
                selected = ", ".join(
                    f"cast({c.name} as {duckdb_type(c.type)}) as {c.name}"
                    if c.name in arrow.column_names
                    else f"null as {c.name}"
                    for c in columns
                )
                scratch.execute(f"create table rows as select {selected} from appended")
                multiline = has_line_breaks(scratch, "from rows", columns)
                if not multiline or arrow.num_rows > INSERT_ROWS_WITH_LINE_BREAKS_LIMIT:
                    upload_csv(
                        self.client,
                        f"{self.project}.{table}",
                        "from rows",
                        scratch,
                        columns,
                        append=True,
                        multiline=multiline,
                    )
                    return arrow.num_rows
        present = [c.name for c in columns if c.name in arrow.column_names]
        types = {c.name: c.type for c in columns}
        values = ", ".join(
            "(" + ", ".join(literal(_as_column(row[name], types[name])) for name in present) + ")"
            for row in arrow.to_pylist()
        )
        self.execute(f"insert into {table} ({', '.join(present)}) values {values}")
        return arrow.num_rows

    def _schema(self, table: str) -> list[Column]:
        fetched = self.client.get_table(f"{self.project}.{table}")
        return [Column(f.name, f.field_type, f.mode != "REQUIRED") for f in fetched.schema]

    @property
    def default_model_store(self) -> Path:
        # no warehouse folder: a folder per project under the project root, never shared with dev's artifacts
        from orchestration.settings import PROJECT_ROOT

        return PROJECT_ROOT / "models" / self.project

    # -- catalog
    def tables(self) -> set[str]:
        from google.api_core.exceptions import NotFound

        if self._tables is None:
            found = set()
            for dataset in ALL_DATASETS:
                try:
                    found |= {
                        f"{dataset}.{item.table_id}" for item in self.client.list_tables(f"{self.project}.{dataset}")
                    }
                except NotFound:
                    continue
            self._tables = found
        return set(self._tables)

    def columns(self, table: str) -> list[str]:
        from google.api_core.exceptions import NotFound

        try:
            return [f.name for f in self.client.get_table(f"{self.project}.{table}").schema]
        except NotFound:
            return []

    def _create_dataset(self, name: str) -> None:
        from google.cloud import bigquery

        dataset = bigquery.Dataset(f"{self.project}.{name}")
        dataset.location = self.location
        self.client.create_dataset(dataset, exists_ok=True)

    def ensure_tables(self, *names: str) -> None:
        specs = table_specs()
        wanted = [name for name in (names or tuple(specs)) if (self.project, name) not in _ENSURED]
        for schema in dict.fromkeys(specs[name].schema for name in wanted):
            self._create_dataset(schema)
        for name in wanted:
            self._run(specs[name].ddl(self.project))
            _ENSURED.add((self.project, name))
        if wanted:
            self._tables = None


class BigQueryWarehouse(Warehouse):
    """The datasets of one BigQuery project."""

    kind = "bigquery"

    def __init__(self, project: str, location: str = "US", client=None, settings=None):
        self.project, self.location = project, location
        self._client = client
        self._settings = settings

    @classmethod
    def from_settings(cls) -> BigQueryWarehouse:
        from orchestration.bigquery.client import BigQuerySettings

        settings = BigQuerySettings.from_env()
        return cls(settings.project, settings.location, settings=settings)

    def __repr__(self) -> str:
        return f"BigQueryWarehouse({self.project})"

    @property
    def client(self):
        if self._client is None:
            from orchestration.bigquery.client import BigQuerySettings

            self._client = (self._settings or BigQuerySettings.from_env()).client()
        return self._client

    def describe(self) -> str:
        return f"BigQuery project {self.project}"

    def exists(self) -> bool:
        from google.api_core.exceptions import NotFound

        try:
            self.client.get_dataset(f"{self.project}.nba_raw")
        except NotFound:
            return False
        return True

    def lock(self, command: str, timeout: float | None = None, say: Say = print):
        return nullcontext()

    def session(self, say: Say = print, read_only: bool = False) -> BigQuerySession:
        return BigQuerySession(self.client, self.project, self.location)

    @contextmanager
    def reading(self, timeout: float | None = None, say: Say = print) -> Iterator[BigQuerySession]:
        yield self.session(say, read_only=True)

    def load(
        self,
        landing: Path,
        start: date | None,
        end: date | None,
        tables=None,
        progress: Say | None = None,
        allow_other_dataset: bool = False,
    ):
        from orchestration.bigquery.writer import BigQueryRaw, load_landing_bigquery

        raw = BigQueryRaw(self.client, self.project, location=self.location)
        return load_landing_bigquery(
            Path(landing),
            start,
            end,
            raw=raw,
            tables=tables,
            progress=progress,
            allow_other_dataset=allow_other_dataset,
        )
