"""Monitoring in Dagster: the coverage of the whole warehouse as an asset's metadata, and the
gap-healing sensor (orchestration.monitoring.healing decides; the sensor turns its requests
into runs). Wired by `orchestration.definitions`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from orchestration.monitoring.coverage import coverage_report, format_markdown
from orchestration.monitoring.gaps import ScanResult, scan_gaps
from orchestration.monitoring.healing import DEFAULT_MAX_AGE_DAYS, healing_requests
from orchestration.phases import PHASES
from orchestration.warehouse import Session, Warehouse, as_warehouse
from orchestration.warehouse_lock import WarehouseBusy, WarehouseUnreadable

# ---------------------------------------------------------------- coverage as metadata


def coverage_metadata(con: Session, scan: ScanResult | None = None) -> dict:
    """Dagster metadata: the status table as Markdown, percentages per phase, open gaps.
    `scan`: the gap scan just made, whose gaps and open gaps are reused instead of found again."""
    from dagster import MetadataValue

    from orchestration.monitoring.gaps import open_gaps
    from orchestration.monitoring.patterns import patterns_report

    _, summaries = coverage_report(con)
    metadata: dict = {"coverage": MetadataValue.md(format_markdown(summaries))}
    total = next((s for s in summaries if s.season_year is None), None)
    if total is not None:
        for number, phase in total.phases.items():
            metadata[f"phase_{number}_games_complete_pct"] = MetadataValue.float(round(phase.percent_games, 2))
            metadata[f"phase_{number}_dates_missing"] = MetadataValue.int(phase.dates_missing)
            metadata[f"phase_{number}_dates_blocked"] = MetadataValue.int(phase.dates_blocked)
    metadata["open_gaps"] = MetadataValue.int(len(scan.open_gaps if scan is not None else open_gaps(con)))
    metadata["patterns"] = MetadataValue.md(patterns_report(con).markdown())  # `nba-pipeline report patterns`
    return metadata


def build_coverage_asset(
    resource_key: str = "pipeline",
    key: str = "pipeline_coverage",
    group_name: str = "monitoring",
    pool: str | None = None,
    partitions_def=None,
    backfill_policy=None,
    deps: Sequence = (),
):
    """An asset that scans gaps and reports coverage of the WHOLE warehouse as its metadata
    (the web UI shows the table on the asset's page).

    The resource under `resource_key` must have `.warehouse() -> Warehouse` (PipelineResource does).
    Given the phases' partitions, backfill policy and assets as `deps`, it runs at the end of
    every range run (`--select '*' --partition-range` needs every selected asset partitioned
    alike), so its latest materialization is the coverage after that run.
    """
    from dagster import AssetSpec, MaterializeResult, multi_asset

    # a multi-asset of one spec: `@asset(backfill_policy=...)` is a Beta parameter (a warning at every load),
    # the multi-asset's is not
    spec = AssetSpec(
        key,
        group_name=group_name,
        deps=list(deps),
        description="Coverage per season and phase (schedule vs each phase's tables) and the open gaps, "
        "for the whole warehouse, and the pipeline's patterns (`nba-pipeline report "
        "patterns`: durations, skips, breakers, alerts, duplicate processing, gaps, "
        "healing), refreshed by every run that reaches it.",
    )

    @multi_asset(
        name=key,
        specs=[spec],
        required_resource_keys={resource_key},
        pool=pool,
        partitions_def=partitions_def,
        backfill_policy=backfill_policy,
    )
    def _coverage(context):
        warehouse = getattr(context.resources, resource_key).warehouse()
        with warehouse.writing(f"dagster {key}", say=context.log.info) as db:
            result = scan_gaps(db)
            metadata = coverage_metadata(db, result)
        context.log.info(f"gap scan: {len(result.found)} found, {result.new} new, {result.closed} closed")
        return MaterializeResult(asset_key=spec.key, metadata=metadata)

    return _coverage


def build_gap_healing_sensor(
    selection_for_phases: Callable[[list[int]], object],
    name: str = "gap_healing_sensor",
    minimum_interval_seconds: int = 300,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    warehouse: Warehouse | Path | None = None,
    default_status=None,
    retrigger_after_minutes: int = 120,
):
    """A Dagster sensor healing gaps: each tick runs `healing_requests` and yields one RunRequest per
    range (a partition-range run over the phases from the gap's downstream phase on).

    `selection_for_phases([3, 4, 5, 6])` returns the assets of those phases: an AssetSelection
    (resolved against the repository's asset graph) or a list of AssetKeys. Runs claim the
    warehouse pool like any run of those assets. `warehouse`: None = the target's (BigQuery on prod). If
    another process holds the DuckDB file, the tick is skipped (the next one retries).
    """
    from dagster import AssetSelection, DefaultSensorStatus, RunRequest, SkipReason, sensor

    every_phase = [p.number for p in PHASES]
    target = selection_for_phases(every_phase)

    @sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status or DefaultSensorStatus.STOPPED,
        asset_selection=target,
        description=(
            f"Scans the warehouse for gaps between phases (missing or stale dates) and launches one run "
            f"per contiguous range, extended by the forward cascade; gaps older than {max_age_days} days "
            f"raise an alert instead."
        ),
    )
    def _gap_healing(context):
        try:
            requests, reason = healing_requests(
                warehouse, max_age_days=max_age_days, retrigger_after_minutes=retrigger_after_minutes
            )
        except (WarehouseBusy, duckdb.IOException) as error:  # a writer holds the file: next tick
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


def build_warehouse_sync_sensor(
    keys_by_phase: dict,
    name: str = "warehouse_sync_sensor",
    minimum_interval_seconds: int = 60,
    warehouse: Warehouse | Path | None = None,
):
    """A sensor that keeps the instance's partitions equal to the warehouse's coverage
    (warehouse_sync.py), for builds Dagster did not run: a plain `dbt build`, a command on
    another machine. Running by default; it only reads the warehouse."""
    from dagster import DefaultSensorStatus, SkipReason, sensor

    from orchestration.dagster.warehouse_sync import sync_partitions

    @sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="Keeps every asset's materialized partitions equal to the dates the warehouse holds "
        "complete (present, fresh, gates passed), whoever built them.",
    )
    def _warehouse_sync(context):
        target = as_warehouse(warehouse)  # when the tick runs: the sensor process's target
        if not target.exists():
            return SkipReason(f"no warehouse yet: {target.describe()}")
        try:
            with target.reading(timeout=SENSOR_WAIT_SECONDS, say=context.log.info) as db:
                report = sync_partitions(context.instance, db, keys_by_phase)
        except (WarehouseBusy, WarehouseUnreadable) as error:
            return SkipReason(f"warehouse not readable now: {error}")
        return SkipReason(report.describe())

    return _warehouse_sync


SENSOR_WAIT_SECONDS = 5.0
