"""Dagster shows what the warehouse holds: each asset's materialized partitions are the game
dates `nba-pipeline status` counts complete for the asset's phase (present, fresh, verified).

Builds happen outside Dagster too (`nba-pipeline backfill`, heal, the demo, a plain
`dbt build`), and a Dagster run's forward cascade writes dates beyond its selected
partitions, so Dagster's own record of materializations drifts from the data. The
sync closes the gap from the data's side:
- a date complete in the warehouse but not materialized in Dagster gets a runless
  materialization (metadata `synced_from: warehouse`);
- an asset Dagster shows materialized on a date the warehouse holds missing, stale
  or unverified is wiped and its complete dates reported again: Dagster's open-source
  storages cannot wipe single partitions, and a date that is not fresh must not show
  as a fresh materialization.
Only dates with final games are compared (the dates status covers); off days keep
whatever runs recorded for them. The schedule's asset is complete on every such date (it is
the reference the coverage is counted from).

Run by every `nba-pipeline` command that writes (when a Dagster instance is
configured), at the end of every Dagster run (the executor), and by the sensor
`warehouse_sync_sensor` (which catches plain `dbt build`s).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dagster import AssetKey, AssetMaterialization, DagsterInstance, MetadataValue

from orchestration.completeness import coverage_by_date
from orchestration.warehouse import Session, Warehouse, as_warehouse

SYNCED_FROM = "warehouse"


@dataclass
class SyncReport:
    reported: int = 0  # runless materializations written
    wiped: list[AssetKey] | None = None
    assets: int = 0

    def describe(self) -> str:
        wiped = len(self.wiped or [])
        return (
            f"Dagster synced with the warehouse: {self.reported} partition(s) reported"
            + (f", {wiped} asset(s) reset (dates no longer complete)" if wiped else "")
            + f" over {self.assets} asset(s)"
        )


def warehouse_state(con: Session) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """(complete partition keys, covered partition keys) per phase, from the coverage query."""
    complete: dict[int, set[str]] = {}
    covered: dict[int, set[str]] = {}
    for cell in coverage_by_date(con):
        key = cell.game_date.isoformat()
        covered.setdefault(cell.phase, set()).add(key)
        if cell.is_complete:
            complete.setdefault(cell.phase, set()).add(key)
    return complete, covered


def sync_partitions(instance: DagsterInstance, con: Session, keys_by_phase: Mapping[int, list[AssetKey]]) -> SyncReport:
    """Make each asset's materialized partitions (on the dates status covers) equal its phase's
    complete dates."""
    from orchestration.dagster.raw_assets import raw_key

    # the schedule is reference data: it holds every date status covers (the dates with final games),
    # whether or not that date's box scores are loaded yet
    schedule = raw_key("nbac_schedule")
    complete, covered = warehouse_state(con)
    report = SyncReport(wiped=[])
    for phase, keys in keys_by_phase.items():
        scope = covered.get(phase, set())
        for key in keys:
            target = scope if key == schedule else complete.get(phase, set())
            report.assets += 1
            shown = instance.get_materialized_partitions(key) & scope
            if shown - target:
                instance.wipe_assets([key])
                report.wiped.append(key)
                shown = set()
            for partition in sorted(target - shown):
                instance.report_runless_asset_event(
                    AssetMaterialization(
                        asset_key=key, partition=partition, metadata={"synced_from": MetadataValue.text(SYNCED_FROM)}
                    )
                )
                report.reported += 1
    return report


def keys_by_phase(layout) -> dict[int, list[AssetKey]]:
    """Every partitioned asset of the definitions by phase: the raw tables, the dbt models (the
    staging views with Phase 2), the Python steps' tables."""
    from orchestration.dagster.raw_assets import RAW_TABLES, raw_key
    from orchestration.dagster.translator import RAW_PHASE

    keys: dict[int, list[AssetKey]] = {RAW_PHASE: [raw_key(table) for table in RAW_TABLES]}
    for unique_id, phase in sorted(layout.node_phase.items()):
        keys.setdefault(phase, []).append(layout.key_of(unique_id))
    for step in layout.python_steps:
        keys.setdefault(step.phase.number, []).extend(step.keys)
    return keys


def configured_instance() -> DagsterInstance | None:
    """The Dagster instance of this environment (DAGSTER_HOME), or None when there is none."""
    if not os.environ.get("DAGSTER_HOME"):
        return None
    return DagsterInstance.get()


def sync_warehouse(
    warehouse: Warehouse | Path | None = None,
    instance: DagsterInstance | None = None,
    say: Callable[[str], None] = print,
) -> SyncReport | None:
    """Sync `instance` (default: the configured one; none: nothing to do) with the warehouse (default: the
    target's, BigQuery on prod)."""
    from orchestration.dagster.dbt_project import ensure_manifest
    from orchestration.dagster.translator import PipelineLayout

    instance = instance or configured_instance()
    if instance is None:
        return None
    warehouse = as_warehouse(warehouse)
    if not warehouse.exists():
        return None
    layout = PipelineLayout(ensure_manifest())
    with warehouse.reading(say=say) as db:
        report = sync_partitions(instance, db, keys_by_phase(layout))
    say(report.describe())
    return report
