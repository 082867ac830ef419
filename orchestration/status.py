"""Coverage per season and phase: the table `nba-pipeline status` prints."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import duckdb

from orchestration.completeness import coverage_by_date
from orchestration.phases import PHASES


@dataclass
class SeasonCoverage:
    season_year: int
    scheduled_dates: int
    complete_dates: dict[int, int]     # phase -> game dates complete
    scheduled_games: int
    complete_games: dict[int, int]     # phase -> final games complete

    @property
    def season_label(self) -> str:
        return f"{self.season_year}-{(self.season_year + 1) % 100:02d}"

    @property
    def last_phase(self) -> int:
        return max(self.complete_dates)

    @property
    def percent_complete(self) -> float:
        if not self.scheduled_dates:
            return 100.0
        return 100.0 * self.complete_dates[self.last_phase] / self.scheduled_dates


def season_coverage(con: duckdb.DuckDBPyConnection) -> list[SeasonCoverage]:
    per_season: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for coverage in coverage_by_date(con, PHASES):
        per_season[coverage.season_year][coverage.phase].append(coverage)
    seasons = []
    for season_year in sorted(per_season):
        by_phase = per_season[season_year]
        first = by_phase[PHASES[0].number]
        seasons.append(
            SeasonCoverage(
                season_year=season_year,
                scheduled_dates=len(first),
                complete_dates={p.number: sum(c.is_complete for c in by_phase[p.number]) for p in PHASES},
                scheduled_games=sum(c.final_games for c in first),
                complete_games={p.number: sum(c.complete_games for c in by_phase[p.number]) for p in PHASES},
            )
        )
    return seasons


def format_coverage(seasons: list[SeasonCoverage]) -> str:
    phase_headers = [f"Phase {p.number} dates" for p in PHASES]
    header = ["season", "scheduled game dates", *phase_headers, "% complete"]
    rows = [
        [s.season_label, str(s.scheduled_dates), *[str(s.complete_dates[p.number]) for p in PHASES], f"{s.percent_complete:.1f}%"]
        for s in seasons
    ]
    if seasons:
        total_dates = sum(s.scheduled_dates for s in seasons)
        totals = [sum(s.complete_dates[p.number] for s in seasons) for p in PHASES]
        percent = 100.0 * totals[-1] / total_dates if total_dates else 100.0
        rows.append(["total", str(total_dates), *[str(t) for t in totals], f"{percent:.1f}%"])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda cells: " | ".join(cell.rjust(width) for cell, width in zip(cells, widths))
    return "\n".join([line(header), "-+-".join("-" * w for w in widths), *[line(r) for r in rows]])
