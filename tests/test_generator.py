"""The synthetic season generator: determinism, real formats, a realistic calendar, box scores that add up,
props that never see the result, `played_through`, and faults that are exactly what the summary says.

Everything is checked on generated files read back from disk (two seasons, generated once per module).
"""

from __future__ import annotations

import csv
import gzip
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from orchestration.generator import FaultConfig, GenerationSummary, generate_seasons, parse_seasons
from orchestration.paths import PROJECT_ROOT, real_data_path

SEED = 7
SEASONS = [2022, 2023]
LABELS = ["2022-23", "2023-24"]
STAT_PAIRS = [("fieldGoalsMade", "fieldGoalsAttempted"), ("threePointersMade", "threePointersAttempted"),
              ("freeThrowsMade", "freeThrowsAttempted")]  # fmt: skip
PLAYER_TO_TEAM = {
    "fieldGoalsMade": "FGM", "fieldGoalsAttempted": "FGA", "threePointersMade": "FG3M",
    "threePointersAttempted": "FG3A", "freeThrowsMade": "FTM", "freeThrowsAttempted": "FTA",
    "reboundsOffensive": "OREB", "reboundsDefensive": "DREB", "reboundsTotal": "REB", "assists": "AST",
    "steals": "STL", "blocks": "BLK", "turnovers": "TOV", "foulsPersonal": "PF", "points": "PTS",
}  # fmt: skip


def read_rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_header(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


def seconds(text: str) -> int:
    m, s = text.split(":")
    return int(m) * 60 + int(s)


class Landing:
    """A generated landing folder, read back."""

    def __init__(self, root: Path, summary: GenerationSummary) -> None:
        self.root = root
        self.summary = summary
        self.schedule = {lb: read_rows(root / f"schedule/nba_schedule_{lb}.csv.gz") for lb in summary.seasons}
        self.player_box = {lb: read_rows(root / f"player_box/nba_player_box_{lb}.csv.gz") for lb in summary.seasons}
        self.team_box = {lb: read_rows(root / f"team_box/nba_team_box_{lb}.csv.gz") for lb in summary.seasons}
        self.props = {lb: read_rows(root / f"props/nba_player_points_props_{lb}.csv.gz") for lb in summary.seasons}
        self.players = read_rows(root / "reference/synthetic_players.csv.gz")
        self.teams = read_rows(root / "reference/nba_teams.csv.gz")

    def games(self, label: str, season_type: str) -> list[dict[str, str]]:
        return [g for g in self.schedule[label] if g["season_type"] == season_type]

    def player_rows_by_team_game(self, label: str) -> dict[tuple[str, str], list[dict[str, str]]]:
        out: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
        for r in self.player_box[label]:
            out[(r["gameId"].zfill(10), r["teamTricode"])].append(r)
        return out


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Landing:
    root = tmp_path_factory.mktemp("landing")
    summary = generate_seasons(season_start_years=SEASONS, out_dir=root, seed=SEED)
    return Landing(root, summary)


def all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- API -----------------------------------------------------------------------------------------------------


def test_parse_seasons() -> None:
    assert parse_seasons("2021-22:2024-25") == [2021, 2022, 2023, 2024]
    assert parse_seasons("2022-23") == [2022]
    assert parse_seasons(" 1999-00 ") == [1999]
    for bad in ["", "2022", "2022-24", "2024-25:2021-22", "2021-22:2022-23:2023-24", "22-23", "2022/23"]:
        with pytest.raises(ValueError):
            parse_seasons(bad)


def test_fault_config_validation() -> None:
    bad_configs = [
        {"missing_dates": -1},
        {"missing_prop_rate": 1.5},
        {"unknown_players": 1.5},
        {"malformed_rows": True},
    ]
    for bad in bad_configs:
        with pytest.raises(ValueError):
            FaultConfig(**bad)
    assert not FaultConfig().any


def test_summary_matches_files(landing: Landing) -> None:
    s = landing.summary
    assert s.seasons == LABELS
    assert s.games == sum(len(v) for v in landing.schedule.values())
    assert s.final_games == s.games and s.scheduled_games == 0
    assert s.game_dates == len({g["game_date"] for v in landing.schedule.values() for g in v})
    assert s.player_rows == sum(len(v) for v in landing.player_box.values())
    assert s.team_rows == sum(len(v) for v in landing.team_box.values())
    assert s.prop_rows == sum(len(v) for v in landing.props.values())
    assert sorted(s.files) == sorted(all_files(landing.root))
    assert s.faults.lines() == ["none"]
    text = str(s)
    assert f"{s.games} " in text and f"{s.player_rows} player box" in text


# -- determinism ---------------------------------------------------------------------------------------------


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_seasons([2021], a, seed=123)
    # the same in another process with another string-hash seed (no dependence on set/dict hash order)
    code = (
        "from pathlib import Path; from orchestration.generator import generate_seasons; "
        f"generate_seasons([2021], Path({str(b)!r}), seed=123)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4321"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=PROJECT_ROOT)
    generate_seasons([2021], c, seed=124)
    files_a, files_b, files_c = all_files(a), all_files(b), all_files(c)
    assert len(files_a) == 7
    assert files_a == files_b
    assert files_a.keys() == files_c.keys()
    assert files_a["reference/nba_teams.csv.gz"] == files_c["reference/nba_teams.csv.gz"]
    differing = [k for k in files_a if files_a[k] != files_c[k]]
    assert len(differing) == 6  # everything but the team registry (the manifest names the seed)
    # gzip header: no embedded file name, mtime 0
    for name, data in files_a.items():
        if name.endswith(".gz"):
            assert data[:2] == b"\x1f\x8b" and data[3] & 0x08 == 0 and data[4:8] == b"\0\0\0\0"


# -- formats -------------------------------------------------------------------------------------------------


def test_layout_and_headers_match_the_real_files(landing: Landing) -> None:
    names = set(all_files(landing.root))
    for lb in LABELS:
        assert {
            f"schedule/nba_schedule_{lb}.csv.gz",
            f"player_box/nba_player_box_{lb}.csv.gz",
            f"team_box/nba_team_box_{lb}.csv.gz",
            f"props/nba_player_points_props_{lb}.csv.gz",
        } <= names
    assert {"reference/synthetic_players.csv.gz", "reference/nba_teams.csv.gz"} <= names
    real = real_data_path()
    if not real.is_dir():
        pytest.skip("real data not available")
    pairs = [
        ("player_box/nba_player_box_2022-23.csv.gz", "player_box/nba_playoffs_player_box_2022-23.csv.gz"),
        ("team_box/nba_team_box_2022-23.csv.gz", "team_box/nba_playoffs_team_box_2022-23.csv.gz"),
        ("reference/synthetic_players.csv.gz", "reference/nba_api_static_players.csv.gz"),
        ("reference/nba_teams.csv.gz", "reference/nba_api_static_teams.csv.gz"),
    ]
    for ours, theirs in pairs:
        assert read_header(landing.root / ours) == read_header(real / theirs), ours
    # the schedule has the real derived columns plus game_status
    assert read_header(landing.root / "schedule/nba_schedule_2022-23.csv.gz") == read_header(
        real / "schedule/nba_playoffs_schedule_2022-23.csv.gz"
    ) + ["game_status"]
    # the team registry is the real one, byte for byte once decompressed
    with gzip.open(real / "reference/nba_api_static_teams.csv.gz", "rb") as f:
        real_teams = f.read()
    with gzip.open(landing.root / "reference/nba_teams.csv.gz", "rb") as f:
        assert f.read() == real_teams
    # the box-score team labels are the ones the real files use
    real_labels = {
        (r["teamId"], r["teamCity"], r["teamName"], r["teamTricode"], r["teamSlug"])
        for r in read_rows(real / "player_box/nba_playoffs_player_box_2022-23.csv.gz")
    }
    ours = {
        (r["teamId"], r["teamCity"], r["teamName"], r["teamTricode"], r["teamSlug"])
        for r in landing.player_box["2022-23"]
    }
    assert real_labels <= ours


def test_value_styles(landing: Landing) -> None:
    pct_player = re.compile(r"^(0|1|0\.\d{1,3})$")
    pct_team = re.compile(r"^(0\.0|1\.0|0\.\d{1,3})$")
    for lb in LABELS:
        for r in landing.player_box[lb]:
            assert r["season_year"] == lb and r["jerseyNum"] == ""
            assert re.fullmatch(r"[1-9]\d{7}", r["gameId"]), r["gameId"]  # leading zeros stripped: 8 digits
            assert re.fullmatch(r"\d{4}-\d\d-\d\d", r["game_date"])
            assert r["minutes"] == "" or re.fullmatch(r"\d{1,2}:[0-5]\d", r["minutes"]), r["minutes"]
            for col in ("fieldGoalsPercentage", "threePointersPercentage", "freeThrowsPercentage"):
                assert pct_player.match(r[col]), r[col]
            assert re.fullmatch(r"-?\d+", r["plusMinusPoints"])
        for r in landing.team_box[lb]:
            assert re.fullmatch(r"00[245]\d{7}", r["GAME_ID"])
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00", r["GAME_DATE"])
            assert re.fullmatch(r"(48|53|58|63|68|73)\.0", r["MIN"]), r["MIN"]
            assert re.fullmatch(r"-?\d+\.0", r["TOV"]) and re.fullmatch(r"-?\d+\.0", r["PLUS_MINUS"])
            for col in ("FG_PCT", "FG3_PCT", "FT_PCT"):
                assert pct_team.match(r[col]), r[col]
            assert r["AVAILABLE_FLAG"] == "1"
            assert all(r[c].isdigit() and int(r[c]) >= 1 for c in r if c.endswith("_RANK"))
        for g in landing.schedule[lb]:
            assert g["game_status"] == "3" and g["home_pts"].isdigit() and g["away_pts"].isdigit()


# -- the calendar --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", LABELS)
def test_regular_season_calendar(landing: Landing, label: str) -> None:
    games = landing.games(label, "Regular Season")
    assert len(games) == 1230
    start = int(label[:4])
    yy = f"{start % 100:02d}"
    assert [g["game_id"] for g in games] == [f"002{yy}{n:05d}" for n in range(1, 1231)]  # schedule order
    assert [g["game_date"] for g in games] == sorted(g["game_date"] for g in games)
    team_dates: dict[str, list[date]] = defaultdict(list)
    home = Counter()
    for g in games:
        d = date.fromisoformat(g["game_date"])
        team_dates[g["home_team"]].append(d)
        team_dates[g["away_team"]].append(d)
        home[g["home_team"]] += 1
    assert len(team_dates) == 30
    assert all(len(v) == 82 for v in team_dates.values())
    assert set(home.values()) == {41}
    for team, ds in team_dates.items():
        assert len(set(ds)) == 82, f"{team} plays twice on one date"
        ds.sort()
        gaps = [(b - a).days for a, b in zip(ds, ds[1:])]
        b2b = gaps.count(1)
        assert 8 <= b2b <= 20, (team, b2b)
        assert not any(x == y == 1 for x, y in zip(gaps, gaps[1:])), f"{team} plays three days in a row"
    dates = sorted({date.fromisoformat(g["game_date"]) for g in games})
    assert 150 <= len(dates) <= 180
    assert dates[0] >= date(start, 10, 15) and dates[0] <= date(start, 10, 31)
    assert dates[-1] >= date(start + 1, 4, 5) and dates[-1] <= date(start + 1, 4, 20)
    # the All-Star break: the one long pause, in February
    long_gaps = [(a, b) for a, b in zip(dates, dates[1:]) if (b - a).days >= 5]
    assert len(long_gaps) == 1 and long_gaps[0][0].month == 2
    # the rest of the season has games nearly every day
    per_date = Counter(g["game_date"] for g in games)
    assert max(per_date.values()) <= 15
    assert per_date[dates[-1].isoformat()] == 15  # everyone plays on the last day


@pytest.mark.parametrize("label", LABELS)
def test_play_in(landing: Landing, label: str) -> None:
    yy = f"{int(label[:4]) % 100:02d}"
    regular = landing.games(label, "Regular Season")
    games = landing.games(label, "PlayIn")
    assert sorted(g["game_id"] for g in games) == [f"005{yy}00{s}" for s in ("101", "111", "121", "131", "201", "211")]
    dates = sorted({g["game_date"] for g in games})
    assert 2 <= len(dates) <= 3 and dates[0] > regular[-1]["game_date"]
    # seeds 7-10 of each conference by regular-season record play in
    wins, diff = Counter(), Counter()
    for g in regular:
        h, a, hp, ap = g["home_team"], g["away_team"], int(g["home_pts"]), int(g["away_pts"])
        wins[h if hp > ap else a] += 1
        diff[h] += hp - ap
        diff[a] += ap - hp
    conference = {t["abbreviation"]: t for t in landing.teams}
    east = {"ATL", "BOS", "BKN", "CHA", "CHI", "CLE", "DET", "IND", "MIA", "MIL", "NYK", "ORL", "PHI", "TOR", "WAS"}
    play_in_teams = {t for g in games for t in (g["home_team"], g["away_team"])}
    assert len(play_in_teams) == 8 and len(conference) == 30
    for conf in (east, set(conference) - east):
        order = sorted(conf, key=lambda t: (-wins[t], -diff[t], t))
        assert play_in_teams & conf == set(order[6:10])


@pytest.mark.parametrize("label", LABELS)
def test_playoffs_are_valid_best_of_seven_series(landing: Landing, label: str) -> None:
    games = landing.games(label, "Playoffs")
    yy = f"{int(label[:4]) % 100:02d}"
    series: dict[tuple[int, int], list[dict[str, str]]] = defaultdict(list)
    for g in games:
        gid = g["game_id"]
        assert re.fullmatch(rf"004{yy}00[1-4][0-7][1-7]", gid), gid
        series[(int(gid[7]), int(gid[8]))].append(g)
    assert Counter(r for r, _ in series) == {1: 8, 2: 4, 3: 2, 4: 1}
    winners: dict[tuple[int, int], str] = {}
    for key, gs in series.items():
        gs.sort(key=lambda g: g["game_id"])
        assert [int(g["game_id"][9]) for g in gs] == list(range(1, len(gs) + 1))
        assert 4 <= len(gs) <= 7
        ds = [date.fromisoformat(g["game_date"]) for g in gs]
        assert all(1 <= (b - a).days <= 4 for a, b in zip(ds, ds[1:]))
        teams = {gs[0]["home_team"], gs[0]["away_team"]}
        assert all({g["home_team"], g["away_team"]} == teams for g in gs)
        w = Counter(g["home_team"] if int(g["home_pts"]) > int(g["away_pts"]) else g["away_team"] for g in gs)
        (winner, four), *rest = w.most_common()
        assert four == 4 and all(n < 4 for _, n in rest)
        assert w[gs[-1]["home_team"] if int(gs[-1]["home_pts"]) > int(gs[-1]["away_pts"]) else gs[-1]["away_team"]] == 4
        # 2-2-1-1-1: the same team hosts games 1, 2, 5, 7
        hosts = [g["home_team"] for g in gs]
        assert hosts[0] == hosts[1] and hosts[2] == hosts[3] != hosts[0]
        winners[key] = winner
    r1 = {t for (r, _), gs in series.items() if r == 1 for t in (gs[0]["home_team"], gs[0]["away_team"])}
    assert len(r1) == 16
    for rnd in (2, 3, 4):
        for k in range(8 >> (rnd - 1)):
            gs = series[(rnd, k)]
            feeders = {winners[(rnd - 1, 2 * k)], winners[(rnd - 1, 2 * k + 1)]}
            assert {gs[0]["home_team"], gs[0]["away_team"]} == feeders
            start = min(g["game_date"] for g in gs)
            assert start > max(g["game_date"] for g in series[(rnd - 1, 2 * k)] + series[(rnd - 1, 2 * k + 1)])
    assert 60 <= len(games) <= 105
    dates = {g["game_date"] for g in games}
    assert 35 <= len(dates) <= 65
    assert min(dates) > max(g["game_date"] for g in landing.games(label, "PlayIn"))
    # nobody plays on consecutive days in the playoffs
    by_team: dict[str, list[date]] = defaultdict(list)
    for g in games:
        for t in (g["home_team"], g["away_team"]):
            by_team[t].append(date.fromisoformat(g["game_date"]))
    for ds in by_team.values():
        ds.sort()
        assert all((b - a).days >= 2 for a, b in zip(ds, ds[1:]))


# -- box scores ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", LABELS)
def test_player_box_shape(landing: Landing, label: str) -> None:
    groups = landing.player_rows_by_team_game(label)
    assert len(groups) == 2 * len(landing.schedule[label])
    counts = [len(v) for v in groups.values()]
    assert min(counts) >= 11 and max(counts) <= 15
    assert 12.5 <= sum(counts) / len(counts) <= 13.6
    comments = Counter()
    for (gid, team), rows in groups.items():
        assert sorted(r["position"] for r in rows if r["position"]) == ["C", "F", "F", "G", "G"], (gid, team)
        assert len({r["personId"] for r in rows}) == len(rows)
        played = [r for r in rows if r["minutes"]]
        assert 8 <= len(played) <= 12
        assert all(r["minutes"] for r in rows if r["position"])  # starters play
        for r in rows:
            if r["comment"]:
                comments[r["comment"]] += 1
                assert r["minutes"] == "" and r["position"] == ""
                assert all(r[c] == "0" for c in list(PLAYER_TO_TEAM) + ["plusMinusPoints"])
            else:
                assert r["minutes"]
    assert set(comments) <= {"DNP - Coach's Decision", "DNP - Injury/Illness", "DND - Injury/Illness"}
    assert comments["DNP - Coach's Decision"] > comments["DNP - Injury/Illness"] > 0


@pytest.mark.parametrize("label", LABELS)
def test_player_lines_are_consistent(landing: Landing, label: str) -> None:
    for r in landing.player_box[label]:
        v = {k: int(r[k]) for k in PLAYER_TO_TEAM}
        for made, att in STAT_PAIRS:
            assert 0 <= v[made] <= v[att]
            pct = r[made.replace("Made", "Percentage")]
            assert float(pct) == (round(v[made] / v[att], 3) if v[att] else 0)
        assert v["threePointersMade"] <= v["fieldGoalsMade"]
        assert v["threePointersAttempted"] <= v["fieldGoalsAttempted"]
        assert v["reboundsTotal"] == v["reboundsOffensive"] + v["reboundsDefensive"]
        twos = v["fieldGoalsMade"] - v["threePointersMade"]
        assert v["points"] == 2 * twos + 3 * v["threePointersMade"] + v["freeThrowsMade"]
        assert v["foulsPersonal"] <= 6


@pytest.mark.parametrize("label", LABELS)
def test_team_box_is_the_sum_of_its_players(landing: Landing, label: str) -> None:
    groups = landing.player_rows_by_team_game(label)
    schedule = {g["game_id"]: g for g in landing.schedule[label]}
    by_game: dict[str, list[dict[str, str]]] = defaultdict(list)
    for t in landing.team_box[label]:
        by_game[t["GAME_ID"]].append(t)
        rows = groups[(t["GAME_ID"], t["TEAM_ABBREVIATION"])]
        for pcol, tcol in PLAYER_TO_TEAM.items():
            assert sum(int(r[pcol]) for r in rows) == int(float(t[tcol])), (t["GAME_ID"], tcol)
        # minutes: 5 players on the floor for the whole game (48 min + 5 per overtime)
        game_minutes = float(t["MIN"])
        assert sum(seconds(r["minutes"]) for r in rows if r["minutes"]) == round(5 * game_minutes * 60)
        assert max(seconds(r["minutes"]) for r in rows if r["minutes"]) <= game_minutes * 60
        assert sum(int(r["plusMinusPoints"]) for r in rows) == 5 * int(float(t["PLUS_MINUS"]))
    assert set(by_game) == set(schedule)
    for gid, (a, b) in ((k, v) for k, v in by_game.items()):
        g = schedule[gid]
        home, away = (a, b) if "vs." in a["MATCHUP"] else (b, a)
        assert home["MATCHUP"] == f"{g['home_team']} vs. {g['away_team']}"
        assert away["MATCHUP"] == f"{g['away_team']} @ {g['home_team']}"
        assert int(home["PTS"]) == int(g["home_pts"]) and int(away["PTS"]) == int(g["away_pts"])
        assert home["PTS"] != away["PTS"]
        assert {home["WL"], away["WL"]} == {"W", "L"}
        assert (home["WL"] == "W") == (int(home["PTS"]) > int(away["PTS"]))
        assert float(home["PLUS_MINUS"]) == int(home["PTS"]) - int(away["PTS"]) == -float(away["PLUS_MINUS"])
        assert home["BLKA"] == away["BLK"] and home["PFD"] == away["PF"]
        assert home["MIN"] == away["MIN"] and home["GAME_DATE"] == g["game_date"] + "T00:00:00"


def test_results_look_like_the_nba(landing: Landing) -> None:
    for lb in LABELS:
        regular = landing.games(lb, "Regular Season")
        points = [int(g[k]) for g in regular for k in ("home_pts", "away_pts")]
        assert 100 <= sum(points) / len(points) <= 125
        assert sum(1 for p in points if 85 <= p <= 140) / len(points) > 0.9
        home_wins = sum(int(g["home_pts"]) > int(g["away_pts"]) for g in regular) / len(regular)
        assert 0.52 <= home_wins <= 0.64
        overtime = sum(t["MIN"] != "48.0" for t in landing.team_box[lb]) / len(landing.team_box[lb])
        assert 0.01 <= overtime <= 0.12
        wins = Counter()
        for g in regular:
            wins[g["home_team"] if int(g["home_pts"]) > int(g["away_pts"]) else g["away_team"]] += 1
        assert min(wins.values()) < 32 and max(wins.values()) > 50  # good and bad teams


def test_rosters_and_registry(landing: Landing) -> None:
    registry = {int(p["id"]): p for p in landing.players}
    assert min(registry) >= 9_000_000
    assert all(p["full_name"] == f"{p['first_name']} {p['last_name']}" for p in registry.values())
    assert len({p["full_name"] for p in registry.values()}) == len(registry)
    assert {p["is_active"] for p in registry.values()} == {"True", "False"}
    season_players: dict[str, set[int]] = {}
    for lb in LABELS:
        team_players: dict[str, set[int]] = defaultdict(set)
        for r in landing.player_box[lb]:
            pid = int(r["personId"])
            assert pid in registry
            assert registry[pid]["full_name"] == r["personName"]
            team_players[r["teamTricode"]].add(pid)
        assert len(team_players) == 30
        assert all(13 <= len(v) <= 17 for v in team_players.values())
        season_players[lb] = set().union(*team_players.values())
    a, b = (season_players[lb] for lb in LABELS)
    assert 0.6 * len(a) <= len(a & b) <= 0.95 * len(a)  # stable ids with turnover
    active = {pid for pid, p in registry.items() if p["is_active"] == "True"}
    assert active == b


# -- props ---------------------------------------------------------------------------------------------------


def test_props(landing: Landing) -> None:
    for lb in LABELS:
        props = landing.props[lb]
        box = {(r["gameId"].zfill(10), r["personId"]): r for r in landing.player_box[lb]}
        per_team_game = Counter((p["game_id"], p["team_abbr"]) for p in props)
        assert len(per_team_game) == 2 * len(landing.schedule[lb])
        assert set(per_team_game.values()) <= {8, 9}
        played = 0
        for p in props:
            assert p["bookmaker"] == "draftkings" and p["market"] == "player_points"
            line = float(p["line"])
            assert line > 0 and line % 1 == 0.5
            over, under = int(p["over_price"]), int(p["under_price"])
            assert -125 <= over <= -100 and -125 <= under <= -100 and over + under == -220
            r = box.get((p["game_id"], p["player_id"]))
            assert r is not None and r["teamTricode"] == p["team_abbr"] and r["personName"] == p["player_name"]
            played += bool(r["minutes"])
        assert played / len(props) > 0.97
        # lines track scoring: the players with the highest lines score the most
        pts = defaultdict(list)
        lines = defaultdict(list)
        for p in props:
            r = box[(p["game_id"], p["player_id"])]
            if r["minutes"]:
                pts[p["player_id"]].append(int(r["points"]))
                lines[p["player_id"]].append(float(p["line"]))
        avg_gap = sum(abs(sum(lines[k]) / len(lines[k]) - sum(pts[k]) / len(pts[k])) for k in pts) / len(pts)
        assert avg_gap < 2.5


def test_props_never_see_the_result(tmp_path: Path, landing: Landing) -> None:
    """Lines for date D are the same whether or not D's games have been played (played_through = D - 1)."""
    label = LABELS[0]
    day = date.fromisoformat(landing.games(label, "Regular Season")[600]["game_date"])
    summary = generate_seasons([SEASONS[0]], tmp_path, seed=SEED, played_through=day - timedelta(days=1))
    assert summary.scheduled_games > 0
    before = [p for p in landing.props[label] if p["game_date"] == day.isoformat()]
    props = read_rows(tmp_path / f"props/nba_player_points_props_{label}.csv.gz")
    after = [p for p in props if p["game_date"] == day.isoformat()]
    assert before and before == after


# -- played_through ------------------------------------------------------------------------------------------


def test_played_through_mid_season(tmp_path: Path, landing: Landing) -> None:
    label = LABELS[0]
    cut = date(SEASONS[0] + 1, 1, 15)
    summary = generate_seasons([SEASONS[0]], tmp_path, seed=SEED, played_through=cut)
    schedule = read_rows(tmp_path / f"schedule/nba_schedule_{label}.csv.gz")
    assert [g for g in schedule if g["season_type"] != "Regular Season"] == []  # the postseason is not known yet
    assert len(schedule) == 1230 == summary.games
    for g in schedule:
        future = g["game_date"] > cut.isoformat()
        assert (g["home_pts"] == "" and g["away_pts"] == "" and g["game_status"] == "1") == future
    assert summary.scheduled_games == sum(g["game_status"] == "1" for g in schedule) > 0
    # what was played is exactly what the full run has on those dates
    full_sched = [g for g in landing.schedule[label] if g["game_date"] <= cut.isoformat()]
    assert [g for g in schedule if g["game_status"] == "3"] == full_sched
    box = read_rows(tmp_path / f"player_box/nba_player_box_{label}.csv.gz")
    assert box == [r for r in landing.player_box[label] if r["game_date"] <= cut.isoformat()]
    team = read_rows(tmp_path / f"team_box/nba_team_box_{label}.csv.gz")
    assert {t["GAME_ID"] for t in team} == {g["game_id"] for g in full_sched}
    # lines exist before the games: props for every scheduled game
    props = read_rows(tmp_path / f"props/nba_player_points_props_{label}.csv.gz")
    assert {p["game_id"] for p in props} == {g["game_id"] for g in schedule}


def test_played_through_in_the_playoffs_lists_only_certain_games(tmp_path: Path, landing: Landing) -> None:
    label = LABELS[0]
    playoffs = landing.games(label, "Playoffs")
    cut = date.fromisoformat(sorted({g["game_date"] for g in playoffs})[10])
    generate_seasons([SEASONS[0]], tmp_path, seed=SEED, played_through=cut)
    schedule = read_rows(tmp_path / f"schedule/nba_schedule_{label}.csv.gz")
    full = {g["game_id"]: g for g in landing.schedule[label]}
    future = [g for g in schedule if g["game_status"] == "1"]
    assert future and all(g["season_type"] == "Playoffs" for g in future)
    for g in schedule:
        real = full[g["game_id"]]  # never a game that does not happen
        for col in ("game_date", "home_team", "away_team"):
            assert g[col] == real[col]
    # every series in progress shows its next game
    played = Counter(g["game_id"][:9] for g in schedule if g["game_status"] == "3" and g["season_type"] == "Playoffs")
    for prefix in played:
        series_full = [g for g in playoffs if g["game_id"].startswith(prefix)]
        if len(series_full) > played[prefix]:
            assert any(g["game_id"].startswith(prefix) for g in future), prefix


# -- faults --------------------------------------------------------------------------------------------------


def test_faults_are_injected_as_reported(tmp_path: Path, landing: Landing) -> None:
    label = LABELS[0]
    faults = FaultConfig(missing_dates=2, missing_prop_rate=0.1, unknown_players=3, malformed_rows=4)
    summary = generate_seasons([SEASONS[0]], tmp_path, seed=SEED, faults=faults)
    report = summary.faults
    full_rs_dates = sorted({g["game_date"] for g in landing.games(label, "Regular Season")})
    assert [d.isoformat() for d in report.dropped_dates] == full_rs_dates[-2:]

    # missing dates: the schedule keeps the games as final, the box scores lose them
    schedule = read_rows(tmp_path / f"schedule/nba_schedule_{label}.csv.gz")
    assert schedule == landing.schedule[label]
    dropped = {d.isoformat() for d in report.dropped_dates}
    dropped_games = {g["game_id"] for g in schedule if g["game_date"] in dropped}
    assert report.dropped_games == sorted(dropped_games) and len(dropped_games) > 0
    with gzip.open(tmp_path / f"player_box/nba_player_box_{label}.csv.gz", "rt", encoding="utf-8") as f:
        raw_lines = f.read().split("\n")[:-1]
    team = read_rows(tmp_path / f"team_box/nba_team_box_{label}.csv.gz")
    assert not [t for t in team if t["GAME_DATE"][:10] in dropped]
    assert len(team) == len(landing.team_box[label]) - 2 * len(dropped_games) == summary.team_rows
    assert len(raw_lines) - 1 == summary.player_rows == len(landing.player_box[label]) - report.dropped_player_rows
    assert not [ln for ln in raw_lines[1:] if ln.split(",")[1] in dropped]

    # malformed rows: exactly the reported lines are broken, in the reported way
    bad = {m.line: m for m in report.malformed_rows}
    assert len(bad) == 4 and {m.kind for m in bad.values()} == {"column_count", "non_numeric_points", "fgm_gt_fga"}
    for number, text in enumerate(raw_lines, start=1):
        fields = text.split(",")
        m = bad.get(number)
        if m is None:
            assert len(fields) == 33
            if number > 1:
                assert fields[31].isdigit() and int(fields[14]) <= int(fields[15])
            continue
        assert m.file == f"player_box/nba_player_box_{label}.csv.gz"
        assert fields[8] == str(m.person_id) and fields[2] == str(int(m.game_id))
        if m.kind == "column_count":
            assert len(fields) == 32
        elif m.kind == "non_numeric_points":
            assert len(fields) == 33 and not fields[31].lstrip("-").isdigit()
        else:
            assert len(fields) == 33 and int(fields[14]) > int(fields[15])

    # unknown players: in the box scores, not in the registry
    registry = {r["id"] for r in read_rows(tmp_path / "reference/synthetic_players.csv.gz")}
    in_box = {ln.split(",")[8] for ln in raw_lines[1:]}
    unknown = {str(i) for i in report.unknown_player_ids}
    assert len(unknown) == 3 and unknown <= in_box and not unknown & registry
    assert in_box - unknown <= registry

    # missing props: about the requested share, counted exactly
    props = read_rows(tmp_path / f"props/nba_player_points_props_{label}.csv.gz")
    full_props = landing.props[label]
    assert len(props) == len(full_props) - report.dropped_prop_rows == summary.prop_rows
    assert 0.07 <= report.dropped_prop_rows / len(full_props) <= 0.13
    assert {tuple(p.values()) for p in props} <= {tuple(p.values()) for p in full_props}

    text = str(summary)
    assert all(m.file + ":" + str(m.line) in text for m in report.malformed_rows)
    assert all(str(i) in text for i in report.unknown_player_ids)


def test_too_many_faults_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_seasons([2022], tmp_path, seed=1, faults=FaultConfig(missing_dates=500))
