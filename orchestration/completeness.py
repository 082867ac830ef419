"""Completeness is a query: the schedule's final games against each phase's tables.

A game date is complete in a phase when, for every final game of that date,
both teams have rows in every completeness table of the phase. Nothing here
depends on whether a run or an event happened: it reads the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from orchestration.phases import PHASES, Phase


@dataclass(frozen=True)
class DateCoverage:
    game_date: date
    season_year: int
    phase: int
    final_games: int
    complete_games: int

    @property
    def is_complete(self) -> bool:
        return self.complete_games == self.final_games


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall()
    return {row[0] for row in rows}


def _phase_game_completeness_sql(phase: Phase, tables_present: set[str]) -> str:
    """One row per final team-game: whether every table of the phase has it."""
    checks = []
    joins = []
    for index, table in enumerate(phase.completeness_tables):
        if table not in tables_present:
            checks.append("false")
            continue
        alias = f"t{index}"
        joins.append(
            f"left join (select distinct game_id, team_abbr from {table}) as {alias} "
            f"on {alias}.game_id = team_games.game_id and {alias}.team_abbr = team_games.team_abbr"
        )
        checks.append(f"{alias}.game_id is not null")
    return f"""
        select team_games.game_id, team_games.game_date, team_games.season_year,
               {phase.number} as phase, ({' and '.join(checks)}) as team_complete
        from team_games
        {' '.join(joins)}
    """


def coverage_by_date(
    con: duckdb.DuckDBPyConnection,
    phases: tuple[Phase, ...] = PHASES,
    start: date | None = None,
    end: date | None = None,
) -> list[DateCoverage]:
    """Per phase and game date: final games scheduled and final games complete."""
    tables_present = existing_tables(con)
    if "nba_raw.nbac_schedule" not in tables_present:
        return []
    filters = ["game_status = 3"]
    if start:
        filters.append(f"game_date >= date '{start.isoformat()}'")
    if end:
        filters.append(f"game_date <= date '{end.isoformat()}'")
    per_phase = " union all ".join(_phase_game_completeness_sql(phase, tables_present) for phase in phases)
    query = f"""
        with final_games as (
            select * from nba_raw.nbac_schedule where {' and '.join(filters)}
        ),
        team_games as (
            select game_id, game_date, season_year, home_team_abbr as team_abbr from final_games
            union all
            select game_id, game_date, season_year, away_team_abbr as team_abbr from final_games
        ),
        team_checks as ({per_phase}),
        game_checks as (
            select game_id, game_date, season_year, phase, bool_and(team_complete) as game_complete
            from team_checks group by all
        )
        select game_date, season_year, phase, count(*) as final_games,
               sum(case when game_complete then 1 else 0 end) as complete_games
        from game_checks
        group by all
        order by phase, game_date
    """
    return [DateCoverage(*row) for row in con.execute(query).fetchall()]


def incomplete_dates(
    con: duckdb.DuckDBPyConnection, phase: Phase, start: date | None = None, end: date | None = None
) -> list[date]:
    """Game dates in [start, end] whose final games are not all complete in `phase`."""
    return incomplete_dates_by_phase(con, (phase,), start, end).get(phase.number, [])


def incomplete_dates_by_phase(
    con: duckdb.DuckDBPyConnection, phases: tuple[Phase, ...], start: date | None = None, end: date | None = None
) -> dict[int, list[date]]:
    """Per phase, the game dates in [start, end] whose final games are not all complete (one query)."""
    incomplete: dict[int, list[date]] = {}
    for cell in coverage_by_date(con, phases, start, end):
        if not cell.is_complete:
            incomplete.setdefault(cell.phase, []).append(cell.game_date)
    return incomplete


def season_bounds(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[date, date]]:
    """season_year -> (first scheduled game date, last scheduled game date)."""
    if "nba_raw.nbac_schedule" not in existing_tables(con):
        return {}
    rows = con.execute(
        "select season_year, min(game_date), max(game_date) from nba_raw.nbac_schedule group by 1 order by 1"
    ).fetchall()
    return {season: (first, last) for season, first, last in rows}


def scheduled_game_dates(con: duckdb.DuckDBPyConnection, start: date, end: date) -> set[date]:
    """The dates with a scheduled game from start to end (none before the schedule is loaded)."""
    try:
        rows = con.execute("select distinct game_date from nba_raw.nbac_schedule where game_date between ? and ?",
                           [start, end]).fetchall()
    except duckdb.CatalogException:
        return set()
    return {row[0] for row in rows}


def season_of(day: date, bounds: dict[int, tuple[date, date]]) -> int | None:
    """The season whose schedule spans `day` (None in the off-season)."""
    for season, (first, last) in bounds.items():
        if first <= day <= last:
            return season
    return None
