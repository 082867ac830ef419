"""Alerts and circuit breakers fed from a finished range run (`run_backfill`'s result).

`report_run(result, warehouse, backfill_mode=True)` is what `nba-pipeline backfill`
calls after its run: inside a backfill every failed dbt node, failed prediction
system and BLOCKED phase becomes an alert of one digest (each distinct error once,
with its count); BLOCKED phases and circuits that open are critical and go out at
once. Each processor (phase) and prediction system feeds its circuit breaker
(backfill-mode thresholds).
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Callable

from orchestration.backfill import BackfillResult
from orchestration.monitoring.alerts import Alerter, Digest
from orchestration.monitoring.circuit_breaker import CircuitBreaker, processor_key, record_step_results
from orchestration.phases import Phase
from orchestration.warehouse import connect


def phase_of_node(unique_id: str, phases: list[Phase]) -> Phase | None:
    """The phase whose tables a dbt node (model or test) is about, from the table names in its id."""
    matches = [(len(table.split(".")[1]), phase) for phase in phases for table in phase.completeness_tables
               if table.split(".")[1] in unique_id]
    return max(matches, key=lambda m: m[0])[1] if matches else None


def _first_line(text: str | None) -> str:
    return " ".join((text or "").strip().splitlines()[:1])[:300]


def report_run(
    result: BackfillResult,
    warehouse: Path | None = None,
    backfill_mode: bool = True,
    webhook_url: str | None = None,
    clock: Callable[[], datetime] = datetime.now,
) -> Digest | None:
    """Alert on what failed or was blocked, feed the breakers; returns the digest (backfill mode)."""
    alerter = Alerter(warehouse=warehouse, webhook_url=webhook_url, clock=clock, source=f"backfill {result.run_id}")
    phases = result.plan.phases
    failed_phases: set[int] = set()
    with alerter.backfill(result.run_id) if backfill_mode else nullcontext(alerter):
        for blocked in result.plan.blocked:
            alerter.alert("phase_blocked", blocked.message(), severity="critical", run_id=result.run_id,
                          start_date=blocked.dates[0], end_date=blocked.dates[-1])
        for build in result.dbt_results:
            for node in build.failed_nodes:
                phase = phase_of_node(node.unique_id, phases) or (phases[0] if phases else None)
                if phase is not None:
                    failed_phases.add(phase.number)
                alerter.alert("dbt_failure", f"{node.unique_id}: {node.status} ({_first_line(node.message)})",
                              run_id=result.run_id)
            if not build.succeeded and not build.failed_nodes:
                alerter.alert("dbt_failure", f"dbt build failed: {_first_line(build.output_tail)}", run_id=result.run_id)
        for step in result.step_results:
            if step.status == "failed":
                alerter.alert("prediction_system", f"{step.name} failed: {_first_line(step.message)}",
                              run_id=result.run_id)
        with connect(warehouse) as con:
            for phase in phases:
                if not result.plan.runnable_ranges:
                    break
                breaker = CircuitBreaker(con, processor_key(phase.number), backfill_mode=backfill_mode, clock=clock,
                                         alerter=alerter)
                if phase.number in failed_phases or (result.failed_ranges and not failed_phases
                                                     and phase is phases[0]):
                    breaker.record_failure(f"run {result.run_id} failed")
                elif not result.failed_ranges:
                    breaker.record_success()
            record_step_results(con, result.step_results, backfill_mode, clock, alerter)
    return alerter.last_digest if backfill_mode else None
