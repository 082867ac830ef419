"""A run blocked at the warehouse pool sleeps until its next claim check (orchestration/dagster/pool_wait.py).

On a real SQLite instance whose pools hold one slot, as the project's: one run holds the slot, a second
run's step asks for it and is refused. Dagster's executor loop sleeps for the context's interval to the
next claim check; with the fix that interval is the time to that check (about Dagster's first back-off,
1 s), where Dagster 1.13.27 returns 0 and the loop spins.
"""

from __future__ import annotations

import pytest

from orchestration.dagster.concurrency import WAREHOUSE_POOL
from orchestration.dagster.pool_wait import sleep_between_pool_claim_checks


@pytest.fixture()
def instance(tmp_path):
    from dagster import DagsterInstance

    with DagsterInstance.local_temp(str(tmp_path), overrides={"concurrency": {"pools": {"default_limit": 1}}}) as one:
        yield one


def _run(instance, run_id: str):
    from dagster._core.storage.dagster_run import DagsterRun

    return instance.add_run(DagsterRun(job_name="pool_wait", run_id=run_id))


def test_a_step_refused_the_pool_waits_until_its_next_check(instance):
    from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext

    assert sleep_between_pool_claim_checks()
    assert instance.event_log_storage.supports_global_concurrency_limits
    with (
        InstanceConcurrencyContext(instance, _run(instance, "holding")) as holding,
        InstanceConcurrencyContext(instance, _run(instance, "waiting")) as waiting,
    ):
        assert holding.claim(WAREHOUSE_POOL, "build")
        assert waiting.interval_to_next_pending_claim_check() == 0.0  # nothing pending yet
        assert not waiting.claim(WAREHOUSE_POOL, "build")
        interval = waiting.interval_to_next_pending_claim_check()
        assert 0.5 < interval <= 15.0, interval  # the time to the check, never the 0 that made the loop spin
        assert not waiting.claim(WAREHOUSE_POOL, "build")  # asked again before then: refused without a query
        holding.free_step("build")
        instance.event_log_storage.free_concurrency_slot_for_step("holding", "build")
