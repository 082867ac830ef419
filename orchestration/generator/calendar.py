"""The regular-season schedule: 1,230 games (82 per team, 41 home) spread over the season's dates.

Matchups follow the NBA's shape: two games (one home, one away) against each team of the other
conference, four against ten conference rivals and three against the other four (two home against two
of them, one home against the other two). Dates are filled greedily: each date gets a weekday-weighted
share of the remaining games, teams with the most games left per remaining date go first, and a team that
played yesterday is held back (with a growing penalty), so back-to-backs happen about as often as in
the real NBA. No team plays twice on a date or three days in a row; the final date has all 30 teams.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from .seasons import SeasonDates
from .teams import CONFERENCES, TEAMS, conference_teams

GAMES_PER_TEAM = 82
TEAM_COUNT = len(TEAMS)
# Relative number of games by weekday (Mon..Sun), roughly the NBA's.
WEEKDAY_WEIGHT = (8.0, 7.0, 10.0, 5.5, 9.5, 8.0, 7.0)
# Back-to-backs per team per season to aim for (the NBA's are about 12-16): below the pace a team that
# played yesterday is pulled forward, above it held back.
B2B_TARGET = (11.5, 14.5)  # per team, drawn uniformly
B2B_PULL = 0.25
B2B_PUSH = 0.5


@dataclass(frozen=True)
class Matchup:
    home: str
    away: str


def regular_season_matchups(rng: random.Random) -> list[Matchup]:
    """The 1,230 (home, away) pairs of one season, in a random order."""
    games: list[Matchup] = []
    east, west = conference_teams("East"), conference_teams("West")
    for a in east:
        for b in west:
            games.append(Matchup(a.abbreviation, b.abbreviation))
            games.append(Matchup(b.abbreviation, a.abbreviation))
    for conf in CONFERENCES:
        teams = [t.abbreviation for t in conference_teams(conf)]
        rng.shuffle(teams)
        n = len(teams)  # 15
        k1, k2 = rng.sample(range(1, n // 2 + 1), 2)
        three_game = {frozenset((teams[i], teams[(i + k) % n])) for i in range(n) for k in (k1, k2)}
        for i in range(n):
            for k in (k1, k2):  # teams[i] hosts two of the three games against teams[i + k]
                h, a = teams[i], teams[(i + k) % n]
                games += [Matchup(h, a), Matchup(h, a), Matchup(a, h)]
        for i in range(n):
            for j in range(i + 1, n):
                if frozenset((teams[i], teams[j])) not in three_game:
                    games += [Matchup(teams[i], teams[j]), Matchup(teams[j], teams[i])] * 2
    rng.shuffle(games)
    return games


def _final_day_matching(games: list[Matchup], rng: random.Random) -> list[int] | None:
    """Indices of 15 games that together involve all 30 teams once (the season's last day)."""
    order = list(range(len(games)))
    for _ in range(200):
        rng.shuffle(order)
        used: set[str] = set()
        picked: list[int] = []
        for i in order:
            g = games[i]
            if g.home not in used and g.away not in used:
                used.update((g.home, g.away))
                picked.append(i)
        if len(picked) == TEAM_COUNT // 2:
            return picked
    return None


def _day_weights(days: list[date]) -> list[float]:
    """Relative share of the games for each date."""
    weights = []
    for i, d in enumerate(days):
        w = WEEKDAY_WEIGHT[d.weekday()]
        if i == 0:
            w = 2.0  # opening night: a couple of national TV games
        elif d.month == 12 and d.day == 25:
            w = 5.0
        weights.append(w)
    return weights


def _try_assign(
    games: list[Matchup], days: list[date], weights: list[float], rng: random.Random
) -> list[list[Matchup]] | None:
    """Games per date (same order as `days`), or None when this draw cannot be completed."""
    final = _final_day_matching(games, rng)
    if final is None:
        return None
    final_set = set(final)
    pool = [g for i, g in enumerate(games) if i not in final_set]
    remaining = {t.abbreviation: 0 for t in TEAMS}
    for g in pool:
        remaining[g.home] += 1
        remaining[g.away] += 1
    last_day: dict[str, date | None] = dict.fromkeys(remaining)
    prev_day: dict[str, date | None] = dict.fromkeys(remaining)
    b2b = dict.fromkeys(remaining, 0)
    b2b_goal = {t: rng.uniform(*B2B_TARGET) for t in sorted(remaining)}
    last_pair: dict[tuple[str, str], date] = {}
    plan: list[list[Matchup]] = []
    n_days = len(days) - 1  # the final day is reserved
    for i in range(n_days):
        d = days[i]
        yesterday = d - timedelta(days=1)
        days_left = n_days - i
        total_left = len(pool)
        if days_left == 1:
            target = total_left
        else:
            target = round(total_left * weights[i] / sum(weights[i:n_days]))
            target = max(1, min(TEAM_COUNT // 2, target))
        urgency = {t: remaining[t] / days_left for t in remaining}
        penalty: dict[str, float] = {}
        blocked: set[str] = set()
        progress = (i + 1) / n_days
        eve_of_final = d + timedelta(days=1) == days[-1]
        for t in remaining:
            if last_day[t] == yesterday:
                if prev_day[t] == yesterday - timedelta(days=1) or eve_of_final:
                    blocked.add(t)  # never three days in a row (everyone plays on the final day)
                penalty[t] = -B2B_PULL if b2b[t] < b2b_goal[t] * progress else B2B_PUSH
            else:
                penalty[t] = 0.0
        scored = []
        for idx, g in enumerate(pool):
            if g.home in blocked or g.away in blocked:
                continue
            s = urgency[g.home] + urgency[g.away] - penalty[g.home] - penalty[g.away] + rng.random() * 0.35
            if urgency[g.home] >= 1.0 or urgency[g.away] >= 1.0:
                s += 10.0
            met = last_pair.get((g.home, g.away)) or last_pair.get((g.away, g.home))
            if met is not None and (d - met).days < 8:
                s -= 0.6
            scored.append((s, idx))
        scored.sort(reverse=True)
        busy: set[str] = set()
        today: list[int] = []
        for _score, idx in scored:
            if len(today) >= target:
                break
            g = pool[idx]
            if g.home in busy or g.away in busy:
                continue
            busy.update((g.home, g.away))
            today.append(idx)
        day_games = [pool[idx] for idx in today]
        for g in day_games:
            for t in (g.home, g.away):
                if last_day[t] == yesterday:
                    b2b[t] += 1
                prev_day[t], last_day[t] = last_day[t], d
                remaining[t] -= 1
            last_pair[(g.home, g.away)] = d
        taken = set(today)
        pool = [g for idx, g in enumerate(pool) if idx not in taken]
        plan.append(day_games)
    plan.append([games[i] for i in final])
    # Games the greedy pass could not place go to the latest date where both teams are free and neither
    # would play three days in a row.
    team_days: dict[str, set[date]] = {t: set() for t in remaining}
    for d, day_games in zip(days, plan):
        for g in day_games:
            team_days[g.home].add(d)
            team_days[g.away].add(d)

    def fits(t: str, d: date) -> bool:
        have = team_days[t]
        if d in have:
            return False
        one, two = timedelta(days=1), timedelta(days=2)
        return not (
            (d - one in have and d - two in have)
            or (d - one in have and d + one in have)
            or (d + one in have and d + two in have)
        )

    for g in pool:
        for i in range(len(days) - 2, -1, -1):
            d = days[i]
            if fits(g.home, d) and fits(g.away, d):
                plan[i].append(g)
                team_days[g.home].add(d)
                team_days[g.away].add(d)
                break
        else:
            return None
    return plan


def regular_season_schedule(dates: SeasonDates, rng: random.Random) -> list[tuple[date, Matchup]]:
    """(date, matchup) for all 1,230 games, in date order; deterministic for a given rng state."""
    days = dates.regular_season_days()
    weights = _day_weights(days)
    for _attempt in range(50):
        games = regular_season_matchups(rng)
        plan = _try_assign(games, days, weights, rng)
        if plan is not None:
            out: list[tuple[date, Matchup]] = []
            for d, day_games in zip(days, plan):
                for g in sorted(day_games, key=lambda m: (m.home, m.away)):
                    out.append((d, g))
            return out
    raise RuntimeError("could not build a regular-season schedule")  # pragma: no cover
