"""Backfill benchmark: prints a table measured in one run (not a test).

    .venv/bin/python bench/backfill_benchmark.py [--seasons 2021-22:2024-25] [--dates 20]

1. generate four seasons, load them (Phase 2), build every dbt phase as one
   set-based backfill: wall time and the peak memory of the largest process;
2. what the freshness bookkeeping costs: the same full build of phases 3-6 on
   a copy of the loaded warehouse with it (input versions, build ids, the
   gates' record) and without it (NBA_RECORD_FRESHNESS=false), side by side;
3. the same N consecutive game dates as one range run vs one dbt invocation per
   date (the per-date job approach), with the ratio and its extrapolation to
   every game date of the four seasons.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import os  # noqa: E402

from orchestration.completeness import season_bounds  # noqa: E402
from orchestration.dbt_invoke import DbtProject  # noqa: E402
from orchestration.runner import run_backfill  # noqa: E402
from orchestration.generator import generate_seasons, parse_seasons  # noqa: E402
from orchestration.loading import load_landing  # noqa: E402
from orchestration.phases import DBT_PHASES  # noqa: E402
from orchestration.warehouse import connect  # noqa: E402
from report_table import print_table  # noqa: E402  (bench/, next to this script)


def _peak_child_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _peak_self_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seasons", default="2021-22:2024-25")
    parser.add_argument("--dates", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    rows: list[tuple[str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="nba-bench-"))
    try:
        landing, warehouse = work / "landing", work / "bench.duckdb"
        started = time.monotonic()
        summary = generate_seasons(parse_seasons(args.seasons), landing, seed=args.seed)
        rows.append(("generate landing files", f"{time.monotonic() - started:.1f} s"))

        started = time.monotonic()
        with connect(warehouse) as con:
            load_landing(landing, con=con)
            bounds = season_bounds(con)
            player_rows = con.execute("select count(*) from nba_raw.nbac_player_boxscore").fetchone()[0]
            game_dates = [r[0] for r in con.execute(
                "select distinct game_date from nba_raw.nbac_schedule order by 1").fetchall()]
        load_seconds = time.monotonic() - started
        rows.append(("Phase 2 load (all seasons)", f"{load_seconds:.1f} s"))

        start, end = min(b[0] for b in bounds.values()), max(b[1] for b in bounds.values())
        phase3, later = list(DBT_PHASES[:1]), list(DBT_PHASES[1:])
        started = time.monotonic()
        assert run_backfill(start, end, phase3, warehouse=warehouse).succeeded, "phase 3 backfill failed"
        phase3_seconds = time.monotonic() - started
        rows.append(("Phase 3 backfill, one set-based run", f"{phase3_seconds:.1f} s"))
        rows.append(("full backfill phases 2-3 (load + build)", f"{load_seconds + phase3_seconds:.1f} s"))
        build_seconds = phase3_seconds
        if later:
            label = ",".join(str(p.number) for p in later)
            started = time.monotonic()
            assert run_backfill(start, end, later, warehouse=warehouse).succeeded, "later phases failed"
            later_seconds = time.monotonic() - started
            build_seconds += later_seconds
            rows.append((f"phases {label} backfill, one set-based run", f"{later_seconds:.1f} s"))
            rows.append((f"full backfill phases 2-{later[-1].number} (load + build)", f"{load_seconds + build_seconds:.1f} s"))
        rows.append(("peak memory, largest process", f"{max(_peak_child_mb(), _peak_self_mb()):.0f} MB"))
        phases_label = ",".join(str(p.number) for p in DBT_PHASES)

        # freshness bookkeeping: the same build with and without it, on copies of the loaded warehouse
        timings = {}
        for label, setting in (("with", "true"), ("without", "false")):
            copy = work / f"freshness_{label}" / "bench.duckdb"    # same file name: one dbt parse serves both
            copy.parent.mkdir()
            with connect(copy) as con:
                load_landing(landing, con=con)
            os.environ["NBA_RECORD_FRESHNESS"] = setting
            try:
                started = time.monotonic()
                assert run_backfill(start, end, list(DBT_PHASES), warehouse=copy).succeeded, label
                timings[label] = time.monotonic() - started
            finally:
                os.environ.pop("NBA_RECORD_FRESHNESS", None)
        rows.append((f"phases {phases_label} with freshness recorded / without (same run)",
                     f"{timings['with']:.1f} s / {timings['without']:.1f} s = "
                     f"{100 * (timings['with'] / timings['without'] - 1):+.1f}% (target <= +5%)"))

        # N consecutive game dates from the middle of the first season
        middle = len([d for d in game_dates if d <= bounds[min(bounds)][1]]) // 2
        window = game_dates[middle: middle + args.dates]
        dbt = DbtProject(warehouse)
        started = time.monotonic()
        assert dbt.build(["tag:phase_3"], window[0], window[-1]).succeeded
        range_seconds = time.monotonic() - started
        started = time.monotonic()
        for day in window:
            assert dbt.build(["tag:phase_3"], day, day).succeeded
        per_date_seconds = time.monotonic() - started
        ratio = per_date_seconds / range_seconds
        per_date_each = per_date_seconds / len(window)
        rows.append((f"Phase 3, {len(window)} dates {window[0]}..{window[-1]}: one range run", f"{range_seconds:.1f} s"))
        rows.append((f"Phase 3, same {len(window)} dates: one dbt run per date", f"{per_date_seconds:.1f} s ({per_date_each:.1f} s/date)"))
        rows.append(("ratio per-date / range", f"{ratio:.1f}x"))
        rows.append((f"per-date loop extrapolated to all {len(game_dates)} game dates",
                     f"{per_date_each * len(game_dates) / 60:.1f} min (vs {build_seconds:.1f} s set-based, phases {phases_label})"))
        rows.insert(0, ("data", f"{len(bounds)} seasons, {len(game_dates)} game dates, {player_rows} player rows"))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
