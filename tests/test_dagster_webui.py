"""The web UI path with real processes: dagster-webserver on 127.0.0.1, the GraphQL mutation
the UI's "Launch backfill" button sends (`launchPartitionBackfill`), dagster-daemon running the
backfill, then the tables, run history, and the asset's partitions page in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from datetime import date

import duckdb
import pytest
from support import DAGSTER_WAREHOUSE, pace_run_queue, real_landing_as_of, start_dagster_service

from orchestration.dagster.localrun import dagster_bin, pipeline_env, prepare_dagster_home

pytestmark = pytest.mark.webui

DATES = ["2022-04-16", "2022-04-17", "2022-04-18", "2022-04-19", "2022-04-20"]
ASSET_PAGE = "assets/nba_analytics/player_game_summary?view=partitions"

LAUNCH = """
mutation LaunchPartitionBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on PartitionKeysNotFoundError { message }
    ... on UnauthorizedError { message }
  }
}"""
BACKFILL = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { id status numPartitions runs(limit: 20) { runId status tags { key value } } }
    ... on PythonError { message }
  }
}"""
ASSET_KEYS = """
query { assetNodes { assetKey { path } isMaterializable } }
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = json.loads(response.read())
    assert "errors" not in payload, payload
    return payload["data"]


def _stop(process: subprocess.Popen) -> None:
    """Stop a process we started (and its session: code servers, run workers) by its PID: Ctrl-C as in a
    terminal (SIGINT to its session), then SIGKILL for whatever is left. After Ctrl-C, `dagster dev` shuts its
    webserver and daemon down and exits in about 2 s; after SIGTERM it sat until the 15 s wait ran out, was
    killed, and left its temporary instance folder behind."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _wait_until(condition, timeout: float, what: str, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


@pytest.fixture(scope="module")
def stack(real_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("webui")
    home = prepare_dagster_home(work / "dagster_home")
    pace_run_queue(home / "dagster.yaml")
    warehouse = work / DAGSTER_WAREHOUSE
    env = pipeline_env(home, warehouse, real_landing_as_of(real_dir, date.fromisoformat(DATES[-1]), work / "real"))
    port = _free_port()
    processes: list[subprocess.Popen] = []
    logs = {name: work / f"{name}.log" for name in ("webserver", "daemon")}

    # the instance's storages created here, before both services start at once: two processes creating a fresh
    # SQLite instance together both stamp its schema ("alembic_version has more than one head", seen before)
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)):
        pass

    def start(name: str, command: list[str]) -> subprocess.Popen:
        process = start_dagster_service(name, command, work, env, logs[name])
        processes.append(process)
        return process

    webserver = start(
        "webserver",
        [dagster_bin("dagster-webserver"), "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
    )
    # the daemon starts beside the webserver, not after the launch: each loads the definitions in a code server
    # of its own, and the backfill waited for the daemon's start-up after the webserver's
    start("daemon", [dagster_bin("dagster-daemon"), "run", "-m", "orchestration.definitions"])

    def ready():
        if webserver.poll() is not None:
            pytest.fail("dagster-webserver exited:\n" + logs["webserver"].read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        _wait_until(ready, 180, "dagster-webserver to answer")
        yield {
            "port": port,
            "home": home,
            "warehouse": warehouse,
            "work": work,
            "logs": logs,
        }
    finally:
        for process in reversed(processes):
            _stop(process)


@pytest.fixture(scope="module")
def backfill(stack):
    """Launch backfill (what the UI's button sends), then the daemon runs it."""
    port = stack["port"]
    nodes = _wait_until(
        lambda: [n for n in _graphql(port, ASSET_KEYS)["assetNodes"] if n["isMaterializable"]],
        120,
        "the code location to load",
    )
    params = {
        "tags": [],
        "assetSelection": [{"path": n["assetKey"]["path"]} for n in nodes],
        "partitionNames": DATES,
        "fromFailure": False,
        "title": "webui test",
    }
    launched = _graphql(port, LAUNCH, {"backfillParams": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]
    started = time.monotonic()

    def finished():
        state = _graphql(port, BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
        assert state["__typename"] == "PartitionBackfill", state
        return (
            state
            if state["status"] in {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
            else None
        )

    try:
        state = _wait_until(finished, 300, "the backfill to finish", interval=2)
    except BaseException:
        print(stack["logs"]["daemon"].read_text()[-5000:])
        raise
    # every phase asset writes run history; the coverage asset (monitoring) reports instead
    phase_assets = [n for n in nodes if n["assetKey"]["path"] != ["pipeline_coverage"]]
    assert len(phase_assets) == len(nodes) - 1
    return backfill_id, state, len(phase_assets), time.monotonic() - started


def test_launch_backfill_runs_the_range_as_one_run(stack, backfill):
    backfill_id, state, asset_count, seconds = backfill
    assert state["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, (state, stack["logs"]["daemon"].read_text()[-4000:])
    assert state["numPartitions"] == len(DATES)
    assert len(state["runs"]) == 1 and state["runs"][0]["status"] == "SUCCESS"  # single-run policy
    tags = {tag["key"]: tag["value"] for tag in state["runs"][0]["tags"]}
    assert tags["dagster/backfill"] == backfill_id
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        DATES[0],
        DATES[-1],
    )
    with duckdb.connect(str(stack["warehouse"]), read_only=True) as con:
        count, first, last = con.execute(
            "select count(*), min(game_date), max(game_date) from nba_predictions.prediction_accuracy"
        ).fetchone()
        assert count > 0 and str(first) == DATES[0] and str(last) == DATES[-1]
        history = con.execute(
            "select count(*), count(distinct asset), min(trigger), max(trigger), "
            "bool_and(is_backfill), min(status), max(status) "
            "from nba_orchestration.pipeline_run_history"
        ).fetchone()
    # a Python step's tables are recorded under the step's one name (as by `nba-pipeline backfill`)
    from orchestration.definitions import LAYOUT

    recorded = asset_count - sum(len(step.keys) - 1 for step in LAYOUT.python_steps)
    assert history == (recorded * len(DATES), recorded, "backfill", "backfill", True, "success", "success")
    print(f"backfill of {len(DATES)} dates through the UI's mutation and the daemon: {seconds:.0f}s")


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_partitions_page_shows_the_status_in_headless_chromium(stack, backfill, tmp_path):
    browser = _chromium()
    if not browser:
        pytest.skip("chromium is not installed (apt-get install chromium chromium-driver)")
    url = f"http://127.0.0.1:{stack['port']}/{ASSET_PAGE}"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=30000",
        "--window-size=1400,1000",
        "--dump-dom",
        url,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        dom, errors = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        _stop(process)
        pytest.fail("chromium did not render the page in 120s")
    assert "player_game_summary" in dom, errors[-2000:]
    # the partitions view: its count of partitions and the status legend with the backfilled dates
    assert re.search(r"[0-9,]+ Partitions", dom), dom[-3000:]
    assert re.search(r"Materialized \((\d+)\)", dom).group(1) == str(len(DATES))
    assert re.search(r"Failed \((\d+)\)", dom) is None or re.search(r"Failed \((\d+)\)", dom).group(1) == "0"


COVERAGE = """
query {
  assetOrError(assetKey: {path: ["pipeline_coverage"]}) {
    __typename
    ... on Asset {
      assetMaterializations(limit: 1) {
        partition
        metadataEntries {
          label
          ... on MarkdownMetadataEntry { mdStr }
          ... on IntMetadataEntry { intValue }
          ... on FloatMetadataEntry { floatValue }
        }
      }
    }
  }
}"""


def test_the_web_ui_serves_the_coverage_table_of_the_backfill(stack, backfill):
    """The coverage asset ran last in the backfill's run; the UI's GraphQL serves its table."""
    materializations = _graphql(stack["port"], COVERAGE)["assetOrError"]["assetMaterializations"]
    assert materializations and materializations[0]["partition"] in DATES
    entries = {entry["label"]: entry for entry in materializations[0]["metadataEntries"]}
    table = entries["coverage"]["mdStr"]
    assert "% games complete" in table and "2021-22" in table
    with duckdb.connect(str(stack["warehouse"]), read_only=True) as con:
        scheduled, built = con.execute(
            "select (select count(distinct game_date) from nba_raw.nbac_schedule where game_status = 3), "
            "(select count(distinct game_date) from nba_predictions.prediction_accuracy)"
        ).fetchone()
    # the run loaded its dates (the season's schedule whole, the later games not played yet) and built every
    # phase for them: nothing missing
    assert scheduled == built == len(DATES)
    assert entries["phase_6_dates_missing"]["intValue"] == 0
    assert entries["phase_6_games_complete_pct"]["floatValue"] == 100.0
    assert entries["open_gaps"]["intValue"] == 0
