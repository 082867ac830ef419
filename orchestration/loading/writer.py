"""Replace one table's dates: delete those dates' rows, bulk-insert the staged rows.

Runs inside the loader's single transaction. Only dates whose content changed
are replaced, and their content versions are recorded in the same transaction
(orchestration/source_versions.py): reloading identical files changes nothing.
For the player box the dates of `unresolved_players` are refreshed too
(players missing from the registry, which may have grown since).
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa

from orchestration.loading.duck import registered, scalar
from orchestration.loading.staging import StagedTable
from orchestration.source_versions import changed_dates, content_versions, record_versions
from orchestration.warehouse import RAW_SCHEMA, DuckDBSession

PLAYER_BOX = "nbac_player_boxscore"


def _dates_table(dates) -> pa.Table:
    return pa.table({"d": pa.array(list(dates), pa.date32())})


def replace_dates(con: duckdb.DuckDBPyConnection, staged: StagedTable, loaded_at: datetime) -> int:
    """Write the dates of `staged` whose content changed, with their versions; returns the
    player-game occurrences left unresolved (player box only)."""
    table = staged.fmt.table
    names = [*staged.rows.column_names, *(c for c in staged.fmt.sql if c not in staged.rows.column_names)]
    exprs = [f"{staged.fmt.sql[c]} as {c}" if c in staged.fmt.sql else c for c in names]
    versions = content_versions(staged.rows, staged.dates)
    db = DuckDBSession(con)
    changed = changed_dates(db, f"{RAW_SCHEMA}.{table}", versions)
    with registered(
        con, _load_dates=_dates_table(staged.dates), _changed_dates=_dates_table(changed), _load_rows=staged.rows
    ):
        con.execute(f"delete from nba_raw.{table} where game_date in (select d from _changed_dates)")
        con.execute(
            f"""
            insert into nba_raw.{table} ({", ".join(names)}, loaded_at)
            select {", ".join(exprs)}, ?::timestamp from _load_rows
            where game_date in (select d from _changed_dates)""",
            [loaded_at],
        )
        record_versions(db, {f"{RAW_SCHEMA}.{table}": {day: versions[day] for day in changed}}, loaded_at)
        if table != PLAYER_BOX:
            return 0
        con.execute("delete from nba_raw.unresolved_players where game_date in (select d from _load_dates)")
        con.execute(
            """
            insert into nba_raw.unresolved_players
                (player_id, player_name, team_abbr, game_id, game_date, source_file, source_line, detected_at)
            select b.player_id, b.player_name, b.team_abbr, b.game_id, b.game_date, b.source_file, b.source_line,
                   ?::timestamp
            from _load_rows b
            where not exists (select 1 from nba_raw.player_registry r where r.player_id = b.player_id)""",
            [loaded_at],
        )
        return scalar(
            con, "select count(*) from nba_raw.unresolved_players where game_date in (select d from _load_dates)"
        )


def unresolved_names(con: duckdb.DuckDBPyConnection, staged: StagedTable, limit: int = 20) -> list[tuple[int, str]]:
    """Distinct (player_id, player_name) of the staged dates' unresolved players (after `replace_dates`)."""
    with registered(con, _load_dates=_dates_table(staged.dates)):
        return [
            tuple(r)
            for r in con.execute(f"""
            select distinct player_id, player_name from nba_raw.unresolved_players
            where game_date in (select d from _load_dates)
            order by 1 limit {int(limit)}""").fetchall()
        ]
