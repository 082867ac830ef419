"""What run history (and the Phase 2 load times) say about each phase and date.

Two views, both keyed by (phase, game_date):
- the latest run's status (`blocked` dates are reported as blocked, not missing);
- the processed-at time: the latest successful run's finish. A partition that
  smart skip left alone because its inputs were unchanged counts as processed
  then too (it was verified current). Phase 2 is also processed whenever the
  loader replaced the date's rows (`loaded_at`), so a reload is seen even when
  the loader wrote no run history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from orchestration.completeness import existing_tables

RUN_HISTORY = "nba_orchestration.pipeline_run_history"
# Phase 2 tables whose `loaded_at` is the date's load time.
RAW_LOAD_TABLES = ("nba_raw.nbac_player_boxscore", "nba_raw.nbac_team_boxscore")
# A skipped run that still proves the partition current.
CURRENT_SKIP_REASONS = ("unchanged_inputs",)


@dataclass(frozen=True)
class LatestRun:
    phase: int
    game_date: date
    status: str
    skip_reason: str | None
    finished_at: datetime
    run_id: str
    message: str | None


def latest_runs(
    con: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None
) -> dict[tuple[int, date], LatestRun]:
    """(phase, game_date) -> the most recent run recorded for it."""
    if RUN_HISTORY not in existing_tables(con):
        return {}
    rows = con.execute(
        f"""
        select phase, game_date, status, skip_reason, finished_at, run_id, message
        from {RUN_HISTORY}
        where game_date between ? and ?
        qualify row_number() over (
            partition by phase, game_date order by finished_at desc, started_at desc, status = 'blocked' desc
        ) = 1
        """,
        [start or date(1900, 1, 1), end or date(2999, 12, 31)],
    ).fetchall()
    return {(row[0], row[1]): LatestRun(*row) for row in rows}


def processed_at(
    con: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None
) -> dict[int, dict[date, datetime]]:
    """phase -> game_date -> when that date was last processed successfully."""
    low, high = start or date(1900, 1, 1), end or date(2999, 12, 31)
    tables = existing_tables(con)
    result: dict[int, dict[date, datetime]] = {}

    def keep(phase: int, day: date, at: datetime | None) -> None:
        if at is None:
            return
        per_phase = result.setdefault(phase, {})
        if day not in per_phase or at > per_phase[day]:
            per_phase[day] = at

    if RUN_HISTORY in tables:
        reasons = ", ".join(f"'{reason}'" for reason in CURRENT_SKIP_REASONS)
        rows = con.execute(
            f"""
            select phase, game_date, max(finished_at)
            from {RUN_HISTORY}
            where game_date between ? and ?
              and (status = 'success' or (status = 'skipped' and skip_reason in ({reasons})))
            group by 1, 2
            """,
            [low, high],
        ).fetchall()
        for phase, day, at in rows:
            keep(phase, day, at)
    for table in RAW_LOAD_TABLES:
        if table not in tables:
            continue
        rows = con.execute(
            f"select game_date, max(loaded_at) from {table} where game_date between ? and ? group by 1", [low, high]
        ).fetchall()
        for day, at in rows:
            keep(2, day, at)
    return result
