"""Dagster instance benchmark: which event log for the four-season single-run backfill (not a test).

    .venv/bin/python bench/instance_benchmark.py [--seasons 2021-22:2024-25] [--seed 42] [--timeout 600]

The same command on the same generated seasons, once per instance variant, side by side in one run:

    dagster asset materialize -m orchestration.definitions --select '*' --partition-range FIRST...LAST

- `custom`: the project's dagster.yaml (orchestration/dagster/storage.py, SQLite);
- `stock SQLite`: the same settings without `event_log_storage` (Dagster's default SQLite storage);
- `stock PostgreSQL`: dagster.postgres.yaml on a local PostgreSQL server (one database per variant);

each with DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS true and false, and every variant with
DAGSTER_EVENT_BATCH_SIZE = dagster.yaml's `event_batch_size` (Dagster's switch for writing the events
of an output as one batch).
An untimed warm-up run of the first week comes first. Each variant gets a fresh warehouse and
DAGSTER_HOME. A variant still running after `--timeout`
seconds is stopped (its row says so). Then, read back through the Dagster instance: the events the
run wrote, whether every asset's partitions of the range read MATERIALIZED, and whether every asset
check of the run has exactly one settled record (no row left PLANNED).

Prints only the table; every command's output goes to the log folder (`--logs`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dagster_benchmark import SUBSET_PLANNED_EVENTS, generated_range  # noqa: E402  (bench/)
from report_table import print_grid  # noqa: E402

from orchestration.dagster.localrun import (  # noqa: E402
    DAGSTER_POSTGRES_YAML,
    DAGSTER_YAML,
    materialize_command,
    pipeline_env,
    prepare_dagster_home,
)

EVENT_BATCH_SIZE = str(yaml.safe_load(DAGSTER_YAML.read_text())["event_batch_size"])  # the project's, for all
WARM_UP_DAYS = 7
DECISION_RATIO = 1.25  # README, "Dagster instance": stock PostgreSQL within this of the custom storage


@dataclass(frozen=True)
class Variant:
    storage: str  # custom | stock-sqlite | stock-postgres
    subset_planned: bool

    @property
    def label(self) -> str:
        names = {
            "custom": "custom (dagster.yaml)",
            "stock-sqlite": "stock SQLite",
            "stock-postgres": "stock PostgreSQL",
        }
        return f"{names[self.storage]}, subset planned events {'on' if self.subset_planned else 'off'}"

    @property
    def slug(self) -> str:
        return f"{self.storage}_{'subset' if self.subset_planned else 'per_partition'}"


# custom and PostgreSQL first, each setting next to each other (the decision compares them); stock SQLite last
VARIANTS = [Variant(storage, subset) for subset in (True, False) for storage in ("custom", "stock-postgres")] + [
    Variant("stock-sqlite", subset) for subset in (True, False)
]


def stock_sqlite_settings(destination: Path) -> Path:
    """The project's dagster.yaml without the project's instance class (and so without its event
    log): Dagster's default SQLite storage, with the same pool and run monitoring."""
    from orchestration.dagster.instance import PipelineInstance

    settings = yaml.safe_load(DAGSTER_YAML.read_text())
    settings.pop("instance_class")
    for instance_setting in PipelineInstance.config_schema():
        settings.pop(instance_setting, None)
    destination.write_text(yaml.safe_dump(settings))
    return destination


def prepare_variant(variant: Variant, work: Path, postgres) -> tuple[Path, dict[str, str]]:
    home = work / f"home_{variant.slug}"
    extra = {SUBSET_PLANNED_EVENTS: str(variant.subset_planned).lower(), "DAGSTER_EVENT_BATCH_SIZE": EVENT_BATCH_SIZE}
    if variant.storage == "custom":
        prepare_dagster_home(home)
    elif variant.storage == "stock-sqlite":
        prepare_dagster_home(home, stock_sqlite_settings(work / "dagster.stock-sqlite.yaml"))
    else:
        prepare_dagster_home(home, DAGSTER_POSTGRES_YAML)
        extra.update(postgres.env(postgres.create_database(variant.slug.replace("-", "_"))))
    return home, extra


STEP_FINISHED = re.compile(r'STEP_SUCCESS - Finished execution of step "[^"]+" in ([0-9hms.<]+)\.')


def _duration_seconds(text: str) -> float:
    """Dagster's step durations: `837ms`, `40.72s`, `1m21s`, `1h2m`."""
    if text.endswith("ms"):
        return float(text.lstrip("<")[:-2]) / 1000
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(float(value) * units[unit] for value, unit in re.findall(r"([0-9.]+)([hms])", text))


def seconds_in_steps(log: Path) -> float:
    """The steps' own time (dbt, loading, training): what is left of the wall time is the
    instance's part (planning the run, storing events), less sensitive to the machine's load."""
    return sum(_duration_seconds(match) for match in STEP_FINISHED.findall(log.read_text(errors="ignore")))


def run_variant(variant: Variant, landing: Path, work: Path, logs: Path, first, last, postgres, timeout: float) -> dict:
    home, extra = prepare_variant(variant, work, postgres)
    env = pipeline_env(home, work / f"{variant.slug}.duckdb", landing, **extra)
    log = logs / f"{variant.slug}.log"
    started = time.monotonic()
    with open(log, "w") as out:
        process = subprocess.Popen(
            materialize_command(first, last),
            cwd=work,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            process.wait(timeout=timeout)
            stopped = False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            stopped = True
    seconds = time.monotonic() - started
    inspected = subprocess.run(
        [sys.executable, __file__, "--inspect", str(first), str(last)], env=env, capture_output=True, text=True
    )
    (logs / f"{variant.slug}.inspect.log").write_text(inspected.stdout + inspected.stderr)
    facts = json.loads(inspected.stdout.splitlines()[-1]) if inspected.returncode == 0 else {}
    return {
        "seconds": seconds,
        "stopped": stopped,
        "succeeded": process.returncode == 0,
        "outside_steps": seconds - seconds_in_steps(log),
        **facts,
    }


def inspect_instance(first: str, last: str) -> dict:
    """Read back through the instance (DAGSTER_HOME and the variant's env): the run's events,
    partition statuses of every asset over the range, and asset check records."""
    import sqlalchemy as db
    from dagster import DagsterInstance, PartitionKeyRange
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
    from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable, SqlEventLogStorageTable
    from dagster._core.storage.partition_status_cache import AssetPartitionStatus

    from orchestration.dagster.partitions import GAME_DATE_PARTITIONS
    from orchestration.definitions import defs

    with DagsterInstance.get() as instance:
        (run,) = instance.get_runs(limit=1)
        storage = instance.event_log_storage
        with storage.run_connection(run.run_id) as conn:
            events = conn.execute(
                db.select(db.func.count())
                .select_from(SqlEventLogStorageTable)
                .where(SqlEventLogStorageTable.c.run_id == run.run_id)
            ).scalar_one()
        keys = GAME_DATE_PARTITIONS.get_partition_keys_in_range(PartitionKeyRange(first, last))
        graph = defs.resolve_asset_graph()
        assets = [key for key in graph.materializable_asset_keys if graph.get(key).partitions_def is not None]
        fully_materialized = 0
        for key in assets:
            statuses = instance.get_status_by_partition(key, keys, GAME_DATE_PARTITIONS) or {}
            fully_materialized += all(statuses.get(k) == AssetPartitionStatus.MATERIALIZED for k in keys)
        table = AssetCheckExecutionsTable
        with storage.index_connection() as conn:
            records = conn.execute(
                db.select(table.c.asset_key, table.c.check_name, table.c.execution_status, db.func.count())
                .where(table.c.run_id == run.run_id)
                .group_by(table.c.asset_key, table.c.check_name, table.c.execution_status)
            ).fetchall()
    planned = AssetCheckExecutionRecordStatus.PLANNED.value
    checks: dict[tuple[str, str], dict[str, int]] = {}
    for asset_key, check_name, status, count in records:
        checks.setdefault((asset_key, check_name), {})[status] = count
    settled_once = sum(1 for by_status in checks.values() if planned not in by_status and sum(by_status.values()) == 1)
    return {
        "run_status": run.status.value,
        "events": events,
        "assets": len(assets),
        "assets_materialized": fully_materialized,
        "partitions": len(keys),
        "checks": len(checks),
        "checks_settled_once": settled_once,
        "planned_check_rows": sum(by_status.get(planned, 0) for by_status in checks.values()),
    }


def _row(variant: Variant, result: dict, reference: float | None) -> list[str]:
    seconds = result["seconds"]
    if result["stopped"]:
        wall = f"> {seconds:.0f} s (stopped)"
    else:
        wall = f"{seconds:.1f} s" + ("" if result["succeeded"] else " (run failed)")
    ratio = f"{seconds / reference:.2f}x" if reference and not result["stopped"] else "-"
    outside = "-" if result["stopped"] else f"{result['outside_steps']:.1f} s"
    if "events" not in result:
        return [variant.label, wall, ratio, outside, "?", "?", "?"]
    materialized = f"{result['assets_materialized']} of {result['assets']} assets"
    checks = f"{result['checks_settled_once']} of {result['checks']} ({result['planned_check_rows']:,} rows PLANNED)"
    return [variant.label, wall, ratio, outside, f"{result['events']:,}", materialized, checks]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seasons", default="2021-22:2024-25")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a variant is stopped")
    parser.add_argument("--logs", type=Path, default=ROOT / "logs" / "instance_benchmark")
    parser.add_argument("--only", nargs="*", help="variant slugs to run (default: all six)")
    parser.add_argument("--inspect", nargs=2, metavar=("FIRST", "LAST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inspect:
        print(json.dumps(inspect_instance(*args.inspect)))
        return 0

    from orchestration.dagster.local_postgres import LocalPostgres

    args.logs.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="nba-instance-bench-"))
    variants = [v for v in VARIANTS if not args.only or v.slug in args.only]
    results: dict[Variant, dict] = {}
    try:
        landing, _bounds, first, last = generated_range(args.seasons, args.seed, work, rows)
        # an untimed first run (imports, dbt's partial parse, the landing files in the page cache):
        # without it the first variant alone pays that
        warm_up_end = first + timedelta(days=WARM_UP_DAYS - 1)
        started = time.monotonic()
        warm_up = subprocess.run(
            materialize_command(first, warm_up_end),
            cwd=work,
            capture_output=True,
            text=True,
            env=pipeline_env(prepare_dagster_home(work / "home_warm_up"), work / "warm_up.duckdb", landing),
        )
        (args.logs / "warm_up.log").write_text(warm_up.stdout + warm_up.stderr)
        rows.append(
            (
                f"warm-up run {first}...{warm_up_end}, custom instance, not timed below",
                f"{time.monotonic() - started:.1f} s" + ("" if warm_up.returncode == 0 else " (failed)"),
            )
        )
        with LocalPostgres.start() as postgres:
            for variant in variants:
                results[variant] = run_variant(variant, landing, work, args.logs, first, last, postgres, args.timeout)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    reference = results.get(Variant("custom", True), {}).get("seconds")
    print_grid(["measure", "value"], [list(row) for row in rows])
    print()
    print(
        f"`dagster asset materialize --select '*' --partition-range {first}...{last}` "
        f"({(last - first).days + 1} partitions, one run):"
    )
    print_grid(
        [
            "instance",
            "wall time",
            "vs custom (subset on)",
            "outside the steps",
            "events of the run",
            "partitions all MATERIALIZED",
            "checks with one settled record",
        ],
        [_row(variant, result, reference) for variant, result in results.items()],
    )
    postgres_best = min(
        (r["seconds"] for v, r in results.items() if v.storage == "stock-postgres" and r["succeeded"]), default=None
    )
    if reference and postgres_best:
        ratio = postgres_best / reference
        verdict = "retire the custom storage" if ratio <= DECISION_RATIO else "keep it for the local SQLite instance"
        print(f"\nfastest stock PostgreSQL / custom = {ratio:.2f}x (rule: within {DECISION_RATIO}x) -> {verdict}")
    print(f"logs: {args.logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
