"""Phase 2 loader (orchestration.loading): real data, idempotence, bad inputs."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.loading import LandingFileError, load_landing
from orchestration.paths import real_data_path
from orchestration.warehouse import RAW_TABLES, connect

# ---------------------------------------------------------------------------------------------
# helpers

STAMP_COLUMNS = {"loaded_at", "detected_at", "quarantined_at", "first_loaded_at"}


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from nba_raw.{t}").fetchall()[0][0] for t in RAW_TABLES}


def contents(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every raw table, sorted, without its load timestamp."""
    out = {}
    for t in RAW_TABLES:
        cols = [r[0] for r in con.execute(f"describe nba_raw.{t}").fetchall() if r[0] not in STAMP_COLUMNS]
        out[t] = con.execute(f"select {', '.join(cols)} from nba_raw.{t} order by all").fetchall()
    return out


def quarantine(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("""
        select target_table, regexp_extract(source_file, '[^/]+/[^/]+$'), line_number, rule, raw_text, game_date
        from nba_raw.load_quarantine order by source_file, line_number""").fetchall()


PLAYER_COLS = [
    "season_year",
    "game_date",
    "gameId",
    "teamId",
    "teamCity",
    "teamName",
    "teamTricode",
    "teamSlug",
    "personId",
    "personName",
    "position",
    "comment",
    "jerseyNum",
    "minutes",
    "fieldGoalsMade",
    "fieldGoalsAttempted",
    "fieldGoalsPercentage",
    "threePointersMade",
    "threePointersAttempted",
    "threePointersPercentage",
    "freeThrowsMade",
    "freeThrowsAttempted",
    "freeThrowsPercentage",
    "reboundsOffensive",
    "reboundsDefensive",
    "reboundsTotal",
    "assists",
    "steals",
    "blocks",
    "turnovers",
    "foulsPersonal",
    "points",
    "plusMinusPoints",
]
RANKS = [
    "GP",
    "W",
    "L",
    "W_PCT",
    "MIN",
    "FGM",
    "FGA",
    "FG_PCT",
    "FG3M",
    "FG3A",
    "FG3_PCT",
    "FTM",
    "FTA",
    "FT_PCT",
    "OREB",
    "DREB",
    "REB",
    "AST",
    "TOV",
    "STL",
    "BLK",
    "BLKA",
    "PF",
    "PFD",
    "PTS",
    "PLUS_MINUS",
]
TEAM_COLS = (
    [
        "SEASON_YEAR",
        "TEAM_ID",
        "TEAM_ABBREVIATION",
        "TEAM_NAME",
        "GAME_ID",
        "GAME_DATE",
        "MATCHUP",
        "WL",
        "MIN",
        "FGM",
        "FGA",
        "FG_PCT",
        "FG3M",
        "FG3A",
        "FG3_PCT",
        "FTM",
        "FTA",
        "FT_PCT",
        "OREB",
        "DREB",
        "REB",
        "AST",
        "TOV",
        "STL",
        "BLK",
        "BLKA",
        "PF",
        "PFD",
        "PTS",
        "PLUS_MINUS",
    ]
    + [f"{r}_RANK" for r in RANKS]
    + ["AVAILABLE_FLAG"]
)
SCHEDULE_COLS = "game_id,season,season_type,game_date,home_team_id,home_team,away_team_id,away_team,home_pts,away_pts"
PROPS_COLS = "game_id,game_date,player_id,player_name,team_abbr,bookmaker,market,line,over_price,under_price"

BOS, NYK = "1610612738", "1610612752"
TATUM, BROWN, BRUNSON, RANDLE = "1628369", "1627759", "1628973", "203944"
UNKNOWN_PLAYER = "1999999"


def player(**kw: str) -> str:
    row = {
        "season_year": "2023-24",
        "game_date": "2023-10-24",
        "gameId": "22300001",
        "teamId": BOS,
        "teamCity": "Boston",
        "teamName": "Celtics",
        "teamTricode": "BOS",
        "teamSlug": "celtics",
        "personId": TATUM,
        "personName": "Jayson Tatum",
        "position": "F",
        "comment": "",
        "jerseyNum": "",
        "minutes": "36:22",
        "fieldGoalsMade": "5",
        "fieldGoalsAttempted": "10",
        "fieldGoalsPercentage": "0.5",
        "threePointersMade": "2",
        "threePointersAttempted": "5",
        "threePointersPercentage": "0.4",
        "freeThrowsMade": "3",
        "freeThrowsAttempted": "4",
        "freeThrowsPercentage": "0.75",
        "reboundsOffensive": "1",
        "reboundsDefensive": "4",
        "reboundsTotal": "5",
        "assists": "3",
        "steals": "1",
        "blocks": "0",
        "turnovers": "2",
        "foulsPersonal": "2",
        "points": "15",
        "plusMinusPoints": "8",
    }
    row.update(kw)
    return ",".join(row[c] for c in PLAYER_COLS)


def dnp(**kw: str) -> str:
    zeros = dict.fromkeys(PLAYER_COLS[14:], "0")
    return player(
        **{
            **zeros,
            "position": "",
            "minutes": "",
            "comment": "DNP - Coach's Decision",
            "personId": BROWN,
            "personName": "Jaylen Brown",
            **kw,
        }
    )


def team(**kw: str) -> str:
    row = {
        "SEASON_YEAR": "2023-24",
        "TEAM_ID": BOS,
        "TEAM_ABBREVIATION": "BOS",
        "TEAM_NAME": "Boston Celtics",
        "GAME_ID": "0022300001",
        "GAME_DATE": "2023-10-24T00:00:00",
        "MATCHUP": "BOS vs. NYK",
        "WL": "W",
        "MIN": "48.0",
        "FGM": "40",
        "FGA": "85",
        "FG_PCT": "0.471",
        "FG3M": "12",
        "FG3A": "35",
        "FG3_PCT": "0.343",
        "FTM": "16",
        "FTA": "20",
        "FT_PCT": "0.8",
        "OREB": "10",
        "DREB": "35",
        "REB": "45",
        "AST": "25",
        "TOV": "12.0",
        "STL": "7",
        "BLK": "5",
        "BLKA": "3",
        "PF": "18",
        "PFD": "20",
        "PTS": "108",
        "PLUS_MINUS": "8.0",
        "AVAILABLE_FLAG": "1",
    }
    row.update({f"{r}_RANK": "1" for r in RANKS})
    row.update(kw)
    return ",".join(row[c] for c in TEAM_COLS)


def nyk_team(**kw: str) -> str:
    return team(
        **{
            "TEAM_ID": NYK,
            "TEAM_ABBREVIATION": "NYK",
            "TEAM_NAME": "New York Knicks",
            "MATCHUP": "NYK @ BOS",
            "WL": "L",
            "PTS": "100",
            "FTM": "8",
            "FTA": "10",
            "PLUS_MINUS": "-8.0",
            **kw,
        }
    )


def schedule(
    game_id: str = "0022300001",
    day: str = "2023-10-24",
    home: str = "BOS",
    away: str = "NYK",
    home_pts: str = "108",
    away_pts: str = "100",
    season_type: str = "Regular Season",
) -> str:
    ids = {"BOS": BOS, "NYK": NYK}
    return f"{game_id},2023-24,{season_type},{day},{ids.get(home, '')},{home},{ids.get(away, '')},{away},{home_pts},{away_pts}"


def write_landing(root: Path, files: dict[str, tuple[str | list[str], list[str]]]) -> Path:
    """files: relative path -> (header, data lines); `.gz` names are gzipped."""
    for rel, (header, lines) in files.items():
        header_line = header if isinstance(header, str) else ",".join(header)
        text = "\n".join([header_line, *lines]) + "\n"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(text.encode(), mtime=0) if rel.endswith(".gz") else text.encode())
    for folder in ("schedule", "player_box", "team_box"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    return root


def two_day_landing(root: Path) -> Path:
    """Two games on two dates, one file per date and table."""
    return write_landing(
        root,
        {
            "schedule/s.csv": (SCHEDULE_COLS, [schedule(), schedule("0022300002", "2023-10-25", "NYK", "BOS", "", "")]),
            "player_box/p_2023-10-24.csv": (
                PLAYER_COLS,
                [
                    player(),
                    dnp(),
                    player(teamId=NYK, teamTricode="NYK", personId=BRUNSON, personName="Jalen Brunson", position="G"),
                ],
            ),
            "player_box/p_2023-10-25.csv.gz": (
                PLAYER_COLS,
                [
                    player(game_date="2023-10-25", gameId="22300002"),
                    player(
                        game_date="2023-10-25",
                        gameId="22300002",
                        teamId=NYK,
                        teamTricode="NYK",
                        personId=RANDLE,
                        personName="Julius Randle",
                        position="F",
                    ),
                ],
            ),
            "team_box/t.csv": (TEAM_COLS, [team(), nyk_team()]),
        },
    )


# ---------------------------------------------------------------------------------------------
# real data


@pytest.fixture(scope="module")
def real_path() -> Path:
    path = real_data_path()
    if not (path / "player_box").is_dir():
        pytest.skip(f"real data not found at {path} (set NBA_REAL_DATA_DIR)")
    return path


@pytest.fixture(scope="module")
def real(real_path: Path, tmp_path_factory):
    """(connection, report) of the real folder loaded into a fresh warehouse."""
    con = connect(tmp_path_factory.mktemp("real") / "w.duckdb")
    messages: list[str] = []
    report = load_landing(real_path, con=con, progress=messages.append)
    report.messages = messages
    yield con, report
    con.close()


# season start year -> (schedule games, team rows, player rows, games with player rows); PROVENANCE.md
REAL_SEASONS = {2021: (87, 174, 2372, 87), 2022: (84, 168, 2321, 84), 2023: (82, 164, 304, 11)}


@pytest.mark.parametrize("season", sorted(REAL_SEASONS))
def test_real_counts_per_season(real, season):
    con, _ = real
    games, team_rows, player_rows, player_games = REAL_SEASONS[season]
    q = lambda sql: con.execute(sql, [season]).fetchall()[0]  # noqa: E731
    assert q("select count(*), count(distinct game_id) from nba_raw.nbac_schedule where season_year = ?") == (
        games,
        games,
    )
    assert q("select count(*) from nba_raw.nbac_team_boxscore where season_year = ?")[0] == team_rows
    assert q("select count(*), count(distinct game_id) from nba_raw.nbac_player_boxscore where season_year = ?") == (
        player_rows,
        player_games,
    )


def test_real_report(real):
    con, report = real
    t = report.tables
    assert (
        t["nbac_schedule"].rows_loaded,
        t["nbac_team_boxscore"].rows_loaded,
        t["nbac_player_boxscore"].rows_loaded,
    ) == (920, 1840, 22457)
    assert t["nbac_team_boxscore"].rows_read == 1862 and t["nbac_team_boxscore"].rows_deduplicated == 22
    assert report.rows_quarantined == 0 and quarantine(con) == []
    assert t["odds_api_player_points_props"].files_read == 0  # no props/ in the real data
    assert report.dates_loaded["nbac_schedule"][0] == date(2011, 4, 16)
    assert report.dates_loaded["nbac_schedule"] == sorted(report.dates_loaded["nbac_schedule"])
    assert len(report.dates_loaded["nbac_player_boxscore"]) == 451
    assert any("player_box/nba_playoffs_player_box_2023-24_partial.csv.gz" in m for m in report.messages)
    assert "nbac_team_boxscore" in report.summary() and "unresolved players: none" in report.summary()


def test_real_team_points_equal_player_points(real):
    con, _ = real
    compared, mismatches = con.execute("""
        select count(*), count(*) filter (where t.points != p.points)
        from nba_raw.nbac_team_boxscore t
        join (select game_id, team_id, sum(points) points from nba_raw.nbac_player_boxscore group by all) p
          using (game_id, team_id)""").fetchall()[0]
    assert (compared, mismatches) == (2 * 849, 0)


def test_real_players_resolve_and_starters(real):
    con, report = real
    assert report.unresolved_occurrences == 0
    assert con.execute("select count(*) from nba_raw.unresolved_players").fetchall()[0][0] == 0
    assert con.execute("select count(*) from nba_raw.player_registry").fetchall()[0][0] == 5198
    starters = con.execute("""
        select distinct n from (select game_id, team_id, count(*) filter (where is_starter) n
                                from nba_raw.nbac_player_boxscore group by all)""").fetchall()
    assert starters == [(5,)]


def test_real_dnp_rows_kept(real, real_path):
    con, _ = real
    expected = 0
    for f in sorted((real_path / "player_box").glob("*.csv.gz")):
        expected += sum(
            1 for r in csv.DictReader(io.StringIO(gzip.decompress(f.read_bytes()).decode())) if r["comment"]
        )
    # PROVENANCE's 5,698 counts the source's 3 playoff seasons that are not in the folder; the folder has 4,444.
    assert expected == 4444
    dnp_rows, odd = con.execute("""
        select count(*), count(*) filter (where seconds_played != 0 or minutes != 0 or comment is null or is_starter)
        from nba_raw.nbac_player_boxscore where is_dnp""").fetchall()[0]
    assert (dnp_rows, odd) == (expected, 0)


def test_real_quirks_parsed(real):
    con, _ = real
    # 8-digit gameId padded, M:SS -> seconds and decimal minutes, `32:60` kept as 33:00
    row = con.execute("""select game_id, seconds_played, minutes, is_starter from nba_raw.nbac_player_boxscore
                         where player_name = 'Kevin Love' and game_date = '2024-04-21'""").fetchall()
    assert [(r[0], r[1], str(r[2]), r[3]) for r in row] == [("0042300101", 786, "13.1000", False)]
    assert (
        con.execute("select count(*) from nba_raw.nbac_player_boxscore where length(game_id) != 10").fetchall()[0][0]
        == 0
    )
    assert (
        con.execute("""select count(*) from nba_raw.nbac_player_boxscore p
                          anti join nba_raw.nbac_schedule s using (game_id)""").fetchall()[0][0]
        == 0
    )
    # The source writes some rounded minutes as `24:60`: read as 24*60 + 60 seconds (real data, 60 rows).
    assert con.execute("""select seconds_played, minutes from nba_raw.nbac_player_boxscore
                          where player_id = 200782 and game_id = '0042200121'""").fetchall() == [(1500, 25)]
    # team box: T00:00:00 dates, MATCHUP -> home/opponent agrees with the schedule, MIN -> game_minutes
    disagree = con.execute("""
        select count(*) from nba_raw.nbac_team_boxscore t join nba_raw.nbac_schedule s using (game_id)
        where t.game_date != s.game_date
           or (t.is_home and (t.team_abbr != s.home_team_abbr or t.opponent_team_abbr != s.away_team_abbr
                              or t.points != s.home_points))
           or (not t.is_home and (t.team_abbr != s.away_team_abbr or t.points != s.away_points))""").fetchall()
    assert disagree == [(0,)]
    assert con.execute("select min(game_minutes), max(game_minutes) from nba_raw.nbac_team_boxscore").fetchall() == [
        (48, 68)
    ]
    assert con.execute("select distinct game_status from nba_raw.nbac_schedule").fetchall() == [(3,)]


# ---------------------------------------------------------------------------------------------
# idempotence and date ranges


def test_reload_is_idempotent(real_path, tmp_path):
    con = connect(tmp_path / "w.duckdb")
    first = load_landing(real_path, con=con)
    before = contents(con)
    second = load_landing(real_path, con=con)
    assert contents(con) == before
    assert second.dates_loaded == first.dates_loaded
    assert counts(con)["nbac_player_boxscore"] == 22457


def test_reload_changed_date_replaces_only_that_date(tmp_path):
    root = two_day_landing(tmp_path / "landing")
    con = connect(tmp_path / "w.duckdb")
    load_landing(root, con=con)
    stamps = dict(
        con.execute("select game_date, max(loaded_at) from nba_raw.nbac_player_boxscore group by 1").fetchall()
    )
    # The 10-25 file changes: Randle's row goes, Tatum scores more.
    write_landing(
        root,
        {
            "player_box/p_2023-10-25.csv.gz": (
                PLAYER_COLS,
                [
                    player(
                        game_date="2023-10-25",
                        gameId="22300002",
                        fieldGoalsMade="9",
                        fieldGoalsAttempted="15",
                        points="23",
                    )
                ],
            )
        },
    )
    report = load_landing(root, con=con, start=date(2023, 10, 25), end=date(2023, 10, 25))
    # The schedule is reference data: its season (both dates here) is reloaded whole.
    assert report.dates_loaded == {
        "nbac_schedule": [date(2023, 10, 24), date(2023, 10, 25)],
        "nbac_player_boxscore": [date(2023, 10, 25)],
        "nbac_team_boxscore": [],
        "odds_api_player_points_props": [],
    }
    rows = con.execute("""select game_date, player_id, points, loaded_at from nba_raw.nbac_player_boxscore
                          order by game_date, player_id""").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (date(2023, 10, 24), 1627759, 0),
        (date(2023, 10, 24), 1628369, 15),
        (date(2023, 10, 24), 1628973, 15),
        (date(2023, 10, 25), 1628369, 23),
    ]
    assert all(r[3] == stamps[date(2023, 10, 24)] for r in rows if r[0] == date(2023, 10, 24))
    assert rows[-1][3] > stamps[date(2023, 10, 25)]


def test_start_end_limit_the_dates_touched(real_path, tmp_path):
    con = connect(tmp_path / "w.duckdb")
    report = load_landing(real_path, con=con, start=date(2024, 4, 20), end=date(2024, 4, 21))
    assert report.dates_loaded["nbac_player_boxscore"] == [date(2024, 4, 20), date(2024, 4, 21)]
    # The schedule of the season the range touches comes whole (the 2023-24 playoffs: 82 games).
    assert con.execute("select min(game_date), max(game_date), count(*) from nba_raw.nbac_schedule").fetchall() == [
        (date(2024, 4, 20), date(2024, 6, 17), 82)
    ]
    assert report.tables["nbac_schedule"].whole_seasons == [2023]
    assert "whole season(s) 2023-24" in report.summary()
    assert (
        report.tables["nbac_player_boxscore"].rows_out_of_range
        == 22457 - report.tables["nbac_player_boxscore"].rows_loaded
    )
    # A full load, then a ranged reload of the same files: nothing is rewritten (same content versions),
    # so every row keeps its load stamp.
    load_landing(real_path, con=con)
    before = con.execute("select game_date, loaded_at from nba_raw.nbac_team_boxscore").fetchall()
    reload = load_landing(real_path, con=con, start=date(2024, 4, 22), tables=["nbac_team_boxscore"])
    after = dict(con.execute("select game_date, max(loaded_at) from nba_raw.nbac_team_boxscore group by 1").fetchall())
    assert reload.tables["nbac_team_boxscore"].rows_loaded > 0
    assert all(after[d] == stamp for d, stamp in before)
    assert counts(con)["nbac_team_boxscore"] == 1840


# ---------------------------------------------------------------------------------------------
# bad inputs


def test_missing_columns_raise_and_change_nothing(real_path, tmp_path):
    con = connect(tmp_path / "w.duckdb")
    load_landing(real_path, con=con)
    before = counts(con)
    root = two_day_landing(tmp_path / "bad")
    cols = [c for c in PLAYER_COLS if c not in ("minutes", "personId")]
    bad = root / "player_box" / "p_2023-10-24.csv"
    bad.write_text(",".join(cols) + "\n" + ",".join("1" for _ in cols) + "\n")
    with pytest.raises(LandingFileError) as err:
        load_landing(root, con=con)
    assert str(bad) in str(err.value) and "personId" in str(err.value) and "minutes" in str(err.value)
    assert err.value.problems[0].missing_columns == ("personId", "minutes")
    assert counts(con) == before


def test_failed_write_rolls_back(real_path, tmp_path, monkeypatch):
    con = connect(tmp_path / "w.duckdb")
    load_landing(real_path, con=con)
    before = contents(con)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("orchestration.loading.loader.replace_quarantine", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        load_landing(two_day_landing(tmp_path / "landing"), con=con)
    assert contents(con) == before


def test_malformed_rows_go_to_quarantine(tmp_path):
    player_lines = [
        player(),  # 2 ok
        dnp(),  # 3 ok (DNP)
        player(personId=BRUNSON, points="15,") + ",x",  # 4 wrong_column_count
        player(personId="201", points="abc"),  # 5 bad_number
        player(personId="202", game_date="2023-02-30"),  # 6 bad_date
        player(personId="203", personName=""),  # 7 missing_value
        player(personId="204", gameId="X2300001"),  # 8 bad_game_id
        player(personId="205", steals="-1"),  # 9 negative_stat
        player(personId="206", fieldGoalsMade="11", points="27"),  # 10 made_gt_attempted
        player(personId="207", reboundsTotal="6"),  # 11 reb_mismatch
        player(personId="208", minutes="36:75"),  # 12 bad_minutes
        player(assists="9"),  # 13 duplicate_key_conflict
        player(),  # 14 identical repeat: dropped
        player(personId="209", points="16"),  # 15 points_mismatch
        dnp(personId="210", points="2", fieldGoalsMade="1", fieldGoalsAttempted="1"),  # 16 dnp_with_stats
        player(personId="211", season_year="2023-25"),  # 17 bad_season
        player(personId=RANDLE, personName='"Randle, Julius"', teamTricode="NYK", teamId=NYK),  # 18 ok, quoted
    ]
    schedule_lines = [
        schedule(),  # 2 ok
        schedule("0022300002", "2023-10-25", "NYK", "BOS", "", ""),  # 3 ok, not yet played
        schedule("0012300003", season_type="Preseason"),  # 4 unknown_season_type
        schedule("0022300004", home_pts="99", away_pts=""),  # 5 incomplete_score
        schedule("0022300005", home="BOS", away="BOS"),  # 6 bad_matchup
    ]
    team_lines = [
        team(),  # 2 ok
        nyk_team(),  # 3 ok
        team(AST_RANK="9"),  # 4 identical box: dropped
        nyk_team(PTS="101", FTM="9"),  # 5 duplicate_key_conflict
        team(GAME_ID="0022300002", MATCHUP="BOS vs NYK"),  # 6 bad_matchup
    ]
    root = write_landing(
        tmp_path / "landing",
        {
            "player_box/p.csv": (PLAYER_COLS, player_lines),
            "schedule/s.csv.gz": (SCHEDULE_COLS, schedule_lines),
            "team_box/t.csv": (TEAM_COLS, team_lines),
        },
    )
    con = connect(tmp_path / "w.duckdb")
    report = load_landing(root, con=con)

    d = date(2023, 10, 24)
    expected = [
        ("nbac_player_boxscore", "player_box/p.csv", 4, "wrong_column_count", player_lines[2], d),
        ("nbac_player_boxscore", "player_box/p.csv", 5, "bad_number", player_lines[3], d),
        ("nbac_player_boxscore", "player_box/p.csv", 6, "bad_date", player_lines[4], None),
        ("nbac_player_boxscore", "player_box/p.csv", 7, "missing_value", player_lines[5], d),
        ("nbac_player_boxscore", "player_box/p.csv", 8, "bad_game_id", player_lines[6], d),
        ("nbac_player_boxscore", "player_box/p.csv", 9, "negative_stat", player_lines[7], d),
        ("nbac_player_boxscore", "player_box/p.csv", 10, "made_gt_attempted", player_lines[8], d),
        ("nbac_player_boxscore", "player_box/p.csv", 11, "reb_mismatch", player_lines[9], d),
        ("nbac_player_boxscore", "player_box/p.csv", 12, "bad_minutes", player_lines[10], d),
        ("nbac_player_boxscore", "player_box/p.csv", 13, "duplicate_key_conflict", player_lines[11], d),
        ("nbac_player_boxscore", "player_box/p.csv", 15, "points_mismatch", player_lines[13], d),
        ("nbac_player_boxscore", "player_box/p.csv", 16, "dnp_with_stats", player_lines[14], d),
        ("nbac_player_boxscore", "player_box/p.csv", 17, "bad_season", player_lines[15], d),
        ("nbac_schedule", "schedule/s.csv.gz", 4, "unknown_season_type", schedule_lines[2], d),
        ("nbac_schedule", "schedule/s.csv.gz", 5, "incomplete_score", schedule_lines[3], d),
        ("nbac_schedule", "schedule/s.csv.gz", 6, "bad_matchup", schedule_lines[4], d),
        ("nbac_team_boxscore", "team_box/t.csv", 5, "duplicate_key_conflict", team_lines[3], d),
        ("nbac_team_boxscore", "team_box/t.csv", 6, "bad_matchup", team_lines[4], d),
    ]
    assert quarantine(con) == expected
    assert report.tables["nbac_player_boxscore"].rows_quarantined == 13
    assert report.tables["nbac_player_boxscore"].rows_deduplicated == 1
    assert report.tables["nbac_team_boxscore"].rows_deduplicated == 1

    players = con.execute("""select player_id, player_name, is_dnp, is_starter, seconds_played, ast
                             from nba_raw.nbac_player_boxscore order by player_id""").fetchall()
    assert players == [
        (203944, "Randle, Julius", False, True, 2182, 3),
        (1627759, "Jaylen Brown", True, False, 0, 0),
        (1628369, "Jayson Tatum", False, True, 2182, 3),
    ]
    assert con.execute("select game_id, game_status, home_points from nba_raw.nbac_schedule order by 1").fetchall() == [
        ("0022300001", 3, 108),
        ("0022300002", 1, None),
    ]
    assert con.execute(
        "select team_abbr, is_home, opponent_team_abbr, points, tov, plus_minus "
        "from nba_raw.nbac_team_boxscore order by 1"
    ).fetchall() == [("BOS", True, "NYK", 108, 12, 8), ("NYK", False, "BOS", 100, 12, -8)]

    # The quarantine is replaced like the data: a reload leaves it as it was.
    before = contents(con)
    load_landing(root, con=con)
    assert contents(con) == before


def test_unknown_player_loaded_and_listed(tmp_path):
    root = two_day_landing(tmp_path / "landing")
    write_landing(
        root,
        {
            "player_box/p_2023-10-25.csv.gz": (
                PLAYER_COLS,
                [
                    player(game_date="2023-10-25", gameId="22300002"),
                    player(
                        game_date="2023-10-25",
                        gameId="22300002",
                        teamId=NYK,
                        teamTricode="NYK",
                        personId=UNKNOWN_PLAYER,
                        personName="Rookie Unknown",
                    ),
                ],
            )
        },
    )
    con = connect(tmp_path / "w.duckdb")
    for _ in range(2):
        report = load_landing(root, con=con)
        assert report.unresolved_occurrences == 1
        assert report.unresolved_players == [(1999999, "Rookie Unknown")]
        assert con.execute(
            "select player_id, game_id, game_date, team_abbr from nba_raw.unresolved_players"
        ).fetchall() == [(1999999, "0022300002", date(2023, 10, 25), "NYK")]
        assert con.execute(
            "select count(*) from nba_raw.nbac_player_boxscore where player_id = 1999999"
        ).fetchall() == [(1,)]
    # A reference file naming the player resolves it on the next load of that date.
    write_landing(
        root,
        {
            "reference/extra_players.csv": (
                "id,full_name,first_name,last_name,is_active",
                [f"{UNKNOWN_PLAYER},Rookie Unknown,Rookie,Unknown,True"],
            )
        },
    )
    report = load_landing(root, con=con)
    assert report.unresolved_occurrences == 0
    assert con.execute("select count(*) from nba_raw.unresolved_players").fetchall() == [(0,)]
    assert con.execute(
        "select player_name, is_active, source from nba_raw.player_registry where player_id = ?", [int(UNKNOWN_PLAYER)]
    ).fetchall() == [("Rookie Unknown", True, "reference/extra_players.csv")]


def test_props_and_table_subset(tmp_path):
    root = two_day_landing(tmp_path / "landing")
    props_lines = [
        f"0022300001,2023-10-24,{TATUM},Jayson Tatum,BOS,draftkings,player_points,26.5,-110,-110",  # 2 ok
        f"0022300001,2023-10-24,{TATUM},Jayson Tatum,BOS,fanduel,player_points,27.5,+100,",  # 3 ok
        f"0022300001,2023-10-24,{TATUM},Jayson Tatum,BOS,fanduel,player_points,26.5,-105,-115",  # 4 conflict
        f"0022300001,2023-10-24,{BRUNSON},Jalen Brunson,NYK,fanduel,player_assists,6.5,-110,-110",  # 5 market
        f"0022300001,2023-10-24,{BRUNSON},Jalen Brunson,NYK,fanduel,player_points,abc,-110,-110",  # 6 bad_number
    ]
    write_landing(root, {"props/props.csv": (PROPS_COLS, props_lines)})
    con = connect(tmp_path / "w.duckdb")
    report = load_landing(root, con=con, tables=["odds_api_player_points_props"])
    assert set(report.tables) == {"odds_api_player_points_props"}
    c = counts(con)
    assert (c["odds_api_player_points_props"], c["nbac_schedule"], c["nbac_player_boxscore"]) == (2, 0, 0)
    assert con.execute(
        "select bookmaker, points_line, over_price, under_price from nba_raw.odds_api_player_points_props order by 1"
    ).fetchall() == [("draftkings", 26.5, -110, -110), ("fanduel", 27.5, 100, None)]
    assert [(r[2], r[3]) for r in quarantine(con)] == [
        (4, "duplicate_key_conflict"),
        (5, "unknown_market"),
        (6, "bad_number"),
    ]
    with pytest.raises(ValueError, match="unknown tables"):
        load_landing(root, con=con, tables=["nbac_nonsense"])


def test_missing_required_folder_is_an_error(tmp_path):
    root = tmp_path / "landing"
    (root / "schedule").mkdir(parents=True)
    with pytest.raises(LandingFileError, match="player_box"):
        load_landing(root, con=connect(tmp_path / "w.duckdb"))
