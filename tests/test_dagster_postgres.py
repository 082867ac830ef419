"""Dagster's production instance on a real PostgreSQL server (dagster.postgres.yaml, dagster-postgres):
the partition-range single-run backfill from the command line, and "Launch backfill" through the
webserver's GraphQL with the daemon running it, on real playoff dates. Runs, events and schedules
live in PostgreSQL; the pool of one and what Dagster shows per partition are as on the local instance."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import AssetKey, DagsterInstance, DagsterRunStatus
from dagster._core.storage.partition_status_cache import AssetPartitionStatus
from support import pace_run_queue, start_dagster_service
from test_dagster_webui import ASSET_KEYS, BACKFILL, LAUNCH, _free_port, _graphql, _stop, _wait_until

from orchestration.dagster.concurrency import WAREHOUSE_POOL
from orchestration.dagster.localrun import (
    DAGSTER_POSTGRES_YAML,
    DAGSTER_YAML,
    dagster_bin,
    materialize_command,
    pipeline_env,
    prepare_dagster_home,
)
from orchestration.dagster.partitions import GAME_DATE_PARTITIONS

CLI_RANGE = ("2023-04-15", "2023-04-18")  # first games of the real 2023 playoffs
UI_DATES = ["2022-04-16", "2022-04-17", "2022-04-18"]  # first games of the real 2022 playoffs
# the UI's backfill selects phases 2-3 (the CLI run covers every phase): the instance is what is tested
UI_SCHEMAS = ("nba_raw", "nba_staging", "nba_analytics")
GRADING = AssetKey(["nba_predictions", "prediction_accuracy"])
PLAYER_SUMMARY = AssetKey(["nba_analytics", "player_game_summary"])
# what both instance files must say alike (the pool of one, run monitoring)
SHARED_SETTINGS = ("concurrency", "run_monitoring", "telemetry")
RUN_TIMEOUT = 420


class InstanceOnPostgres:
    """A DAGSTER_HOME configured by dagster.postgres.yaml, on its own database of the server."""

    def __init__(self, server, name: str, work: Path):
        self.home = prepare_dagster_home(work / "dagster_home", DAGSTER_POSTGRES_YAML)
        self.settings = server.env(server.create_database(name))

    def env(self, warehouse: Path, landing: Path) -> dict[str, str]:
        return pipeline_env(self.home, warehouse, landing, **self.settings)

    def open(self, patch: pytest.MonkeyPatch) -> DagsterInstance:
        for name, value in {"DAGSTER_HOME": str(self.home), **self.settings}.items():
            patch.setenv(name, value)
        return DagsterInstance.get()


def _calendar(first: str, last: str) -> list[str]:
    return [key for key in GAME_DATE_PARTITIONS.get_partition_keys() if first <= key <= last]


def _partition_statuses(instance: DagsterInstance, key: AssetKey, first: str, last: str) -> set:
    return set(instance.get_status_by_partition(key, _calendar(first, last), GAME_DATE_PARTITIONS).values())


def _warehouse_dates(warehouse: Path, table: str) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [str(row[0]) for row in con.execute(f"select distinct game_date from {table} order by 1").fetchall()]


def test_production_settings_match_the_local_ones_but_the_storage():
    production, local = yaml.safe_load(DAGSTER_POSTGRES_YAML.read_text()), yaml.safe_load(DAGSTER_YAML.read_text())
    assert {name: production.get(name) for name in SHARED_SETTINGS} == {
        name: local.get(name) for name in SHARED_SETTINGS
    }
    assert production["concurrency"]["pools"]["default_limit"] == 1
    assert set(production["storage"]) == {"postgres"}
    # Dagster's stock PostgreSQL storage only: no project instance class or event log
    assert not {"instance_class", "event_log_storage", "run_storage", "schedule_storage"} & set(production)


def test_cli_partition_range_runs_once_on_postgres(postgres_server, real_dir, tmp_path, monkeypatch):
    first, last = CLI_RANGE
    instance_home = InstanceOnPostgres(postgres_server, "cli_backfill", tmp_path)
    warehouse = tmp_path / "warehouse.duckdb"
    result = subprocess.run(
        materialize_command(first, last),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=instance_home.env(warehouse, real_dir),
        timeout=RUN_TIMEOUT,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert output.count("RUN_START") == 1

    with instance_home.open(monkeypatch) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        (run,) = instance.get_runs()
        assert run.status == DagsterRunStatus.SUCCESS
        assert (
            run.tags["dagster/asset_partition_range_start"],
            run.tags["dagster/asset_partition_range_end"],
        ) == CLI_RANGE
        # the pool of one lives in PostgreSQL too, and the finished run holds none of it
        storage = instance.event_log_storage
        assert storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1
        assert not storage.get_concurrency_run_ids()
        # every asset's partitions of the range read materialized, and the warehouse holds them
        assert _partition_statuses(instance, GRADING, first, last) == {AssetPartitionStatus.MATERIALIZED}
        latest = instance.get_latest_materialization_event(GRADING)
        assert latest.run_id == run.run_id and instance.get_run_by_id(latest.run_id) is not None
    assert _warehouse_dates(warehouse, "nba_predictions.prediction_accuracy") == _calendar(first, last)


ASSET_STATUS = """
query AssetStatus($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    __typename
    ... on AssetNode {
      partitionStats { numMaterialized numFailed numMaterializing }
      assetPartitionStatuses { ... on TimePartitionStatuses { ranges { startKey endKey status } } }
      assetMaterializations(limit: 1) { runId partition }
    }
  }
}"""
RUN = """
query Run($id: ID!) { runOrError(runId: $id) { __typename ... on Run { runId status } } }"""


@pytest.fixture(scope="module")
def webserver_on_postgres(postgres_server, real_dir, tmp_path_factory):
    """dagster-webserver and dagster-daemon on the PostgreSQL instance, stopped by their PIDs."""
    work = tmp_path_factory.mktemp("webui_postgres")
    instance_home = InstanceOnPostgres(postgres_server, "launch_backfill", work)
    pace_run_queue(instance_home.home / "dagster.yaml")
    warehouse = work / "warehouse.duckdb"
    env = instance_home.env(warehouse, real_dir)
    port = _free_port()
    processes: list[subprocess.Popen] = []
    logs = {name: work / f"{name}.log" for name in ("webserver", "daemon")}
    try:
        for name, command in (
            (
                "webserver",
                [
                    dagster_bin("dagster-webserver"),
                    "-m",
                    "orchestration.definitions",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                ],
            ),
            ("daemon", [dagster_bin("dagster-daemon"), "run", "-m", "orchestration.definitions"]),
        ):
            processes.append(start_dagster_service(name, command, work, env, logs[name]))

        def code_loaded():
            if processes[0].poll() is not None:
                pytest.fail("dagster-webserver exited:\n" + logs["webserver"].read_text()[-3000:])
            try:
                nodes = _graphql(port, ASSET_KEYS)["assetNodes"]
            except OSError:
                return None
            return [n for n in nodes if n["isMaterializable"]]

        nodes = _wait_until(code_loaded, 180, "the webserver to load the code location")
        yield {"port": port, "nodes": nodes, "warehouse": warehouse, "logs": logs}
    finally:
        for process in reversed(processes):
            _stop(process)


def test_launch_backfill_through_graphql_on_postgres(webserver_on_postgres):
    stack = webserver_on_postgres
    port = stack["port"]
    selection = [{"path": n["assetKey"]["path"]} for n in stack["nodes"] if n["assetKey"]["path"][0] in UI_SCHEMAS]
    params = {
        "tags": [],
        "assetSelection": selection,
        "partitionNames": UI_DATES,
        "fromFailure": False,
        "title": "postgres test",
    }
    launched = _graphql(port, LAUNCH, {"backfillParams": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched

    def finished():
        state = _graphql(port, BACKFILL, {"id": launched["backfillId"]})["partitionBackfillOrError"]
        return (
            state
            if state["status"] in {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
            else None
        )

    started = time.monotonic()
    try:
        state = _wait_until(finished, RUN_TIMEOUT, "the backfill to finish", interval=2)
    except BaseException:
        print(stack["logs"]["daemon"].read_text()[-5000:])
        raise
    assert state["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, stack["logs"]["daemon"].read_text()[-4000:]
    assert len(state["runs"]) == 1 and state["runs"][0]["status"] == "SUCCESS"  # single-run policy
    run_id = state["runs"][0]["runId"]

    # what the UI reads: the backfilled dates materialized, by that run, which the run storage finds
    node = _graphql(port, ASSET_STATUS, {"key": {"path": list(PLAYER_SUMMARY.path)}})["assetNodeOrError"]
    assert node["partitionStats"]["numMaterialized"] == len(UI_DATES)
    assert node["partitionStats"]["numFailed"] == node["partitionStats"]["numMaterializing"] == 0
    assert node["assetPartitionStatuses"]["ranges"] == [
        {"startKey": UI_DATES[0], "endKey": UI_DATES[-1], "status": "MATERIALIZED"}
    ]
    (latest,) = node["assetMaterializations"]
    assert latest["runId"] == run_id and latest["partition"] in UI_DATES
    assert _graphql(port, RUN, {"id": run_id})["runOrError"] == {
        "__typename": "Run",
        "runId": run_id,
        "status": "SUCCESS",
    }
    assert _warehouse_dates(stack["warehouse"], "nba_analytics.player_game_summary") == UI_DATES
    print(f"Launch backfill of {len(UI_DATES)} dates on PostgreSQL: {time.monotonic() - started:.0f}s")
