"""Independent recomputation, in Python from the Phase 2 rows, of what the SQL models derive:
player rolling averages, team possessions / pace / ratings, team rolling ratings.

Deliberately written without SQL windows (plain sorting and slicing per player
or team), so a wrong frame, a season leak or a DNP averaged in shows up as a
difference from the tables. Rates are rounded like the models (half away from
zero, then compared with a tolerance of one unit in the last place).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from orchestration.warehouse import Session, as_session


def round_half_away(value: float | None, digits: int) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    factor = 10**digits
    return math.copysign(math.floor(abs(value) * factor + 0.5) / factor, value)


def ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else numerator / denominator


def season_of_date(con: Session, day: date) -> int | None:
    row = con.execute("select min(season_year) from nba_raw.nbac_schedule where game_date = ?", [day]).fetchone()
    return row[0] if row else None


def played_player_games(con: Session, season_year: int, through: date, player_ids: list[int]) -> pd.DataFrame:
    """Games the players actually played (seconds > 0, not DNP) in the season up to `through`, from nba_raw."""
    if not player_ids:
        return pd.DataFrame(columns=["player_id", "game_date", "game_id", "points", "seconds_played"])
    return as_session(con).frame(
        f"""
        select b.player_id, b.game_date, b.game_id, b.points, b.seconds_played
        from nba_raw.nbac_player_boxscore as b
        join nba_raw.nbac_schedule as s on s.game_id = b.game_id
        where s.season_year = ? and b.game_date <= ? and b.seconds_played > 0 and not b.is_dnp
          and b.player_id in ({", ".join(str(int(p)) for p in player_ids)})
        """,
        [season_year, through],
    )


@dataclass(frozen=True)
class PlayerWindow:
    games_last_5: int
    points_avg_last_5: float | None
    games_in_window: int
    points_avg_last_10: float | None
    minutes_avg_last_10: float | None
    calculation_quality: str


def calculation_quality(games: int, window: int) -> str:
    if games >= window:
        return "complete"
    if games == 0:
        return "no_prior_games"
    return f"partial_{games}_games"


def player_window(history: pd.DataFrame, player_id: int, day: date) -> PlayerWindow:
    """The player's last 5 / 10 games strictly before `day` (history: one season's played games)."""
    games = history[(history.player_id == player_id) & (history.game_date < pd.Timestamp(day))]
    games = games.sort_values(["game_date", "game_id"])
    last_5, last_10 = games.tail(5), games.tail(10)
    return PlayerWindow(
        games_last_5=len(last_5),
        points_avg_last_5=round_half_away(ratio(float(last_5.points.sum()), len(last_5)), 2),
        games_in_window=len(last_10),
        points_avg_last_10=round_half_away(ratio(float(last_10.points.sum()), len(last_10)), 2),
        minutes_avg_last_10=round_half_away(ratio(float(last_10.seconds_played.sum()), 60 * len(last_10)), 2),
        calculation_quality=calculation_quality(len(last_10), 10),
    )


def team_games(con: Session, season_year: int, through: date) -> pd.DataFrame:
    """Per team-game of the season up to `through`: the box beside the opponent's, from nba_raw."""
    frame = as_session(con).frame(
        """
        select t.game_id, t.game_date, t.team_abbr, t.points, t.fgm, t.fga, t.fta, t.oreb, t.dreb, t.tov,
               t.game_minutes,
               o.points as opp_points, o.fgm as opp_fgm, o.fga as opp_fga, o.fta as opp_fta,
               o.oreb as opp_oreb, o.dreb as opp_dreb, o.tov as opp_tov
        from nba_raw.nbac_team_boxscore as t
        join nba_raw.nbac_team_boxscore as o on o.game_id = t.game_id and o.team_abbr <> t.team_abbr
        join nba_raw.nbac_schedule as s on s.game_id = t.game_id
        where s.season_year = ? and t.game_date <= ?
        """,
        [season_year, through],
    )
    rows = []
    for r in frame.itertuples(index=False):
        oreb_share = ratio(r.oreb, r.oreb + r.opp_dreb) or 0.0
        opp_oreb_share = ratio(r.opp_oreb, r.opp_oreb + r.dreb) or 0.0
        possessions = round_half_away(
            0.5
            * (
                (r.fga + 0.4 * r.fta - 1.07 * oreb_share * (r.fga - r.fgm) + r.tov)
                + (r.opp_fga + 0.4 * r.opp_fta - 1.07 * opp_oreb_share * (r.opp_fga - r.opp_fgm) + r.opp_tov)
            ),
            2,
        )
        rows.append(
            {
                "game_id": r.game_id,
                "game_date": r.game_date,
                "team_abbr": r.team_abbr,
                "points": int(r.points),
                "opp_points": int(r.opp_points),
                "possessions": possessions,
                "pace": round_half_away(ratio(possessions * 48, float(r.game_minutes)), 2),
                "offensive_rating": round_half_away(ratio(100 * r.points, possessions), 2),
                "defensive_rating": round_half_away(ratio(100 * r.opp_points, possessions), 2),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "game_id",
            "game_date",
            "team_abbr",
            "points",
            "opp_points",
            "possessions",
            "pace",
            "offensive_rating",
            "defensive_rating",
        ],
    )


@dataclass(frozen=True)
class TeamWindow:
    games_in_window: int
    points_avg_last_10: float | None
    offensive_rating_last_10: float | None
    defensive_rating_last_10: float | None


def team_window(games: pd.DataFrame, team_abbr: str, day: date) -> TeamWindow:
    """The team's last 10 final games strictly before `day`: ratings from summed points and possessions."""
    prior = games[(games.team_abbr == team_abbr) & (games.game_date < pd.Timestamp(day))]
    last_10 = prior.sort_values(["game_date", "game_id"]).tail(10)
    possessions = float(last_10.possessions.sum())
    return TeamWindow(
        games_in_window=len(last_10),
        points_avg_last_10=round_half_away(ratio(float(last_10.points.sum()), len(last_10)), 2),
        offensive_rating_last_10=round_half_away(ratio(100 * float(last_10.points.sum()), possessions), 2),
        defensive_rating_last_10=round_half_away(ratio(100 * float(last_10.opp_points.sum()), possessions), 2),
    )
