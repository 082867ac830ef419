"""DuckDB has one writer: every warehouse-writing step claims a slot of one Dagster pool.

The pool's limit is the instance's `concurrency: pools: default_limit: 1`
(the project's `dagster.yaml`), so two concurrent runs queue at the pool
instead of failing with `Conflicting lock is held`.

A run process killed with SIGKILL never frees its slot, and a CLI run has no
daemon to notice: `reclaim_orphaned_slots` marks such runs failed and frees
their slots (our executor calls it before claiming; `run_monitoring` in
dagster.yaml does the same for daemon-launched runs). Against writers outside
Dagster (`nba-pipeline`, a plain `dbt build`) every step holds the warehouse
lock (orchestration/warehouse_lock.py) while it writes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

from orchestration.processes import process_alive, process_start_ticks

WAREHOUSE_POOL = "nba_warehouse"
PID_TAG = "nba/pid"
PID_START_TAG = "nba/pid_start"
HOST_TAG = "nba/host"


def run_process_tags() -> dict[str, str]:
    pid = os.getpid()
    return {PID_TAG: str(pid), PID_START_TAG: process_start_ticks(pid) or "", HOST_TAG: socket.gethostname()}


def reclaim_orphaned_slots(instance, log: Callable[[str], None] = print) -> list[str]:
    """Free pool slots held by runs that finished or whose run process on this host is gone."""
    from dagster import DagsterRunStatus

    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    freed: list[str] = []
    host = socket.gethostname()
    for run_id in storage.get_concurrency_run_ids():
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            storage.free_concurrency_slots_for_run(run_id)
            freed.append(run_id)
            continue
        if run.status not in (DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING):
            continue
        pid = run.tags.get(PID_TAG)
        if not pid or run.tags.get(HOST_TAG) != host or process_alive(int(pid), run.tags.get(PID_START_TAG)):
            continue
        message = (
            f"run process (pid {pid}) is gone while the run held the warehouse pool: "
            "marked failed and its slots freed, so the same range can be launched again"
        )
        instance.report_run_failed(run, message)
        storage.free_concurrency_slots_for_run(run_id)
        log(f"run {run_id}: {message}")
        freed.append(run_id)
    return freed
