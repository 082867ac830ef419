"""Standings, the play-in (seeds 7-10 per conference) and four best-of-7 playoff rounds.

Game ids follow nba.com: play-in 005yy00RSG-style (0052100101, 0052100111 on day one, ...), playoffs
004yy00RSG (round, series, game). A season without a play-in in the calendar (before 2019-20) takes seeds
7 and 8 from the standings.

Results do not depend on dates, so the bracket is played first and dated afterwards, the way the NBA
fits its playoffs between the calendar's playoffs start and last game: the first round starts on the
calendar's playoffs start, the Finals end on its last game, playoff games are 2-3 days apart per series,
the higher seed hosts games 1, 2, 5 and 7, and a round starts when the series feeding it are done.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from .games import PLAY_IN, PLAYOFFS, GameRecord
from .seasons import SeasonDates
from .teams import CONFERENCES, TEAMS_BY_ABBR

# play(game_id, date, season_type, home, away) -> simulated game
PlayFn = Callable[[str, date, str, str, str], GameRecord]

HOME_PATTERN = (True, True, False, False, True, False, True)  # is the higher seed at home, games 1-7
# Share of the playoff window (playoffs start .. last game) after which rounds 2, 3 and the Finals are
# planned to start (a round starts later when the series feeding it run long): 16, 32 and 47 days of 2022's 61.
ROUND_START_SHARE = {2: 16 / 61, 3: 32 / 61, 4: 47 / 61}
GAME_GAPS = (2, 2, 2, 2, 3, 3, 3)  # days between a series' games, drawn uniformly
FINALS_GAPS = (2, 3, 3)
MIN_GAP, MAX_GAP = 2, 3  # nobody plays on consecutive days; a series never pauses longer
ROUND_REST = (2, 2, 3)  # days from the last feeder game to the next round's game 1


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
    feeders: tuple[_Series, ...] = ()
    games: list[GameRecord] = field(default_factory=list)
    winner: str = ""
    latest_start: date | None = None  # the latest game 1 that still lets every later round fit

    @property
    def end(self) -> date:
        return self.games[-1].game_date


def _series_id(yy: int, rnd: int, index: int, game: int) -> str:
    return f"004{yy:02d}00{rnd}{index}{game}"


def _play_series(s: _Series, yy: int, play: PlayFn, placeholder: date) -> None:
    """Play games until one team has four wins (dated later)."""
    wins = {s.high: 0, s.low: 0}
    for g in range(1, 8):
        home, away = (s.high, s.low) if HOME_PATTERN[g - 1] else (s.low, s.high)
        rec = play(_series_id(yy, s.round, s.index, g), placeholder, PLAYOFFS, home, away)
        rec.series = f"R{s.round}S{s.index}"
        rec.game_number = g
        s.games.append(rec)
        wins[rec.winner] += 1
        if wins[rec.winner] == 4:
            s.winner = rec.winner
            return
    raise AssertionError("a best-of-7 always ends by game 7")  # pragma: no cover


def _latest_starts(final: _Series, last_game: date) -> None:
    """Backwards from the last game: each series' latest game 1 with every game MIN_GAP days apart."""
    stack = [(final, last_game)]
    while stack:
        s, latest_end = stack.pop()
        s.latest_start = latest_end - timedelta(days=MIN_GAP * (len(s.games) - 1))
        stack += [(f, s.latest_start - timedelta(days=MIN_GAP)) for f in s.feeders]


def _date_series(rng: random.Random, s: _Series, start: date, gaps: tuple[int, ...], end: date | None) -> None:
    """Date the series' games from `start`, gaps drawn from `gaps` but bounded so the series ends by its
    latest end (a feeder) or exactly on `end` (the Finals)."""
    assert s.latest_start is not None
    latest_end = end or s.latest_start + timedelta(days=MIN_GAP * (len(s.games) - 1))
    d = start
    for k, rec in enumerate(s.games):
        rec.game_date = d
        left = len(s.games) - 1 - k  # gaps still to come, this one included
        if not left:
            break
        room = (latest_end - d).days
        low = max(MIN_GAP, room - MAX_GAP * (left - 1)) if end else MIN_GAP
        high = min(MAX_GAP, room - MIN_GAP * (left - 1))
        d += timedelta(days=min(max(rng.choice(gaps), low), high))


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
    out: list[GameRecord] = []

    # play-in: East on day one, West on day two, both deciders on day three
    final_seeds: dict[str, dict[int, tuple[str, date]]] = {}  # conf -> seed -> (team, known after)
    for ci, conf in enumerate(CONFERENCES):
        s = seeds[conf]
        final_seeds[conf] = {i + 1: (s[i], rs_end) for i in range(8)}
        if dates.play_in_days is None:
            continue
        day1, day2, day3 = dates.play_in_days
        d = (day1, day2)[ci]
        g78 = play(f"005{yy:02d}001{2 * ci}1", d, PLAY_IN, s[6], s[7])
        g910 = play(f"005{yy:02d}001{2 * ci + 1}1", d, PLAY_IN, s[8], s[9])
        decider = play(f"005{yy:02d}002{ci}1", day3, PLAY_IN, g78.loser, g910.winner)
        for rec in (g78, g910):
            rec.known_after = rs_end
        decider.known_after = d
        out += [g78, g910, decider]
        final_seeds[conf][7] = (g78.winner, d)
        final_seeds[conf][8] = (decider.winner, day3)

    seed_rank: dict[str, tuple[int, int]] = {}
    for conf in CONFERENCES:
        for team, _ in final_seeds[conf].values():
            st = table[team]
            seed_rank[team] = (-st.wins, -st.point_diff)
    for conf in CONFERENCES:
        for seed, (team, _) in final_seeds[conf].items():
            seed_rank[team] = (seed, *seed_rank[team])

    # The bracket, played round by round (series 0-3 East: 1v8, 4v5, 3v6, 2v7; 4-7 West).
    pairs = ((1, 8), (4, 5), (3, 6), (2, 7))
    bracket = [
        [
            _Series(1, 4 * ci + k, final_seeds[conf][hi][0], final_seeds[conf][lo][0])
            for ci, conf in enumerate(CONFERENCES)
            for k, (hi, lo) in enumerate(pairs)
        ]
    ]
    for rnd in (1, 2, 3, 4):
        for s in bracket[-1]:
            _play_series(s, yy, play, dates.playoffs_start)
            out += s.games
        if rnd == 4:
            break
        nxt = []
        for k in range(len(bracket[-1]) // 2):
            a, b = bracket[-1][2 * k], bracket[-1][2 * k + 1]
            if rnd < 3:
                high, low = sorted((a.winner, b.winner), key=lambda t: seed_rank[t])
            else:  # the Finals: better regular-season record has home court
                high, low = sorted((a.winner, b.winner), key=lambda t: seed_rank[t][1:] + (t,))
            nxt.append(_Series(rnd + 1, k, high, low, (a, b)))
        bracket.append(nxt)

    # Dates: round 1 from the playoffs start, the Finals ending on the last game.
    final = bracket[-1][0]
    _latest_starts(final, dates.last_game)
    window = (dates.last_game - dates.playoffs_start).days
    first_known = {team: known for conf in CONFERENCES for team, known in final_seeds[conf].values()}
    for rnd, series in enumerate(bracket, start=1):
        for s in series:
            assert s.latest_start is not None
            if rnd == 1:
                start = dates.playoffs_start + timedelta(days=rng.randint(0, 1))
                known = max(first_known[s.high], first_known[s.low])
            else:
                done = max(f.end for f in s.feeders)
                nominal = dates.playoffs_start + timedelta(
                    days=round(ROUND_START_SHARE[rnd] * window) + rng.randint(0, 1)
                )
                start = max(nominal, done + timedelta(days=rng.choice(ROUND_REST)))
                known = done
            start = min(start, s.latest_start)
            if rnd == 4:  # the Finals end on the last game: game 1 no earlier than MAX_GAP days a game before
                start = max(start, dates.last_game - timedelta(days=MAX_GAP * (len(s.games) - 1)))
            if start < dates.playoffs_start or (
                rnd > 1 and start < max(f.end for f in s.feeders) + timedelta(days=MIN_GAP)
            ):
                raise ValueError(
                    f"season {start_year}: the playoffs cannot fit between {dates.playoffs_start} and {dates.last_game}"
                )
            _date_series(rng, s, start, FINALS_GAPS if rnd == 4 else GAME_GAPS, dates.last_game if rnd == 4 else None)
            for rec in s.games:
                rec.known_after = known
    return out
