"""The Python-owned tables on BigQuery, derived from the one schema module (orchestration/warehouse/schema.py).

Columns, types and NOT NULL come from the DuckDB DDL (created in a scratch database and read back
from its catalog), so a column added there appears here. Tables listed in `PARTITIONED` are
partitioned by day on game_date, like the dbt models; each is clustered per `CLUSTER_BY`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import duckdb

from orchestration.warehouse.schema import CLUSTER_BY, PARTITIONED, SCHEMAS, qualified_tables

PARTITION_COLUMN = "game_date"

# DuckDB type (as its catalog prints it) -> BigQuery type. DECIMAL(p, s) becomes NUMERIC (scale 9 holds every
# DECIMAL of the schema exactly); TIMESTAMP (DuckDB's has no time zone) stays TIMESTAMP, read as UTC
# (bigquery_sql.py casts alike).
_TYPES = {
    "VARCHAR": "STRING",
    "INTEGER": "INT64",
    "BIGINT": "INT64",
    "SMALLINT": "INT64",
    "BOOLEAN": "BOOL",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "DOUBLE": "FLOAT64",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # BigQuery type
    nullable: bool


@dataclass(frozen=True)
class TableSpec:
    schema: str
    name: str
    columns: tuple[Column, ...]
    partition_column: str | None
    cluster_by: tuple[str, ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self, project: str, dataset: str | None = None) -> str:
        cols = ",\n    ".join(f"`{c.name}` {c.type}{'' if c.nullable else ' NOT NULL'}" for c in self.columns)
        sql = f"create table if not exists `{project}.{dataset or self.schema}.{self.name}` (\n    {cols}\n)"
        if self.partition_column:
            sql += f"\npartition by {self.partition_column}"
        if self.cluster_by:
            sql += f"\ncluster by {', '.join(self.cluster_by)}"
        return sql


def bigquery_type(duckdb_type: str) -> str:
    upper = duckdb_type.upper()
    if re.fullmatch(r"DECIMAL\(\d+,\s*\d+\)", upper):
        return "NUMERIC"
    try:
        return _TYPES[upper]
    except KeyError:
        raise ValueError(f"no BigQuery type for DuckDB type {duckdb_type}") from None


# BigQuery column type (as the API reports it) -> the DuckDB type holding its values: a load job's rows are cast
# to it first (pandas turns an integer column with nulls into floats, which a CSV for INT64 refuses).
_DUCKDB_TYPES = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "INTEGER": "BIGINT",
    "BOOL": "BOOLEAN",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "DATETIME": "TIMESTAMP",
    "FLOAT64": "DOUBLE",
    "FLOAT": "DOUBLE",
    "NUMERIC": "DECIMAL(38, 9)",
}


def duckdb_type(bigquery_column_type: str) -> str:
    return _DUCKDB_TYPES[bigquery_column_type]


@lru_cache(maxsize=1)
def table_specs() -> dict[str, TableSpec]:
    """Every table of the schema module ("schema.table" -> spec), in schema order."""
    with duckdb.connect() as con:
        for schema in SCHEMAS:
            con.execute(f"create schema if not exists {schema}")
        for ddl in qualified_tables().values():
            con.execute(ddl)
        rows = con.execute("""
            select table_schema || '.' || table_name, column_name, data_type, is_nullable = 'YES'
            from information_schema.columns where table_catalog = current_database()
            order by table_schema, table_name, ordinal_position""").fetchall()
    columns: dict[str, list[Column]] = {}
    for table, name, kind, nullable in rows:
        columns.setdefault(table, []).append(Column(name, bigquery_type(kind), bool(nullable)))
    specs = {}
    for qualified in qualified_tables():
        schema, name = qualified.split(".")
        cols = tuple(columns[qualified])
        partition = PARTITION_COLUMN if qualified in PARTITIONED else None
        cluster = tuple(c for c in CLUSTER_BY.get(qualified, ()) if any(col.name == c for col in cols))
        specs[qualified] = TableSpec(schema, name, cols, partition, cluster)
    return specs


def raw_tables() -> dict[str, TableSpec]:
    """The `nba_raw` tables by name (the Phase 2 writer's contract)."""
    return {spec.name: spec for spec in table_specs().values() if spec.schema == "nba_raw"}


@cache
def _arrow_schema(table: str):
    with duckdb.connect() as con:
        con.execute(f"create schema if not exists {table.split('.')[0]}")
        con.execute(qualified_tables()[table])
        return con.sql(f"select * from {table} limit 0").to_arrow_table().schema


def conform(rows, table: str):
    """Arrow rows of a schema-module table in the column types its DuckDB DDL gives (BigQuery returns NUMERIC
    as decimal(38, 9) where DuckDB has decimal(18, 2)): the same rows then read the same everywhere."""
    import pyarrow as pa

    schema = _arrow_schema(table)
    columns = {}
    for name in rows.column_names:
        column = rows.column(name)
        index = schema.get_field_index(name)
        columns[name] = column.cast(schema.field(index).type) if index >= 0 else column
    return pa.table(columns)
