"""The NBA season calendar for Python: the one reader of the dbt seed `seeds/season_calendar.csv`.

    from orchestration.season_calendar import calendar_for, season_calendar
    calendar_for(2021).playoffs_start        # date(2022, 4, 16)
    calendar_for(2021).segment_start(PLAY_IN)

A season is three segments, in this order: regular season, play-in, playoffs. A
dataset declares which of them it holds (orchestration/loading/dataset.py); a
segment's first date here is where its windows start.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from orchestration.paths import PROJECT_ROOT

SEED_PATH = PROJECT_ROOT / "seeds" / "season_calendar.csv"


@dataclass(frozen=True)
class Segment:
    name: str  # as recorded with a dataset: regular_season | play_in | playoffs
    season_type: str  # as in nba_raw.nbac_schedule.season_type
    start_column: str  # the seed column holding its first date


REGULAR_SEASON = Segment("regular_season", "Regular Season", "regular_season_start")
PLAY_IN = Segment("play_in", "PlayIn", "play_in_start")
PLAYOFFS = Segment("playoffs", "Playoffs", "playoffs_start")
SEGMENTS: tuple[Segment, ...] = (REGULAR_SEASON, PLAY_IN, PLAYOFFS)
SEGMENTS_BY_NAME = {s.name: s for s in SEGMENTS}


@dataclass(frozen=True)
class SeasonCalendar:
    """One row of the seed."""

    season: int  # start year: 2021 for 2021-22
    season_label: str  # "2021-22"
    regular_season_start: date
    regular_season_end: date
    play_in_start: date | None  # none before 2019-20
    playoffs_start: date
    last_game: date | None  # none while the season is not over

    def segment_start(self, segment: Segment) -> date | None:
        """The first date of `segment` (None: the season had no play-in)."""
        return getattr(self, segment.start_column)

    def segment_end(self, segment: Segment) -> date | None:
        """The last date of `segment`: the day before the next segment starts (the last game for playoffs)."""
        if segment == REGULAR_SEASON:
            return self.regular_season_end
        if segment == PLAY_IN:
            return None if self.play_in_start is None else self.playoffs_start - timedelta(days=1)
        return self.last_game


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text.strip() else None


def read_calendar(path: Path = SEED_PATH) -> dict[int, SeasonCalendar]:
    """Every season of the seed file, by start year."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out: dict[int, SeasonCalendar] = {}
    for row in rows:
        season = SeasonCalendar(
            season=int(row["season"]),
            season_label=row["season_label"],
            regular_season_start=date.fromisoformat(row["regular_season_start"]),
            regular_season_end=date.fromisoformat(row["regular_season_end"]),
            play_in_start=_date(row["play_in_start"]),
            playoffs_start=date.fromisoformat(row["playoffs_start"]),
            last_game=_date(row["last_game"]),
        )
        out[season.season] = season
    return out


@cache
def season_calendar() -> dict[int, SeasonCalendar]:
    """The seed, read once per process."""
    return read_calendar()


def calendar_for(season: int) -> SeasonCalendar | None:
    """The calendar of the season starting in `season` (2021 for 2021-22), None outside the seed."""
    return season_calendar().get(int(season))
