"""A faster SQLite event log for single-run backfills of long ranges.

Dagster records one ASSET_MATERIALIZATION event per asset and partition (and,
by default, one ASSET_MATERIALIZATION_PLANNED per asset and partition too): a
four-season range over 25 assets is 33,475 materializations. The stock SQLite
event log writes each event in its own transactions, creating a new SQLAlchemy
engine per connection and fsyncing every commit (about 70 ms per event on this
machine: over an hour for four seasons).

This storage is Dagster's `ConsolidatedSqliteEventLogStorage` (one SQLite file,
same tables and queries, so the webserver and daemon read it as usual) with:
- one engine per process with a small pool of open connections (closing the
  last connection of a WAL database checkpoints it), SQLite in WAL mode with
  `synchronous=NORMAL` (a crashed process loses nothing; a power cut can lose
  the last commits, never corrupt the file);
- `store_event_batch` writing a whole batch in ONE transaction (Dagster sends
  the per-partition events of an output as a batch when its event batch size
  is above 0: the instance's `event_batch_size`, see instance.py);
- one planned event per asset and run, carrying the run's partitions
  (Dagster's DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS, on here unless
  that variable says false), with the two queries that read planned events
  per partition taught to read these too, so a failed run's partitions still
  show as failed and a running (or killed, not yet reaped) run's as in progress;
- one planned record per asset check and run, settled by the check's
  evaluation (Dagster's plans one per partition of a range, which a range-wide
  evaluation never settles).

It overrides private methods of Dagster's storage, so pyproject.toml pins Dagster
to the minor version they were written for, and tests/test_dagster_storage.py has
one test per override. The local instance uses it (`instance_class` in the
project's dagster.yaml: orchestration/dagster/instance.py puts it at
`<instance folder>/history`, beside the run storage); the production instance
(dagster.postgres.yaml) uses Dagster's stock PostgreSQL storage. Why it is kept,
measured: README, "Dagster instance: the measured choice".
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as db
from dagster import AssetKey, DagsterEventType, EventLogEntry, Field, StringSource
from dagster._core.events import ASSET_CHECK_EVENTS, ASSET_EVENTS
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log.base import PlannedMaterializationInfo
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable, SqlEventLogStorageTable
from dagster._core.storage.event_log.sqlite.consolidated_sqlite_event_log import ConsolidatedSqliteEventLogStorage
from dagster._serdes import ConfigurableClassData, deserialize_value, serialize_value
from dagster._utils.tags import get_boolean_tag_value
from sqlalchemy.pool import QueuePool

SQLITE_BUSY_TIMEOUT_SECONDS = 30

SUBSET_PLANNED_EVENTS = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
PLANNED = DagsterEventType.ASSET_MATERIALIZATION_PLANNED


class FastSqliteEventLogStorage(ConsolidatedSqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._local = threading.local()
        self._engine_pid: int | None = None
        self._engine_cache = None
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource)}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]):
        return cls(inst_data=inst_data, **config_value)

    @property
    def _engine(self):
        if self._engine_cache is None or self._engine_pid != os.getpid():
            engine = db.create_engine(
                self._conn_string,
                poolclass=QueuePool,
                pool_size=4,
                max_overflow=16,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )

            @db.event.listens_for(engine, "connect")
            def _pragmas(dbapi_connection, _record):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()

            self._engine_cache, self._engine_pid = engine, os.getpid()
        return self._engine_cache

    @contextmanager
    def _connect(self):
        ambient = getattr(self._local, "conn", None)
        if ambient is not None:
            yield ambient
            return
        with self._engine.connect() as conn:
            with conn.begin():
                yield conn

    def _store_asset_check_evaluation_planned(self, event, event_id) -> None:
        """One PLANNED row per check and run (on the run's partition if it has one, else none).

        A run for one partition key evaluates its checks for that partition (Dagster sets the
        evaluation's partition), but a range run evaluates each check once for the whole range,
        with no partition. Dagster's stock storage plans a row per partition of the range anyway;
        the evaluation then matches none of them and adds its own, so every partition's row
        stays PLANNED for good (234,325 such rows, 370 MB, after one four-season run). Here each
        check is planned as one row per run, which its evaluation settles (below)."""
        planned = event.dagster_event.event_specific_data
        partition_keys = planned.partitions_subset.get_partition_keys() if planned.partitions_subset else []
        with self.index_connection() as conn:
            conn.execute(
                AssetCheckExecutionsTable.insert(),
                {
                    "asset_key": planned.asset_key.to_string(),
                    "check_name": planned.check_name,
                    "partition": partition_keys[0] if len(partition_keys) == 1 else None,
                    "run_id": event.run_id,
                    "execution_status": AssetCheckExecutionRecordStatus.PLANNED.value,
                    "evaluation_event": serialize_value(event),
                    "evaluation_event_timestamp": self._event_insert_timestamp(event),
                    "evaluation_event_storage_id": event_id,
                },
            )

    def _update_asset_check_evaluation(self, event, event_id) -> None:
        """The evaluation settles its run's PLANNED row for the check whatever partition each
        names: a one-date run over a range (our runs' partition-range tags) plans that date but
        evaluates with no partition, and the row keeps the date. Anything else (no PLANNED row
        left) goes Dagster's way."""
        evaluation = event.dagster_event.event_specific_data
        table = AssetCheckExecutionsTable
        with self.index_connection() as conn:
            settled = conn.execute(
                table.update()
                .where(
                    table.c.asset_key == evaluation.asset_key.to_string(),
                    table.c.check_name == evaluation.check_name,
                    table.c.run_id == event.run_id,
                    table.c.execution_status == AssetCheckExecutionRecordStatus.PLANNED.value,
                )
                .values(
                    execution_status=(
                        AssetCheckExecutionRecordStatus.SUCCEEDED.value
                        if evaluation.passed
                        else AssetCheckExecutionRecordStatus.FAILED.value
                    ),
                    evaluation_event=serialize_value(event),
                    evaluation_event_timestamp=self._event_insert_timestamp(event),
                    evaluation_event_storage_id=event_id,
                    materialization_event_storage_id=(
                        evaluation.target_materialization_data.storage_id
                        if evaluation.target_materialization_data
                        else None
                    ),
                    partition=db.func.coalesce(evaluation.partition, table.c.partition),
                )
            ).rowcount
        if not settled:
            super()._update_asset_check_evaluation(event, event_id)

    def _has_asset_key_col_on_connection(self, conn, column_name: str) -> bool:
        # the stock version reflects the table's columns for every asset event
        cache = self.__dict__.setdefault("_asset_key_columns", {})
        if column_name not in cache:
            cache[column_name] = super()._has_asset_key_col_on_connection(conn, column_name)
        return cache[column_name]

    @property
    def supports_partition_subset_in_asset_materialization_planned_events(self) -> bool:
        setting = os.getenv(SUBSET_PLANNED_EVENTS)
        return True if setting is None else get_boolean_tag_value(setting)

    def _ranged_planned_events(
        self, asset_key: AssetKey, after_storage_id: int | None = None, descending: bool = False
    ) -> list[tuple[int, str, Sequence[str]]]:
        """(storage id, run id, partition keys) of the asset's planned events that carry a
        partitions subset (stored with no partition), oldest first unless `descending`."""
        table = SqlEventLogStorageTable
        query = db.select(table.c.id, table.c.run_id, table.c.event).where(
            table.c.asset_key == asset_key.to_string(),
            table.c.dagster_event_type == PLANNED.value,
            table.c.partition.is_(None),
        )
        if after_storage_id is not None:
            query = query.where(table.c.id > after_storage_id)
        query = self._add_assets_wipe_filter_to_query(query, self._get_assets_details([asset_key]), [asset_key])
        query = query.order_by(table.c.id.desc() if descending else table.c.id.asc())
        with self.index_connection() as conn:
            rows = conn.execute(query).fetchall()
        ranged = []
        for storage_id, run_id, serialized in rows:
            planned = deserialize_value(serialized, EventLogEntry).get_dagster_event().event_specific_data
            if planned.partitions_subset is not None:
                ranged.append((storage_id, run_id, planned.partitions_subset.get_partition_keys()))
        return ranged

    def get_latest_asset_partition_materialization_attempts_without_materializations(
        self, asset_key: AssetKey, after_storage_id: int | None = None
    ) -> Mapping[str, tuple[str, int]]:
        """Dagster's answer (partitions whose latest planned event, stored per partition, has no
        materialization after it), with the ranged planned events read as one per partition: the
        asset status cache builds failed and in-progress partitions from this."""
        attempts = dict(
            super().get_latest_asset_partition_materialization_attempts_without_materializations(
                asset_key, after_storage_id
            )
        )
        ranged = self._ranged_planned_events(asset_key, after_storage_id)
        if not ranged:
            return attempts
        latest_planned = dict(
            self.get_latest_storage_id_by_partition(asset_key, PLANNED, after_cursor=after_storage_id)
        )
        materialized = self.get_latest_storage_id_by_partition(
            asset_key, DagsterEventType.ASSET_MATERIALIZATION, after_cursor=after_storage_id
        )
        for storage_id, run_id, partition_keys in ranged:
            for partition in partition_keys:
                if storage_id < latest_planned.get(partition, -1):
                    continue  # a later plan for this partition decides
                latest_planned[partition] = storage_id
                if storage_id > materialized.get(partition, -1):
                    attempts[partition] = (run_id, storage_id)
                else:
                    attempts.pop(partition, None)
        return attempts

    def get_latest_planned_materialization_info(
        self, asset_key: AssetKey, partition: str | None = None
    ) -> PlannedMaterializationInfo | None:
        info = super().get_latest_planned_materialization_info(asset_key, partition)
        if partition is None:
            return info  # the unfiltered query sees ranged events too
        newer = self._ranged_planned_events(asset_key, info.storage_id if info else None, descending=True)
        for storage_id, run_id, partition_keys in newer:
            if partition in partition_keys:
                return PlannedMaterializationInfo(storage_id=storage_id, run_id=run_id)
        return info

    def store_event_batch(self, events: Sequence) -> None:
        """A batch (the per-partition events of one output, a run's planned events) in ONE
        transaction: one multi-row insert, the asset tags in one go, and the asset's summary row
        updated once per asset and event type with the last event (the state storing the events
        one by one leaves)."""
        if not events:
            return
        with self._connect() as conn:
            outer = getattr(self._local, "conn", None)
            self._local.conn = conn
            try:
                # a plain executemany: with RETURNING in parameter order SQLAlchemy inserts SQLite
                # rows one statement each. The transaction holds SQLite's write lock from its first
                # insert, so the batch's ids are consecutive and end at last_insert_rowid().
                conn.execute(SqlEventLogStorageTable.insert(), [self._event_to_row(event) for event in events])
                last_id = conn.exec_driver_sql("select last_insert_rowid()").scalar_one()
                ids = list(range(last_id - len(events) + 1, last_id + 1))
                asset_events = [
                    (event, event_id)
                    for event, event_id in zip(events, ids)
                    if event.is_dagster_event
                    and event.dagster_event_type in ASSET_EVENTS
                    and event.dagster_event.asset_key
                ]
                if asset_events:
                    self._store_asset_event_tags(conn, [e for e, _ in asset_events], [i for _, i in asset_events])
                    last: dict = {}
                    for position, (event, event_id) in enumerate(asset_events):
                        last[(event.dagster_event.asset_key, event.dagster_event_type)] = (position, event, event_id)
                    for _, event, event_id in sorted(last.values(), key=lambda item: item[0]):
                        self._store_asset_event(conn, event, event_id)
                for event, event_id in zip(events, ids):
                    if event.is_dagster_event and event.dagster_event_type in ASSET_CHECK_EVENTS:
                        self.store_asset_check_event(event, event_id)
            finally:
                self._local.conn = outer
