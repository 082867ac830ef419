"""player_box/: nba.com boxscoretraditionalv3, one row per player per game -> nbac_player_boxscore."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from orchestration.loading import rules
from orchestration.loading.formats.base import Columns, LandingFormat
from orchestration.loading.rules import RowChecks

# target column -> source column; all counting stats (non-negative).
STATS: tuple[tuple[str, str], ...] = (
    ("fgm", "fieldGoalsMade"),
    ("fga", "fieldGoalsAttempted"),
    ("fg3m", "threePointersMade"),
    ("fg3a", "threePointersAttempted"),
    ("ftm", "freeThrowsMade"),
    ("fta", "freeThrowsAttempted"),
    ("oreb", "reboundsOffensive"),
    ("dreb", "reboundsDefensive"),
    ("reb", "reboundsTotal"),
    ("ast", "assists"),
    ("stl", "steals"),
    ("blk", "blocks"),
    ("tov", "turnovers"),
    ("pf", "foulsPersonal"),
    ("points", "points"),
)

REQUIRED = (
    "season_year",
    "game_date",
    "gameId",
    "teamId",
    "teamTricode",
    "personId",
    "personName",
    "position",
    "comment",
    "minutes",
    *(src for _, src in STATS),
    "plusMinusPoints",
)


def parse(c: Columns, checks: RowChecks) -> pa.Table:
    game_id = rules.game_id(c["gameId"], checks, leading_zeros_stripped=True)
    game_date = rules.game_date(c["game_date"], checks)
    season_year = rules.season_start_year(c["season_year"], checks)
    team_id, _ = rules.identifier(c["teamId"], checks)
    team_abbr = rules.text(c["teamTricode"], checks, required=True)
    player_id, _ = rules.identifier(c["personId"], checks)
    player_name = rules.text(c["personName"], checks, required=True)
    position = rules.text(c["position"], checks, required=False)
    comment = rules.text(c["comment"], checks, required=False)
    seconds, played = rules.seconds_played(c["minutes"], checks)
    stats = {name: rules.integer(c[src], checks, nonnegative=True)[0] for name, src in STATS}
    plus_minus, _ = rules.integer(c["plusMinusPoints"], checks)
    rules.box_score_consistency(stats, checks)
    any_stat = np.logical_or.reduce([v != 0 for v in stats.values()]) | (plus_minus != 0)
    checks.flag(rules.DNP_WITH_STATS, ~played & any_stat)

    return pa.table(
        {
            "game_id": game_id,
            "game_date": game_date,
            "season_year": pa.array(season_year, pa.int32()),
            "team_id": pa.array(team_id, pa.int64()),
            "team_abbr": team_abbr,
            "player_id": pa.array(player_id, pa.int64()),
            "player_name": player_name,
            "position": position,
            "is_starter": pa.array(position.is_valid().to_numpy(zero_copy_only=False), pa.bool_()),
            "comment": comment,
            "is_dnp": pa.array(~played, pa.bool_()),
            "seconds_played": pa.array(seconds, pa.int32()),
            **{name: pa.array(values, pa.int32()) for name, values in stats.items()},
            "plus_minus": pa.array(plus_minus, pa.int32()),
        }
    )


FORMAT = LandingFormat(
    table="nbac_player_boxscore",
    folder="player_box",
    required=REQUIRED,
    optional=(),
    key=("game_id", "player_id"),
    parse=parse,
    # seconds/60 never lands on a 4-place rounding tie, so the double round is exact.
    sql={"minutes": "round(seconds_played / 60.0, 4)::decimal(9, 4)"},
)
