"""Backfill benchmark: prints the tables measured in one run (not a test).

    .venv/bin/python bench/backfill_benchmark.py [--scale 2,4,8,16] [--last-season 2024-25]
                                                 [--daily-repeats 2] [--range-comparison 20]
                                                 [--landing-cache DIR]

1. scale: for each N, N generated seasons ending with --last-season (generated
   beforehand, or taken from --landing-cache), in a fresh process of their own (its
   peak memory is that size's alone, the generator's not included): Phase 2 load,
   then phases 3-6 as one set-based backfill; wall times and the peak memory of
   the largest process (this one: dbt runs in process). time(16) / time(4).
2. orchestration overhead of the full four-season backfill (phases 3-6): wall
   time / (dbt's reported node execution times + the model step's compute).
3. the daily run, on the built four-season warehouse: one date through every
   phase via the CLI (`nba-pipeline backfill --start D --end D --no-cascade`, a
   fresh process as the schedule starts it) against Phase 3 alone for the same
   date (`--phases 3`), and the same date through Dagster (`dagster asset
   materialize --partition D`); each run --daily-repeats times, alternately,
   fastest kept.
4. with --range-comparison N: what the freshness bookkeeping costs, and N
   consecutive dates as one range run vs one dbt invocation per date.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report_table import print_grid, print_table  # noqa: E402  (bench/, next to this script)

# The targets of issue 13: they live here, in the printed output, never in a test.
TARGET_SCALE_RATIO = 4.0  # time(16 seasons) / time(4 seasons)
TARGET_PEAK_MB = 1024
TARGET_DAILY_RATIO = 1.5  # one date, every phase (CLI) / Phase 3 alone (CLI)
TARGET_DAGSTER_RATIO = 2.0  # one date, every phase: Dagster / CLI
TARGET_OVERHEAD = 1.3  # wall / (dbt node time + model step compute)
RESULTS_FILE = ROOT / "out" / "backfill_benchmark.jsonl"  # one line per size measured (the last run's)
DAILY_SEASONS = 4  # default size the daily run and the overhead are measured on


def _peak_mb() -> float:
    """The largest process so far: this one (dbt in process) or a finished child."""
    return max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


def _seasons(count: int, last_season: str) -> tuple[list[int], str]:
    """The `count` most recent seasons up to `last_season` that the generator imitates (it refuses
    the shortened ones, e.g. 2019-20 and 2020-21), and a label saying which were left out."""
    from orchestration.generator import parse_seasons
    from orchestration.generator.seasons import season_dates

    years, skipped, year = [], [], parse_seasons(last_season)[-1]
    while len(years) < count:
        try:
            season_dates(year)
            years.insert(0, year)
        except ValueError:
            skipped.append(year)
        year -= 1
    label = f"{years[0]}-{(years[0] + 1) % 100:02d}:{years[-1]}-{(years[-1] + 1) % 100:02d}"
    inside = sorted(y for y in skipped if y > years[0])
    if inside:
        label += " without " + ", ".join(f"{y}-{(y + 1) % 100:02d}" for y in inside)
    return years, label


def _cli(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def _timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.monotonic()
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return seconds


# -- one size, in its own process -------------------------------------------------------------


def measure_size(seasons: int, last_season: str, landing: Path, daily_repeats: int, work: Path) -> dict:
    from orchestration.completeness import season_bounds
    from orchestration.loading import load_landing
    from orchestration.phases import DBT_PHASES, PHASES_BY_NUMBER
    from orchestration.pipeline_steps import RAW_PHASE, PythonStep
    from orchestration.runner import run_backfill
    from orchestration.warehouse import connect

    spec = _seasons(seasons, last_season)[1]
    warehouse = work / "nba.duckdb"
    with connect(work / "probe.duckdb") as con:  # the season bounds, from the schedule alone
        load_landing(landing, con=con, tables=["nbac_schedule"])
        bounds = season_bounds(con)
    start, end = min(b[0] for b in bounds.values()), max(b[1] for b in bounds.values())

    started = time.monotonic()
    loaded = run_backfill(start, end, [PHASES_BY_NUMBER[RAW_PHASE]], warehouse=warehouse, landing=landing)
    load_seconds = time.monotonic() - started
    assert loaded.succeeded, loaded.failure_summary()
    started = time.monotonic()
    built = run_backfill(start, end, list(DBT_PHASES), warehouse=warehouse)
    build_seconds = time.monotonic() - started
    assert built.succeeded and not built.degraded_steps, built.failure_summary()
    node_seconds = sum(result.node_seconds for result in built.dbt_results)
    model_seconds = sum(step.build_seconds for step in built.steps if isinstance(step.step, PythonStep))
    with connect(warehouse) as con:
        player_rows = con.execute("select count(*) from nba_raw.nbac_player_boxscore").fetchone()[0]
        game_dates = con.execute("select count(distinct game_date) from nba_raw.nbac_schedule").fetchone()[0]
        # the daily date: the middle game date of the last season (the model predicts it from earlier seasons)
        last_start, last_end = bounds[max(bounds)]
        days = [
            row[0]
            for row in con.execute(
                "select distinct game_date from nba_raw.nbac_schedule where game_date between ? and ? order by 1",
                [last_start, last_end],
            ).fetchall()
        ]
    measured = {
        "seasons": seasons,
        "spec": spec,
        "player_rows": player_rows,
        "game_dates": game_dates,
        "load_seconds": load_seconds,
        "build_seconds": build_seconds,
        "node_seconds": node_seconds,
        "model_seconds": model_seconds,
        "peak_mb": _peak_mb(),
    }
    if daily_repeats:
        measured.update(measure_daily(warehouse, landing, days[len(days) // 2], daily_repeats, work))
    return measured


def measure_daily(warehouse: Path, landing: Path, day: date, repeats: int, work: Path) -> dict:
    """One date via fresh processes, as the schedule starts them: every phase, Phase 3 alone, Dagster."""
    from orchestration.dagster.localrun import materialize_command, pipeline_env, prepare_dagster_home

    cli_env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}
    cli_env.update({"NBA_PIPELINE_DUCKDB": str(warehouse), "NBA_PIPELINE_LANDING": str(landing)})
    backfill = [_cli("nba-pipeline"), "backfill", "--start", str(day), "--end", str(day), "--no-cascade", "--quiet"]
    home = prepare_dagster_home(work / "dagster_home")
    dagster_env = pipeline_env(home, warehouse, landing)
    _sync_instance(home, warehouse)
    runs: dict[str, list[float]] = {"all": [], "phase3": [], "dagster": []}
    for _ in range(repeats):
        runs["all"].append(_timed(backfill, cli_env, work))
        runs["phase3"].append(_timed([*backfill, "--phases", "3"], cli_env, work))
        runs["dagster"].append(_timed(materialize_command(day, day), dagster_env, work))
    return {
        "daily_date": str(day),
        **{f"daily_{name}": min(values) for name, values in runs.items()},
        "daily_runs": runs,
    }


def _sync_instance(home: Path, warehouse: Path) -> None:
    """A deployment's instance follows the warehouse (the sync sensor, every CLI write): so does this
    fresh one before the timed runs, else the first run reports every partition of the warehouse."""
    from dagster import DagsterInstance

    from orchestration.dagster.warehouse_sync import sync_warehouse

    os.environ["DAGSTER_HOME"] = str(home)
    with DagsterInstance.get() as instance:
        sync_warehouse(warehouse, instance, say=lambda message: None)


# -- the report ------------------------------------------------------------------------------------


def _landing(seasons: int, args, folder: Path) -> Path:
    """The size's landing files, generated in a process of their own, started from here and not from the
    size's measured process: that process's peak memory (its own and its children's) is the pipeline's
    alone. With --landing-cache, generated once and reused across runs."""
    landing = (
        Path(args.landing_cache) if args.landing_cache else folder
    ) / f"landing_{args.last_season}_{seasons}_{args.seed}"
    if not (landing / "dataset.json").exists():
        years = _seasons(seasons, args.last_season)[0]
        generator = (
            "from pathlib import Path; from orchestration.generator import generate_seasons; "
            f"generate_seasons({years!r}, Path({str(landing)!r}), seed={args.seed})"
        )
        subprocess.run([sys.executable, "-c", generator], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return landing


def _run_size(seasons: int, args, work: Path) -> dict:
    folder = work / f"seasons_{seasons}"
    folder.mkdir()
    landing = _landing(seasons, args, folder)
    repeats = args.daily_repeats if seasons == args.daily_seasons else 0
    command = [
        sys.executable,
        __file__,
        "--one-size",
        str(seasons),
        "--last-season",
        args.last_season,
        "--landing",
        str(landing),
        "--daily-repeats",
        str(repeats),
        "--work",
        str(folder),
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    shutil.rmtree(folder, ignore_errors=True)
    if result.returncode != 0:
        raise SystemExit(f"{seasons} seasons failed:\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


def report(sizes: dict[int, dict], daily_seasons: int) -> None:
    headers = ["seasons", "player rows", "phases 2-6", "Phase 2 load", "phases 3-6", "peak memory (largest process)"]
    print_grid(
        headers,
        [
            [
                f"{n} ({m['spec']})",
                f"{m['player_rows']:,}",
                f"{m['load_seconds'] + m['build_seconds']:.1f} s",
                f"{m['load_seconds']:.1f} s",
                f"{m['build_seconds']:.1f} s",
                f"{m['peak_mb']:,.0f} MB",
            ]
            for n, m in sorted(sizes.items())
        ],
    )
    print()
    rows: list[tuple[str, str]] = []
    total = {n: m["load_seconds"] + m["build_seconds"] for n, m in sizes.items()}
    if 4 in total and 16 in total:
        ratio = total[16] / total[4]
        rows.append(
            (
                "time(16 seasons) / time(4 seasons), phases 2-6",
                f"{ratio:.2f}x (target <= {TARGET_SCALE_RATIO:.0f}x: {_verdict(ratio, TARGET_SCALE_RATIO)})",
            )
        )
    largest = max(m["peak_mb"] for m in sizes.values())
    rows.append(
        (
            "peak memory, largest process of any size",
            f"{largest:,.0f} MB (target <= {TARGET_PEAK_MB} MB: {_verdict(largest, TARGET_PEAK_MB)})",
        )
    )
    daily = sizes.get(daily_seasons)
    if daily:
        work = daily["node_seconds"] + daily["model_seconds"]
        overhead = daily["build_seconds"] / work
        rows.append(
            (
                f"{daily_seasons} seasons, phases 3-6: wall / (dbt node time + model step)",
                f"{daily['build_seconds']:.1f} s / ({daily['node_seconds']:.1f} s + {daily['model_seconds']:.1f} s) "
                f"= {overhead:.2f} (target <= {TARGET_OVERHEAD}: {_verdict(overhead, TARGET_OVERHEAD)})",
            )
        )
    if daily and "daily_all" in daily:
        day, cli, floor, dagster = (
            daily["daily_date"],
            daily["daily_all"],
            daily["daily_phase3"],
            daily["daily_dagster"],
        )
        ratio = cli / floor
        rows.append(
            (
                f"one date ({day}), every phase, CLI (fastest of {len(daily['daily_runs']['all'])})",
                f"{cli:.1f} s (runs: {', '.join(f'{s:.1f}' for s in daily['daily_runs']['all'])})",
            )
        )
        rows.append(
            (
                "same date, Phase 3 alone, CLI",
                f"{floor:.1f} s (runs: {', '.join(f'{s:.1f}' for s in daily['daily_runs']['phase3'])})",
            )
        )
        rows.append(
            (
                "ratio every phase / Phase 3 alone",
                f"{ratio:.2f}x (target <= {TARGET_DAILY_RATIO}x: {_verdict(ratio, TARGET_DAILY_RATIO)})",
            )
        )
        rows.append(
            (
                "same date, every phase, dagster asset materialize",
                f"{dagster:.1f} s (runs: {', '.join(f'{s:.1f}' for s in daily['daily_runs']['dagster'])})",
            )
        )
        rows.append(
            (
                "ratio Dagster / CLI",
                f"{dagster / cli:.2f}x (target <= {TARGET_DAGSTER_RATIO:.0f}x: "
                f"{_verdict(dagster / cli, TARGET_DAGSTER_RATIO)})",
            )
        )
    print_table(rows)


def range_comparison(dates: int, last_season: str, seed: int, work: Path) -> list[tuple[str, str]]:
    """What the freshness bookkeeping costs (phases 3-6 with and without it, side by side), and N
    consecutive dates of Phase 3 as one range run vs one dbt invocation per date."""
    from orchestration.completeness import season_bounds
    from orchestration.dbt_invoke import DbtProject
    from orchestration.generator import generate_seasons
    from orchestration.loading import load_landing
    from orchestration.phases import DBT_PHASES
    from orchestration.runner import run_backfill
    from orchestration.settings import env_name, overridden_environment
    from orchestration.warehouse import connect

    rows: list[tuple[str, str]] = []
    landing = work / "landing"
    generate_seasons(_seasons(DAILY_SEASONS, last_season)[0], landing, seed=seed)
    timings, warehouse = {}, None
    for label, setting in (("with", "true"), ("without", "false")):
        warehouse = work / f"freshness_{label}" / "bench.duckdb"  # same file name: one dbt parse serves both
        warehouse.parent.mkdir(parents=True)
        with connect(warehouse) as con:
            load_landing(landing, con=con)
            bounds = season_bounds(con)
        start, end = min(b[0] for b in bounds.values()), max(b[1] for b in bounds.values())
        with overridden_environment({env_name("record_freshness"): setting}):
            started = time.monotonic()
            assert run_backfill(start, end, list(DBT_PHASES), warehouse=warehouse).succeeded, label
            timings[label] = time.monotonic() - started
    rows.append(
        (
            "phases 3-6 with freshness recorded / without (same run)",
            f"{timings['with']:.1f} s / {timings['without']:.1f} s = "
            f"{100 * (timings['with'] / timings['without'] - 1):+.1f}% (target <= +5%)",
        )
    )

    with connect(warehouse) as con:  # the "without" build: rebuilt below with freshness recorded
        game_dates = [
            r[0] for r in con.execute("select distinct game_date from nba_raw.nbac_schedule order by 1").fetchall()
        ]
    middle = len([d for d in game_dates if d <= bounds[min(bounds)][1]]) // 2
    window = game_dates[middle : middle + dates]
    dbt = DbtProject(warehouse)
    started = time.monotonic()
    assert dbt.build(["tag:phase_3"], window[0], window[-1]).succeeded
    range_seconds = time.monotonic() - started
    started = time.monotonic()
    for day in window:
        assert dbt.build(["tag:phase_3"], day, day).succeeded
    per_date_seconds = time.monotonic() - started
    rows.append((f"Phase 3, {len(window)} dates {window[0]}..{window[-1]}: one range run", f"{range_seconds:.1f} s"))
    rows.append(
        (
            f"Phase 3, same {len(window)} dates: one dbt run per date",
            f"{per_date_seconds:.1f} s ({per_date_seconds / len(window):.1f} s/date)",
        )
    )
    rows.append(("ratio per-date / range", f"{per_date_seconds / range_seconds:.1f}x"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="2,4,8,16", help="season counts, e.g. 2,4,8")
    parser.add_argument("--last-season", default="2024-25")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--daily-seasons",
        type=int,
        default=DAILY_SEASONS,
        help="the size the daily run and the overhead are measured on",
    )
    parser.add_argument("--daily-repeats", type=int, default=2, help="runs of each daily figure")
    parser.add_argument(
        "--range-comparison",
        type=int,
        default=0,
        metavar="DATES",
        help="also: freshness bookkeeping cost and DATES dates as a range vs per date",
    )
    parser.add_argument(
        "--report", metavar="JSONL", help=f"only print the tables of sizes measured before ({RESULTS_FILE})"
    )
    parser.add_argument(
        "--landing-cache",
        metavar="DIR",
        help="keep each size's generated landing files in DIR and reuse them in later runs",
    )
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)  # the child process of one size
    parser.add_argument("--landing", help=argparse.SUPPRESS)  # the child's landing folder
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one_size:
        measured = json.dumps(
            measure_size(args.one_size, args.last_season, Path(args.landing), args.daily_repeats, Path(args.work)),
            default=str,
        )
        RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
        with open(RESULTS_FILE, "a") as results:  # kept: a long run stopped early still reports its sizes
            results.write(measured + "\n")
        print(measured)
        return 0
    if args.report:
        sizes = {m["seasons"]: m for m in map(json.loads, Path(args.report).read_text().splitlines())}
        report(sizes, args.daily_seasons)
        return 0

    work = Path(tempfile.mkdtemp(prefix="nba-bench-"))
    RESULTS_FILE.unlink(missing_ok=True)
    try:
        sizes = {}
        for seasons in sorted({int(n) for n in args.scale.split(",")}):
            sizes[seasons] = _run_size(seasons, args, work)
            print(
                f"measured {seasons} seasons: {sizes[seasons]['load_seconds'] + sizes[seasons]['build_seconds']:.1f} s, "
                f"{sizes[seasons]['peak_mb']:,.0f} MB",
                file=sys.stderr,
                flush=True,
            )
        extra = (
            range_comparison(args.range_comparison, args.last_season, args.seed, work / "range")
            if args.range_comparison
            else []
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"machine: {os.cpu_count()} cores, load average at the end {os.getloadavg()[0]:.1f} "
        f"{os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} (1/5/15 min)\n"
    )
    report(sizes, args.daily_seasons)
    if extra:
        print()
        print_table(extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
