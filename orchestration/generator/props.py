"""Player-points prop lines, set the way a bookmaker would: from what is known before the game.

The line is the player's trailing scoring (last 10 games played this season, shrunk towards a prior: last
season's average, or a guess from his role for newcomers) plus a little noise, rounded to a half point;
prices are around -110. A line never looks at the game it is for.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date

from .games import GameRecord
from .rosters import Player

BOOKMAKER = "draftkings"
MARKET = "player_points"
WINDOW = 10
PRIOR_WEIGHT = 3.0
PRICE_SKEW = (-10, -5, 0, 0, 0, 5, 10)


def _role_guess(p: Player) -> float:
    """Points per game a newcomer of this skill is expected to score."""
    return max(2.0, 1.0 + 26.0 * p.rating * p.rating + 4.0 * p.rating)


class PropBook:
    """Carries scoring history across a run of seasons (the prior for next season comes from this one)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.last_season_avg: dict[int, float] = {}

    def season_props(
        self,
        start_year: int,
        games: list[GameRecord],
        written: set[str],
        final: set[str],
    ) -> list[list[str]]:
        """Rows for every game in `written` (all of its rotation players); results of `final` games feed later lines."""
        rng = random.Random(f"{self.seed}:{start_year}:props")
        recent: dict[int, list[int]] = defaultdict(list)
        season_points: dict[int, list[int]] = defaultdict(list)
        rows: list[list[str]] = []
        by_date: dict[date, list[GameRecord]] = defaultdict(list)
        for g in games:
            by_date[g.game_date].append(g)
        for d in sorted(by_date):
            todays = sorted(by_date[d], key=lambda g: g.game_id)
            for g in todays:
                if g.game_id not in written:
                    continue
                for abbr in (g.away, g.home):
                    for p in g.rotation[abbr]:
                        rows.append(self._row(rng, g, abbr, p, recent[p.id]))
            for g in todays:  # results are known only after the day's games
                if g.game_id not in final:
                    continue
                for side in (g.result.home, g.result.away):
                    for ln in side.players:
                        hist = recent[ln.player.id]
                        hist.append(ln.points)
                        if len(hist) > WINDOW:
                            del hist[0]
                        season_points[ln.player.id].append(ln.points)
        self.last_season_avg = {pid: sum(v) / len(v) for pid, v in season_points.items() if len(v) >= 10}
        return rows

    def _row(self, rng: random.Random, g: GameRecord, abbr: str, p: Player, hist: list[int]) -> list[str]:
        prior = self.last_season_avg.get(p.id, _role_guess(p))
        estimate = (sum(hist) + PRIOR_WEIGHT * prior) / (len(hist) + PRIOR_WEIGHT)
        line = max(0.5, math.floor(estimate + rng.gauss(0.0, 0.6)) + 0.5)
        skew = rng.choice(PRICE_SKEW)
        return [
            g.game_id, g.game_date.isoformat(), str(p.id), p.full_name, abbr, BOOKMAKER, MARKET,
            repr(line), str(-110 - skew), str(-110 + skew),
        ]  # fmt: skip
