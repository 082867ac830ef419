"""Completeness is a query: the schedule's final games against each phase's tables, and
what the data records about its own freshness and gates.

A game date is **complete** in a phase when
- every final game of the date has rows for both teams in every completeness
  table of the phase (phases.py), and
- every dated model of the phase that holds the date is **fresh**: the input
  versions it recorded when it wrote the date equal those of its inputs now, and
- **verified**: the build that wrote the date passed the model's tests.

Freshness and verification come from the view nba_orchestration.date_freshness,
which dbt maintains (macros/freshness.sql); Phase 2 (loaded, not built) is
fresh and verified by definition. Nothing here depends on whether a run or an
event happened: it reads the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from orchestration.dates import season_label
from orchestration.phases import PHASES, Phase

FRESHNESS_VIEW = "nba_orchestration.date_freshness"
RAW_PHASE = 2

# Cell states, in the order a date reaches them. PARTIAL_SEASON: a built date of a season whose first
# games are not loaded (its windows are short): not complete whatever its rows.
MISSING, PARTIAL, UNVERIFIED, STALE, COMPLETE = "missing", "partial", "unverified", "stale", "complete"
PARTIAL_SEASON = "partial_season"


@dataclass(frozen=True)
class DateCoverage:
    game_date: date
    season_year: int
    phase: int
    final_games: int
    present_games: int  # final games with rows for both teams in every completeness table
    stale_tables: tuple[str, ...] = ()  # dated models whose recorded inputs changed since they wrote the date
    unverified_tables: tuple[str, ...] = ()  # dated models whose writing build did not pass its gates (yet)
    partial_season: bool = False  # a built phase's date in a season loaded in part

    @property
    def all_present(self) -> bool:
        return self.present_games == self.final_games

    @property
    def state(self) -> str:
        if self.partial_season:
            return PARTIAL_SEASON
        if self.present_games == 0:
            return MISSING
        if not self.all_present:
            return PARTIAL
        if self.unverified_tables:
            return UNVERIFIED
        if self.stale_tables:
            return STALE
        return COMPLETE

    @property
    def is_complete(self) -> bool:
        return self.state == COMPLETE

    @property
    def complete_games(self) -> int:
        """Final games that count as complete: present, in a fresh and verified date."""
        return self.present_games if self.state == COMPLETE else 0


def existing_tables(con) -> set[str]:
    """Every table and view ("schema.table") of the warehouse: a Session's catalog (DuckDB or BigQuery), or a
    DuckDB connection's (callers not yet on the warehouse interface)."""
    from orchestration.warehouse import as_session

    return as_session(con).tables()


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
               {phase.number} as phase, ({" and ".join(checks)}) as team_complete
        from team_games
        {" ".join(joins)}
    """


@dataclass
class _DateFreshness:
    tables: set[str] = field(default_factory=set)
    stale: set[str] = field(default_factory=set)
    unverified: set[str] = field(default_factory=set)


def _date_range_filter(start: date | None, end: date | None, column: str = "game_date") -> str:
    filters = []
    if start:
        filters.append(f"{column} >= date '{start.isoformat()}'")
    if end:
        filters.append(f"{column} <= date '{end.isoformat()}'")
    return " and ".join(filters) or "true"


def _freshness(
    con, tables_present: set[str], start: date | None, end: date | None
) -> dict[tuple[int, date], _DateFreshness]:
    """(phase, date) -> the dated models the view knows for that date, which are stale, which unverified."""
    if FRESHNESS_VIEW not in tables_present:
        return {}
    rows = con.execute(
        f"select phase, game_date, model_relation, is_fresh, is_verified from {FRESHNESS_VIEW} "
        f"where {_date_range_filter(start, end)}"
    ).fetchall()
    found: dict[tuple[int, date], _DateFreshness] = {}
    for phase, day, table, fresh, verified in rows:
        entry = found.setdefault((phase, day), _DateFreshness())
        entry.tables.add(table)
        if not fresh:
            entry.stale.add(table)
        if not verified:
            entry.unverified.add(table)
    return found


def coverage_by_date(
    con,
    phases: tuple[Phase, ...] = PHASES,
    start: date | None = None,
    end: date | None = None,
) -> list[DateCoverage]:
    """Per phase and game date with final games: games scheduled and present, and which of the
    phase's tables are stale or unverified there."""
    tables_present = existing_tables(con)
    if "nba_raw.nbac_schedule" not in tables_present:
        return []
    per_phase = " union all ".join(_phase_game_completeness_sql(phase, tables_present) for phase in phases)
    query = f"""
        with final_games as (
            select * from nba_raw.nbac_schedule where game_status = 3 and {_date_range_filter(start, end)}
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
               sum(case when game_complete then 1 else 0 end) as present_games
        from game_checks
        group by all
        order by phase, game_date
    """
    freshness = _freshness(con, tables_present, start, end)
    partial = partial_seasons(con)
    by_number = {phase.number: phase for phase in phases}
    cells = []
    for day, season, number, finals, present in con.execute(query).fetchall():
        stale: tuple[str, ...] = ()
        unverified: tuple[str, ...] = ()
        if number != RAW_PHASE and present:
            known = freshness.get((number, day), _DateFreshness())
            # a table holding the date that the view does not know was written by a build that never finished
            unknown = {t for t in by_number[number].completeness_tables if t in tables_present} - known.tables
            stale = tuple(sorted(known.stale))
            unverified = tuple(sorted(known.unverified | unknown))
        cells.append(
            DateCoverage(
                day,
                season,
                number,
                finals,
                present,
                stale,
                unverified,
                partial_season=number != RAW_PHASE and season in partial,
            )
        )
    return cells


def incomplete_dates(con, phase: Phase, start: date | None = None, end: date | None = None) -> list[date]:
    """Game dates in [start, end] whose final games are not all complete in `phase`."""
    return incomplete_dates_by_phase(con, (phase,), start, end).get(phase.number, [])


def incomplete_dates_by_phase(
    con, phases: tuple[Phase, ...], start: date | None = None, end: date | None = None
) -> dict[int, list[date]]:
    """Per phase, the game dates in [start, end] that are not complete (one query)."""
    incomplete: dict[int, list[date]] = {}
    for cell in coverage_by_date(con, phases, start, end):
        if not cell.is_complete:
            incomplete.setdefault(cell.phase, []).append(cell.game_date)
    return incomplete


def season_bounds(con) -> dict[int, tuple[date, date]]:
    """season_year -> (first scheduled game date, last scheduled game date)."""
    if "nba_raw.nbac_schedule" not in existing_tables(con):
        return {}
    rows = con.execute(
        "select season_year, min(game_date), max(game_date) from nba_raw.nbac_schedule group by 1 order by 1"
    ).fetchall()
    return {season: (first, last) for season, first, last in rows}


def scheduled_game_dates(con, start: date, end: date) -> set[date]:
    """The dates with a scheduled game from start to end (none before the schedule is loaded)."""
    if "nba_raw.nbac_schedule" not in existing_tables(con):
        return set()
    rows = con.execute(
        "select distinct game_date from nba_raw.nbac_schedule where game_date between ? and ?", [start, end]
    ).fetchall()
    return {row[0] for row in rows}


def season_of(day: date, bounds: dict[int, tuple[date, date]]) -> int | None:
    """The season whose schedule spans `day` (None in the off-season)."""
    for season, (first, last) in bounds.items():
        if first <= day <= last:
            return season
    return None


@dataclass(frozen=True)
class PartialSeason:
    """A season whose loaded schedule starts after the calendar start of the first segment its dataset
    holds (a landing whose schedule begins mid-season): its windows would start at the first loaded
    date, so every date of it is incomplete until its start is loaded."""

    season_year: int
    calendar_start: date
    loaded_start: date

    @property
    def missing_range(self) -> tuple[date, date]:
        return self.calendar_start, self.loaded_start - timedelta(days=1)

    def describe(self) -> str:
        first, last = self.missing_range
        return (
            f"season {season_label(self.season_year)} is loaded from {self.loaded_start}, but its data starts "
            f"{self.calendar_start} (season calendar): the games of {first}..{last} are not loaded"
        )


def partial_seasons(con) -> dict[int, PartialSeason]:
    """The seasons loaded in part: their schedule starts after the calendar start of the first segment
    the warehouse's dataset(s) hold (playoffs only for the real data, every segment for generated)."""
    from orchestration.loading.dataset import recorded_datasets
    from orchestration.season_calendar import SEGMENTS, season_calendar

    tables = existing_tables(con)
    if "nba_raw.nbac_schedule" not in tables:
        return {}
    claimed = (
        {name for dataset in recorded_datasets(con) for name in dataset.segments}
        if "nba_raw.landing_datasets" in tables
        else set()
    )
    calendar = season_calendar()
    found: dict[int, PartialSeason] = {}
    rows = con.execute(
        "select season_year, season_type, min(game_date) from nba_raw.nbac_schedule group by 1, 2"
    ).fetchall()
    loaded: dict[int, dict[str, date]] = {}
    for season, season_type, first in rows:
        loaded.setdefault(season, {})[season_type] = first
    for season, starts in loaded.items():
        entry = calendar.get(season)
        if entry is None:
            continue
        # without a recorded dataset: the segments its schedule shows
        segments = (
            [s for s in SEGMENTS if s.name in claimed] if claimed else [s for s in SEGMENTS if s.season_type in starts]
        )
        expected = min((entry.segment_start(s) for s in segments if entry.segment_start(s)), default=None)
        first_loaded = (
            min(starts[s.season_type] for s in segments if s.season_type in starts)
            if any(s.season_type in starts for s in segments)
            else None
        )
        if expected is not None and first_loaded is not None and first_loaded > expected:
            found[season] = PartialSeason(season, expected, first_loaded)
    return found
