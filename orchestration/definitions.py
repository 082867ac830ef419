"""Dagster definitions: every phase as date-partitioned assets, one run per range.

    dagster asset materialize -m orchestration.definitions --select '*' --partition-range 2022-04-16...2022-06-17
    dagster dev -m orchestration.definitions        # the web UI (Launch backfill)

Assembled from the small modules of `orchestration.dagster` (see its docstring).
The dbt manifest is parsed here when missing or out of date, so a fresh
checkout needs no manual `dbt parse`.
"""

from __future__ import annotations

from functools import reduce

from dagster import AssetSelection, Definitions

from orchestration.dagster.concurrency import WAREHOUSE_POOL
from orchestration.dagster.dbt_assets import build_dbt_assets
from orchestration.dagster.dbt_project import ensure_manifest
from orchestration.dagster.executor import pipeline_executor
from orchestration.dagster.jobs import backfill_alert_digest_job, daily_pipeline_job
from orchestration.dagster.monitoring_assets import (
    build_coverage_asset,
    build_gap_healing_sensor,
    build_warehouse_sync_sensor,
)
from orchestration.dagster.partitions import BACKFILL_POLICY, GAME_DATE_PARTITIONS
from orchestration.dagster.raw_assets import nba_raw_landing
from orchestration.dagster.resources import make_resources
from orchestration.dagster.schedules import daily_pipeline_schedule
from orchestration.dagster.sensors import backfill_alert_digest
from orchestration.dagster.step_assets import build_step_assets
from orchestration.dagster.translator import PHASE_TAG, PipelineLayout
from orchestration.dagster.warehouse_sync import keys_by_phase

MANIFEST = ensure_manifest()
LAYOUT = PipelineLayout(MANIFEST)


def assets_of_phases(phases: list[int]) -> AssetSelection:
    """The assets of some phases (tag nba/phase), for the gap healer's runs."""
    return reduce(lambda left, right: left | right, [AssetSelection.tag(PHASE_TAG, str(n)) for n in phases])


# stopped by default: turn it on in the UI (Automation) once the warehouse is backfilled
gap_healing_sensor = build_gap_healing_sensor(assets_of_phases)

# running by default: Dagster's partitions follow the warehouse, whoever built it
warehouse_sync_sensor = build_warehouse_sync_sensor(keys_by_phase(LAYOUT))

PHASE_ASSETS = [nba_raw_landing, *build_dbt_assets(LAYOUT, MANIFEST), *build_step_assets(LAYOUT)]
# after every phase of a run: the coverage table (whole warehouse) as metadata in the web UI
coverage_asset = build_coverage_asset(
    resource_key="pipeline",
    pool=WAREHOUSE_POOL,
    partitions_def=GAME_DATE_PARTITIONS,
    backfill_policy=BACKFILL_POLICY,
    deps=[key for assets in PHASE_ASSETS for key in assets.keys],
)

defs = Definitions(
    assets=[*PHASE_ASSETS, coverage_asset],
    jobs=[daily_pipeline_job, backfill_alert_digest_job],
    schedules=[daily_pipeline_schedule],
    sensors=[backfill_alert_digest, gap_healing_sensor, warehouse_sync_sensor],
    resources=make_resources(),
    executor=pipeline_executor,
)
