"""Rows in the real files' formats, and byte-stable gzip CSV output (mtime 0, no file name)."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .box_scores import PlayerLine, TeamGame
from .games import GameRecord
from .teams import TEAMS_BY_ABBR

SCHEDULE_COLUMNS = [
    "game_id", "season", "season_type", "game_date", "home_team_id", "home_team",
    "away_team_id", "away_team", "home_pts", "away_pts", "game_status",
]  # fmt: skip

PLAYER_BOX_COLUMNS = [
    "season_year", "game_date", "gameId", "teamId", "teamCity", "teamName", "teamTricode", "teamSlug",
    "personId", "personName", "position", "comment", "jerseyNum", "minutes",
    "fieldGoalsMade", "fieldGoalsAttempted", "fieldGoalsPercentage",
    "threePointersMade", "threePointersAttempted", "threePointersPercentage",
    "freeThrowsMade", "freeThrowsAttempted", "freeThrowsPercentage",
    "reboundsOffensive", "reboundsDefensive", "reboundsTotal", "assists", "steals", "blocks",
    "turnovers", "foulsPersonal", "points", "plusMinusPoints",
]  # fmt: skip
PLAYER_ID_INDEX = PLAYER_BOX_COLUMNS.index("personId")
PLAYER_MINUTES_INDEX = PLAYER_BOX_COLUMNS.index("minutes")
PLAYER_POINTS_INDEX = PLAYER_BOX_COLUMNS.index("points")
PLAYER_FGM_INDEX = PLAYER_BOX_COLUMNS.index("fieldGoalsMade")
PLAYER_FGA_INDEX = PLAYER_BOX_COLUMNS.index("fieldGoalsAttempted")

TEAM_BOX_STATS = [
    "MIN", "FGM", "FGA", "FG_PCT", "FG3M", "FG3A", "FG3_PCT", "FTM", "FTA", "FT_PCT", "OREB", "DREB", "REB",
    "AST", "TOV", "STL", "BLK", "BLKA", "PF", "PFD", "PTS", "PLUS_MINUS",
]  # fmt: skip
RANKED = [
    "GP", "W", "L", "W_PCT", "MIN", "FGM", "FGA", "FG_PCT", "FG3M", "FG3A", "FG3_PCT", "FTM", "FTA", "FT_PCT",
    "OREB", "DREB", "REB", "AST", "TOV", "STL", "BLK", "BLKA", "PF", "PFD", "PTS", "PLUS_MINUS",
]  # fmt: skip
# rank 1 = the smallest value for these (as in the real files), the largest for the others
RANK_ASCENDING = {"L", "TOV", "BLKA", "PF"}
TEAM_BOX_COLUMNS = (
    ["SEASON_YEAR", "TEAM_ID", "TEAM_ABBREVIATION", "TEAM_NAME", "GAME_ID", "GAME_DATE", "MATCHUP", "WL"]
    + TEAM_BOX_STATS
    + [f"{c}_RANK" for c in RANKED]
    + ["AVAILABLE_FLAG"]
)

PROPS_COLUMNS = [
    "game_id", "game_date", "player_id", "player_name", "team_abbr", "bookmaker", "market", "line",
    "over_price", "under_price",
]  # fmt: skip
PLAYERS_REFERENCE_COLUMNS = ["id", "full_name", "first_name", "last_name", "is_active"]


@dataclass
class SeasonRows:
    """One season's rows, ready to write (faults may still remove or break some)."""

    label: str  # "2021-22"
    schedule: list[list[str]]
    player_rows: list[tuple[GameRecord, list[str]]]  # played rows have minutes
    team_rows: list[tuple[GameRecord, list[str], dict[str, float]]]  # row without ranks, values for ranks
    props: list[list[str]]

    @property
    def player_box_file(self) -> str:
        return f"player_box/nba_player_box_{self.label}.csv.gz"


def minutes_text(seconds: int) -> str:
    """3982 -> '66:22' (nba.com M:SS)."""
    return f"{seconds // 60}:{seconds % 60:02d}"


def player_pct(made: int, attempted: int) -> str:
    """Box-score v3 style: 0 when no attempts, 1 for all made, else 3 decimals ('0.667')."""
    if not attempted:
        return "0"
    value = round(made / attempted, 3)
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def team_pct(made: int, attempted: int) -> str:
    """LeagueGameLog style: always a float ('0.5', '1.0', '0.0')."""
    return repr(round(made / attempted, 3)) if attempted else "0.0"


def schedule_row(g: GameRecord, season: str, final: bool) -> list[str]:
    home, away = TEAMS_BY_ABBR[g.home], TEAMS_BY_ABBR[g.away]
    return [
        g.game_id, season, g.season_type, g.game_date.isoformat(),
        str(home.id), home.abbreviation, str(away.id), away.abbreviation,
        str(g.home_points) if final else "", str(g.away_points) if final else "", "3" if final else "1",
    ]  # fmt: skip


def player_row(g: GameRecord, season: str, team_abbr: str, ln: PlayerLine) -> list[str]:
    t = TEAMS_BY_ABBR[team_abbr]
    p = ln.player
    head = [
        season, g.game_date.isoformat(), str(int(g.game_id)), str(t.id), t.box_city, t.nickname,
        t.abbreviation, t.slug, str(p.id), p.full_name, ln.position, ln.comment, "",
    ]  # fmt: skip
    if not ln.played:
        return head + _DNP_TAIL
    fgm, fga, fg3m, fg3a, ftm, fta = ln.fgm, ln.fga, ln.fg3m, ln.fg3a, ln.ftm, ln.fta
    head.append(minutes_text(ln.seconds))
    head += map(str, (fgm, fga))
    head.append(player_pct(fgm, fga))
    head += map(str, (fg3m, fg3a))
    head.append(player_pct(fg3m, fg3a))
    head += map(str, (ftm, fta))
    head.append(player_pct(ftm, fta))
    head += map(
        str,
        (ln.oreb, ln.dreb, ln.oreb + ln.dreb, ln.ast, ln.stl, ln.blk, ln.tov, ln.pf, 2 * fgm + fg3m + ftm, ln.pm),
    )
    return head


_DNP_TAIL = [""] + ["0"] * 19


def team_values(g: GameRecord, side: TeamGame, opp: TeamGame) -> dict[str, float]:
    """The team's totals (sum of its player lines) as numbers, for the row and the ranks."""
    fgm = fga = fg3m = fg3a = ftm = fta = oreb = dreb = ast = tov = stl = blk = pf = 0
    for ln in side.lines:
        fgm += ln.fgm
        fga += ln.fga
        fg3m += ln.fg3m
        fg3a += ln.fg3a
        ftm += ln.ftm
        fta += ln.fta
        oreb += ln.oreb
        dreb += ln.dreb
        ast += ln.ast
        tov += ln.tov
        stl += ln.stl
        blk += ln.blk
        pf += ln.pf
    tot = {"fgm": fgm, "fga": fga, "fg3m": fg3m, "fg3a": fg3a, "ftm": ftm, "fta": fta, "oreb": oreb,
           "dreb": dreb, "ast": ast, "tov": tov, "stl": stl, "blk": blk, "pf": pf}  # fmt: skip
    pts, opp_pts = side.points, opp.points
    return {
        "GP": 1, "W": int(pts > opp_pts), "L": int(pts < opp_pts), "W_PCT": int(pts > opp_pts),
        "MIN": float(g.result.minutes),
        "FGM": tot["fgm"], "FGA": tot["fga"], "FG_PCT": tot["fgm"] / tot["fga"] if tot["fga"] else 0.0,
        "FG3M": tot["fg3m"], "FG3A": tot["fg3a"], "FG3_PCT": tot["fg3m"] / tot["fg3a"] if tot["fg3a"] else 0.0,
        "FTM": tot["ftm"], "FTA": tot["fta"], "FT_PCT": tot["ftm"] / tot["fta"] if tot["fta"] else 0.0,
        "OREB": tot["oreb"], "DREB": tot["dreb"], "REB": tot["oreb"] + tot["dreb"], "AST": tot["ast"],
        "TOV": tot["tov"], "STL": tot["stl"], "BLK": tot["blk"],
        "BLKA": sum(ln.blk for ln in opp.lines), "PF": tot["pf"], "PFD": sum(ln.pf for ln in opp.lines),
        "PTS": pts, "PLUS_MINUS": pts - opp_pts,
    }  # fmt: skip


def team_row(g: GameRecord, season: str, team_abbr: str, v: dict[str, float]) -> list[str]:
    t = TEAMS_BY_ABBR[team_abbr]
    is_home = team_abbr == g.home
    opp = TEAMS_BY_ABBR[g.away if is_home else g.home]
    matchup = f"{t.abbreviation} vs. {opp.abbreviation}" if is_home else f"{t.abbreviation} @ {opp.abbreviation}"
    return [
        season, str(t.id), t.abbreviation, t.full_name, g.game_id, f"{g.game_date.isoformat()}T00:00:00",
        matchup, "W" if v["W"] else "L", repr(v["MIN"]),
        str(v["FGM"]), str(v["FGA"]), team_pct(int(v["FGM"]), int(v["FGA"])),
        str(v["FG3M"]), str(v["FG3A"]), team_pct(int(v["FG3M"]), int(v["FG3A"])),
        str(v["FTM"]), str(v["FTA"]), team_pct(int(v["FTM"]), int(v["FTA"])),
        str(v["OREB"]), str(v["DREB"]), str(v["REB"]), str(v["AST"]), repr(float(v["TOV"])),
        str(v["STL"]), str(v["BLK"]), str(v["BLKA"]), str(v["PF"]), str(v["PFD"]), str(v["PTS"]),
        repr(float(v["PLUS_MINUS"])),
    ]  # fmt: skip


def rank_columns(values: list[dict[str, float]]) -> list[list[str]]:
    """Per row, the 26 *_RANK values: rank within the file (1 = best; ties share the lowest rank)."""
    out: list[list[str]] = [[] for _ in values]
    for col in RANKED:
        asc = col in RANK_ASCENDING
        keyed = sorted(values[i][col] if asc else -values[i][col] for i in range(len(values)))
        first: dict[float, int] = {}
        for pos, k in enumerate(keyed, start=1):
            first.setdefault(k, pos)
        for i, v in enumerate(values):
            out[i].append(str(first[v[col] if asc else -v[col]]))
    return out


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write_gzip_text(path: Path, text: str) -> None:
    """Same text -> same bytes: gzip header with mtime 0 and no embedded file name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0))


def write_gzip_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    text = csv_text(header, rows)
    write_gzip_text(path, text)
    return text
