"""The `nba_raw` tables on BigQuery, derived from the one contract in orchestration/warehouse.py.

Columns, types and NOT NULL come from the DuckDB DDL (created in a scratch
database and read back from its catalog), so a column added there appears here.
Every table holding a `game_date` is partitioned by day on it, like the dbt
models; each is clustered on the keys its readers join or look up by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from orchestration.warehouse import RAW_SCHEMA, RAW_TABLES, ensure_raw_schema

PARTITION_COLUMN = "game_date"
CLUSTER_BY: dict[str, tuple[str, ...]] = {
    "nbac_schedule": ("game_id",),
    "nbac_player_boxscore": ("game_id", "player_id"),
    "nbac_team_boxscore": ("game_id", "team_abbr"),
    "odds_api_player_points_props": ("game_id", "player_id"),
    "player_registry": ("player_id",),
    "team_registry": ("team_id",),
    "unresolved_players": ("player_id",),
    "load_quarantine": ("target_table",),
}

# DuckDB type (as its catalog prints it) -> BigQuery type. DECIMAL(p, s) becomes
# NUMERIC (scale 9 holds every DECIMAL of the contract exactly).
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
    type: str            # BigQuery type
    nullable: bool


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: tuple[Column, ...]
    partition_column: str | None
    cluster_by: tuple[str, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self, project: str, dataset: str = RAW_SCHEMA) -> str:
        cols = ",\n    ".join(f"`{c.name}` {c.type}{'' if c.nullable else ' NOT NULL'}" for c in self.columns)
        sql = f"create table if not exists `{project}.{dataset}.{self.name}` (\n    {cols}\n)"
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


def raw_tables() -> dict[str, RawTable]:
    """Every table of the `nba_raw` contract, in contract order."""
    with duckdb.connect() as con:
        ensure_raw_schema(con)
        rows = con.execute("""
            select table_name, column_name, data_type, is_nullable = 'YES'
            from information_schema.columns where table_schema = ?
            order by table_name, ordinal_position""", [RAW_SCHEMA]).fetchall()
    columns: dict[str, list[Column]] = {}
    for table, name, kind, nullable in rows:
        columns.setdefault(table, []).append(Column(name, bigquery_type(kind), bool(nullable)))
    tables = {}
    for name in RAW_TABLES:
        cols = tuple(columns[name])
        partition = PARTITION_COLUMN if any(c.name == PARTITION_COLUMN for c in cols) else None
        cluster = tuple(c for c in CLUSTER_BY.get(name, ()) if any(col.name == c for col in cols))
        tables[name] = RawTable(name, cols, partition, cluster)
    return tables
