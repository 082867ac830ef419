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
    from orchestration.warehouse_lock import writer_lock

    with writer_lock(job.warehouse, "nba-pipeline demo", say=say):
        return _load_and_backfill(job, say)


def _load_and_backfill(job: WarehouseJob, say: Callable[[str], None]) -> bool:
    from orchestration.completeness import season_bounds
    from orchestration.loading import load_landing
    from orchestration.ml.report import accuracy_report, format_accuracy_report
    from orchestration.runner import run_backfill
    from orchestration.status import coverage_table
    from orchestration.warehouse_lock import connect_writer

    say(f"== {job.label}: load {job.landing} into {job.warehouse}")
    with connect_writer(job.warehouse, say=say) as con:
        say(load_landing(job.landing, con=con, progress=say).summary())
        bounds = season_bounds(con)
    if not bounds:
        say("nothing scheduled: nothing to backfill")
        return True
    start = min(first for first, _ in bounds.values())
    end = max(last for _, last in bounds.values())
    say(f"== {job.label}: backfill {start}..{end}, every phase, strict mode")
    result = run_backfill(
        start, end, warehouse=job.warehouse, trigger="manual", progress=say, command="nba-pipeline demo"
    )
    say(result.summary())
    with connect_writer(job.warehouse, say=say) as con:
        say(f"== {job.label}: coverage ({job.warehouse})")
        say(coverage_table(con))
        say(f"== {job.label}: prediction accuracy (honest backtest: each date predicted from earlier data only)")
        say(format_accuracy_report(accuracy_report(con)))
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
