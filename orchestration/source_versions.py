"""Content versions of the tables written outside dbt ("sources"), per game date.

Freshness is recorded by the data (DESIGN.md): every writer of a source table
(the Phase 2 loader, the trained-model step) records, per date it writes, a
content version in `nba_orchestration.source_date_versions`, in the same
transaction as the rows. Every dbt-built date then records the versions its
lookback window read (`input_version`, macros/freshness.sql), so a date is
stale exactly when what it read has changed since.

The version is a fingerprint of the rows alone (not of load time, file name or
line number): reloading identical files leaves every version, and therefore
every downstream date, as it was. It is computed here, in a local in-memory
DuckDB over the rows about to be written, so DuckDB and BigQuery targets get
the same versions for the same rows.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

from orchestration.warehouse.session import Session

VERSIONS_TABLE = "nba_orchestration.source_date_versions"
# Lineage columns: where a row came from, not what it says.
LINEAGE_COLUMNS = frozenset({"source_file", "source_line", "loaded_at"})
# A date written with no rows (every line quarantined, or its rows removed upstream).
EMPTY_VERSION = "empty"


def content_versions(rows: pa.Table, dates: list[date]) -> dict[date, tuple[int, str]]:
    """date -> (row count, content version) for each of `dates` (dates without rows: EMPTY_VERSION).

    The version is the md5 of the sorted md5s of the rows' values (lineage columns left out),
    so it depends on the set of rows only: not on their order in the files."""
    columns = [name for name in rows.column_names if name not in LINEAGE_COLUMNS]
    versions = dict.fromkeys(dates, (0, EMPTY_VERSION))
    if not rows.num_rows or not dates:
        return versions
    values = ", ".join(f'"{name}"' for name in columns if name != "game_date")
    local = duckdb.connect()
    try:
        local.register("written_rows", rows.select(columns))
        measured = local.execute(f"""
            select game_date, count(*),
                   md5(string_agg(row_md5, '' order by row_md5))
            from (select game_date, md5(cast(row({values}) as varchar)) as row_md5 from written_rows)
            group by game_date""").fetchall()
    finally:
        local.close()
    for day, count, version in measured:
        if day in versions:
            versions[day] = (count, version)
    return versions


def recorded_versions(db: Session, table: str, dates: list[date]) -> dict[date, str]:
    """The versions the warehouse holds now for `table` ("schema.name") on `dates`."""
    if not dates:
        return {}
    rows = db.execute(
        f"select game_date, content_version from {VERSIONS_TABLE} where source_table = ? and game_date between ? and ?",
        [table, min(dates), max(dates)],
    ).fetchall()
    wanted = set(dates)
    return {day: version for day, version in rows if day in wanted}


def changed_dates(db: Session, table: str, versions: dict[date, tuple[int, str]]) -> list[date]:
    """The dates whose new content differs from what the warehouse holds (or that it never held).

    A date counts as held only when its recorded version matches and the table still holds as many
    rows as that version counted: rows removed behind the writer's back are written again."""
    held = recorded_versions(db, table, list(versions))
    present = _row_counts(db, table, list(versions))
    return sorted(
        day for day, (count, version) in versions.items() if held.get(day) != version or present.get(day, 0) != count
    )


def _row_counts(db: Session, table: str, dates: list[date]) -> dict[date, int]:
    if not dates or table not in db.tables():
        return {}
    return dict(
        db.execute(
            f"select game_date, count(*) from {table} where game_date between ? and ? group by 1",
            [min(dates), max(dates)],
        ).fetchall()
    )


def _pairs(dates_by_table: dict[str, list[date]] | dict[str, dict[date, tuple[int, str]]]) -> str:
    """`source_table = ... and game_date in (...)` for every table, as one condition."""
    parts = []
    for table, dates in dates_by_table.items():
        listed = ", ".join(f"date '{day.isoformat()}'" for day in sorted(dates))
        if listed:
            parts.append(f"(source_table = '{table}' and game_date in ({listed}))")
    return " or ".join(parts)


def delete_versions(db: Session, dates_by_table: dict[str, list[date]]) -> None:
    """Forget the versions of these dates ("schema.table" -> dates): they read as never written."""
    condition = _pairs(dates_by_table)
    if condition:
        db.execute(f"delete from {VERSIONS_TABLE} where {condition}")


def record_versions(db: Session, versions: dict[str, dict[date, tuple[int, str]]], written_at) -> None:
    """Replace the recorded versions of these tables' dates ("schema.table" -> date -> (rows, version));
    inside the writer's transaction where the warehouse has them."""
    versions = {table: by_date for table, by_date in versions.items() if by_date}
    if not versions:
        return
    with db.transaction():
        delete_versions(db, {table: list(by_date) for table, by_date in versions.items()})
        db.append(
            VERSIONS_TABLE,
            pa.table(
                {
                    "source_table": pa.array(
                        [table for table, by_date in versions.items() for _ in by_date], pa.string()
                    ),
                    "game_date": pa.array([day for by_date in versions.values() for day in by_date], pa.date32()),
                    "row_count": pa.array(
                        [count for by_date in versions.values() for count, _ in by_date.values()], pa.int64()
                    ),
                    "content_version": pa.array(
                        [v for by_date in versions.values() for _, v in by_date.values()], pa.string()
                    ),
                    "written_at": pa.array(
                        [written_at] * sum(len(by_date) for by_date in versions.values()), pa.timestamp("us")
                    ),
                }
            ),
        )


def table_versions(db: Session, table: str, dates: list[date]) -> dict[date, tuple[int, str]]:
    """The versions of `table`'s rows on `dates` as the warehouse holds them now, computed from the rows read
    back in the schema module's column types (so both warehouses give the same versions for the same rows)."""
    if not dates:
        return {}
    from orchestration.warehouse.bigquery_tables import conform

    rows = db.arrow(f"select * from {table} where game_date between ? and ?", [min(dates), max(dates)])
    return content_versions(conform(rows, table), dates)


def record_table_versions(db: Session, table: str, dates: list[date], written_at) -> None:
    """Record the versions of `table`'s rows on `dates` as the writer's transaction now holds them
    (for writers that write with SQL, e.g. the trained-model step)."""
    record_versions(db, {table: table_versions(db, table, dates)}, written_at)
