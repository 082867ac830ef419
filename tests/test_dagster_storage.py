"""The local instance's private overrides, one test each (orchestration/dagster/storage.py and
instance.py), on a real instance configured by the project's dagster.yaml and a small partitioned
asset with a check: if a Dagster upgrade renames or bypasses one, its test fails.

| override | what it adds |
|---|---|
| FastSqliteEventLogStorage._engine | one pooled engine per process, SQLite `synchronous=NORMAL` |
| FastSqliteEventLogStorage._connect | an ambient connection: a batch is one transaction |
| FastSqliteEventLogStorage._store_asset_check_evaluation_planned | one PLANNED record per check and run |
| FastSqliteEventLogStorage._update_asset_check_evaluation | the run's evaluation settles that record |
| FastSqliteEventLogStorage._has_asset_key_col_on_connection | the column check reflects the table once |
| PipelineInstance._get_event_batch_size | the batch size from dagster.yaml |
"""

from __future__ import annotations

import pytest
import sqlalchemy as db
import yaml
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    BackfillPolicy,
    DagsterEventType,
    DagsterInstance,
    DailyPartitionsDefinition,
    MaterializeResult,
    asset,
    materialize,
)
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from orchestration.dagster.instance import EVENT_BATCH_SIZE_VARIABLE, PipelineInstance
from orchestration.dagster.localrun import prepare_dagster_home, range_tags
from orchestration.dagster.storage import FastSqliteEventLogStorage

DAYS = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-21")
FIRST, LAST = "2024-01-01", "2024-01-20"


@asset(
    partitions_def=DAYS,
    backfill_policy=BackfillPolicy.single_run(),
    check_specs=[AssetCheckSpec("non_negative", asset="numbers")],
)
def numbers(context):
    yield MaterializeResult()
    yield AssetCheckResult(check_name="non_negative", passed=True)


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(prepare_dagster_home(tmp_path / "dagster_home")))
    monkeypatch.delenv(EVENT_BATCH_SIZE_VARIABLE, raising=False)
    with DagsterInstance.get() as dagster_instance:
        yield dagster_instance


def _check_records(instance, run_id: str) -> list[tuple]:
    (check_key,) = numbers.check_keys
    return [
        (record.status, record.partition)
        for record in instance.event_log_storage.get_asset_check_execution_history(check_key, limit=50)
        if record.run_id == run_id
    ]


def test_the_instance_is_the_projects_with_its_event_log(instance, tmp_path):
    assert isinstance(instance, PipelineInstance)
    storage = instance.event_log_storage
    assert isinstance(storage, FastSqliteEventLogStorage)
    assert storage._base_dir.rstrip("/") == str(tmp_path / "dagster_home" / "history")


def test_engine_is_pooled_with_synchronous_normal(instance):
    storage = instance.event_log_storage
    assert storage._engine is storage._engine  # one engine per process
    with storage.index_connection() as conn:
        assert conn.exec_driver_sql("pragma synchronous").scalar() == 1  # NORMAL (stock: FULL = 2)
        assert conn.exec_driver_sql("pragma journal_mode").scalar() == "wal"


def test_a_batch_of_events_is_one_transaction(instance):
    storage = instance.event_log_storage
    commits: list[int] = []

    def count_commit(_connection) -> None:
        commits.append(1)

    db.event.listen(storage._engine, "commit", count_commit)
    try:
        result = materialize([numbers], instance=instance, tags=range_tags(FIRST, LAST))
    finally:
        db.event.remove(storage._engine, "commit", count_commit)
    assert result.success
    records = instance.get_records_for_run(result.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    ids = [record.storage_id for record in records]
    assert len(ids) == 20 and ids == list(range(ids[0], ids[0] + 20))  # one multi-row insert
    # the 20 materializations (with their tags and the asset's row) share one commit: fewer commits
    # than the run has events (stored one by one, each materialization commits at least twice)
    assert len(commits) < len(instance.get_records_for_run(result.run_id, limit=1000).records)


def test_a_range_run_plans_each_check_once_and_its_evaluation_settles_it(instance):
    result = materialize([numbers], instance=instance, tags=range_tags(FIRST, LAST))
    assert result.success
    assert _check_records(instance, result.run_id) == [(AssetCheckExecutionRecordStatus.SUCCEEDED, None)]


def test_a_one_date_run_settles_its_record_and_keeps_the_date(instance):
    result = materialize([numbers], instance=instance, tags=range_tags(FIRST, FIRST))
    assert result.success
    assert _check_records(instance, result.run_id) == [(AssetCheckExecutionRecordStatus.SUCCEEDED, FIRST)]


def test_asset_key_columns_are_reflected_once(instance):
    storage = instance.event_log_storage
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with storage.index_connection() as conn:
        db.event.listen(conn, "before_cursor_execute", record)
        assert storage._has_asset_key_col_on_connection(conn, "cached_status_data") is True
        first_answer = len(statements)
        assert storage._has_asset_key_col_on_connection(conn, "cached_status_data") is True
        db.event.remove(conn, "before_cursor_execute", record)
    assert first_answer > 0 and len(statements) == first_answer  # asked again: no query


def test_event_batch_size_comes_from_the_settings(tmp_path, monkeypatch):
    home = prepare_dagster_home(tmp_path / "home")
    settings = yaml.safe_load((home / "dagster.yaml").read_text())
    assert settings["event_batch_size"] > 0  # the project batches
    settings["event_batch_size"] = 250
    (home / "dagster.yaml").write_text(yaml.safe_dump(settings))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv(EVENT_BATCH_SIZE_VARIABLE, raising=False)
    with DagsterInstance.get() as instance:
        assert instance._get_event_batch_size() == 250
        monkeypatch.setenv(EVENT_BATCH_SIZE_VARIABLE, "7")
        assert instance._get_event_batch_size() == 7  # Dagster's own variable still wins
