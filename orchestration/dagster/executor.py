"""The executor of every run: Dagster's in-process executor, plus two things before it claims a slot.

1. It tags the run with its process id (`nba/pid`, `nba/pid_start`, `nba/host`).
2. It frees the warehouse-pool slots of runs whose process is gone (SIGKILL,
   OOM, a closed laptop) so a relaunch of the same range does not wait forever
   behind a dead run.

In process, not multiprocess: the steps of a run hold one pool slot in turn
anyway (single writer), and a process per step would load the definitions
again for every step (seconds each).
"""

from __future__ import annotations

from dagster import Executor, executor, in_process_executor

from orchestration.dagster.concurrency import reclaim_orphaned_slots, run_process_tags


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
        yield from self._inner.execute(plan_context, execution_plan)


@executor(name="nba_in_process", config_schema=in_process_executor.config_schema)
def pipeline_executor(init_context):
    return _ReclaimingExecutor(in_process_executor.executor_creation_fn(init_context))
