"""props/: player points prop lines (The Odds API, flattened) -> odds_api_player_points_props."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from orchestration.loading import rules
from orchestration.loading.formats.base import Columns, LandingFormat
from orchestration.loading.rules import RowChecks

REQUIRED = ("game_id", "game_date", "player_id", "player_name", "bookmaker", "line")
OPTIONAL = ("team_abbr", "market", "over_price", "under_price")
MARKET = "player_points"


def parse(c: Columns, checks: RowChecks) -> pa.Table:
    game_id = rules.game_id(c["game_id"], checks)
    game_date = rules.game_date(c["game_date"], checks)
    player_id, _ = rules.identifier(c["player_id"], checks)
    player_name = rules.text(c["player_name"], checks, required=True)
    team_abbr = rules.text(c["team_abbr"], checks, required=False)
    bookmaker = rules.text(c["bookmaker"], checks, required=True)
    market = c["market"]
    checks.flag(rules.UNKNOWN_MARKET, rules.as_mask(pc.and_(pc.not_equal(market, ""), pc.not_equal(market, MARKET))))
    line = rules.decimal_text(c["line"], checks)
    over, has_over = rules.integer(c["over_price"], checks, required=False)
    under, has_under = rules.integer(c["under_price"], checks, required=False)

    return pa.table(
        {
            "game_id": game_id,
            "game_date": game_date,
            "player_id": pa.array(player_id, pa.int64()),
            "player_name": player_name,
            "team_abbr": team_abbr,
            "bookmaker": bookmaker,
            "points_line": line,
            "over_price": pa.array(over, pa.int32(), mask=~has_over),
            "under_price": pa.array(under, pa.int32(), mask=~has_under),
        }
    )


FORMAT = LandingFormat(
    table="odds_api_player_points_props",
    folder="props",
    required=REQUIRED,
    optional=OPTIONAL,
    key=("game_id", "player_id", "bookmaker"),
    parse=parse,
    folder_required=False,
    sql={"points_line": "points_line::decimal(5, 1)"},
)
