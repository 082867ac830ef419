"""One game, simulated into box-score lines that add up.

Minutes are shared out first (5 x 48:00, by depth, with noise). Shooting is simulated in segments: three
quarters, a fourth in which the team ahead eases off (score effects keep margins NBA-like), then 5-minute
overtimes while tied. In each segment a team takes a number of shots and free throws around the league
averages, spread over its players by usage x seconds; makes are binomial draws from the player's
percentages, shifted by offense vs the opponent's defense, home court and the day's form. Rebounds come
from the misses, blocks from the opponent's missed twos, assists from the makes (once per game). So by
construction: made <= attempted, fg3m <= fgm, reb = oreb + dreb, points = 2*(fgm-fg3m) + 3*fg3m + ftm,
team totals = the sum of the players, minutes sum to 5 x game length, plus-minus sums to 5 x margin.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from .rosters import Player

REGULATION_SECONDS = 48 * 60
OT_SECONDS = 5 * 60
STARTER_SLOTS = ("F", "F", "C", "G", "G")  # the order nba.com lists starters in
# Typical minutes by depth for the 5 starters then the bench (scaled to the game length).
STARTER_MINUTES = (35.0, 33.5, 32.5, 31.5, 30.0)
BENCH_MINUTES = (24.0, 21.0, 18.0, 15.0, 11.0, 7.0, 4.0)
HOME_EDGE = 0.036  # shooting-percentage multiplier bonus at home
FORM_SD = 0.02  # a team's shooting form on the day (multiplier sd)
PACE_SD = 0.05  # the game's pace (shared by both teams)
STRENGTH_EDGE = 0.25  # multiplier per unit of (offense - opponent defense)

# league averages per 48 minutes (one team)
FGA_PER_48 = 88.0
THREE_SCALE = 1.1  # scales every player's share of threes among his shots
FTA_PER_48 = 22.0
STL_PER_48 = 7.5
EXTRA_TOV_PER_48 = 6.0
PF_PER_48 = 19.5
OREB_RATE = 0.215
DREB_RATE = 0.93
AST_RATE = 0.61
BLK_RATE = 0.17
SCORE_EFFECT = 0.006  # fourth-quarter efficiency change per point of lead
LATE_TIE_CHANCE = 0.2


@dataclass(slots=True)
class PlayerLine:
    player: Player
    position: str = ""  # starter slot, "" for the bench
    comment: str = ""  # DNP reason; empty for players who played
    seconds: int = 0
    fgm: int = 0
    fga: int = 0
    fg3m: int = 0
    fg3a: int = 0
    ftm: int = 0
    fta: int = 0
    oreb: int = 0
    dreb: int = 0
    ast: int = 0
    stl: int = 0
    blk: int = 0
    tov: int = 0
    pf: int = 0
    pm: int = 0

    @property
    def points(self) -> int:
        return 2 * (self.fgm - self.fg3m) + 3 * self.fg3m + self.ftm

    @property
    def played(self) -> bool:
        return not self.comment


@dataclass(slots=True)
class TeamGame:
    """One team's side of a game: who is listed, who plays, and the simulated lines."""

    abbr: str
    offense: float
    defense: float
    lines: list[PlayerLine] = field(default_factory=list)

    @property
    def players(self) -> list[PlayerLine]:
        return [ln for ln in self.lines if ln.played]

    @property
    def points(self) -> int:
        return sum(ln.points for ln in self.lines)


@dataclass(slots=True)
class GameResult:
    home: TeamGame
    away: TeamGame
    overtimes: int

    @property
    def minutes(self) -> int:
        return 48 + 5 * self.overtimes


def _binomial(rnd, n: int, p: float) -> int:
    k = 0
    for _ in range(n):
        if rnd() < p:
            k += 1
    return k


def _spread(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """Split `total` units over len(weights) slots at random, proportionally to weights."""
    counts = [0] * len(weights)
    if total <= 0 or not weights:
        return counts
    cum, acc = [], 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    for i in rng.choices(range(len(weights)), cum_weights=cum, k=total):
        counts[i] += 1
    return counts


def _allocate(total: int, shares: list[float]) -> list[int]:
    """Integers proportional to `shares` that sum exactly to `total` (largest remainder)."""
    s = sum(shares)
    return _round_to_total([total * x / s for x in shares], total)


def _round_to_total(raw: list[float], total: int) -> list[int]:
    """`raw` rounded to integers summing exactly to `total`: floors, then +1 to the largest remainders."""
    out = [math.floor(r) for r in raw]
    rest = total - sum(out)
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[:rest]:
        out[i] += 1
    return out


def _count(rng: random.Random, mean: float, sd: float) -> int:
    return max(0, round(rng.gauss(mean, sd)))


def pick_lineup(
    rng: random.Random,
    healthy: list[Player],
    injured: list[Player],
    n_play: int,
    n_listed: int,
) -> list[PlayerLine]:
    """Starters (2 G, 2 F, 1 C by depth), the bench that plays, then the DNP rows.

    `healthy` is in depth order (best first). Injured players are listed only while the list is short.
    """
    pool = list(healthy)
    starters: list[PlayerLine] = []
    for slot in STARTER_SLOTS:
        pick = next((p for p in pool if p.position == slot), None) or pool[0]
        pool.remove(pick)
        starters.append(PlayerLine(pick, position=slot))
    n_bench = max(0, min(n_play, len(healthy)) - 5)
    bench = [PlayerLine(p) for p in pool[:n_bench]]
    rest = pool[n_bench:]
    lines = starters + bench
    for p in injured:
        if rng.random() < 0.3:
            lines.append(PlayerLine(p, comment=rng.choice(("DNP - Injury/Illness", "DND - Injury/Illness"))))
    for p in rest[: max(0, n_listed - len(lines))]:
        lines.append(PlayerLine(p, comment="DNP - Coach's Decision"))
    return lines


def _assign_minutes(rng: random.Random, lines: list[PlayerLine], total_seconds: int) -> None:
    playing = [ln for ln in lines if ln.played]
    base = []
    for i in range(len(playing)):
        m = STARTER_MINUTES[i] if i < 5 else BENCH_MINUTES[min(i - 5, len(BENCH_MINUTES) - 1)]
        base.append(m * rng.lognormvariate(0.0, 0.16))
    cap = 45 * 60
    seconds = _allocate(total_seconds, base)
    # cap heavy minutes and hand the excess to the bench (rare)
    for _ in range(3):
        excess = sum(max(0, s - cap) for s in seconds)
        if not excess:
            break
        seconds = [min(s, cap) for s in seconds]
        room = [max(0, cap - s) for s in seconds]
        add = _allocate(excess, room)
        seconds = [s + a for s, a in zip(seconds, add)]
    for ln, s in zip(playing, seconds):
        ln.seconds = s


def _shoot(
    rng: random.Random,
    secs: list[tuple[PlayerLine, int]],
    length: float,
    eff: float,
    pace: float,
) -> None:
    """One segment of the team's shooting (length in 48-minute units): attempts, makes, and the misses."""
    rnd = rng.random
    fga_total = _count(rng, FGA_PER_48 * length * pace, 2.5 * length**0.5)
    fta_total = _count(rng, FTA_PER_48 * length, 5.0 * length**0.5)
    fga = _spread(rng, fga_total, [ln.player.shot_w * s for ln, s in secs])
    fta = _spread(rng, fta_total, [ln.player.fta_w * s for ln, s in secs])
    for (ln, _s), n, nft in zip(secs, fga, fta):
        p = ln.player
        a3 = _binomial(rnd, n, p.three_rate * THREE_SCALE)
        m3 = _binomial(rnd, a3, p.fg3_pct * eff)
        m2 = _binomial(rnd, n - a3, min(0.9, p.fg2_pct * eff))
        ftm = _binomial(rnd, nft, p.ft_pct)
        ln.fga += n
        ln.fg3a += a3
        ln.fg3m += m3
        ln.fgm += m2 + m3
        ln.fta += nft
        ln.ftm += ftm


def _add(rng: random.Random, lines: list[PlayerLine], total: int, weights: list[float], attr: str) -> None:
    for ln, n in zip(lines, _spread(rng, total, weights)):
        setattr(ln, attr, getattr(ln, attr) + n)


def _other_stats(rng: random.Random, team: TeamGame, opp: TeamGame, length: float) -> None:
    """Rebounds (from the misses), blocks, assists, steals, turnovers and fouls for the whole game."""
    rnd = rng.random
    mine, theirs = team.players, opp.players
    fga = sum(ln.fga for ln in mine)
    fgm = sum(ln.fgm for ln in mine)
    two_misses = sum(ln.fga - ln.fg3a - (ln.fgm - ln.fg3m) for ln in mine)
    ft_misses = sum(ln.fta - ln.ftm for ln in mine)
    misses = fga - fgm + round(0.45 * ft_misses)
    oreb = _binomial(rnd, misses, OREB_RATE)
    _add(rng, mine, oreb, [ln.player.oreb_w * ln.seconds for ln in mine], "oreb")
    dreb = _binomial(rnd, misses - oreb, DREB_RATE)
    _add(rng, theirs, dreb, [ln.player.dreb_w * ln.seconds for ln in theirs], "dreb")
    _add(rng, theirs, _binomial(rnd, two_misses, BLK_RATE), [ln.player.blk_w * ln.seconds for ln in theirs], "blk")
    _add(rng, mine, _binomial(rnd, fgm, AST_RATE), [ln.player.ast_w * ln.seconds for ln in mine], "ast")
    steals = _count(rng, STL_PER_48 * length, 2.4 * length**0.5)
    _add(rng, mine, steals, [ln.player.stl_w * ln.seconds for ln in mine], "stl")
    # the other side's turnovers: these steals plus the dead-ball ones
    tov = steals + _count(rng, EXTRA_TOV_PER_48 * length, 2.2 * length**0.5)
    _add(rng, theirs, tov, [ln.player.tov_w * ln.seconds for ln in theirs], "tov")
    fouls = _count(rng, PF_PER_48 * length, 3.5 * length**0.5)
    for ln, n in zip(mine, _spread(rng, fouls, [ln.player.pf_w * ln.seconds for ln in mine])):
        ln.pf = min(6, n)


def _plus_minus(rng: random.Random, team: TeamGame, margin: int) -> None:
    playing = team.players
    total = sum(ln.seconds for ln in playing)
    target = 5 * margin
    noise = [rng.gauss(0.0, 7.0 * (ln.seconds / REGULATION_SECONDS) ** 0.5) for ln in playing]
    drift = sum(noise)
    raw = [target * ln.seconds / total + n - drift * ln.seconds / total for ln, n in zip(playing, noise)]
    for ln, v in zip(playing, _round_to_total(raw, target)):
        ln.pm = v


def simulate_game(
    rng: random.Random,
    home: TeamGame,
    away: TeamGame,
) -> GameResult:
    """Fill home.lines / away.lines (already picked by pick_lineup) with a full box score."""
    _assign_minutes(rng, home.lines, 5 * REGULATION_SECONDS)
    _assign_minutes(rng, away.lines, 5 * REGULATION_SECONDS)
    pace = 1.0 + rng.gauss(0.0, PACE_SD)
    eff_home = 1.0 + STRENGTH_EDGE * (home.offense - away.defense) + HOME_EDGE + rng.gauss(0.0, FORM_SD)
    eff_away = 1.0 + STRENGTH_EDGE * (away.offense - home.defense) + rng.gauss(0.0, FORM_SD)
    home_secs = [(ln, ln.seconds) for ln in home.players]
    away_secs = [(ln, ln.seconds) for ln in away.players]
    # three quarters, then a fourth where the team ahead eases off (score effects keep margins realistic)
    _shoot(rng, home_secs, 0.75, eff_home, pace)
    _shoot(rng, away_secs, 0.75, eff_away, pace)
    lead = max(-25, min(25, home.points - away.points))
    _shoot(rng, home_secs, 0.25, eff_home * (1.0 - SCORE_EFFECT * lead), pace)
    _shoot(rng, away_secs, 0.25, eff_away * (1.0 + SCORE_EFFECT * lead), pace)
    _late_equaliser(rng, home, away)
    overtimes = 0
    while home.points == away.points:
        overtimes += 1
        ot = OT_SECONDS / REGULATION_SECONDS
        _shoot(rng, _overtime_minutes(rng, home), ot, eff_home, pace)
        _shoot(rng, _overtime_minutes(rng, away), ot, eff_away, pace)
        if overtimes >= 6:  # practically never; settle it at the line
            home.players[0].ftm += 1
            home.players[0].fta += 1
    length = (REGULATION_SECONDS + overtimes * OT_SECONDS) / REGULATION_SECONDS
    _other_stats(rng, home, away, length)
    _other_stats(rng, away, home, length)
    margin = home.points - away.points
    _plus_minus(rng, home, margin)
    _plus_minus(rng, away, -margin)
    return GameResult(home, away, overtimes)


def _late_equaliser(rng: random.Random, home: TeamGame, away: TeamGame) -> None:
    """Close games go to overtime more often than a coin-flip model says (fouling, last shots): sometimes
    the team down 1-3 gets a tying basket / free throw at the end of regulation."""
    margin = home.points - away.points
    if not 1 <= abs(margin) <= 3 or rng.random() >= LATE_TIE_CHANCE:
        return
    trailing = away if margin > 0 else home
    playing = trailing.players
    shooter = rng.choices(playing, weights=[ln.player.shot_w * ln.seconds for ln in playing])[0]
    need = abs(margin)
    if need == 1:
        shooter.fta += 1
        shooter.ftm += 1
    else:
        shooter.fga += 1
        shooter.fgm += 1
        if need == 3:
            shooter.fg3a += 1
            shooter.fg3m += 1


def _overtime_minutes(rng: random.Random, team: TeamGame) -> list[tuple[PlayerLine, int]]:
    """25 player-minutes over the 7 who played most; added to their seconds."""
    playing = sorted(team.players, key=lambda ln: (-ln.seconds, ln.player.id))[:7]
    shares = [ln.seconds * rng.uniform(0.8, 1.2) for ln in playing]
    secs = _allocate(5 * OT_SECONDS, shares)
    secs = [min(s, OT_SECONDS) for s in secs]
    short = 5 * OT_SECONDS - sum(secs)
    i = 0
    while short > 0:  # top up whoever has room
        room = OT_SECONDS - secs[i % len(secs)]
        add = min(room, short)
        secs[i % len(secs)] += add
        short -= add
        i += 1
    for ln, s in zip(playing, secs):
        ln.seconds += s
    return list(zip(playing, secs))
