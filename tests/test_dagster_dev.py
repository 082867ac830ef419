"""A bare `dagster dev -m orchestration.definitions` (no DAGSTER_HOME) from a folder holding the
project's dagster.yaml, as a real process: runs and the event log are one instance, so every
materialization the web UI shows names a run the UI can open, in this session and the next.

Without DAGSTER_HOME, `dagster dev` keeps its instance in a temporary folder (`.tmp_dagster_home_*`
in the working folder, removed at exit) configured by ./dagster.yaml. Before, the project's event
log ignored that folder and wrote `.dagster_home/history`: the next session showed the previous
session's materializations with "Run: None"."""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
import yaml
from support import pace_run_queue, paced_daemon_env
from test_dagster_webui import ASSET_KEYS, BACKFILL, LAUNCH, _free_port, _graphql, _stop, _wait_until

from orchestration.dagster.localrun import DAGSTER_YAML, dagster_bin, pipeline_env

DATE = "2022-04-16"  # first day of the real 2022 playoffs
RAW_SCHEDULE = ["nba_raw", "nbac_schedule"]
MATERIALIZATIONS = """
query Materializations($key: AssetKeyInput!, $partitions: [String!]) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode { assetMaterializations(partitions: $partitions, limit: 10) { runId partition } }
  }
}"""
RUN = """
query Run($id: ID!) { runOrError(runId: $id) { __typename ... on Run { runId status } } }"""
INSTANCE_INFO = "query { instance { info } }"
FINISHED = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def _dagster_dev(work: Path, env: dict, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [dagster_bin(), "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=work,
        env=env,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def code_loaded():
        if process.poll() is not None:
            pytest.fail("dagster dev exited:\n" + log.read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                pass
            return [n for n in _graphql(port, ASSET_KEYS)["assetNodes"] if n["isMaterializable"]]
        except OSError:
            return None

    try:
        _wait_until(code_loaded, 180, "dagster dev to load the code location")
    except BaseException:
        _stop(process)
        raise
    return process


def _materializations_and_their_runs(port: int, partitions: list[str] | None = None) -> list[tuple[str, str]]:
    """(partition, what the UI finds for its run) for each materialization the UI lists (the latest 10)."""
    node = _graphql(port, MATERIALIZATIONS, {"key": {"path": RAW_SCHEDULE}, "partitions": partitions})[
        "assetNodeOrError"
    ]
    return [
        (
            m["partition"],
            _graphql(port, RUN, {"id": m["runId"]})["runOrError"]["__typename"]
            if m["runId"]
            else "reported from the warehouse",
        )  # a runless event of the sync
        for m in node["assetMaterializations"]
    ]


def test_bare_dagster_dev_keeps_runs_and_events_in_one_instance(real_dir, tmp_path):
    work = tmp_path / "project"
    work.mkdir()
    shutil.copyfile(DAGSTER_YAML, work / "dagster.yaml")  # `dagster dev` reads ./dagster.yaml
    pace_run_queue(work / "dagster.yaml")
    env = paced_daemon_env(pipeline_env(tmp_path, tmp_path / "warehouse.duckdb", real_dir))  # its daemon's too
    env.pop("DAGSTER_HOME")

    port = _free_port()
    first = _dagster_dev(work, env, port, tmp_path / "dev1.log")
    try:
        info = yaml.safe_load(_graphql(port, INSTANCE_INFO)["instance"]["info"])
        (temporary,) = work.glob(".tmp_dagster_home_*")
        # run storage, event log and schedules all under the session's temporary folder
        for storage in ("run_storage", "event_log_storage", "schedule_storage"):
            assert info[storage]["config"].get("base_dir", "").startswith(str(temporary)), info[storage]
        params = {
            "tags": [],
            "assetSelection": [{"path": RAW_SCHEDULE}],
            "partitionNames": [DATE],
            "fromFailure": False,
            "title": "dagster dev test",
        }
        launched = _graphql(port, LAUNCH, {"backfillParams": params})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched

        def finished():
            state = _graphql(port, BACKFILL, {"id": launched["backfillId"]})["partitionBackfillOrError"]
            return state if state["status"] in FINISHED else None

        state = _wait_until(finished, 240, "the backfill to finish", interval=2)
        assert state["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, (tmp_path / "dev1.log").read_text()[-4000:]
        # the run's date, and the season's other dates the loaded schedule holds (reported by the sync)
        assert _materializations_and_their_runs(port, [DATE]) == [(DATE, "Run")]
        found = _materializations_and_their_runs(port)
        assert {what for partition, what in found if partition != DATE} == {"reported from the warehouse"}
    finally:
        _stop(first)

    assert not (work / ".dagster_home").exists()  # nothing kept outside the instance's folder
    second = _dagster_dev(work, env, port, tmp_path / "dev2.log")
    try:
        # a new temporary instance: no materialization whose run the UI cannot open ("Run: None")
        assert "RunNotFoundError" not in {found for _, found in _materializations_and_their_runs(port)}
    finally:
        _stop(second)
