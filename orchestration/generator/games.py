"""One scheduled game of a generated season, with its simulated result and what is known before tip-off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from orchestration import season_calendar as segments

from .box_scores import GameResult
from .rosters import Player

REGULAR_SEASON = segments.REGULAR_SEASON.season_type
PLAY_IN = segments.PLAY_IN.season_type
PLAYOFFS = segments.PLAYOFFS.season_type


@dataclass(slots=True)
class GameRecord:
    game_id: str  # 10 characters, e.g. 0022100001
    game_date: date
    season_type: str
    home: str
    away: str
    result: GameResult
    # players expected to play (top of the healthy depth chart), per team abbreviation: the prop market
    rotation: dict[str, list[Player]]
    # postseason only: which series / game number, and the date after which the matchup was certain
    series: str | None = None
    game_number: int = 1
    known_after: date | None = None

    @property
    def home_points(self) -> int:
        return self.result.home.points

    @property
    def away_points(self) -> int:
        return self.result.away.points

    @property
    def winner(self) -> str:
        return self.home if self.home_points > self.away_points else self.away

    @property
    def loser(self) -> str:
        return self.away if self.home_points > self.away_points else self.home
