"""A run waiting for the warehouse pool sleeps until its next claim check instead of spinning.

Dagster 1.13.27's in-process executor loop sleeps for `ActiveExecution.sleep_interval()`, which asks
`InstanceConcurrencyContext.interval_to_next_pending_claim_check()` how long until a blocked step may
claim its pool slot again. That method returns `min([0, *(ready_at - now)])`: never above zero, so the
loop never sleeps. A run queued behind another at the `nba_warehouse` pool (limit 1) spun until the
slot freed. Measured (tests/test_dagster_cli.py, the queued runs, each run process sampled every 2 s,
2-core machine): without this fix both runs used 36-78% of a core each throughout, one of them only
waiting, and the test took 82.1 s; with it the waiting run used 0%, the building one 82-98%, 54.6 s. The wait Dagster means is the time to the earliest check, not below zero; this module
puts that method right in the run's process (our executor calls `sleep_between_pool_claim_checks`).

Only a Dagster internal carries the value, so the fix is applied only when the class still has the
state it reads; without it (a Dagster that changed the class) runs behave as Dagster ships them.
tests/test_dagster_pool_wait.py holds the behaviour on the installed Dagster.
"""

from __future__ import annotations

import time


def interval_to_next_claim_check(pending_claims, pending_timeouts) -> float:
    """Seconds until the earliest blocked step may claim again: 0 when one may now or none waits."""
    if not pending_claims:
        return 0.0
    now = time.time()
    return max(0.0, min(pending_timeouts.get(step_key, 0.0) - now for step_key in pending_claims))


def sleep_between_pool_claim_checks() -> bool:
    """Patch Dagster's claim-check interval (see the module's docstring); True when applied."""
    try:
        from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
    except ImportError:
        return False
    method = InstanceConcurrencyContext.__dict__.get("interval_to_next_pending_claim_check")
    if method is None or getattr(method, "_nba_pipeline_fix", False):
        return method is not None

    def interval_to_next_pending_claim_check(self) -> float:
        pending_claims = getattr(self, "_pending_claims", None)
        pending_timeouts = getattr(self, "_pending_timeouts", None)
        if pending_claims is None or pending_timeouts is None:
            return method(self)
        return interval_to_next_claim_check(pending_claims, pending_timeouts)

    interval_to_next_pending_claim_check._nba_pipeline_fix = True  # type: ignore[attr-defined]
    InstanceConcurrencyContext.interval_to_next_pending_claim_check = interval_to_next_pending_claim_check
    return True
