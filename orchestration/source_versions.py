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
    versions = {day: (0, EMPTY_VERSION) for day in dates}
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


def recorded_versions(con, table: str, dates: list[date]) -> dict[date, str]:
    """The versions the warehouse holds now for `table` ("schema.name") on `dates`."""
    if not dates:
        return {}
    rows = con.execute(
        f"select game_date, content_version from {VERSIONS_TABLE} "
        f"where source_table = ? and game_date between ? and ?", [table, min(dates), max(dates)]).fetchall()
    wanted = set(dates)
    return {day: version for day, version in rows if day in wanted}


def changed_dates(con, table: str, versions: dict[date, tuple[int, str]]) -> list[date]:
    """The dates whose new content differs from what the warehouse holds (or that it never held).

    A date counts as held only when its recorded version matches and the table still holds as many
    rows as that version counted: rows removed behind the writer's back are written again."""
    held = recorded_versions(con, table, list(versions))
    present = _row_counts(con, table, list(versions))
    return sorted(day for day, (count, version) in versions.items()
                  if held.get(day) != version or present.get(day, 0) != count)


def _row_counts(con, table: str, dates: list[date]) -> dict[date, int]:
    if not dates:
        return {}
    return dict(con.execute(f"select game_date, count(*) from {table} where game_date between ? and ? group by 1",
                            [min(dates), max(dates)]).fetchall())


def record_versions(con, table: str, versions: dict[date, tuple[int, str]], written_at) -> None:
    """Replace the recorded versions of these dates (inside the writer's transaction)."""
    if not versions:
        return
    frame = pa.table({
        "source_table": pa.array([table] * len(versions), pa.string()),
        "game_date": pa.array(list(versions), pa.date32()),
        "row_count": pa.array([count for count, _ in versions.values()], pa.int64()),
        "content_version": pa.array([version for _, version in versions.values()], pa.string()),
    })
    con.register("new_source_versions", frame)
    try:
        con.execute(f"delete from {VERSIONS_TABLE} where source_table = ? "
                    "and game_date in (select game_date from new_source_versions)", [table])
        con.execute(f"insert into {VERSIONS_TABLE} (source_table, game_date, row_count, content_version, written_at) "
                    "select source_table, game_date, row_count, content_version, ?::timestamp from new_source_versions",
                    [written_at])
    finally:
        con.unregister("new_source_versions")


def record_table_versions(con, table: str, dates: list[date], written_at) -> None:
    """Record the versions of `table`'s rows on `dates` as the writer's transaction now holds them
    (for writers that write with SQL, e.g. the trained-model step)."""
    if not dates:
        return
    rows = con.sql(f"select * from {table} where game_date between ? and ?",
                   params=[min(dates), max(dates)]).to_arrow_table()
    record_versions(con, table, content_versions(rows, dates), written_at)
