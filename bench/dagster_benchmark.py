"""Dagster benchmark: prints a table measured in one run (not a test).

    .venv/bin/python bench/dagster_benchmark.py [--seasons 2021-22:2024-25] [--dates 20] [--seed 42] [--skip-full]

1. the full backfill of every generated season through every phase (2-6) as
   ONE `dagster asset materialize --select '*' --partition-range FIRST...LAST`
   (a real CLI process, fresh warehouse and DAGSTER_HOME), wall time; next to
   it `nba-pipeline`'s own path (load + run_backfill) on the same files;
2. the same N dates (the first N calendar dates of the second season, every
   phase, raw loaded beforehand) as one Dagster single-run range vs one Dagster
   run per date, both through the Python API on one instance, in this process;
   the two warehouses must come out identical.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report_table import print_table  # noqa: E402  (bench/, next to this script)

from orchestration.dagster.localrun import materialize_command, pipeline_env, prepare_dagster_home, range_tags  # noqa: E402

# The benchmark prints its table only: the runs' own logs go to this file (Dagster's console at ERROR in process).
LOG_FILE = ROOT / "out" / "dagster_benchmark.log"
DEBUG_CONSOLE = {"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}
QUIET_CONSOLE = {"log_level": "ERROR"}


def _seconds(started: float) -> str:
    return f"{time.monotonic() - started:.1f} s"


def _count_events(home: Path) -> int:
    import sqlite3

    database = home / "history" / "event_log.db"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as con:
        return con.execute("select count(*) from event_logs").fetchone()[0]


# Dagster's switch between one planned event per asset for the range (our event log's default)
# and one per asset and date (Dagster's own default, measured for comparison).
SUBSET_PLANNED_EVENTS = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


def _event_log_megabytes(home: Path) -> str:
    return f"{sum(f.stat().st_size for f in (home / 'history').glob('event_log.db*')) / 1e6:,.0f} MB"


def full_backfill(
    landing: Path, work: Path, first: date, last: date, rows: list, planned_per_date: bool = False
) -> Path:
    label = "per_date_planned" if planned_per_date else "default"
    home = prepare_dagster_home(work / f"home_full_{label}")
    warehouse = work / f"full_{label}.duckdb"
    extra = {SUBSET_PLANNED_EVENTS: "false"} if planned_per_date else {}
    env = pipeline_env(home, warehouse, landing, **extra)
    # the console at DEBUG for this captured run: its STEP_SUCCESS lines give the step timings below
    command = materialize_command(first, last) + ["--config-json", json.dumps(DEBUG_CONSOLE)]
    started = time.monotonic()
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(LOG_FILE, "a") as log:
        log.write(f"== {' '.join(command)}\n{result.stdout}\n{result.stderr}\n")
    if result.returncode != 0:
        print(result.stdout[-6000:], result.stderr[-3000:])
        raise SystemExit("full backfill failed")
    days = (last - first).days + 1
    events = f"{_count_events(home):,} events, event log {_event_log_megabytes(home)}"
    if planned_per_date:
        rows.append(
            (
                f"same, with {SUBSET_PLANNED_EVENTS}=false (a planned event per asset and date)",
                f"{elapsed:.1f} s ({events})",
            )
        )
        return warehouse
    rows.append(
        (
            f"dagster asset materialize --select '*' --partition-range {first}...{last} "
            f"({days} partitions, phases 2-6, one run)",
            f"{elapsed:.1f} s",
        )
    )
    steps = {}
    for line in result.stdout.splitlines() + result.stderr.splitlines():
        if "STEP_SUCCESS - Finished execution of step" in line:
            name = line.split('step "', 1)[1].split('"', 1)[0]
            steps[name] = line.rsplit(" in ", 1)[1].rstrip(".")
    for name, took in steps.items():
        rows.append((f"  step {name}", took))
    rows.append(("  Dagster events written", events))
    return warehouse


def cli_backfill(landing: Path, work: Path, first: date, last: date, rows: list) -> None:
    from orchestration.loading import load_landing
    from orchestration.runner import run_backfill
    from orchestration.warehouse import connect

    warehouse = work / "cli.duckdb"
    started = time.monotonic()
    with connect(warehouse) as con:
        load_landing(landing, first, last, con=con)
    result = run_backfill(first, last, warehouse=warehouse)
    assert result.succeeded, "nba-pipeline backfill failed"
    rows.append(("same range via nba-pipeline (load + backfill), no Dagster", _seconds(started)))


def range_vs_per_date(landing: Path, work: Path, season_start: date, dates: int, rows: list) -> None:
    from dagster import DagsterInstance, materialize

    from orchestration.dagster.resources import PipelineResource, make_resources
    from orchestration.definitions import defs
    from orchestration.loading import load_landing
    from orchestration.warehouse import connect

    home = prepare_dagster_home(work / "home_api")
    os.environ["DAGSTER_HOME"] = str(home)
    window = [season_start + timedelta(days=i) for i in range(dates)]
    base = work / "raw.duckdb"
    with connect(base) as con:
        load_landing(landing, con=con)  # every season's raw data, as a deployment has it
    single, per_date = work / "single.duckdb", work / "per_date.duckdb"
    shutil.copyfile(base, single)
    shutil.copyfile(base, per_date)
    assets = list(defs.assets)

    def run(warehouse: Path, start: date, end: date) -> None:
        resources = make_resources()
        resources["pipeline"] = PipelineResource(duckdb_path=str(warehouse), landing_dir=str(landing))
        result = materialize(
            assets,
            instance=instance,
            resources=resources,
            tags=range_tags(start, end),
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": QUIET_CONSOLE}}},
        )
        if not result.success:
            raise SystemExit(f"run {start}..{end} failed")

    with DagsterInstance.get() as instance:
        run(single, window[0], window[0])  # warm-up (imports, dbt partial-parse cache) on a copy
        shutil.copyfile(base, single)
        run(per_date, window[0], window[0])
        shutil.copyfile(base, per_date)

        started = time.monotonic()
        run(single, window[0], window[-1])
        single_seconds = time.monotonic() - started
        started = time.monotonic()
        for day in window:
            run(per_date, day, day)
        per_date_seconds = time.monotonic() - started
    rows.append(
        (
            f"{dates} dates {window[0]}..{window[-1]}, every phase: one Dagster run (single-run range)",
            f"{single_seconds:.1f} s",
        )
    )
    rows.append(
        (
            f"same {dates} dates: one Dagster run per date",
            f"{per_date_seconds:.1f} s ({per_date_seconds / dates:.1f} s/date)",
        )
    )
    rows.append(("ratio per-date / range", f"{per_date_seconds / single_seconds:.1f}x"))
    sys.path.insert(0, str(ROOT / "tests"))
    from test_dagster_cli import differences

    problems = differences(single, per_date)
    rows.append(("range warehouse == per-date warehouse", "identical" if not problems else "; ".join(problems)))


def generated_range(seasons: str, seed: int, work: Path, rows: list) -> tuple[Path, dict, date, date]:
    """Generated landing files of `seasons` in work/landing, their season bounds and first..last
    game date, and the dbt manifest parsed beforehand (so no timed run includes the parse)."""
    from orchestration.completeness import season_bounds
    from orchestration.dagster.dbt_project import ensure_manifest
    from orchestration.generator import generate_seasons, parse_seasons
    from orchestration.loading import load_landing
    from orchestration.warehouse import connect

    landing = work / "landing"
    started = time.monotonic()
    generate_seasons(parse_seasons(seasons), landing, seed=seed)
    rows.append((f"generate {seasons} (seed {seed})", _seconds(started)))
    with connect(work / "probe.duckdb") as con:
        load_landing(landing, con=con, tables=["nbac_schedule"])
        bounds = season_bounds(con)
        game_dates = con.execute("select count(distinct game_date) from nba_raw.nbac_schedule").fetchone()[0]
    first, last = min(b[0] for b in bounds.values()), max(b[1] for b in bounds.values())
    rows.append(("data", f"{len(bounds)} seasons, {game_dates} game dates, {first}..{last}"))
    # the definitions parse the dbt project when its manifest is missing or out of date (a fresh
    # checkout's first run): done here
    started = time.monotonic()
    ensure_manifest()
    rows.append(("dbt manifest up to date before the timed runs (parse if it was not)", _seconds(started)))
    return landing, bounds, first, last


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seasons", default="2021-22:2024-25")
    parser.add_argument("--dates", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-full", action="store_true", help="only the range vs per-date comparison")
    args = parser.parse_args()

    rows: list[tuple[str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="nba-dagster-bench-"))
    try:
        landing, bounds, first, last = generated_range(args.seasons, args.seed, work, rows)
        if not args.skip_full:
            full_backfill(landing, work, first, last, rows)
            full_backfill(landing, work, first, last, rows, planned_per_date=True)
            cli_backfill(landing, work, first, last, rows)
        second_season = sorted(bounds)[1] if len(bounds) > 1 else sorted(bounds)[0]
        range_vs_per_date(landing, work, bounds[second_season][0], args.dates, rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
