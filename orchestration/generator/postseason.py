"""Standings, the play-in (seeds 7-10 per conference) and four best-of-7 playoff rounds.

Game ids follow nba.com: play-in 005yy00RSG-style (0052100101, 0052100111 on day one, ...), playoffs
004yy00RSG (round, series, game). Playoff games are 1-3 days apart per series (mostly 2), the higher
seed hosts games 1, 2, 5 and 7, and each round starts when the series feeding it are done.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from .games import PLAY_IN, PLAYOFFS, GameRecord
from .seasons import SeasonDates
from .teams import CONFERENCES, TEAMS_BY_ABBR

# play(game_id, date, season_type, home, away) -> simulated game
PlayFn = Callable[[str, date, str, str, str], GameRecord]

HOME_PATTERN = (True, True, False, False, True, False, True)  # is the higher seed at home, games 1-7
# Days after the first playoff Saturday when rounds 2, 3 and the Finals are planned to start (a round
# starts later when the series feeding it run long).
ROUND_START_OFFSET = {2: 16, 3: 32, 4: 47}
GAME_GAPS = (2, 2, 2, 2, 3, 3, 3)  # days between a series' games, drawn uniformly


@dataclass(frozen=True)
class Standing:
    abbr: str
    wins: int
    losses: int
    point_diff: int


def standings(games: list[GameRecord]) -> dict[str, Standing]:
    wins: dict[str, int] = {}
    losses: dict[str, int] = {}
    diff: dict[str, int] = {}
    for g in games:
        for t in (g.home, g.away):
            wins.setdefault(t, 0)
            losses.setdefault(t, 0)
            diff.setdefault(t, 0)
        wins[g.winner] += 1
        losses[g.loser] += 1
        diff[g.home] += g.home_points - g.away_points
        diff[g.away] += g.away_points - g.home_points
    return {t: Standing(t, wins[t], losses[t], diff[t]) for t in wins}


def conference_seeds(table: dict[str, Standing], conference: str) -> list[str]:
    """Teams of a conference, best first (wins, then point differential, then abbreviation)."""
    teams = [s for s in table.values() if TEAMS_BY_ABBR[s.abbr].conference == conference]
    teams.sort(key=lambda s: (-s.wins, -s.point_diff, s.abbr))
    return [s.abbr for s in teams]


@dataclass
class _Series:
    round: int
    index: int
    high: str  # home-court team
    low: str
    start: date
    known_after: date


def _series_id(yy: int, rnd: int, index: int, game: int) -> str:
    return f"004{yy:02d}00{rnd}{index}{game}"


def _play_series(rng: random.Random, s: _Series, yy: int, play: PlayFn) -> tuple[str, date, list[GameRecord]]:
    wins = {s.high: 0, s.low: 0}
    d = s.start
    out: list[GameRecord] = []
    for g in range(1, 8):
        home, away = (s.high, s.low) if HOME_PATTERN[g - 1] else (s.low, s.high)
        rec = play(_series_id(yy, s.round, s.index, g), d, PLAYOFFS, home, away)
        rec.series = f"R{s.round}S{s.index}"
        rec.game_number = g
        rec.known_after = s.known_after
        out.append(rec)
        wins[rec.winner] += 1
        if wins[rec.winner] == 4:
            return rec.winner, d, out
        gap = rng.choice(GAME_GAPS) if s.round < 4 else rng.choice((2, 3, 3))
        d += timedelta(days=gap)
    raise AssertionError("a best-of-7 always ends by game 7")  # pragma: no cover


def play_postseason(
    rng: random.Random,
    start_year: int,
    dates: SeasonDates,
    regular: list[GameRecord],
    play: PlayFn,
) -> list[GameRecord]:
    """Play-in then playoffs; returns the postseason games (play order, not date order)."""
    yy = start_year % 100
    table = standings(regular)
    rs_end = max(g.game_date for g in regular)
    seeds = {conf: conference_seeds(table, conf) for conf in CONFERENCES}
    day1, day2, day3 = dates.play_in_days
    out: list[GameRecord] = []

    # play-in: East on day one, West on day two, both deciders on day three
    final_seeds: dict[str, dict[int, tuple[str, date]]] = {}  # conf -> seed -> (team, known after)
    for ci, conf in enumerate(CONFERENCES):
        s = seeds[conf]
        d = (day1, day2)[ci]
        g78 = play(f"005{yy:02d}001{2 * ci}1", d, PLAY_IN, s[6], s[7])
        g910 = play(f"005{yy:02d}001{2 * ci + 1}1", d, PLAY_IN, s[8], s[9])
        decider = play(f"005{yy:02d}002{ci}1", day3, PLAY_IN, g78.loser, g910.winner)
        for rec in (g78, g910):
            rec.known_after = rs_end
        decider.known_after = d
        out += [g78, g910, decider]
        final_seeds[conf] = {i + 1: (s[i], rs_end) for i in range(6)}
        final_seeds[conf][7] = (g78.winner, d)
        final_seeds[conf][8] = (decider.winner, day3)

    # round 1: series 0-3 East (1v8, 4v5, 3v6, 2v7), 4-7 West
    pairs = ((1, 8), (4, 5), (3, 6), (2, 7))
    series: list[_Series] = []
    for ci, conf in enumerate(CONFERENCES):
        for k, (hi, lo) in enumerate(pairs):
            high, known_hi = final_seeds[conf][hi]
            low, known_lo = final_seeds[conf][lo]
            start = dates.playoffs_start + timedelta(days=rng.randint(0, 1))
            series.append(_Series(1, 4 * ci + k, high, low, start, max(known_hi, known_lo)))

    seed_rank: dict[str, tuple[int, int]] = {}
    for conf in CONFERENCES:
        for team, _ in final_seeds[conf].values():
            st = table[team]
            seed_rank[team] = (-st.wins, -st.point_diff)
    for conf in CONFERENCES:
        for seed, (team, _) in final_seeds[conf].items():
            seed_rank[team] = (seed, *seed_rank[team])

    for rnd in (1, 2, 3, 4):
        results: list[tuple[str, date]] = []
        for s in series:
            winner, end, games = _play_series(rng, s, yy, play)
            out += games
            results.append((winner, end))
        if rnd == 4:
            break
        nxt: list[_Series] = []
        for k in range(len(results) // 2):
            (a, end_a), (b, end_b) = results[2 * k], results[2 * k + 1]
            if rnd < 3:
                high, low = sorted((a, b), key=lambda t: seed_rank[t])
            else:  # the Finals: better regular-season record has home court
                high, low = sorted((a, b), key=lambda t: seed_rank[t][1:] + (t,))
            done = max(end_a, end_b)
            nominal = dates.playoffs_start + timedelta(days=ROUND_START_OFFSET[rnd + 1] + rng.randint(0, 1))
            start = max(nominal, done + timedelta(days=rng.choice((2, 2, 3))))
            nxt.append(_Series(rnd + 1, k, high, low, start, done))
        series = nxt
    return out
