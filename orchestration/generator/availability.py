"""Injuries: who is out before each game (decided before tip-off, never from the game's result)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .rosters import Player

INJURY_RATE = 0.011  # chance per player per game of a new injury
MIN_HEALTHY = 11


@dataclass
class Availability:
    """Games each player still has to miss; lives for one season."""

    out_games: dict[int, int] = field(default_factory=dict)

    def before_game(self, rng: random.Random, roster: list[Player]) -> tuple[list[Player], list[Player]]:
        """(healthy in depth order, injured) for the team's next game; may start new injuries."""
        healthy = [p for p in roster if self.out_games.get(p.id, 0) <= 0]
        for p in list(healthy):
            if rng.random() < INJURY_RATE and len(healthy) > MIN_HEALTHY:
                long = rng.random() < 0.1
                self.out_games[p.id] = rng.randint(8, 30) if long else 1 + int(rng.expovariate(1 / 2.5))
                healthy.remove(p)
        injured = [p for p in roster if self.out_games.get(p.id, 0) > 0]
        return healthy, injured

    def after_game(self, injured: list[Player]) -> None:
        for p in injured:
            self.out_games[p.id] -= 1
