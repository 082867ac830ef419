"""Which games exist as of `played_through`: played (final), scheduled, or not yet known (postseason)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from .games import REGULAR_SEASON, GameRecord

FINAL = "final"
SCHEDULED = "scheduled"


def game_states(games: list[GameRecord], played_through: date | None) -> dict[str, str]:
    """game_id -> FINAL | SCHEDULED for the games to write; games missing from the result are not known yet.

    Every game on or before `played_through` is final. Later regular-season games are scheduled. A later
    postseason game is scheduled only if its matchup was settled by then and it is certain to be played
    (a series at a-b wins is sure to reach game a + b + 4 - max(a, b)).
    """
    if played_through is None:
        return {g.game_id: FINAL for g in games}
    states: dict[str, str] = {}
    wins: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g in games:
        if g.game_date <= played_through:
            states[g.game_id] = FINAL
            if g.series:
                wins[g.series][g.winner] += 1
    for g in games:
        if g.game_date <= played_through:
            continue
        if g.season_type == REGULAR_SEASON:
            states[g.game_id] = SCHEDULED
            continue
        if g.known_after is None or g.known_after > played_through:
            continue
        if g.series:
            w = wins[g.series]
            a, b = w.get(g.home, 0), w.get(g.away, 0)
            if g.game_number > a + b + 4 - max(a, b):
                continue
        states[g.game_id] = SCHEDULED
    return states
