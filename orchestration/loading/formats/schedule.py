"""schedule/: one row per game (derived-schedule format of the real data) -> nbac_schedule."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.loading import rules
from orchestration.loading.formats.base import Columns, LandingFormat
from orchestration.loading.rules import RowChecks

REQUIRED = ("game_id", "season", "season_type", "game_date", "home_team", "away_team", "home_pts", "away_pts")
OPTIONAL = ("home_team_id", "away_team_id", "game_status")

FINAL, SCHEDULED = 3, 1
GAME_STATUSES = (1, 2, 3)


def parse(c: Columns, checks: RowChecks) -> pa.Table:
    game_id = rules.game_id(c["game_id"], checks)
    game_date = rules.game_date(c["game_date"], checks)
    season_year = rules.season_start_year(c["season"], checks)
    season_type = rules.season_type(c["season_type"], checks)
    home_abbr = rules.text(c["home_team"], checks, required=True)
    away_abbr = rules.text(c["away_team"], checks, required=True)
    home_id, home_id_ok = rules.identifier(c["home_team_id"], checks, required=False)
    away_id, away_id_ok = rules.identifier(c["away_team_id"], checks, required=False)
    home_pts, has_home = rules.integer(c["home_pts"], checks, required=False, nonnegative=True)
    away_pts, has_away = rules.integer(c["away_pts"], checks, required=False, nonnegative=True)
    status, has_status = rules.integer(c["game_status"], checks, required=False)

    checks.flag(rules.BAD_MATCHUP, rules.as_mask(pc.equal(home_abbr, away_abbr)))
    checks.flag(rules.BAD_GAME_STATUS, has_status & ~np.isin(status, GAME_STATUSES))
    both = has_home & has_away
    checks.flag(rules.INCOMPLETE_SCORE, (has_home ^ has_away) | (has_status & (status == FINAL) & ~both))
    game_status = np.where(has_status, status, np.where(both, FINAL, SCHEDULED))

    return pa.table(
        {
            "game_id": game_id,
            "game_date": game_date,
            "season_year": pa.array(season_year, pa.int32()),
            "season_type": season_type,
            "home_team_id": pa.array(home_id, pa.int64(), mask=~home_id_ok),
            "home_team_abbr": home_abbr,
            "away_team_id": pa.array(away_id, pa.int64(), mask=~away_id_ok),
            "away_team_abbr": away_abbr,
            "game_status": pa.array(game_status, pa.int32()),
            "home_points": pa.array(home_pts, pa.int32(), mask=~has_home),
            "away_points": pa.array(away_pts, pa.int32(), mask=~has_away),
        }
    )


FORMAT = LandingFormat(
    table="nbac_schedule",
    folder="schedule",
    required=REQUIRED,
    optional=OPTIONAL,
    key=("game_id",),
    parse=parse,
    whole_seasons=True,
)
