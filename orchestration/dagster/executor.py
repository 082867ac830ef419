"""The executor of every run: Dagster's in-process executor, plus what a run of this project
needs before and after its steps.

Before:
1. It tags the run with its process id (`nba/pid`, `nba/pid_start`, `nba/host`).
2. It frees the warehouse-pool slots of runs whose process is gone (SIGKILL,
   OOM, a closed laptop) so a relaunch of the same range does not wait forever
   behind a dead run.
After:
3. It closes the run's record in `pipeline_runs` (the runner wrote it when the
   first step started) with the run's outcome.
4. It syncs the instance's partitions with the warehouse (warehouse_sync.py): a
   forward cascade writes dates beyond the run's partitions.
While a step waits for the warehouse pool, the run sleeps until its next claim
check instead of spinning (pool_wait.py: a Dagster 1.13.27 fault, measured there).

In process, not multiprocess: the steps of a run hold one pool slot in turn
anyway (single writer), and a process per step would load the definitions
again for every step (seconds each).
"""

from __future__ import annotations

from dagster import Executor, executor, in_process_executor

from orchestration.dagster.concurrency import reclaim_orphaned_slots, run_process_tags
from orchestration.dagster.pool_wait import sleep_between_pool_claim_checks


class _ReclaimingExecutor(Executor):
    def __init__(self, inner: Executor):
        self._inner = inner

    @property
    def retries(self):
        return self._inner.retries

    @property
    def step_dependency_config(self):
        return self._inner.step_dependency_config

    def execute(self, plan_context, execution_plan):
        instance = plan_context.instance
        run_id = plan_context.dagster_run.run_id
        instance.add_run_tags(run_id, run_process_tags())
        reclaim_orphaned_slots(instance, log=lambda message: plan_context.log.warning(message))
        failed = False
        for event in self._inner.execute(plan_context, execution_plan):
            failed = failed or event.is_step_failure
            yield event
        _after_run(plan_context, run_id, failed)


def _after_run(plan_context, run_id: str, failed: bool) -> None:
    from orchestration.dagster.resources import PipelineResource
    from orchestration.dagster.warehouse_sync import sync_warehouse
    from orchestration.run_history import close_run
    from orchestration.warehouse_lock import WarehouseBusy

    config = (plan_context.run_config.get("resources", {}).get("pipeline", {}) or {}).get("config", {}) or {}
    warehouse = PipelineResource(**config).warehouse()
    if not warehouse.exists():
        return
    say = plan_context.log.info
    try:
        with warehouse.writing(f"dagster run {run_id}", say=say) as db:
            close_run(db, run_id, "failed" if failed else "success")
        sync_warehouse(warehouse, plan_context.instance, say=say)
    except WarehouseBusy as error:  # the sensor syncs later; the record stays `running` until then
        plan_context.log.warning(f"after the run: {error}")


@executor(name="nba_in_process", config_schema=in_process_executor.config_schema)
def pipeline_executor(init_context):
    sleep_between_pool_claim_checks()
    return _ReclaimingExecutor(in_process_executor.executor_creation_fn(init_context))
