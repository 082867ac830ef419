"""Synthetic players and 15-man rosters, carried across seasons with turnover (retirements, moves, rookies)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from orchestration.dataset_manifest import SYNTHETIC_PLAYER_IDS

from .names import FIRST_NAMES, LAST_NAMES, REAL_NAME_COLLISIONS
from .teams import TEAMS

FIRST_PLAYER_ID = SYNTHETIC_PLAYER_IDS.start  # far above any real nba.com personId in use
ROSTER_SIZE = 15
POSITION_SLOTS = {"G": 6, "F": 6, "C": 3}


def _clip(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


@dataclass(slots=True)
class Player:
    id: int
    first_name: str
    last_name: str
    position: str  # G | F | C
    age: int
    rating: float  # overall skill, about 0..1
    defense: float  # defensive skill, about 0..1
    shooting: float  # three-point touch, about 0..1
    three_rate_base: float
    ft_base: float
    # per-season game-model parameters (see refresh())
    shot_w: float = 0.0
    three_rate: float = 0.0
    fg2_pct: float = 0.0
    fg3_pct: float = 0.0
    ft_pct: float = 0.0
    fta_w: float = 0.0
    oreb_w: float = 0.0
    dreb_w: float = 0.0
    ast_w: float = 0.0
    stl_w: float = 0.0
    blk_w: float = 0.0
    tov_w: float = 0.0
    pf_w: float = 0.0

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def refresh(self) -> None:
        """Derive the per-game model parameters from the player's skills (called each season)."""
        r, pos = self.rating, self.position
        self.shot_w = (0.45 + 0.6 * r + 2.2 * r * r) * (0.8 if pos == "C" else 1.0)
        self.three_rate = self.three_rate_base
        self.fg3_pct = _clip(0.29 + 0.09 * self.shooting + 0.03 * r, 0.25, 0.44)
        self.fg2_pct = _clip({"G": 0.485, "F": 0.51, "C": 0.565}[pos] + 0.08 * (r - 0.45), 0.40, 0.68)
        self.ft_pct = self.ft_base
        self.fta_w = self.shot_w * (0.18 + 0.25 * r + (0.08 if pos == "C" else 0.0))
        self.oreb_w = {"G": 0.45, "F": 1.2, "C": 2.8}[pos] * (0.8 + 0.4 * r)
        self.dreb_w = {"G": 1.1, "F": 1.7, "C": 2.8}[pos] * (0.8 + 0.4 * r)
        self.ast_w = {"G": 2.4, "F": 1.1, "C": 0.9}[pos] * (0.5 + 1.2 * r)
        self.stl_w = {"G": 1.2, "F": 1.0, "C": 0.8}[pos] * (0.6 + 0.8 * self.defense)
        self.blk_w = {"G": 0.25, "F": 0.8, "C": 2.6}[pos] * (0.6 + 0.8 * self.defense)
        self.tov_w = 0.6 * self.shot_w + 0.35 * self.ast_w
        self.pf_w = {"G": 0.9, "F": 1.0, "C": 1.3}[pos]


@dataclass
class League:
    """Every player ever generated and the current season's rosters (team abbreviation -> player ids)."""

    players: dict[int, Player] = field(default_factory=dict)
    rosters: dict[str, list[int]] = field(default_factory=dict)
    next_id: int = FIRST_PLAYER_ID
    used_names: set[str] = field(default_factory=set)

    def roster(self, abbr: str) -> list[Player]:
        """The team's players, best first (depth order)."""
        return [self.players[pid] for pid in self.rosters[abbr]]

    def active_ids(self) -> set[int]:
        return {pid for ids in self.rosters.values() for pid in ids}

    # -- creation -------------------------------------------------------------------------------------------
    def _new_name(self, rng: random.Random) -> tuple[str, str]:
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            full = f"{first} {last}"
            if full not in self.used_names and full not in REAL_NAME_COLLISIONS:
                self.used_names.add(full)
                return first, last

    def new_player(self, rng: random.Random, position: str, age: int, rating: float) -> Player:
        first, last = self._new_name(rng)
        three_mean = {"G": 0.44, "F": 0.38, "C": 0.12}[position]
        ft_mean = {"G": 0.80, "F": 0.76, "C": 0.68}[position]
        p = Player(
            id=self.next_id,
            first_name=first,
            last_name=last,
            position=position,
            age=age,
            rating=_clip(rating, 0.02, 1.0),
            defense=_clip(rng.gauss(0.5, 0.18), 0.0, 1.0),
            shooting=_clip(rng.gauss(0.5, 0.2), 0.0, 1.0),
            three_rate_base=_clip(rng.gauss(three_mean, 0.09), 0.0, 0.75),
            ft_base=_clip(rng.gauss(ft_mean, 0.06), 0.50, 0.93),
        )
        self.next_id += 1
        self.players[p.id] = p
        return p

    def _sort_roster(self, abbr: str) -> None:
        self.rosters[abbr].sort(key=lambda pid: (-self.players[pid].rating, pid))

    def refresh_all(self) -> None:
        for abbr in self.rosters:
            self._sort_roster(abbr)
            for p in self.roster(abbr):
                p.refresh()


def create_league(rng: random.Random) -> League:
    """The first generated season: 30 rosters of 15 (6 G, 6 F, 3 C) with a spread of team quality."""
    league = League()
    for team in TEAMS:
        shift = rng.gauss(0.0, 0.06)
        ids: list[int] = []
        for pos, count in POSITION_SLOTS.items():
            for _ in range(count):
                rating = rng.betavariate(2.2, 3.0) + shift
                ids.append(league.new_player(rng, pos, rng.randint(20, 34), rating).id)
        league.rosters[team.abbreviation] = ids
    league.refresh_all()
    return league


def _develop(p: Player, rng: random.Random) -> None:
    if p.age < 24:
        delta = rng.gauss(0.045, 0.04)
    elif p.age < 29:
        delta = rng.gauss(0.01, 0.03)
    elif p.age < 32:
        delta = rng.gauss(-0.015, 0.03)
    else:
        delta = rng.gauss(-0.045, 0.04)
    p.age += 1
    p.rating = _clip(p.rating + delta, 0.02, 1.0)


def advance_offseason(league: League, rng: random.Random) -> None:
    """Age and develop everyone, retire some, move some to other teams, fill the holes with rookies."""
    free_agents: list[int] = []
    for team in TEAMS:
        keep: list[int] = []
        for pid in league.rosters[team.abbreviation]:
            p = league.players[pid]
            _develop(p, rng)
            age_risk = 0.25 if p.age >= 34 else 0.10 if p.age >= 32 else 0.0
            retire_p = 0.07 + age_risk + (0.15 if p.rating < 0.2 else 0.0)
            if rng.random() < retire_p:
                continue  # retired / out of the league
            if rng.random() < 0.2:
                free_agents.append(pid)  # traded or signed elsewhere
                continue
            keep.append(pid)
        league.rosters[team.abbreviation] = keep

    free_agents.sort(key=lambda pid: (-league.players[pid].rating, pid))
    order = list(TEAMS)
    rng.shuffle(order)
    for team in order:
        ids = league.rosters[team.abbreviation]
        while len(ids) < ROSTER_SIZE:
            counts = dict.fromkeys(POSITION_SLOTS, 0)
            for pid in ids:
                counts[league.players[pid].position] += 1
            need = max(POSITION_SLOTS, key=lambda pos: (POSITION_SLOTS[pos] - counts[pos], pos))
            candidates = [pid for pid in free_agents if league.players[pid].position == need]
            if candidates and rng.random() < 0.65:
                pick = candidates[min(len(candidates) - 1, int(rng.expovariate(0.5)))]
                free_agents.remove(pick)
                ids.append(pick)
            else:
                ids.append(league.new_player(rng, need, rng.randint(19, 23), rng.betavariate(2.0, 3.6)).id)
    league.refresh_all()
