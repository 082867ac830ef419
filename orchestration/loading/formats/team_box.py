"""team_box/: LeagueGameLog / TeamGameLogs, one row per team per game -> nbac_team_boxscore."""

from __future__ import annotations

import pyarrow as pa

from orchestration.loading import rules
from orchestration.loading.formats.base import Columns, LandingFormat
from orchestration.loading.rules import RowChecks

STATS: tuple[tuple[str, str], ...] = (
    ("fgm", "FGM"),
    ("fga", "FGA"),
    ("fg3m", "FG3M"),
    ("fg3a", "FG3A"),
    ("ftm", "FTM"),
    ("fta", "FTA"),
    ("oreb", "OREB"),
    ("dreb", "DREB"),
    ("reb", "REB"),
    ("ast", "AST"),
    ("stl", "STL"),
    ("blk", "BLK"),
    ("tov", "TOV"),
    ("pf", "PF"),
    ("points", "PTS"),
)

REQUIRED = (
    "SEASON_YEAR",
    "TEAM_ID",
    "TEAM_ABBREVIATION",
    "GAME_ID",
    "GAME_DATE",
    "MATCHUP",
    "MIN",
    *(src for _, src in STATS),
    "PLUS_MINUS",
)
OPTIONAL = ("TEAM_NAME", "WL")


def parse(c: Columns, checks: RowChecks) -> pa.Table:
    game_id = rules.game_id(c["GAME_ID"], checks)
    game_date = rules.game_date(c["GAME_DATE"], checks)
    season_year = rules.season_start_year(c["SEASON_YEAR"], checks)
    team_id, _ = rules.identifier(c["TEAM_ID"], checks)
    team_abbr = rules.text(c["TEAM_ABBREVIATION"], checks, required=True)
    team_name = rules.text(c["TEAM_NAME"], checks, required=False)
    is_home, opponent = rules.matchup(c["MATCHUP"], team_abbr, checks)
    wl = rules.text(c["WL"], checks, required=False)
    game_minutes = rules.decimal_text(c["MIN"], checks)
    stats = {name: rules.integer(c[src], checks, nonnegative=True)[0] for name, src in STATS}
    plus_minus, _ = rules.integer(c["PLUS_MINUS"], checks)
    rules.box_score_consistency(stats, checks)

    return pa.table(
        {
            "game_id": game_id,
            "game_date": game_date,
            "season_year": pa.array(season_year, pa.int32()),
            "team_id": pa.array(team_id, pa.int64()),
            "team_abbr": team_abbr,
            "team_name": team_name,
            "matchup": c["MATCHUP"],
            "is_home": pa.array(is_home, pa.bool_()),
            "opponent_team_abbr": opponent,
            "wl": wl,
            "game_minutes": game_minutes,
            **{name: pa.array(values, pa.int32()) for name, values in stats.items()},
            "plus_minus": pa.array(plus_minus, pa.int32()),
        }
    )


FORMAT = LandingFormat(
    table="nbac_team_boxscore",
    folder="team_box",
    required=REQUIRED,
    optional=OPTIONAL,
    key=("game_id", "team_id"),
    parse=parse,
    date_column="GAME_DATE",
    sql={"game_minutes": "game_minutes::decimal(6, 2)"},
)
