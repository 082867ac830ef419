"""Coverage per game date and phase, from the data, with run history's blocked dates and
the stale dates of the gap scanner: what `status`, its HTML page and the Dagster
metadata show.

A cell (date x phase) is one of
- `complete`:   every final game of the date is present in the phase, fresh and verified,
- `stale`:      every game present, but built from inputs that have changed since,
- `unverified`: every game present, but the build that wrote it did not pass its gates,
- `partial`:    some final games present, not all,
- `blocked`:    not present and the latest run for it was BLOCKED (strict mode),
- `missing`:    not present otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from orchestration.completeness import (
    COMPLETE,
    MISSING,
    PARTIAL,
    PARTIAL_SEASON,
    STALE,
    UNVERIFIED,
    coverage_by_date,
    partial_seasons,
)
from orchestration.dates import season_label
from orchestration.monitoring.run_state import latest_runs
from orchestration.phases import PHASES, Phase
from orchestration.warehouse import Session

BLOCKED = "blocked"
CELL_STATES = (COMPLETE, STALE, UNVERIFIED, PARTIAL, BLOCKED, MISSING)


@dataclass(frozen=True)
class CoverageCell:
    game_date: date
    season_year: int
    phase: int
    final_games: int
    complete_games: int
    state: str
    note: str = ""

    @property
    def is_complete(self) -> bool:
        return self.state == COMPLETE


def coverage_grid(con: Session, phases: tuple[Phase, ...] = PHASES) -> list[CoverageCell]:
    """One cell per phase and game date with final games, its state from the data (run history
    only tells a blocked date from a missing one)."""
    runs = latest_runs(con)
    partial = partial_seasons(con)
    cells = []
    for c in coverage_by_date(con, phases):
        state, note = c.state, ""
        if state == PARTIAL_SEASON:  # strict mode blocks it until the season's start is loaded
            state, note = BLOCKED, partial[c.season_year].describe()
        elif state == STALE:
            note = "built from inputs that changed since: " + ", ".join(c.stale_tables)
        elif state == UNVERIFIED:
            note = "built, not verified (its build did not pass its gates): " + ", ".join(c.unverified_tables)
        elif state in (MISSING, PARTIAL):
            latest = runs.get((c.phase, c.game_date))
            if latest is not None and latest.status == "blocked" and state == MISSING:
                state, note = BLOCKED, latest.message or ""
        cells.append(CoverageCell(c.game_date, c.season_year, c.phase, c.final_games, c.complete_games, state, note))
    return cells


@dataclass
class PhaseCoverage:
    phase: int
    dates: int = 0
    dates_complete: int = 0
    dates_stale: int = 0
    dates_unverified: int = 0
    dates_blocked: int = 0
    games: int = 0
    games_complete: int = 0
    games_blocked: int = 0

    @property
    def dates_missing(self) -> int:
        """Dates with games absent (partial or missing), not blocked."""
        return self.dates - self.dates_complete - self.dates_stale - self.dates_unverified - self.dates_blocked

    @property
    def games_missing(self) -> int:
        """Games not complete (absent, stale or unverified), not blocked."""
        return self.games - self.games_complete - self.games_blocked

    @property
    def percent_games(self) -> float:
        return 100.0 * self.games_complete / self.games if self.games else 100.0

    def add(self, cell: CoverageCell) -> None:
        self.dates += 1
        self.games += cell.final_games
        self.games_complete += cell.complete_games
        self.dates_complete += cell.state == COMPLETE
        self.dates_stale += cell.state == STALE
        self.dates_unverified += cell.state == UNVERIFIED
        if cell.state == BLOCKED:
            self.dates_blocked += 1
            self.games_blocked += cell.final_games


@dataclass
class SeasonPhaseCoverage:
    season_year: int | None  # None: the totals over every season
    first_date: date | None
    last_date: date | None
    phases: dict[int, PhaseCoverage] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if self.season_year is None:
            return "total"
        return season_label(self.season_year)


def summarize(cells: list[CoverageCell], phases: tuple[Phase, ...] = PHASES) -> list[SeasonPhaseCoverage]:
    """Per season (and a final `total` row): per phase dates and games complete / missing / blocked."""
    per_season: dict[int, list[CoverageCell]] = defaultdict(list)
    for cell in cells:
        per_season[cell.season_year].append(cell)
    result = []
    for season_year in sorted(per_season):
        result.append(_summary(season_year, per_season[season_year], phases))
    if result:
        result.append(_summary(None, cells, phases))
    return result


def _summary(season_year: int | None, cells: list[CoverageCell], phases: tuple[Phase, ...]) -> SeasonPhaseCoverage:
    dates = [cell.game_date for cell in cells]
    summary = SeasonPhaseCoverage(
        season_year, min(dates), max(dates), {p.number: PhaseCoverage(p.number) for p in phases}
    )
    for cell in cells:
        if cell.phase in summary.phases:
            summary.phases[cell.phase].add(cell)
    return summary


def _rows(summaries: list[SeasonPhaseCoverage], phases: tuple[Phase, ...]) -> list[list[str]]:
    rows = []
    for summary in summaries:
        for index, phase in enumerate(phases):
            p = summary.phases[phase.number]
            rows.append(
                [
                    summary.label if index == 0 else "",
                    f"{phase.number} {phase.name}",
                    str(p.dates),
                    str(p.dates_complete),
                    str(p.dates_stale),
                    str(p.dates_unverified),
                    str(p.dates_missing),
                    str(p.dates_blocked),
                    str(p.games),
                    str(p.games_complete),
                    str(p.games_missing),
                    str(p.games_blocked),
                    f"{p.percent_games:.1f}%",
                ]
            )
    return rows


HEADER = [
    "season",
    "phase",
    "dates",
    "complete",
    "stale",
    "unverified",
    "missing",
    "blocked",
    "games",
    "complete",
    "missing",
    "blocked",
    "% games",
]


def format_table(summaries: list[SeasonPhaseCoverage], phases: tuple[Phase, ...] = PHASES) -> str:
    """The plain-text table `nba-pipeline status` prints."""
    if not summaries:
        return "no schedule loaded: nothing to cover (nba-pipeline load <dir>)"
    rows = _rows(summaries, phases)
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    group = " " * (widths[0] + widths[1] + 4)
    dates_width = sum(widths[2:8]) + 10
    games_width = sum(widths[8:12]) + 6
    lines = [
        group + "game dates".center(dates_width, "-") + "  " + "final games".center(games_width, "-"),
        line(HEADER),
        line(["-" * w for w in widths]),
    ]
    for index, row in enumerate(rows):
        if row[0] and index:
            lines.append("")
        lines.append(line(row))
    return "\n".join(lines)


def format_markdown(summaries: list[SeasonPhaseCoverage], phases: tuple[Phase, ...] = PHASES) -> str:
    """The same table as Markdown (Dagster metadata renders it in the asset's page)."""
    if not summaries:
        return "_no schedule loaded_"
    header = [
        "season",
        "phase",
        "dates",
        "dates complete",
        "dates stale",
        "dates unverified",
        "dates missing",
        "dates blocked",
        "games",
        "games complete",
        "games missing",
        "games blocked",
        "% games complete",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|"]
    for row in _rows(summaries, phases):
        lines.append("| " + " | ".join(cell or " " for cell in row) + " |")
    return "\n".join(lines)


def coverage_report(con: Session, phases: tuple[Phase, ...] = PHASES):
    """(cells, summaries) in one pass, for callers that want both (the HTML page)."""
    cells = coverage_grid(con, phases)
    return cells, summarize(cells, phases)
