"""`nba-pipeline`: the project's own command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestration.dates import InvalidDateError, parse_date_range, parse_iso_date
from orchestration.paths import warehouse_path


def _say(message: str) -> None:
    print(message, flush=True)


def cmd_generate(args: argparse.Namespace) -> int:
    from orchestration.generator import FaultConfig, generate_seasons, parse_seasons

    played_through = parse_iso_date(args.played_through, "--played-through") if args.played_through else None
    faults = FaultConfig(
        missing_dates=args.missing_dates,
        missing_prop_rate=args.missing_prop_rate,
        unknown_players=args.unknown_players,
        malformed_rows=args.malformed_rows,
    )
    summary = generate_seasons(parse_seasons(args.seasons), Path(args.out), seed=args.seed, faults=faults,
                               played_through=played_through)
    print(summary)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from orchestration.loading import LandingFileError, load_landing_into_target

    start, end = parse_date_range(args.start, args.end)
    try:
        report = load_landing_into_target(Path(args.dir), start=start, end=end, progress=_say)
    except LandingFileError as error:
        print(f"load refused: {error}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    from orchestration.backfill import run_backfill
    from orchestration.phases import phases_from_spec

    start, end = parse_date_range(args.start, args.end)
    if start is None or end is None:
        raise InvalidDateError("backfill needs --start and --end")
    phases = phases_from_spec(args.phases)
    if any(p.number == 2 for p in phases):
        from orchestration.loading import load_landing_into_target
        from orchestration.paths import landing_path

        print(load_landing_into_target(landing_path(), start=start, end=end, progress=_say).summary())
        phases = [p for p in phases if p.number != 2]
    result = run_backfill(start, end, phases, cascade=not args.no_cascade, strict=not args.no_strict,
                          progress=_say, trigger="manual")
    print(f"backfill {result.run_id}: {'ok' if result.succeeded else 'FAILED'} in {result.duration_seconds:.1f}s")
    from orchestration.monitoring.run_alerts import report_run

    digest = report_run(result, backfill_mode=True)      # one digest per backfill; critical ones went out at once
    if digest is not None:
        print("alert digest:\n" + digest.text())
    if not result.succeeded:
        return 1
    return 3 if result.blocked else 0


def cmd_status(args: argparse.Namespace) -> int:
    from orchestration.monitoring.gaps import find_gaps
    from orchestration.status import coverage_table, status_notes
    from orchestration.warehouse import connect

    with connect() as con:
        gaps = find_gaps(con)              # one scan serves the table, the notes and the page
        table = coverage_table(con, gaps)
        notes = status_notes(con, gaps)
        if args.html:
            from orchestration.monitoring.coverage_html import write_coverage_html

            page = write_coverage_html(Path(args.html), con, warehouse=str(warehouse_path()), gaps=gaps)
    print(f"warehouse: {warehouse_path()}")
    print(table)
    for note in notes:
        print(note)
    if args.html:
        print(f"wrote {page}")
    return 0


def _today(args: argparse.Namespace):
    return parse_iso_date(args.today, "--today") if getattr(args, "today", None) else None


def cmd_gaps(args: argparse.Namespace) -> int:
    from orchestration.monitoring.gaps import format_gaps, gaps_json, scan_gaps
    from orchestration.warehouse import connect

    with connect() as con:
        result = scan_gaps(con, today=_today(args))
    if args.json:
        print(gaps_json(result.open_gaps))
    else:
        print(f"warehouse: {warehouse_path()}")
        print(format_gaps(result))
    return 0


def cmd_heal(args: argparse.Namespace) -> int:
    from orchestration.monitoring.healing import heal

    if args.max_age_days < 0:
        raise ValueError("--max-age-days must be 0 or more")
    report = heal(max_age_days=args.max_age_days, today=_today(args),
                  landing=Path(args.landing) if args.landing else None, progress=_say, dry_run=args.dry_run)
    if args.dry_run:
        print(f"dry run: {len(report.runs)} range(s) would run, {len(report.too_old)} gap(s) too old")
        for run in report.runs:
            print(f"  {run.range.describe()}")
        return 0
    return 0 if report.ok else 1


def cmd_validate(args: argparse.Namespace) -> int:
    from orchestration.monitoring.validation import parse_levels, validate_date
    from orchestration.warehouse import connect

    day = parse_iso_date(args.date, "--date")
    levels = parse_levels(args.level)
    with connect() as con:
        report = validate_date(con, day, levels)
    print(report.format(verbose=args.verbose))
    return report.exit_code


def cmd_report(args: argparse.Namespace) -> int:
    from orchestration.ml.report import accuracy_report, format_accuracy_report
    from orchestration.warehouse import connect

    with connect(read_only=True) as con:
        print(format_accuracy_report(accuracy_report(con, args.season), args.season))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from orchestration.demo import run_main_job

    return run_main_job(_say)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nba-pipeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write synthetic seasons as landing files (real formats)")
    generate.add_argument("--seasons", required=True, help="e.g. 2021-22:2024-25")
    generate.add_argument("--out", required=True)
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--played-through", help="games after this date are scheduled, not played")
    generate.add_argument("--missing-dates", type=int, default=0, help="fault: N dates without box scores")
    generate.add_argument("--missing-prop-rate", type=float, default=0.0, help="fault: share of player-games without a prop line")
    generate.add_argument("--unknown-players", type=int, default=0, help="fault: N players missing from the registry")
    generate.add_argument("--malformed-rows", type=int, default=0, help="fault: N corrupted player box lines")
    generate.set_defaults(handler=cmd_generate)

    load = commands.add_parser("load", help="load a landing folder into nba_raw (per game_date, idempotent)")
    load.add_argument("dir")
    load.add_argument("--start")
    load.add_argument("--end")
    load.set_defaults(handler=cmd_load)

    backfill = commands.add_parser("backfill", help="build phases over a date range as one set-based run")
    backfill.add_argument("--start", required=True)
    backfill.add_argument("--end", required=True)
    backfill.add_argument("--phases", help="comma list, e.g. 3,4 (default: every dbt phase)")
    backfill.add_argument("--no-cascade", action="store_true", help="do not rebuild later dates of the season")
    backfill.add_argument("--no-strict", action="store_true", help="run even when the lookback window has gaps")
    backfill.set_defaults(handler=cmd_backfill)

    status = commands.add_parser("status", help="coverage per season and phase")
    status.add_argument("--html", help="also write a self-contained HTML page")
    status.set_defaults(handler=cmd_status)

    gaps = commands.add_parser("gaps", help="dates where a phase lags its upstream (missing or stale), recorded in data_gaps")
    gaps.add_argument("--json", action="store_true", help="print the open gaps as a JSON array")
    gaps.add_argument("--today", help=argparse.SUPPRESS)
    gaps.set_defaults(handler=cmd_gaps)

    heal = commands.add_parser("heal", help="run exactly the gap partitions (forward cascade); old gaps only alert")
    heal.add_argument("--max-age-days", type=int, default=30, help="heal gaps up to N days old (default 30)")
    heal.add_argument("--landing", help="landing folder for schedule->2 gaps (default NBA_PIPELINE_LANDING)")
    heal.add_argument("--dry-run", action="store_true", help="show the runs without starting them")
    heal.add_argument("--today", help="age gaps relative to this date instead of today (YYYY-MM-DD)")
    heal.set_defaults(handler=cmd_heal)

    validate = commands.add_parser("validate", help="PASS/WARN/FAIL per level for one date; exit 1 on FAIL")
    validate.add_argument("--date", required=True)
    validate.add_argument("--level", default="all",
                          help="execution|volume|quality|dependencies|business|all (comma list allowed)")
    validate.add_argument("--verbose", "-v", action="store_true", help="list every check")
    validate.set_defaults(handler=cmd_validate)
    report = commands.add_parser("report", help="reports; `report accuracy` = per-system MAE and hit rate")
    report.add_argument("kind", choices=["accuracy"])
    report.add_argument("--season", type=int, help="season start year, e.g. 2022 for 2022-23")
    report.set_defaults(handler=cmd_report)

    demo = commands.add_parser("demo", help="the main job: generate, load, backfill every phase, report")
    demo.set_defaults(handler=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as error:            # InvalidDateError included
        print(f"nba-pipeline: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        from orchestration.bigquery.setup_errors import setup_error_line

        line = setup_error_line(error)     # a production extra, credential or project missing
        if line is None:
            raise
        print(f"nba-pipeline: {line}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
