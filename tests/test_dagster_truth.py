"""Dagster shows what the warehouse holds, read the way the web UI reads it (the webserver's GraphQL):
after a CLI backfill, a Dagster run whose forward cascade went past its partitions, a correction that
makes dates stale, heal, and a plain `dbt build`, every asset's materialized partitions equal the
dates `nba-pipeline status` counts complete for its phase."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from support import DAGSTER_WAREHOUSE
from test_dagster_webui import _free_port, _graphql, _stop, _wait_until
from test_monitoring_support import corrected_landing

from orchestration.completeness import coverage_by_date
from orchestration.dagster.localrun import dagster_bin, materialize_command, pipeline_env, prepare_dagster_home
from orchestration.dbt_invoke import dbt_executable, window_env
from orchestration.paths import DBT_PROJECT_DIR
from orchestration.warehouse import connect

pytestmark = pytest.mark.webui

FIRST_ROUND = (date(2022, 4, 16), date(2022, 4, 30))
SECOND_ROUND_END = date(2022, 5, 15)
ASSETS = """
query { assetNodes { assetKey { path } isPartitioned tags { key value }
  assetPartitionStatuses { __typename ... on TimePartitionStatuses { ranges { status startKey endKey } } } } }
"""


def _phase(node: dict) -> int | None:
    """The asset's phase, from its `nba/phase` tag (the coverage asset has none)."""
    tags = {tag["key"]: tag["value"] for tag in node.get("tags") or []}
    return int(tags["nba/phase"]) if "nba/phase" in tags else None


def _days(start: str, end: str) -> set[str]:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return {(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)}


@pytest.fixture(scope="module")
def stack(real_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("truth")
    home = prepare_dagster_home(work / "dagster_home")
    warehouse = work / DAGSTER_WAREHOUSE
    env = pipeline_env(home, warehouse, real_dir)
    port = _free_port()
    log = work / "webserver.log"
    webserver = subprocess.Popen(
        [dagster_bin("dagster-webserver"), "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=work,
        env=env,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_until(
            lambda: _nodes(port) if webserver.poll() is None else pytest.fail(log.read_text()[-3000:]),
            180,
            "the webserver and its code location",
        )
        yield {"port": port, "env": env, "warehouse": warehouse, "work": work, "real_dir": real_dir}
    finally:
        _stop(webserver)


def _nodes(port: int) -> list[dict]:
    try:
        return [node for node in _graphql(port, ASSETS)["assetNodes"] if node["isPartitioned"]]
    except OSError:
        return []


def _shown(port: int) -> dict[tuple[str, ...], tuple[int | None, set[str]]]:
    """Per asset, its phase and the partitions the UI shows MATERIALIZED (failed or in progress ones are not)."""
    shown = {}
    for node in _nodes(port):
        ranges = node["assetPartitionStatuses"].get("ranges") or []
        shown[tuple(node["assetKey"]["path"])] = (
            _phase(node),
            set().union(*[_days(r["startKey"], r["endKey"]) for r in ranges if r["status"] == "MATERIALIZED"]),
        )
    return shown


def _complete(warehouse: Path) -> tuple[dict[int, set[str]], set[str]]:
    """Per phase the complete dates status counts, and every date status covers."""
    complete: dict[int, set[str]] = {}
    covered: set[str] = set()
    with connect(warehouse) as con:
        for cell in coverage_by_date(con):
            covered.add(cell.game_date.isoformat())
            if cell.is_complete:
                complete.setdefault(cell.phase, set()).add(cell.game_date.isoformat())
    return complete, covered


def _assert_dagster_shows_the_warehouse(stack) -> dict[int, set[str]]:
    complete, covered = _complete(stack["warehouse"])
    shown = _shown(stack["port"])
    assert shown, "no partitioned assets"
    for path, (phase, partitions) in shown.items():
        if phase is None:  # the coverage asset: monitoring, not data
            continue
        # the schedule is reference data: it holds every covered date, whatever else is loaded
        expected = covered if path == ("nba_raw", "nbac_schedule") else complete.get(phase, set())
        assert partitions & covered == expected, (
            path,
            sorted((partitions & covered) ^ expected)[:10],
        )
    return complete


def _cli(stack, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        env=stack["env"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode in (0, 3), result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_after_a_cli_backfill(stack):
    start, end = FIRST_ROUND
    _cli(stack, "load", str(stack["real_dir"]), "--start", "2022-04-01", "--end", SECOND_ROUND_END.isoformat())
    out = _cli(stack, "backfill", "--start", start.isoformat(), "--end", end.isoformat(), "--no-cascade")
    assert "Dagster synced with the warehouse" in out
    complete = _assert_dagster_shows_the_warehouse(stack)
    assert complete[3] and max(complete[3]) <= end.isoformat()


def test_after_a_dagster_run_whose_cascade_went_past_its_partitions(stack):
    _cli(stack, "backfill", "--start", "2022-05-01", "--end", SECOND_ROUND_END.isoformat(), "--no-cascade")
    day = "2022-04-20"
    result = subprocess.run(
        materialize_command(day, day), env=stack["env"], cwd=stack["work"], capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    complete = _assert_dagster_shows_the_warehouse(stack)
    assert max(complete[6]) == SECOND_ROUND_END.isoformat()


def test_after_a_correction_stale_dates_do_not_show_and_heal_brings_them_back(stack):
    day = date(2022, 5, 3)
    landing = corrected_landing(stack["real_dir"], stack["work"] / "corrected", day)
    _cli(stack, "load", str(landing), "--start", day.isoformat(), "--end", day.isoformat())
    complete = _assert_dagster_shows_the_warehouse(stack)
    assert day.isoformat() not in complete[3]  # stale: not shown as a fresh materialization
    assert "2022-05-02" in complete[3]
    _cli(stack, "heal", "--max-age-days", "100000")
    complete = _assert_dagster_shows_the_warehouse(stack)
    assert day.isoformat() in complete[3] and day.isoformat() in complete[6]


def test_after_a_plain_dbt_build(stack):
    """A `dbt build` in a terminal fires nothing: the sensor the definitions run catches it up."""
    from dagster import DagsterInstance, build_sensor_context

    from orchestration.definitions import defs

    start, end = date(2022, 5, 16), date(2022, 5, 31)
    _cli(stack, "load", str(stack["real_dir"]), "--start", start.isoformat(), "--end", end.isoformat())
    env = {**stack["env"], **window_env(start, end, stack["warehouse"])}
    build = subprocess.run(
        [
            dbt_executable(),
            "build",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(stack["work"] / "target"),
        ],
        env=env,
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout[-3000:]
    os.environ["DAGSTER_HOME"] = stack["env"]["DAGSTER_HOME"]
    try:
        sensor = next(sensor for sensor in defs.sensors if sensor.name == "warehouse_sync_sensor")
        with DagsterInstance.get() as instance:
            previous = os.environ.get("NBA_PIPELINE_DUCKDB")
            os.environ["NBA_PIPELINE_DUCKDB"] = str(stack["warehouse"])
            try:
                sensor.evaluate_tick(build_sensor_context(instance=instance))
            finally:
                os.environ.pop("NBA_PIPELINE_DUCKDB") if previous is None else os.environ.update(
                    NBA_PIPELINE_DUCKDB=previous
                )
    finally:
        os.environ.pop("DAGSTER_HOME", None)
    complete = _assert_dagster_shows_the_warehouse(stack)
    assert "2022-05-31" in complete[3] or "2022-05-29" in complete[3]
