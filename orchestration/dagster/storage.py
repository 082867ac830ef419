"""A faster SQLite event log for single-run backfills of long ranges.

Dagster records one ASSET_MATERIALIZATION (and one ASSET_MATERIALIZATION_PLANNED)
event per asset and partition: a four-season range over ~24 assets is ~60,000
events. The stock SQLite event log writes each event in its own transactions,
creating a new SQLAlchemy engine per connection and fsyncing every commit
(about 70 ms per event on this machine: over an hour for four seasons).

This storage is Dagster's `ConsolidatedSqliteEventLogStorage` (one SQLite file,
same tables and queries, so the webserver and daemon read it as usual) with:
- one engine per process with a small pool of open connections (closing the
  last connection of a WAL database checkpoints it), SQLite in WAL mode with
  `synchronous=NORMAL` (a
  crashed process loses nothing; a power cut can lose the last commits, never
  corrupt the file);
- `store_event_batch` writing a whole batch in ONE transaction (Dagster sends
  the per-partition events of an output as a batch when
  `DAGSTER_EVENT_BATCH_SIZE` > 0, which importing this module sets).

Configured in the project's dagster.yaml (`event_log_storage`). `base_dir`
defaults to `$DAGSTER_HOME/history` (the `dagster dev` temporary instance has
no DAGSTER_HOME: then `.dagster_home/history` under the working directory).
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Any, Mapping, Sequence

import sqlalchemy as db
from dagster import Field, StringSource
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.events import ASSET_CHECK_EVENTS, ASSET_EVENTS
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable, SqlEventLogStorageTable
from dagster._core.storage.event_log.sqlite.consolidated_sqlite_event_log import ConsolidatedSqliteEventLogStorage
from dagster._serdes import serialize_value
from dagster._serdes import ConfigurableClassData
from sqlalchemy.pool import QueuePool

SQLITE_BUSY_TIMEOUT_SECONDS = 30

# Every process that opens this instance (CLI, run worker, webserver, daemon)
# imports this module: batch the per-partition events of an output into one
# store_event_batch (one transaction) unless the user chose a batch size.
os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", "1000")


def default_base_dir() -> str:
    home = os.environ.get("DAGSTER_HOME")
    return os.path.join(home, "history") if home else os.path.join(os.getcwd(), ".dagster_home", "history")


class FastSqliteEventLogStorage(ConsolidatedSqliteEventLogStorage):
    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        self._local = threading.local()
        self._engine_pid: int | None = None
        self._engine_cache = None
        super().__init__(base_dir or default_base_dir(), inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

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
        """Same rows as Dagster's (one per check and partition of the run), inserted as ONE
        executemany with the event serialized once: the stock version serializes the whole
        event again for every partition (quadratic in the range length)."""
        planned = event.dagster_event.event_specific_data
        partition_keys = planned.partitions_subset.get_partition_keys() if planned.partitions_subset else [None]
        serialized, timestamp = serialize_value(event), self._event_insert_timestamp(event)
        rows = [
            dict(asset_key=planned.asset_key.to_string(), check_name=planned.check_name, partition=partition_key,
                 run_id=event.run_id, execution_status=AssetCheckExecutionRecordStatus.PLANNED.value,
                 evaluation_event=serialized, evaluation_event_timestamp=timestamp,
                 evaluation_event_storage_id=event_id)
            for partition_key in partition_keys
        ]
        with self.index_connection() as conn:
            conn.execute(AssetCheckExecutionsTable.insert(), rows)

    def _has_asset_key_col_on_connection(self, conn, column_name: str) -> bool:
        # the stock version reflects the table's columns for every asset event
        cache = self.__dict__.setdefault("_asset_key_columns", {})
        if column_name not in cache:
            cache[column_name] = super()._has_asset_key_col_on_connection(conn, column_name)
        return cache[column_name]

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
                result = conn.execute(
                    SqlEventLogStorageTable.insert().returning(SqlEventLogStorageTable.c.id,
                                                               sort_by_parameter_order=True),
                    [self._event_to_row(event) for event in events],
                )
                ids = [row[0] for row in result]
                asset_events = [(event, event_id) for event, event_id in zip(events, ids)
                                if event.is_dagster_event and event.dagster_event_type in ASSET_EVENTS
                                and event.dagster_event.asset_key]
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
