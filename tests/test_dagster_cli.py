"""The command users run, as a real process:

    dagster asset materialize -m orchestration.definitions --select '*' --partition-range 2022-04-16...2022-06-17

over the real 2022 playoffs (NBA_PIPELINE_LANDING = the real data, a temporary
warehouse and DAGSTER_HOME), and the same command killed with SIGKILL mid-way
through its dbt build and launched again: identical tables, no duplicate keys.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey
from dagster._core.storage.partition_status_cache import AssetPartitionStatus
from support import BUILD_COLUMNS, DAGSTER_WAREHOUSE

from orchestration.dagster.localrun import materialize_command, pipeline_env, prepare_dagster_home
from orchestration.dagster.partitions import GAME_DATE_PARTITIONS
from orchestration.dbt_invoke import DbtProject

START, END = "2022-04-16", "2022-06-17"
COMPARED_SCHEMAS = ("nba_raw", "nba_staging", "nba_analytics", "nba_precompute", "nba_predictions")
RUN_TIMEOUT = 420
GRADING = AssetKey(["nba_predictions", "prediction_accuracy"])


def _launch(home: Path, warehouse: Path, landing: Path, workdir: Path, log: Path, **env) -> subprocess.Popen:
    return subprocess.Popen(
        materialize_command(START, END),
        cwd=workdir,
        env=pipeline_env(home, warehouse, landing, **env),
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _finish(process: subprocess.Popen, log: Path) -> str:
    try:
        process.wait(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        pytest.fail(f"dagster asset materialize did not finish in {RUN_TIMEOUT}s:\n{log.read_text()[-3000:]}")
    output = log.read_text()
    assert process.returncode == 0, output[-5000:]
    return output


def _tables(con, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        f"where table_catalog = ? and table_schema in {COMPARED_SCHEMAS} order by 1",
        [catalog],
    ).fetchall()
    return [row[0] for row in rows]


def differences(left: Path, right: Path) -> list[str]:
    """Every table compared exactly (EXCEPT ALL both ways), load timestamps left out."""
    con = duckdb.connect()
    con.execute(f"attach '{left}' as l (read_only)")
    con.execute(f"attach '{right}' as r (read_only)")
    problems = []
    tables = _tables(con, "l")
    missing = sorted(set(tables) ^ set(_tables(con, "r")))
    if missing:
        problems.append(f"tables in only one warehouse: {missing}")
    for table in tables:
        schema, name = table.split(".")
        columns = [
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns where table_catalog = 'l' and table_schema = ? "
                "and table_name = ? and data_type not like 'TIMESTAMP%' order by ordinal_position",
                [schema, name],
            ).fetchall()
            if row[0] not in BUILD_COLUMNS
        ]
        if not columns:
            continue
        cols = ", ".join(f'"{c}"' for c in columns)
        try:
            only_left = con.execute(
                f"select count(*) from (select {cols} from l.{table} except all select {cols} from r.{table})"
            ).fetchone()[0]
            only_right = con.execute(
                f"select count(*) from (select {cols} from r.{table} except all select {cols} from l.{table})"
            ).fetchone()[0]
        except duckdb.Error as error:
            problems.append(f"{table}: {error}")
            continue
        if only_left or only_right:
            problems.append(f"{table}: {only_left} rows only in {left}, {only_right} only in {right}")
    con.close()
    return problems


@pytest.fixture(scope="module")
def uninterrupted(real_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("cli")
    home = prepare_dagster_home(work / "dagster_home")
    warehouse = work / DAGSTER_WAREHOUSE
    started = time.monotonic()
    log = work / "uninterrupted.log"
    output = _finish(_launch(home, warehouse, real_dir, work, log), log)
    return warehouse, home, output, time.monotonic() - started


def _instance(home: Path):
    """The run's instance, read from this process (the console shows the project's INFO lines only)."""
    from dagster import DagsterInstance

    return DagsterInstance.from_config(str(home))


def _succeeded_steps(instance, run_id: str) -> set[str]:
    from dagster import DagsterEventType

    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_SUCCESS).records
    return {record.event_log_entry.step_key for record in records}


def test_cli_partition_range_materializes_every_phase_in_one_run(uninterrupted):
    from dagster import DagsterRunStatus

    warehouse, home, output, seconds = uninterrupted
    with _instance(home) as instance:
        (run,) = instance.get_runs()  # the whole range is ONE run
        assert run.status == DagsterRunStatus.SUCCESS
        assert {"nba_raw_landing", "dbt_phases_2_3_4", "step_trained_model", "dbt_phases_5_6"} <= _succeeded_steps(
            instance, run.run_id
        )
    assert "DEBUG" not in output  # the console: the project's own lines
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in ("nba_analytics.player_game_summary", "nba_predictions.prediction_accuracy"):
            count, first, last = con.execute(f"select count(*), min(game_date), max(game_date) from {table}").fetchone()
            assert count > 0 and str(first) == START and str(last) <= END
        history = con.execute(
            "select count(distinct game_date), count(distinct asset), min(trigger), "
            "count(*) filter (where skip_reason = 'no_games') "
            "from nba_orchestration.pipeline_run_history"
        ).fetchone()
    days = (date.fromisoformat(END) - date.fromisoformat(START)).days + 1
    assert history[0] == days and history[1] >= 20 and history[2] == "manual" and history[3] > 0
    print(f"dagster asset materialize {START}...{END}: {seconds:.1f}s")


def _wait_for_dbt_progress(log: Path, offset: int, process: subprocess.Popen, timeout: float = 240) -> None:
    """Until the first dbt build of the run has written at least one model (mid-way): dbt's own log
    (the run's dbt runs in its process and logs to the warehouse's target folder)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the run finished before it could be killed")
        if log.exists():
            with open(log, errors="ignore") as handle:
                handle.seek(offset)
                text = handle.read()
            if "OK created" in text and "incremental model" in text:
                return
        time.sleep(0.1)
    pytest.fail("dbt never started writing")


def test_killed_backfill_relaunched_gives_identical_tables(uninterrupted, real_dir, tmp_path):
    from dagster import DagsterInstance, DagsterRunStatus

    reference = uninterrupted[0]
    home = prepare_dagster_home(tmp_path / "dagster_home")
    warehouse = tmp_path / DAGSTER_WAREHOUSE
    dbt_log = DbtProject(warehouse).target_path / "dbt.log"
    offset = dbt_log.stat().st_size if dbt_log.exists() else 0
    first = _launch(home, warehouse, real_dir, tmp_path, tmp_path / "killed.log")
    _wait_for_dbt_progress(dbt_log, offset, first)
    os.killpg(first.pid, signal.SIGKILL)  # the run process and its dbt child
    first.wait()

    os.environ["DAGSTER_HOME"], saved = str(home), os.environ.get("DAGSTER_HOME")
    try:
        with DagsterInstance.get() as instance:
            (killed,) = instance.get_runs()
            assert killed.status == DagsterRunStatus.STARTED  # nobody told Dagster
            assert killed.run_id in instance.event_log_storage.get_concurrency_run_ids()  # slot still held
            # the range was planned as one event per asset: its dates still read as in progress
            assert set(instance.get_status_by_partition(GRADING, [START, END], GAME_DATE_PARTITIONS).values()) == {
                AssetPartitionStatus.IN_PROGRESS
            }

            output = _finish(
                _launch(home, warehouse, real_dir, tmp_path, tmp_path / "rerun.log"), tmp_path / "rerun.log"
            )
            assert "is gone while the run held the warehouse pool" in output
            assert instance.get_run_by_id(killed.run_id).status == DagsterRunStatus.FAILURE
            assert not instance.event_log_storage.get_concurrency_run_ids()
            assert set(instance.get_status_by_partition(GRADING, [START, END], GAME_DATE_PARTITIONS).values()) == {
                AssetPartitionStatus.MATERIALIZED
            }
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved

    assert differences(warehouse, reference) == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table, key in (
            ("nba_raw.nbac_player_boxscore", "game_id, player_id"),
            ("nba_analytics.player_game_summary", "game_id, player_id"),
            ("nba_precompute.ml_feature_store", "game_id, player_id"),
            ("nba_predictions.player_prop_predictions", "game_id, player_id, system_id"),
        ):
            duplicates = con.execute(
                f"select count(*) from (select {key} from {table} group by all having count(*) > 1)"
            ).fetchone()[0]
            assert duplicates == 0, table


def test_concurrent_runs_queue_at_the_warehouse_pool(real_dir, tmp_path):
    """Another writer holds the pool's only slot: two runs launched together wait (no
    `Conflicting lock is held`), then take turns, and both succeed."""
    from dagster import DagsterInstance, job, op

    from orchestration.dagster.concurrency import WAREHOUSE_POOL, run_process_tags

    home = prepare_dagster_home(tmp_path / "dagster_home")
    warehouse = tmp_path / DAGSTER_WAREHOUSE
    ranges = [("2022-04-16", "2022-04-18"), ("2023-04-15", "2023-04-17")]  # two seasons, one warehouse

    @op
    def other_writer():
        pass

    @job
    def holder():
        other_writer()

    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    processes: list[tuple[subprocess.Popen, Path]] = []
    try:
        with DagsterInstance.get() as instance:
            storage = instance.event_log_storage
            holder_run = instance.create_run_for_job(holder, tags=run_process_tags())
            storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
            assert storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1  # dagster.yaml: pool of one
            assert storage.claim_concurrency_slot(WAREHOUSE_POOL, holder_run.run_id, "other_writer").is_claimed

            for index, (start, end) in enumerate(ranges):
                log = tmp_path / f"run{index}.log"
                process = subprocess.Popen(
                    materialize_command(start, end),
                    cwd=tmp_path,
                    env=pipeline_env(home, warehouse, real_dir),
                    stdout=open(log, "w"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                processes.append((process, log))

            def both_waiting() -> bool:  # the event log, not the console: it shows INFO and above
                runs = [run for run in instance.get_runs() if run.run_id != holder_run.run_id]
                return len(runs) == 2 and all(
                    any(
                        "blocked by limit for pool nba_warehouse" in (entry.message or "")
                        for entry in instance.all_logs(run.run_id)
                    )
                    for run in runs
                )

            deadline = time.monotonic() + 180
            while not both_waiting():
                assert time.monotonic() < deadline, "runs never queued at the pool"
                assert all(p.poll() is None for p, _ in processes), "a run ended while the pool was held"
                time.sleep(0.5)
            storage.free_concurrency_slot_for_step(holder_run.run_id, "other_writer")
            outputs = [_finish(process, log) for process, log in processes]
    finally:
        for process, _ in processes:  # a failed wait leaves runs queued at a pool nobody frees
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved

    assert all("Conflicting lock" not in output for output in outputs)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        seasons = con.execute(
            "select season_year, count(*) from nba_analytics.player_game_summary group by 1 order by 1"
        ).fetchall()
        runs = con.execute("select count(distinct run_id) from nba_orchestration.pipeline_run_history").fetchone()[0]
    assert [season for season, _ in seasons] == [2021, 2022] and runs == 2
