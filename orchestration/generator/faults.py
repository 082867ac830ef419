"""Deliberate data faults for testing the pipeline's gates (all off by default, deterministic per seed)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from .games import REGULAR_SEASON
from .writer import (
    PLAYER_FGA_INDEX,
    PLAYER_FGM_INDEX,
    PLAYER_ID_INDEX,
    PLAYER_MINUTES_INDEX,
    PLAYER_POINTS_INDEX,
    SeasonRows,
)

MALFORMED_KINDS = ("column_count", "non_numeric_points", "fgm_gt_fga")


@dataclass(frozen=True)
class FaultConfig:
    """What to break.

    missing_dates: the last N played regular-season dates lose their player_box and team_box rows (the
        schedule keeps the games as final, so the box scores are a detectable gap).
    missing_prop_rate: fraction of prop rows (player-games) left out.
    unknown_players: N players who appear in the box scores are left out of reference/synthetic_players.
    malformed_rows: N player_box lines are corrupted (cycling: wrong column count, non-numeric points,
        fgm > fga).
    """

    missing_dates: int = 0
    missing_prop_rate: float = 0.0
    unknown_players: int = 0
    malformed_rows: int = 0

    def __post_init__(self) -> None:
        for name in ("missing_dates", "unknown_players", "malformed_rows"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"FaultConfig.{name} must be a non-negative integer, got {value!r}")
        if not 0.0 <= float(self.missing_prop_rate) <= 1.0:
            raise ValueError(f"FaultConfig.missing_prop_rate must be within [0, 1], got {self.missing_prop_rate!r}")

    @property
    def any(self) -> bool:
        return bool(self.missing_dates or self.missing_prop_rate or self.unknown_players or self.malformed_rows)


@dataclass(frozen=True)
class MalformedRow:
    file: str  # relative to the landing folder, e.g. player_box/nba_player_box_2021-22.csv.gz
    line: int  # 1-based, the header is line 1
    kind: str  # one of MALFORMED_KINDS
    game_id: str  # 10 characters
    person_id: int


@dataclass
class FaultReport:
    """What was actually injected."""

    dropped_dates: list[date] = field(default_factory=list)
    dropped_games: list[str] = field(default_factory=list)  # games whose box-score rows were dropped
    dropped_player_rows: int = 0
    dropped_team_rows: int = 0
    dropped_prop_rows: int = 0
    unknown_player_ids: list[int] = field(default_factory=list)
    malformed_rows: list[MalformedRow] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        if self.dropped_dates:
            out.append(
                f"missing dates ({len(self.dropped_dates)}): {', '.join(d.isoformat() for d in self.dropped_dates)}"
                f" -> {len(self.dropped_games)} games, {self.dropped_player_rows} player rows,"
                f" {self.dropped_team_rows} team rows left out of player_box/team_box"
            )
        if self.dropped_prop_rows:
            out.append(f"missing prop rows: {self.dropped_prop_rows}")
        if self.unknown_player_ids:
            out.append(f"unknown players (in box scores, not in reference): {self.unknown_player_ids}")
        for m in self.malformed_rows:
            out.append(f"malformed row: {m.file}:{m.line} {m.kind} (game {m.game_id}, player {m.person_id})")
        return out or ["none"]


def last_dates(dates: list[date], n: int) -> list[date]:
    """The final n of the (played regular-season) dates, in date order."""
    if n > len(dates):
        raise ValueError(f"missing_dates={n} but only {len(dates)} played regular-season dates were generated")
    return sorted(dates)[len(dates) - n :] if n else []


def keep_prop_row(rng: random.Random, rate: float) -> bool:
    return rate <= 0.0 or rng.random() >= rate


def pick_unknown_players(rng: random.Random, candidates: set[int], n: int) -> list[int]:
    if n > len(candidates):
        raise ValueError(f"unknown_players={n} but only {len(candidates)} players appear in the box scores")
    return sorted(rng.sample(sorted(candidates), n))


def corrupt(row: list[str], kind: str) -> list[str]:
    """A copy of a played player_box row, broken in the given way."""
    out = list(row)
    if kind == "column_count":
        return out[:-1]
    if kind == "non_numeric_points":
        out[PLAYER_POINTS_INDEX] = "N/A"
        return out
    if kind == "fgm_gt_fga":
        out[PLAYER_FGM_INDEX] = str(int(out[PLAYER_FGA_INDEX]) + 2)
        return out
    raise ValueError(f"unknown malformation {kind!r}")


def apply_faults(seasons: list[SeasonRows], config: FaultConfig, rng: random.Random) -> FaultReport:
    """Remove / break rows in place as configured; returns exactly what was done."""
    report = FaultReport()
    _drop_dates(seasons, config.missing_dates, report)
    if config.missing_prop_rate > 0:
        for s in seasons:
            kept = [r for r in s.props if keep_prop_row(rng, config.missing_prop_rate)]
            report.dropped_prop_rows += len(s.props) - len(kept)
            s.props = kept
    in_box = {int(r[PLAYER_ID_INDEX]) for s in seasons for _, r in s.player_rows if r[PLAYER_MINUTES_INDEX]}
    report.unknown_player_ids = pick_unknown_players(rng, in_box, config.unknown_players)
    _malform(seasons, config.malformed_rows, rng, report)
    return report


def _drop_dates(seasons: list[SeasonRows], n: int, report: FaultReport) -> None:
    played = {g.game_date for s in seasons for g, _ in s.player_rows if g.season_type == REGULAR_SEASON}
    dropped = set(last_dates(sorted(played), n))
    report.dropped_dates = sorted(dropped)
    if not dropped:
        return
    games: set[str] = set()
    for s in seasons:
        keep_p = [(g, r) for g, r in s.player_rows if g.game_date not in dropped]
        keep_t = [(g, r, v) for g, r, v in s.team_rows if g.game_date not in dropped]
        report.dropped_player_rows += len(s.player_rows) - len(keep_p)
        report.dropped_team_rows += len(s.team_rows) - len(keep_t)
        games |= {g.game_id for g, _ in s.player_rows if g.game_date in dropped}
        s.player_rows, s.team_rows = keep_p, keep_t
    report.dropped_games = sorted(games)


def _malform(seasons: list[SeasonRows], n: int, rng: random.Random, report: FaultReport) -> None:
    if not n:
        return
    candidates = [
        (si, i) for si, s in enumerate(seasons) for i, (_, r) in enumerate(s.player_rows) if r[PLAYER_MINUTES_INDEX]
    ]
    if n > len(candidates):
        raise ValueError(f"malformed_rows={n} but only {len(candidates)} played player_box rows were generated")
    for k, (si, i) in enumerate(sorted(rng.sample(candidates, n))):
        s = seasons[si]
        g, row = s.player_rows[i]
        kind = MALFORMED_KINDS[k % len(MALFORMED_KINDS)]
        s.player_rows[i] = (g, corrupt(row, kind))
        # line numbers count the header as line 1
        report.malformed_rows.append(MalformedRow(s.player_box_file, i + 2, kind, g.game_id, int(row[PLAYER_ID_INDEX])))
