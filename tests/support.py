"""Helpers the test modules share: warehouses, builds, exact table comparison."""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import yaml

from orchestration.dbt_invoke import DbtBuildResult, DbtProject
from orchestration.phases import PHASES_BY_NUMBER

PHASE3_TABLES = PHASES_BY_NUMBER[3].completeness_tables


# The file name of the warehouses the Dagster tests' processes build. dbt keeps its partial-parse state per
# warehouse name (orchestration/dbt_invoke.DbtProject), so a run process whose warehouse is named like an earlier
# one's re-parses only what changed instead of the whole project; on a clean clone every new name cost one full
# parse per test worker.
DAGSTER_WAREHOUSE = "warehouse.duckdb"


# tests/daemon_pace/sitecustomize.py: on PYTHONPATH, the Dagster daemon passes over backfills every few seconds
DAEMON_PACE = Path(__file__).resolve().parent / "daemon_pace"


def paced_daemon_env(env: dict[str, str]) -> dict[str, str]:
    """`env` for processes that start a Dagster daemon (`dagster-daemon run`, `dagster dev`): its backfill passes
    every few seconds instead of every 30 s (tests/daemon_pace/sitecustomize.py says why and how)."""
    path = os.pathsep.join(part for part in (str(DAEMON_PACE), env.get("PYTHONPATH", "")) if part)
    return {**env, "PYTHONPATH": path}


# Dagster's run queue (QueuedRunCoordinator) launches the runs a daemon submits on a pass of its own, every 5 s
# by default; the test instances whose daemon launches runs pass every second. `run_queue:` is Dagster's
# public instance setting for it (the project's dagster.yaml leaves it at the default).
RUN_QUEUE_SETTINGS = {"run_queue": {"dequeue_interval_seconds": 1}}


def pace_run_queue(dagster_yaml: Path) -> Path:
    """A test instance's dagster.yaml (a copy of the project's) with the run queue paced (RUN_QUEUE_SETTINGS)."""
    settings = yaml.safe_load(dagster_yaml.read_text()) or {}
    dagster_yaml.write_text(yaml.safe_dump({**settings, **RUN_QUEUE_SETTINGS}, sort_keys=False))
    return dagster_yaml


def start_dagster_service(name: str, command: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """A test's Dagster webserver or daemon (`name`), in a session of its own, its output in `log`; the daemon
    paced (paced_daemon_env)."""
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=paced_daemon_env(env) if name == "daemon" else env,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


# Columns that say which build wrote a row, not what the row holds: left out of comparisons.
BUILD_COLUMNS = ("build_id",)


def build(
    warehouse: Path,
    start: date | None,
    end: date | None,
    selector: str = "tag:phase_2 tag:phase_3",
    target_path: Path | None = None,
) -> DbtBuildResult:
    return dbt_build([selector], start, end, warehouse, target_path)


def dbt_build(
    selectors: list[str], start: date | None, end: date | None, warehouse: Path, target_path: Path | None = None
) -> DbtBuildResult:
    """`dbt build` of the selectors over [start, end], through the project's in-process dbt."""
    return DbtProject(warehouse, target_path=target_path).build(selectors, start, end)


def run_dbt(
    args: list[str],
    start: date | None = None,
    end: date | None = None,
    warehouse: Path | None = None,
    target_path: Path | None = None,
) -> DbtBuildResult:
    """Any dbt command (test, compile ...) over [start, end], through the project's in-process dbt."""
    return DbtProject(warehouse, target_path=target_path).invoke(args, start, end)


def copy_warehouse(source: Path, destination: Path) -> Path:
    shutil.copyfile(source, destination)
    return destination


def table_differences(left: Path, right: Path, table: str) -> tuple[int, int, int, int]:
    """(rows left, rows right, rows only left, rows only right), compared exactly (EXCEPT ALL)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{left}' as l (read_only)")
        con.execute(f"attach '{right}' as r (read_only)")
        count_left = con.execute(f"select count(*) from l.{table}").fetchone()[0]
        count_right = con.execute(f"select count(*) from r.{table}").fetchone()[0]
        columns = _content_columns(con, table)
        only_left = con.execute(
            f"select count(*) from (select {columns} from l.{table} except all select {columns} from r.{table})"
        ).fetchone()[0]
        only_right = con.execute(
            f"select count(*) from (select {columns} from r.{table} except all select {columns} from l.{table})"
        ).fetchone()[0]
        return count_left, count_right, only_left, only_right
    finally:
        con.close()


def _content_columns(con, table: str) -> str:
    """Every column of `table` (as in the left warehouse) but the build's own (build_id)."""
    schema, name = table.split(".")
    names = [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_catalog = 'l' and table_schema = ? "
            "and table_name = ? order by ordinal_position",
            [schema, name],
        ).fetchall()
    ]
    return ", ".join(f'"{column}"' for column in names if column not in BUILD_COLUMNS)


def assert_identical(left: Path, right: Path, tables=PHASE3_TABLES) -> None:
    problems = []
    for table in tables:
        count_left, count_right, only_left, only_right = table_differences(left, right, table)
        assert count_left > 0, f"{table} is empty in {left}: the comparison would prove nothing"
        if (count_left, only_left, only_right) != (count_right, 0, 0):
            problems.append(
                f"{table}: {count_left} vs {count_right} rows, {only_left} only left, {only_right} only right"
            )
    assert not problems, "tables differ:\n" + "\n".join(problems)


def game_dates(warehouse: Path, start: date | None = None, end: date | None = None) -> list[date]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [
            row[0]
            for row in con.execute(
                "select distinct game_date from nba_raw.nbac_schedule where game_date between ? and ? order by 1",
                [start or date(1900, 1, 1), end or date(2999, 12, 31)],
            ).fetchall()
        ]


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def execute(warehouse: Path, sql: str, params=None) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(sql, params or [])


def real_landing_as_of(real_dir: Path, day: date, destination: Path) -> Path:
    """A copy of the real data as it stood on `day`: that season's later playoff games are in the schedule
    but not played yet (no points). A ranged load takes a season's schedule whole; with every later game
    final, the dates after a test's range would be gaps in every lookback."""
    shutil.copytree(real_dir, destination)
    season = day.year - 1 if day.month < 9 else day.year
    path = destination / "schedule" / f"nba_playoffs_schedule_{season}-{(season + 1) % 100:02d}.csv.gz"
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(path.read_bytes()).decode("utf-8"))))
    for row in rows:
        if date.fromisoformat(row["game_date"]) > day:
            row["home_pts"] = row["away_pts"] = ""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(gzip.compress(text.getvalue().encode("utf-8"), mtime=0))
    return destination
