"""generate_seasons(): simulate seasons and write a landing folder in the real files' formats."""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from orchestration.dataset_manifest import MANIFEST_FILE, generated_manifest, write_manifest

from .faults import FaultConfig, FaultReport, apply_faults
from .games import GameRecord
from .props import PropBook
from .rosters import League, advance_offseason, create_league
from .season import simulate_season
from .seasons import season_dates, season_label
from .teams import REFERENCE_COLUMNS, TEAMS
from .timeline import FINAL, game_states
from .writer import (
    PLAYER_BOX_COLUMNS,
    PLAYERS_REFERENCE_COLUMNS,
    PROPS_COLUMNS,
    SCHEDULE_COLUMNS,
    TEAM_BOX_COLUMNS,
    SeasonRows,
    player_row,
    rank_columns,
    schedule_row,
    team_row,
    team_values,
    write_gzip_csv,
)

SCHEDULE_FILE = "schedule/nba_schedule_{season}.csv.gz"
TEAM_BOX_FILE = "team_box/nba_team_box_{season}.csv.gz"
PROPS_FILE = "props/nba_player_points_props_{season}.csv.gz"
PLAYERS_REFERENCE_FILE = "reference/synthetic_players.csv.gz"
TEAMS_REFERENCE_FILE = "reference/nba_teams.csv.gz"


@dataclass
class GenerationSummary:
    seasons: list[str]
    seed: int
    played_through: date | None
    games: int  # schedule rows (final + scheduled)
    final_games: int
    scheduled_games: int
    game_dates: int  # distinct dates in the schedule files
    player_rows: int
    team_rows: int
    prop_rows: int
    files: list[str]  # written, relative to out_dir
    out_dir: Path
    faults: FaultReport = field(default_factory=FaultReport)
    elapsed_seconds: float = field(default=0.0, compare=False)

    def __str__(self) -> str:
        lines = [
            f"generated {len(self.seasons)} season(s) {', '.join(self.seasons)} (seed {self.seed}) into {self.out_dir}"
            f" in {self.elapsed_seconds:.1f} s",
            f"  games: {self.games} ({self.final_games} final, {self.scheduled_games} scheduled)"
            f" on {self.game_dates} dates" + (f"; played through {self.played_through}" if self.played_through else ""),
            f"  rows: {self.player_rows} player box, {self.team_rows} team box, {self.prop_rows} props",
            f"  files: {len(self.files)}",
        ]
        lines += [f"    {f}" for f in self.files]
        lines.append("  faults injected:")
        lines += [f"    {x}" for x in self.faults.lines()]
        return "\n".join(lines)


def _season_rows(label: str, games: list[GameRecord], states: dict[str, str], book: PropBook, year: int) -> SeasonRows:
    schedule: list[list[str]] = []
    players: list[tuple[GameRecord, list[str]]] = []
    teams: list[tuple[GameRecord, list[str], dict[str, float]]] = []
    final_ids = {gid for gid, s in states.items() if s == FINAL}
    for g in games:
        state = states.get(g.game_id)
        if state is None:
            continue
        schedule.append(schedule_row(g, label, state == FINAL))
        if state != FINAL:
            continue
        for side, opp, abbr in ((g.result.away, g.result.home, g.away), (g.result.home, g.result.away, g.home)):
            for ln in side.lines:
                players.append((g, player_row(g, label, abbr, ln)))
            v = team_values(g, side, opp)
            teams.append((g, team_row(g, label, abbr, v), v))
    props = book.season_props(year, games, set(states), final_ids)
    return SeasonRows(label, schedule, players, teams, props)


def generate_seasons(
    season_start_years: list[int],
    out_dir: Path,
    seed: int = 42,
    faults: FaultConfig | None = None,
    played_through: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Simulate the given seasons (start years, e.g. [2021, 2022]) and write the landing files to out_dir.

    The same arguments give byte-identical files. Games after `played_through` are written as scheduled
    (empty points, no box scores; their prop lines exist).
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small objects and no cycles: the collector only costs time here
    try:
        return _generate(
            season_start_years,
            Path(out_dir),
            seed,
            faults or FaultConfig(),
            played_through,
            progress or (lambda message: None),
        )
    finally:
        if gc_was_enabled:
            gc.enable()


def _generate(
    season_start_years: list[int],
    out_dir: Path,
    seed: int,
    faults: FaultConfig,
    played_through: date | None,
    say: Callable[[str], None],
) -> GenerationSummary:
    started = time.perf_counter()
    years = sorted({int(y) for y in season_start_years})
    if not years:
        raise ValueError("no seasons to generate")
    for year in years:
        season_dates(year)  # a season the generator cannot imitate is refused before any work
    league = create_league(random.Random(f"{seed}:league"))
    book = PropBook(seed)
    seasons: list[SeasonRows] = []
    for year in range(years[0], years[-1] + 1):
        if year != years[0]:
            advance_offseason(league, random.Random(f"{seed}:{year}:offseason"))
        if year in years:
            say(
                f"simulating season {season_label(year)} ({years.index(year) + 1} of {len(years)}, "
                f"{time.perf_counter() - started:.0f}s elapsed)"
            )
            games = simulate_season(league, year, seed)
            seasons.append(_season_rows(season_label(year), games, game_states(games, played_through), book, year))
    report = apply_faults(seasons, faults, random.Random(f"{seed}:faults"))
    say(f"writing the landing files into {out_dir}")
    files = _write(out_dir, seasons, league, set(report.unknown_player_ids))
    write_manifest(out_dir, generated_manifest(seed, [s.label for s in seasons]))
    files.append(MANIFEST_FILE)

    schedule_rows = [r for s in seasons for r in s.schedule]
    final = sum(1 for r in schedule_rows if r[SCHEDULE_COLUMNS.index("game_status")] == "3")
    return GenerationSummary(
        seasons=[s.label for s in seasons],
        seed=seed,
        played_through=played_through,
        games=len(schedule_rows),
        final_games=final,
        scheduled_games=len(schedule_rows) - final,
        game_dates=len({r[SCHEDULE_COLUMNS.index("game_date")] for r in schedule_rows}),
        player_rows=sum(len(s.player_rows) for s in seasons),
        team_rows=sum(len(s.team_rows) for s in seasons),
        prop_rows=sum(len(s.props) for s in seasons),
        files=sorted(files),
        out_dir=out_dir,
        faults=report,
        elapsed_seconds=time.perf_counter() - started,
    )


def _write(out_dir: Path, seasons: list[SeasonRows], league: League, unregistered: set[int]) -> list[str]:
    """Write every file; returns their paths relative to out_dir."""
    files: list[str] = []

    def write(rel: str, header: list[str], rows: list[list[str]]) -> None:
        write_gzip_csv(out_dir / rel, header, rows)
        files.append(rel)

    for s in seasons:
        write(SCHEDULE_FILE.format(season=s.label), SCHEDULE_COLUMNS, s.schedule)
        write(s.player_box_file, PLAYER_BOX_COLUMNS, [r for _, r in s.player_rows])
        ranks = rank_columns([v for _, _, v in s.team_rows])
        team_rows = [r + rk + ["1"] for (_, r, _), rk in zip(s.team_rows, ranks)]  # AVAILABLE_FLAG 1
        write(TEAM_BOX_FILE.format(season=s.label), TEAM_BOX_COLUMNS, team_rows)
        write(PROPS_FILE.format(season=s.label), PROPS_COLUMNS, s.props)
    active = league.active_ids()
    players = [
        [str(p.id), p.full_name, p.first_name, p.last_name, str(p.id in active)]
        for p in sorted(league.players.values(), key=lambda p: p.id)
        if p.id not in unregistered
    ]
    write(PLAYERS_REFERENCE_FILE, PLAYERS_REFERENCE_COLUMNS, players)
    write(TEAMS_REFERENCE_FILE, REFERENCE_COLUMNS, [[str(x) for x in t.reference_row()] for t in TEAMS])
    return files
