"""What a user sees is what happened (issue: trustworthy inputs and truthful messages), with the CLI
as a user runs it, on real and generated data:

- a failed gate shows its failing rows (game, team, the numbers compared) and the quarantined
  lines of the same game;
- a phase that can run, runs, when a later one is BLOCKED; the last line says partial, with the
  blocked dates counted in the game dates `status` counts;
- an off-season range or an empty warehouse says there is nothing to do, and where the games are;
- `--phases 2` is the load only;
- a season whose schedule starts mid-season is BLOCKED and incomplete, with the load command;
- heal loads the landing recorded for the warehouse, never another dataset's default folder, and
  the commands it prints name that landing and the warehouse.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from support import query
from test_monitoring_support import built_real, copy_to, sql

from orchestration.completeness import partial_seasons
from orchestration.monitoring.coverage import coverage_grid
from orchestration.warehouse import connect


def _cli(warehouse: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NBA_PIPELINE_DUCKDB": str(warehouse), **env}
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args], env=environment, capture_output=True, text=True, timeout=900
    )


def _last_line(result: subprocess.CompletedProcess) -> str:
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def built(tmp_path_factory, real_raw_warehouse) -> Path:
    return built_real(tmp_path_factory, real_raw_warehouse)


def _rewrite_player_box(landing: Path, day: date, change) -> None:
    """Apply `change(row)` to the first played line of `day` in the copied landing's player box."""
    for path in sorted((landing / "player_box").glob("*.csv*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", newline="") as handle:
            rows = list(csv.DictReader(handle))
        target = next((row for row in rows if row["game_date"] == day.isoformat() and row["minutes"]), None)
        if target is None:
            continue
        change(target)
        with opener(path, "wt", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        return
    raise AssertionError(f"no played line on {day}")


def test_a_failed_gate_shows_its_rows_and_the_quarantined_lines_of_its_game(built, real_dir, tmp_path):
    day = date(2022, 5, 3)
    landing = tmp_path / "landing"
    shutil.copytree(real_dir, landing)
    _rewrite_player_box(landing, day, lambda row: row.update(points="-4"))  # impossible: quarantined
    warehouse = copy_to(built, tmp_path)
    assert _cli(warehouse, "load", str(landing), "--start", day.isoformat(), "--end", day.isoformat()).returncode == 0
    result = _cli(
        warehouse, "backfill", "--start", day.isoformat(), "--end", day.isoformat(), "--no-cascade", "--phases", "3"
    )
    assert result.returncode == 1, result.stdout[-3000:]
    out = result.stdout
    assert re.search(r"assert_team_points_equal_player_points: 1 failing row\(s\)", out), out[-3000:]
    assert re.search(r"game_id=\d{10}, team_abbr=\w+, team_points=\d+, player_points=\d+", out)
    assert "in nba_raw.load_quarantine, lines of the same games or dates" in out
    assert re.search(r"nbac_player_boxscore: .*player_box.* line \d+ \(", out)
    assert "FAILED" in _last_line(result)


def test_a_phase_that_can_run_runs_while_a_later_one_is_blocked(built, tmp_path):
    warehouse = copy_to(built, tmp_path)
    hole = date(2022, 5, 2)
    sql(warehouse, "delete from nba_analytics.player_game_summary where game_date = ?", [hole])
    start, end = date(2022, 5, 7), date(2022, 5, 9)
    before = query(
        warehouse,
        "select max(build_id) from nba_analytics.team_offense_game_summary where game_date between ? and ?",
        [start, end],
    )
    result = _cli(warehouse, "backfill", "--start", start.isoformat(), "--end", end.isoformat(), "--no-cascade")
    assert result.returncode == 3, result.stdout[-3000:]
    last = _last_line(result)
    assert ": partial" in last and "phase 4 BLOCKED on" in last
    # phase 3 was rebuilt for the range (new build), phase 4 was not
    after = query(
        warehouse,
        "select max(build_id) from nba_analytics.team_offense_game_summary where game_date between ? and ?",
        [start, end],
    )
    assert after != before
    # the blocked count is the game dates status counts
    blocked_dates = int(re.search(r"phase 4 BLOCKED on (\d+) game date", last).group(1))
    game_dates = query(
        warehouse,
        "select count(distinct game_date) from nba_raw.nbac_schedule "
        "where game_date between ? and ? and game_status = 3",
        [start, end],
    )[0][0]
    assert blocked_dates == game_dates


def test_an_off_season_range_says_where_the_games_are(built, tmp_path):
    warehouse = copy_to(built, tmp_path)
    result = _cli(warehouse, "backfill", "--start", "2022-07-01", "--end", "2022-07-31")
    assert result.returncode == 0
    assert _last_line(result).endswith(
        "nothing_to_do: no games scheduled between 2022-07-01..2022-07-31 "
        "(the last game before is on 2022-06-16, the next on 2023-04-15)"
    )
    empty = _cli(tmp_path / "empty.duckdb", "backfill", "--start", "2022-07-01", "--end", "2022-07-31")
    assert empty.returncode == 0 and "(nothing loaded)" in _last_line(empty)


def test_phases_2_is_the_load_only(real_dir, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    result = _cli(
        warehouse,
        "backfill",
        "--start",
        "2022-05-01",
        "--end",
        "2022-05-03",
        "--phases",
        "2",
        "--landing",
        str(real_dir),
    )
    assert result.returncode == 0, result.stdout[-2000:]
    tables = {row[0] for row in query(warehouse, "select table_schema from information_schema.tables")}
    assert "nba_raw" in tables and not tables & {"nba_analytics", "nba_precompute", "nba_predictions"}


def test_a_season_loaded_from_mid_season_is_blocked_and_incomplete(in_season_landing, tmp_path):
    """A generated landing whose files start in December: its windows would start there. The season is
    flagged, every built phase's date of it is blocked (status) and strict mode blocks it with the load
    command of the missing start."""
    landing = tmp_path / "december_on"
    shutil.copytree(in_season_landing, landing)
    for folder in ("schedule", "player_box", "team_box", "props"):
        for path in sorted((landing / folder).glob("*.csv*")):
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", newline="") as handle:
                rows = list(csv.DictReader(handle))
            column = next(c for c in ("game_date", "GAME_DATE") if c in rows[0])
            kept = [row for row in rows if row[column][:10] >= "2021-11-10"]
            with opener(path, "wt", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
                writer.writeheader()
                writer.writerows(kept)
    warehouse = tmp_path / "w.duckdb"
    assert _cli(warehouse, "load", str(landing)).returncode == 0
    with connect(warehouse) as con:
        (season,) = partial_seasons(con).values()
    assert (season.calendar_start, season.loaded_start) == (date(2021, 10, 19), date(2021, 11, 10))
    result = _cli(warehouse, "backfill", "--start", "2021-11-12", "--end", "2021-11-14")
    assert result.returncode == 3, result.stdout[-2000:]
    assert (
        "BLOCKED: phase 3" in result.stdout
        and f"nba-pipeline load {landing} --start 2021-10-19 --end 2021-11-09" in result.stdout
    )
    status = _cli(warehouse, "status")
    assert "gaps:" in status.stdout and "schedule->2 1" in status.stdout
    with connect(warehouse) as con:
        states = {cell.state for cell in coverage_grid(con) if cell.phase >= 3}
    assert states == {"blocked"}


def test_heal_loads_the_recorded_landing_and_its_commands_name_the_warehouse(
    built, real_dir, generated_landing, tmp_path
):
    """The real warehouse's heal, with the default landing pointing at generated files: it reloads the real
    landing it was loaded from (never the default), and its messages name that warehouse."""
    warehouse = copy_to(built, tmp_path, "real.duckdb")
    hole = date(2022, 5, 3)
    sql(warehouse, "delete from nba_raw.nbac_player_boxscore where game_date = ?", [hole])
    sql(warehouse, "delete from nba_raw.nbac_team_boxscore where game_date = ?", [hole])
    blocked = _cli(warehouse, "backfill", "--start", "2022-05-04", "--end", "2022-05-04", "--no-cascade")
    assert f"NBA_PIPELINE_DUCKDB={warehouse} nba-pipeline load {real_dir}" in blocked.stdout, blocked.stdout[-2000:]
    healed = _cli(warehouse, "heal", "--today", "2022-05-20", NBA_PIPELINE_LANDING=str(generated_landing))
    assert healed.returncode == 0, healed.stdout[-3000:]
    assert query(warehouse, "select count(*) from nba_raw.nbac_player_boxscore where player_id >= 9000000")[0][0] == 0
    assert query(warehouse, "select count(*) from nba_raw.nbac_player_boxscore where game_date = ?", [hole])[0][0] > 0
    sql(warehouse, "delete from nba_analytics.player_game_summary where game_date = '2016-06-19'")
    old = _cli(warehouse, "heal")  # years old: an alert names the command, with the warehouse
    assert old.returncode == 0
    message = query(
        warehouse,
        "select message from nba_orchestration.alerts a join nba_orchestration.alert_details "
        "d using (alert_id) where d.category = 'gap_too_old'",
    )[0][0]
    assert f"NBA_PIPELINE_DUCKDB={warehouse} nba-pipeline heal --max-age-days" in message


def test_duckdb_out_of_memory_says_which_setting_to_raise(real_dir, tmp_path):
    """DuckDB's buffer limit too small for the range: in a dbt model the run fails with the node's error and
    the setting to raise; in a query of the runner itself, with one line saying the same (no traceback)."""
    warehouse = tmp_path / "nba.duckdb"
    loaded = _cli(warehouse, "load", str(real_dir), "--start", "2022-04-16", "--end", "2022-04-20")
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    backfill = ("backfill", "--start", "2022-04-16", "--end", "2022-04-20", "--phases", "3")
    hint = "raise NBA_PIPELINE_DUCKDB_MEMORY_LIMIT"

    in_dbt = _cli(warehouse, *backfill, NBA_PIPELINE_DUCKDB_MEMORY_LIMIT="12MB")
    assert in_dbt.returncode == 1 and "Out of Memory Error" in in_dbt.stdout + in_dbt.stderr, in_dbt.stderr[-2000:]
    assert f"DuckDB ran out of its memory limit (12MB): {hint}" in in_dbt.stdout + in_dbt.stderr
    assert "Traceback" not in in_dbt.stderr

    in_python = _cli(warehouse, *backfill, NBA_PIPELINE_DUCKDB_MEMORY_LIMIT="2MB")
    assert in_python.returncode == 1 and "Traceback" not in in_python.stderr, in_python.stderr[-2000:]
    (line,) = in_python.stderr.strip().splitlines()
    assert line.startswith("nba-pipeline: Out of Memory Error") and hint in line, line

    enough = _cli(warehouse, *backfill)  # the default limit: the same range builds, nothing to undo first
    assert enough.returncode == 0, enough.stdout[-2000:] + enough.stderr[-2000:]
