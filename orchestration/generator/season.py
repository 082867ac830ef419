"""Simulate one season: the regular-season calendar, every game's box score, the play-in and playoffs."""

from __future__ import annotations

import random
from datetime import date

from .availability import Availability
from .box_scores import BENCH_MINUTES, STARTER_MINUTES, TeamGame, pick_lineup, simulate_game
from .calendar import regular_season_schedule
from .games import REGULAR_SEASON, GameRecord
from .postseason import play_postseason
from .rosters import League, Player
from .seasons import season_dates

# how many players dress (listed in the box) and how many play, with weights
LISTED = ((12, 0.15), (13, 0.62), (14, 0.12), (15, 0.11))
PLAYING_REGULAR = ((9, 0.12), (10, 0.43), (11, 0.33), (12, 0.12))
PLAYING_POSTSEASON = ((8, 0.15), (9, 0.35), (10, 0.35), (11, 0.15))
_DEPTH_WEIGHTS = STARTER_MINUTES + BENCH_MINUTES[:4]
SYSTEM_SD = 0.04


def _weighted(rng: random.Random, table: tuple[tuple[int, float], ...]) -> int:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _strength(players: list[Player]) -> tuple[float, float]:
    top = players[: len(_DEPTH_WEIGHTS)]
    w = _DEPTH_WEIGHTS[: len(top)]
    total = sum(w)
    offense = sum(x * p.rating for x, p in zip(w, top)) / total
    defense = sum(x * (0.5 * p.rating + 0.5 * p.defense) for x, p in zip(w, top)) / total
    return offense, defense


class SeasonSimulator:
    """Plays a season's games in date order; injuries carry from game to game."""

    def __init__(self, league: League, start_year: int, seed: int) -> None:
        self.league = league
        self.seed = seed
        self.start_year = start_year
        self.dates = season_dates(start_year)
        self.rng_games = random.Random(f"{seed}:{start_year}:games")
        self.availability = Availability()
        rosters = {abbr: league.roster(abbr) for abbr in league.rosters}
        full = [_strength(r) for r in rosters.values()]
        self.base_offense = sum(o for o, _ in full) / len(full)
        self.base_defense = sum(d for _, d in full) / len(full)
        # coaching / system: a team-season effect on top of the players' skills
        self.system = {
            abbr: random.Random(f"{seed}:{start_year}:{abbr}:system").gauss(0.0, SYSTEM_SD) for abbr in sorted(rosters)
        }

    def _side(self, abbr: str, postseason: bool) -> tuple[TeamGame, list[Player], list[Player]]:
        rng = self.rng_games
        healthy, injured = self.availability.before_game(rng, self.league.roster(abbr))
        offense, defense = _strength(healthy)
        system = self.system[abbr]
        team = TeamGame(abbr, offense - self.base_offense + system, defense - self.base_defense + system)
        n_play = _weighted(rng, PLAYING_POSTSEASON if postseason else PLAYING_REGULAR)
        team.lines = pick_lineup(rng, healthy, injured, n_play, _weighted(rng, LISTED))
        rotation = healthy[: 8 + (rng.random() < 0.5)]
        return team, injured, rotation

    def play(self, game_id: str, game_date: date, season_type: str, home: str, away: str) -> GameRecord:
        post = season_type != REGULAR_SEASON
        home_side, home_out, home_rot = self._side(home, post)
        away_side, away_out, away_rot = self._side(away, post)
        result = simulate_game(self.rng_games, home_side, away_side)
        self.availability.after_game(home_out)
        self.availability.after_game(away_out)
        return GameRecord(game_id, game_date, season_type, home, away, result, {home: home_rot, away: away_rot})

    def run(self) -> list[GameRecord]:
        seed, yy = self.seed, self.start_year % 100
        schedule = regular_season_schedule(self.dates, random.Random(f"{seed}:{self.start_year}:calendar"))
        regular = [
            self.play(f"002{yy:02d}{n:05d}", d, REGULAR_SEASON, m.home, m.away)
            for n, (d, m) in enumerate(schedule, start=1)
        ]
        post = play_postseason(
            random.Random(f"{seed}:{self.start_year}:postseason"), self.start_year, self.dates, regular, self.play
        )
        return sorted(regular + post, key=lambda g: (g.game_date, g.game_id))


def simulate_season(league: League, start_year: int, seed: int) -> list[GameRecord]:
    """Every game of the season (regular season, play-in, playoffs) in date order, all simulated."""
    return SeasonSimulator(league, start_year, seed).run()
