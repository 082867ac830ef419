"""What the Dagster definitions import from monitoring: the gap-healing sensor, coverage as
asset metadata, and the helpers an asset run calls for circuit breakers and smart skip.

Nothing here is registered by itself; `orchestration.definitions` wires it:

    from orchestration.monitoring.dagster_hooks import (
        build_gap_healing_sensor, build_coverage_asset, coverage_metadata)

    gap_healing = build_gap_healing_sensor(assets_of_phases)     # phases -> the assets tagged nba/phase
    coverage = build_coverage_asset(resource_key="pipeline", pool=WAREHOUSE_POOL)

Inside a warehouse-writing asset step (see `guard_partition`):

    decision = guard_partition(con, phase, start, end, backfill_mode)   # before the work
    if decision.skip: record_run(..., status="skipped", skip_reason=decision.reason); return
    ...                                                                # the work
    finish_partition(con, phase, start, end, ok, error, backfill_mode, run_id, alerter)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Sequence

import duckdb

from orchestration.dagster.modes import HEAL_TAG, MODE_TAG, range_tags
from orchestration.monitoring.alerts import Alerter
from orchestration.monitoring.circuit_breaker import CircuitBreaker, processor_key
from orchestration.monitoring.coverage import coverage_report, format_markdown
from orchestration.monitoring.gaps import ScanResult, scan_gaps, set_gap_status
from orchestration.monitoring.healing import DEFAULT_MAX_AGE_DAYS, alert_old_gaps, plan_healing
from orchestration.monitoring.smart_skip import input_fingerprint, record_fingerprint, skip_decision
from orchestration.phases import PHASES
from orchestration.warehouse import connect



# ---------------------------------------------------------------- coverage as metadata

def coverage_metadata(con: duckdb.DuckDBPyConnection, scan: ScanResult | None = None) -> dict:
    """Dagster metadata: the status table as Markdown, percentages per phase, open gaps.
    `scan`: the gap scan just made, whose gaps and open gaps are reused instead of found again."""
    from dagster import MetadataValue

    from orchestration.monitoring.gaps import open_gaps

    _, summaries = coverage_report(con, gaps=scan.found if scan is not None else None)
    metadata: dict = {"coverage": MetadataValue.md(format_markdown(summaries))}
    total = next((s for s in summaries if s.season_year is None), None)
    if total is not None:
        for number, phase in total.phases.items():
            metadata[f"phase_{number}_games_complete_pct"] = MetadataValue.float(round(phase.percent_games, 2))
            metadata[f"phase_{number}_dates_missing"] = MetadataValue.int(phase.dates_missing)
            metadata[f"phase_{number}_dates_blocked"] = MetadataValue.int(phase.dates_blocked)
    metadata["open_gaps"] = MetadataValue.int(len(scan.open_gaps if scan is not None else open_gaps(con)))
    return metadata


def build_coverage_asset(resource_key: str = "pipeline", key: str = "pipeline_coverage",
                         group_name: str = "monitoring", pool: str | None = None,
                         partitions_def=None, backfill_policy=None, deps: Sequence = ()):
    """An asset that scans gaps and reports coverage of the WHOLE warehouse as its metadata
    (the web UI shows the table on the asset's page).

    The resource under `resource_key` must have `.warehouse() -> Path` (PipelineResource does).
    Given the phases' partitions, backfill policy and assets as `deps`, it runs at the end of
    every range run (`--select '*' --partition-range` needs every selected asset partitioned
    alike), so its latest materialization is the coverage after that run.
    """
    from dagster import MaterializeResult, asset

    @asset(name=key, group_name=group_name, required_resource_keys={resource_key}, pool=pool,
           partitions_def=partitions_def, backfill_policy=backfill_policy, deps=list(deps),
           description="Coverage per season and phase (schedule vs each phase's tables) and the open gaps, "
                       "for the whole warehouse, refreshed by every run that reaches it.")
    def _coverage(context):
        warehouse = getattr(context.resources, resource_key).warehouse()
        with connect(warehouse) as con:
            result = scan_gaps(con)
            metadata = coverage_metadata(con, result)
        context.log.info(f"gap scan: {len(result.found)} found, {result.new} new, {result.closed} closed")
        return MaterializeResult(metadata=metadata)

    return _coverage


# ---------------------------------------------------------------- gap healing sensor

@dataclass
class HealRequest:
    pair: str
    start: date
    end: date                 # after the forward cascade
    phases: list[int]         # phases the run must materialize (2 = the raw load from landing)
    gap_ids: list[str]
    run_key: str
    tags: dict = field(default_factory=dict)


def healing_requests(
    warehouse: Path | None = None,
    today: date | None = None,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    retrigger_after_minutes: int = 120,
    now: datetime | None = None,
    alerter: Alerter | None = None,
) -> tuple[list[HealRequest], str]:
    """One sensor tick without Dagster: scan, alert old gaps, decide the next runs, mark their gaps triggered.

    Returns (requests, why-nothing). Only the first phase pair with healable gaps gets runs
    (a later tick heals what is left, after those runs changed the data). A gap triggered
    more than `retrigger_after_minutes` ago and still open counts as a failed heal (fed to the
    processor's circuit breaker) and becomes healable again; an OPEN circuit holds its pair back.
    """
    from orchestration.backfill import plan_backfill

    today = today or date.today()
    now = now or datetime.now()
    alerter = alerter or Alerter(warehouse=warehouse, source="gap_healing_sensor")
    with connect(warehouse) as con:
        scan = scan_gaps(con, today, now)
        overdue = [g for g in scan.open_gaps if g.healing_status == "triggered" and g.triggered_at is not None
                   and now - g.triggered_at > timedelta(minutes=retrigger_after_minutes)]
        for phase_to in sorted({g.phase_to for g in overdue}):
            CircuitBreaker(con, processor_key(phase_to), alerter=alerter).record_failure(
                f"healing run did not close its gaps within {retrigger_after_minutes} minutes")
        set_gap_status(con, [g.gap_id for g in overdue], "failed", now=now)
        open_now = [g for g in scan.open_gaps if g.gap_id not in {o.gap_id for o in overdue}] + [
            _with_status(g, "failed") for g in overdue]
        plan = plan_healing(con, open_now, today, max_age_days)
        alert_old_gaps(con, plan.too_old, alerter, max_age_days)
        runs = plan.next_runs()
        if not runs:
            waiting = f"; {len(plan.waiting)} gap(s) wait for their run" if plan.waiting else ""
            old = f"; {len(plan.too_old)} older than {max_age_days} days (alerted)" if plan.too_old else ""
            return [], f"no gaps to heal{waiting}{old}"
        breaker = CircuitBreaker(con, processor_key(runs[0].pair.downstream), alerter=alerter)
        decision = breaker.check()
        if not decision.allowed:
            return [], decision.message
        requests = []
        for heal_range in runs:
            phases = [p for p in PHASES if p.number >= heal_range.pair.downstream]
            dbt_like = [p for p in phases if p.dbt_selector or p.python_steps]
            end = plan_backfill(con, heal_range.start, heal_range.end, dbt_like, cascade=True, strict=False).end \
                if dbt_like else heal_range.end
            run_key = f"heal-{heal_range.pair.label}-{heal_range.start}-{end}-{uuid.uuid4().hex[:8]}"
            requests.append(HealRequest(
                heal_range.pair.label, heal_range.start, end, [p.number for p in phases],
                [g.gap_id for g in heal_range.gaps], run_key,
                {**range_tags(heal_range.start.isoformat(), end.isoformat()),
                 HEAL_TAG: heal_range.pair.label, MODE_TAG: "normal"}))
            set_gap_status(con, requests[-1].gap_ids, "triggered", run_key, now=now)
    return requests, ""


def _with_status(gap, status: str):
    from dataclasses import replace

    return replace(gap, healing_status=status)


def build_gap_healing_sensor(
    selection_for_phases: Callable[[list[int]], object],
    name: str = "gap_healing_sensor",
    minimum_interval_seconds: int = 300,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    warehouse: Path | None = None,
    default_status=None,
    retrigger_after_minutes: int = 120,
):
    """A Dagster sensor healing gaps: each tick runs `healing_requests` and yields one RunRequest per
    range (a partition-range run over the phases from the gap's downstream phase on).

    `selection_for_phases([3, 4, 5, 6])` returns the assets of those phases: an AssetSelection
    (resolved against the repository's asset graph) or a list of AssetKeys. Runs claim the
    warehouse pool like any run of those assets. If another process holds the DuckDB file, the
    tick is skipped (the next one retries).
    """
    from dagster import AssetSelection, DefaultSensorStatus, RunRequest, SkipReason, sensor

    every_phase = [p.number for p in PHASES]
    target = selection_for_phases(every_phase)

    @sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status or DefaultSensorStatus.STOPPED,
        asset_selection=target,
        description=(f"Scans the warehouse for gaps between phases (missing or stale dates) and launches one run "
                     f"per contiguous range, extended by the forward cascade; gaps older than {max_age_days} days "
                     f"raise an alert instead."),
    )
    def _gap_healing(context):
        try:
            requests, reason = healing_requests(warehouse, max_age_days=max_age_days,
                                                retrigger_after_minutes=retrigger_after_minutes)
        except duckdb.IOException as error:          # the file is locked by a writer: next tick
            return SkipReason(f"warehouse busy: {error}")
        if not requests:
            return SkipReason(reason)
        graph = context.repository_def.asset_graph if context.repository_def else None
        run_requests = []
        for request in requests:
            selection = selection_for_phases(request.phases)
            if isinstance(selection, AssetSelection):
                keys = sorted(selection.resolve(graph), key=lambda k: k.to_user_string())
            else:
                keys = list(selection)
            context.log.info(f"heal {request.pair} {request.start}..{request.end}: {len(request.gap_ids)} gap(s)")
            run_requests.append(RunRequest(run_key=request.run_key, asset_selection=keys, tags=request.tags))
        return run_requests

    return _gap_healing


# ---------------------------------------------------------------- inside an asset run

@dataclass(frozen=True)
class PartitionGuard:
    skip: bool
    reason: str | None        # circuit_open | unchanged_inputs | None
    message: str
    fingerprint: object = None


def guard_partition(
    con: duckdb.DuckDBPyConnection,
    phase: int,
    start: date,
    end: date,
    backfill_mode: bool,
    smart_skip: bool = True,
    clock: Callable[[], datetime] = datetime.now,
    alerter: Alerter | None = None,
) -> PartitionGuard:
    """Before an asset writes (phase, start..end): circuit breaker first, then smart skip (never in backfill mode)."""
    decision = CircuitBreaker(con, processor_key(phase), backfill_mode=backfill_mode, clock=clock,
                              alerter=alerter).check()
    if not decision.allowed:
        return PartitionGuard(True, decision.skip_reason, decision.message)
    if smart_skip and not backfill_mode:
        skip = skip_decision(con, phase, start, end, backfill_mode)
        return PartitionGuard(skip.skip, skip.reason, skip.message, skip.fingerprint)
    return PartitionGuard(False, None, "runs" + (" (backfill mode: no smart skip)" if backfill_mode else ""))


def finish_partition(
    con: duckdb.DuckDBPyConnection,
    phase: int,
    start: date,
    end: date,
    ok: bool,
    error: str = "",
    backfill_mode: bool = False,
    run_id: str | None = None,
    clock: Callable[[], datetime] = datetime.now,
    alerter: Alerter | None = None,
) -> str:
    """After an asset wrote (phase, start..end): feed the breaker, record the input fingerprint on success.

    Returns the breaker state. Opening the circuit raises a critical alert at once (the alerter
    should carry the backfill id in backfill mode, so non-critical alerts wait for the digest).
    """
    breaker = CircuitBreaker(con, processor_key(phase), backfill_mode=backfill_mode, clock=clock, alerter=alerter)
    if ok:
        state = breaker.record_success()
        record_fingerprint(con, input_fingerprint(con, phase, start, end), run_id)
    else:
        state = breaker.record_failure(error)
    return state.state


__all__: Sequence[str] = (
    "build_coverage_asset", "build_gap_healing_sensor", "coverage_metadata", "finish_partition", "guard_partition",
    "healing_requests",
)
