"""The main job on the embedded default: generate + load four seasons, load the real
playoff data when it is there, backfill every phase through its gates, report coverage.

Generated and real games are kept in two warehouse files: synthetic 2021-22 must
never share a season's windows with the real 2021-22 playoffs.

Embedded default only: on the prod target it refuses (PROD_REFUSAL) before it generates anything, since
synthetic seasons must never land in a BigQuery project that holds, or will hold, real games.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestration.paths import PROJECT_ROOT, real_data_path, warehouse_path
from orchestration.settings import settings
from orchestration.warehouse import Warehouse

DEMO_SEASONS = "2021-22:2024-25"
DEMO_SEED = 42
PROD_REFUSAL = (
    "demo runs on the embedded DuckDB default only (it writes four synthetic seasons, which must not land in a "
    "BigQuery project); unset NBA_PIPELINE_TARGET, or on BigQuery run `nba-pipeline load <landing>` and "
    "`nba-pipeline backfill --start S --end E`"
)


@dataclass
class WarehouseJob:
    label: str
    landing: Path
    warehouse: Path


def _backfill_everything(job: WarehouseJob, say: Callable[[str], None]) -> bool:
    from orchestration.warehouse import DuckDBWarehouse

    warehouse = DuckDBWarehouse(job.warehouse)
    with warehouse.lock("nba-pipeline demo", say=say):
        return _load_and_backfill(job, warehouse, say)


def _load_and_backfill(job: WarehouseJob, warehouse: Warehouse, say: Callable[[str], None]) -> bool:
    from orchestration.completeness import season_bounds
    from orchestration.ml.report import accuracy_report, format_accuracy_report
    from orchestration.runner import run_backfill
    from orchestration.status import coverage_table

    say(f"== {job.label}: load {job.landing} into {warehouse.describe()}")
    say(warehouse.load(job.landing, None, None, progress=say).summary())
    with warehouse.session(say=say) as db:
        bounds = season_bounds(db)
    if not bounds:
        say("nothing scheduled: nothing to backfill")
        return True
    start = min(first for first, _ in bounds.values())
    end = max(last for _, last in bounds.values())
    say(f"== {job.label}: backfill {start}..{end}, every phase, strict mode")
    result = run_backfill(start, end, warehouse=warehouse, trigger="manual", progress=say, command="nba-pipeline demo")
    say(result.summary())
    with warehouse.session(say=say) as db:
        say(f"== {job.label}: coverage ({warehouse.describe()})")
        say(coverage_table(db))
        say(f"== {job.label}: prediction accuracy (honest backtest: each date predicted from earlier data only)")
        say(format_accuracy_report(accuracy_report(db)))
    return result.succeeded


def run_main_job(say: Callable[[str], None] = print) -> int:
    from orchestration.generator import generate_seasons, parse_seasons

    landing = PROJECT_ROOT / "landing" / "generated"
    say(f"== generate {DEMO_SEASONS} (seed {DEMO_SEED}) into {landing}")
    say(str(generate_seasons(parse_seasons(DEMO_SEASONS), landing, seed=DEMO_SEED, progress=say)))
    jobs = [WarehouseJob("generated seasons", landing, warehouse_path())]
    real = real_data_path()
    if real.is_dir():
        real_warehouse = settings().real_duckdb or warehouse_path().with_name("nba_real.duckdb")
        jobs.append(WarehouseJob("real NBA playoffs", real, real_warehouse))
    else:
        say(f"(no real data at {real}; set NBA_REAL_DATA_DIR to include it)")
    ok = all(_backfill_everything(job, say) for job in jobs)
    return 0 if ok else 1
