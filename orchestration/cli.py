"""`nba-pipeline`: the project's own command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from orchestration.dates import InvalidDateError, parse_date_range, parse_iso_date, parse_season
from orchestration.exit_codes import ExitCode, exit_codes_help
from orchestration.paths import warehouse_path
from orchestration.progress import Display

_display = Display()  # the running command's (main() replaces it; --quiet silences it)


def _say(message: str) -> None:
    """Progress of long work (the runner's, the loader's, the healer's `say`): see orchestration/progress.py."""
    _display.say(message)


def _sync_dagster() -> None:
    """After a command that wrote: the configured Dagster instance's partitions follow the warehouse
    (nothing when no DAGSTER_HOME is set)."""
    if not os.environ.get("DAGSTER_HOME"):
        return
    from orchestration.dagster.warehouse_sync import sync_warehouse

    sync_warehouse(say=_say)  # the target's warehouse: the DuckDB file, or BigQuery on prod


def _note(message: str) -> None:
    """Waiting lines and errors go to stderr, so that `--json` output stays parseable."""
    print(message, file=sys.stderr, flush=True)


def cmd_generate(args: argparse.Namespace) -> int:
    from orchestration.generator import FaultConfig, generate_seasons, parse_seasons

    played_through = parse_iso_date(args.played_through, "--played-through") if args.played_through else None
    faults = FaultConfig(
        missing_dates=args.missing_dates,
        missing_prop_rate=args.missing_prop_rate,
        unknown_players=args.unknown_players,
        malformed_rows=args.malformed_rows,
    )
    summary = generate_seasons(
        parse_seasons(args.seasons),
        Path(args.out),
        seed=args.seed,
        faults=faults,
        played_through=played_through,
        progress=_say,
    )
    print(summary)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from orchestration.loading import DatasetMismatchError, LandingFileError, load_landing_into_target

    start, end = parse_date_range(args.start, args.end)
    try:
        report = load_landing_into_target(
            Path(args.dir), start=start, end=end, progress=_say, allow_other_dataset=args.allow_other_dataset
        )
    except LandingFileError as error:
        print(f"load refused: {error}", file=sys.stderr)
        return ExitCode.USAGE
    except DatasetMismatchError as error:
        print(error, file=sys.stderr)
        return ExitCode.USAGE
    print(report.summary())
    _sync_dagster()
    return ExitCode.OK


def cmd_backfill(args: argparse.Namespace) -> int:
    from orchestration.phases import phases_from_spec
    from orchestration.runner import run_backfill

    start, end = parse_date_range(args.start, args.end)
    if start is None or end is None:
        raise InvalidDateError("backfill needs --start and --end")
    phases = phases_from_spec(args.phases)
    if args.dry_run:
        return _backfill_dry_run(args, start, end, phases)
    result = run_backfill(
        start,
        end,
        phases,
        cascade=not args.no_cascade,
        strict=not args.no_strict,
        progress=_say,
        trigger="manual",
        command=" ".join(["nba-pipeline", *sys.argv[1:]]),
        landing=Path(args.landing) if args.landing else None,
    )
    print(result.summary())
    _sync_dagster()
    if not result.succeeded:
        return ExitCode.FAILED
    return ExitCode.BLOCKED if result.blocked else ExitCode.OK


def _backfill_dry_run(args: argparse.Namespace, start, end, phases) -> int:
    """The plan and its estimates, read-only: no run record, no lock file, no table."""
    from orchestration.bigquery.client import is_bigquery_target

    if is_bigquery_target():
        from orchestration.bigquery.estimate import estimate_bigquery_backfill

        preview = estimate_bigquery_backfill(start, end, phases, price_per_tib=args.price_per_tib)
    else:
        from orchestration.preview import preview_backfill
        from orchestration.warehouse_lock import reading

        with reading(warehouse_path(), say=_note) as con:
            preview = preview_backfill(con, start, end, phases, cascade=not args.no_cascade, strict=not args.no_strict)
    print(preview.to_json() if args.json else preview.describe())
    return ExitCode.OK


def cmd_status(args: argparse.Namespace) -> int:
    from orchestration.monitoring.gaps import find_gaps
    from orchestration.status import coverage_table, status_notes
    from orchestration.warehouse import current_warehouse

    warehouse = current_warehouse()  # the DuckDB file, or BigQuery on NBA_PIPELINE_TARGET=prod
    with warehouse.reading(say=_note) as db:
        gaps = find_gaps(db)  # one scan serves the table, the notes and the page
        table = coverage_table(db)
        notes = status_notes(db, gaps)
        if args.html:
            from orchestration.monitoring.coverage_html import write_coverage_html

            page = write_coverage_html(Path(args.html), db, warehouse=warehouse.describe(), gaps=gaps)
    print(f"warehouse: {warehouse.describe()}")
    print(table)
    for note in notes:
        print(note)
    if args.html:
        print(f"wrote {page}")
    return ExitCode.OK


def _today(args: argparse.Namespace):
    return parse_iso_date(args.today, "--today") if getattr(args, "today", None) else None


def cmd_gaps(args: argparse.Namespace) -> int:
    from orchestration.monitoring.gaps import current_gaps, format_gaps, gaps_json
    from orchestration.warehouse import current_warehouse

    warehouse = current_warehouse()  # the DuckDB file, or BigQuery on NBA_PIPELINE_TARGET=prod
    with warehouse.reading(say=_note) as db:
        result = current_gaps(db, today=_today(args))  # read-only: heal and the sensor record gaps
    if args.json:
        print(gaps_json(result.open_gaps))
    else:
        print(f"warehouse: {warehouse.describe()}")
        print(format_gaps(result))
    return ExitCode.OK


def cmd_heal(args: argparse.Namespace) -> int:
    from orchestration.monitoring.healing import heal

    if args.max_age_days < 0:
        raise ValueError("--max-age-days must be 0 or more")
    report = heal(
        max_age_days=args.max_age_days,
        today=_today(args),
        landing=Path(args.landing) if args.landing else None,
        progress=_say,
        dry_run=args.dry_run,
    )
    if args.dry_run:
        print(f"dry run: {len(report.runs)} range(s) would run, {len(report.too_old)} gap(s) too old")
        for run in report.runs:
            print(f"  {run.range.describe()}")
        return ExitCode.OK
    _sync_dagster()
    return ExitCode.OK if report.ok else ExitCode.FAILED


def cmd_validate(args: argparse.Namespace) -> int:
    from orchestration.monitoring.dbt_checks import run_date_checks
    from orchestration.monitoring.validation import DBT_LEVELS, parse_levels, validate_date
    from orchestration.warehouse import DuckDBWarehouse, current_warehouse
    from orchestration.warehouse_lock import readers_lock

    day = parse_iso_date(args.date, "--date")
    levels = parse_levels(args.level)
    warehouse = current_warehouse()  # the DuckDB file, or BigQuery on NBA_PIPELINE_TARGET=prod
    duck_file = warehouse.path if isinstance(warehouse, DuckDBWarehouse) else None
    with readers_lock(duck_file, say=_note) if duck_file else nullcontext():
        # dbt first, with no connection of ours open (it opens the file read-only itself)
        checks = run_date_checks(duck_file, day) if set(levels) & set(DBT_LEVELS) else None
        with warehouse.reading(say=_note) as db:
            report = validate_date(db, day, levels, checks)
    print(report.format(verbose=args.verbose))
    return report.exit_code


def cmd_report(args: argparse.Namespace) -> int:
    if args.kind == "patterns":
        return _report_patterns(args)
    if args.since or args.html:
        raise ValueError("--since and --html belong to `report patterns`")
    from orchestration.ml.report import accuracy_report, format_accuracy_report
    from orchestration.warehouse import current_warehouse

    with current_warehouse().reading(say=_note) as db:  # the DuckDB file, or BigQuery on the prod target
        print(format_accuracy_report(accuracy_report(db, args.season), args.season))
    return ExitCode.OK


def _report_patterns(args: argparse.Namespace) -> int:
    from orchestration.monitoring.patterns import patterns_report
    from orchestration.warehouse import current_warehouse

    since = parse_iso_date(args.since, "--since") if args.since else None
    warehouse = current_warehouse()  # the DuckDB file, or BigQuery on NBA_PIPELINE_TARGET=prod
    with warehouse.reading(say=_note) as db:
        report = patterns_report(db, since)
    print(report.text())
    if args.html:
        from orchestration.monitoring.patterns_html import write_patterns_html

        print(f"wrote {write_patterns_html(Path(args.html), report, warehouse=warehouse.describe())}")
    return ExitCode.OK


def cmd_config(args: argparse.Namespace) -> int:
    from orchestration.settings import describe

    rows = describe()
    if args.json:
        print(json.dumps(rows, indent=2))
        return ExitCode.OK
    width = max(len(str(row["name"])) for row in rows)
    for row in rows:
        shown = row["value"] if row["set"] else f"{row['default'] or '(none)'}  (default)"
        print(f"{row['name']:<{width}}  {shown}")
        print(f"{'':<{width}}  {row['description']}; read by {row['read_by']}")
    return ExitCode.OK


def cmd_dbt(args: argparse.Namespace) -> int:
    """dbt itself, from any folder: the project's dbt_project/ and profiles, the warehouse of this
    environment, in this process (`nba-pipeline dbt build --vars '{start_date: 2022-04-16, end_date: 2022-04-30}'`)."""
    from orchestration.dbt_invoke import DbtProject, progress_line
    from orchestration.warehouse import current_warehouse

    warehouse = current_warehouse()
    arguments = [part for part in args.dbt_args if part != "--"]
    with warehouse.lock("nba-pipeline dbt " + " ".join(arguments), say=_note):
        result = DbtProject.for_warehouse(warehouse).invoke(
            arguments, on_event=lambda event: (line := progress_line(event)) and _say(f"dbt: {line}")
        )
    if not result.succeeded:
        print(result.failure_summary() or "dbt failed", file=sys.stderr)
    _sync_dagster()
    return ExitCode.OK if result.succeeded else ExitCode.FAILED


def cmd_demo(args: argparse.Namespace) -> int:
    from orchestration.bigquery.client import is_bigquery_target
    from orchestration.demo import PROD_REFUSAL, run_main_job

    if is_bigquery_target():  # before anything is generated or opened
        print(f"nba-pipeline: {PROD_REFUSAL}", file=sys.stderr)
        return ExitCode.USAGE
    code = run_main_job(_say)
    _sync_dagster()
    return code


FORMATS = """formats:
  dates     YYYY-MM-DD (2023-11-01), both ends of a range included
  seasons   2021-22 (a range of seasons: 2021-22:2024-25)
  phases    2 load, 3 analytics, 4 precompute, 5 predictions, 6 grading; a comma list: 3,4
  landing   a folder with schedule/, player_box/, team_box/ (+ props/, reference/): docs/landing_format.md
  warehouse NBA_PIPELINE_DUCKDB (default warehouse/nba.duckdb; a relative path is under the project)"""


def _season(text: str) -> int:
    try:
        return parse_season(text)
    except InvalidDateError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _command(commands, name: str, summary: str, examples: str):
    """A subcommand whose --help gives the formats and an example."""
    return commands.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=f"example:\n  {examples}\n\n{FORMATS}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nba-pipeline",
        description=__doc__,
        epilog=f"{FORMATS}\n\n{SETTINGS_HELP}\n\n{exit_codes_help()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--lock-timeout", type=float, metavar="SECONDS", help=LOCK_TIMEOUT_HELP)
    parser.add_argument("--quiet", "-q", action="store_true", help=QUIET_HELP)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = _command(
        commands,
        "generate",
        "write synthetic seasons as landing files (real formats)",
        "nba-pipeline generate --seasons 2021-22:2024-25 --out landing/generated --seed 42",
    )
    generate.add_argument("--seasons", required=True, help="e.g. 2021-22:2024-25")
    generate.add_argument("--out", required=True)
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--played-through", help="games after this date are scheduled, not played")
    generate.add_argument("--missing-dates", type=int, default=0, help="fault: N dates without box scores")
    generate.add_argument(
        "--missing-prop-rate", type=float, default=0.0, help="fault: share of player-games without a prop line"
    )
    generate.add_argument("--unknown-players", type=int, default=0, help="fault: N players missing from the registry")
    generate.add_argument("--malformed-rows", type=int, default=0, help="fault: N corrupted player box lines")
    generate.set_defaults(handler=cmd_generate)

    load = _command(
        commands,
        "load",
        "load a landing folder into nba_raw (per game_date, idempotent; the schedule "
        "of every season touched loads whole)",
        "nba-pipeline load landing/generated --start 2022-01-01 --end 2022-01-31",
    )
    load.add_argument("dir")
    load.add_argument("--start")
    load.add_argument("--end")
    load.add_argument(
        "--allow-other-dataset",
        action="store_true",
        help="load even when the landing is another dataset than the warehouse holds "
        "(e.g. real data into a generated warehouse); refused by default, exit 2",
    )
    load.set_defaults(handler=cmd_load)

    backfill = _command(
        commands,
        "backfill",
        "build phases over a date range as one set-based run (strict mode, forward cascade)",
        "nba-pipeline backfill --start 2022-01-10 --end 2022-01-20 [--phases 3,4] [--dry-run]",
    )
    backfill.add_argument("--start", required=True)
    backfill.add_argument("--end", required=True)
    backfill.add_argument("--phases", help="comma list, e.g. 3,4 (default: every dbt phase)")
    backfill.add_argument("--no-cascade", action="store_true", help="do not rebuild later dates of the season")
    backfill.add_argument("--no-strict", action="store_true", help="run even when the lookback window has gaps")
    backfill.add_argument(
        "--landing",
        help="with phase 2: the folder to load (default: the landing recorded for this warehouse by its loads)",
    )
    backfill.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (dates per phase, cascade, BLOCKED dates) and its estimated duration "
        "(and bytes and cost on BigQuery); writes nothing",
    )
    backfill.add_argument("--json", action="store_true", help="with --dry-run: the plan as JSON")
    backfill.add_argument(
        "--price-per-tib",
        type=float,
        default=None,
        metavar="USD",
        help="with --dry-run on BigQuery: price per TiB processed "
        "(default NBA_BQ_PRICE_PER_TIB, else the on-demand list price)",
    )
    backfill.set_defaults(handler=cmd_backfill)

    status = _command(
        commands,
        "status",
        "coverage per season and phase (complete, stale, unverified, missing, blocked), gaps, interrupted runs",
        "nba-pipeline status --html coverage.html",
    )
    status.add_argument("--html", help="also write a self-contained HTML page")
    status.set_defaults(handler=cmd_status)

    gaps = _command(
        commands,
        "gaps",
        "dates where a phase lags its upstream (missing, stale or unverified), with "
        "their healing status from data_gaps (read-only)",
        "nba-pipeline gaps --json | head",
    )
    gaps.add_argument("--json", action="store_true", help="print the open gaps as a JSON array")
    gaps.add_argument("--today", help=argparse.SUPPRESS)
    gaps.set_defaults(handler=cmd_gaps)

    heal = _command(
        commands,
        "heal",
        "run exactly the gap partitions (forward cascade); old gaps only alert",
        "nba-pipeline heal --max-age-days 60 --dry-run",
    )
    heal.add_argument("--max-age-days", type=int, default=30, help="heal gaps up to N days old (default 30)")
    heal.add_argument("--landing", help="landing folder for schedule->2 gaps (default NBA_PIPELINE_LANDING)")
    heal.add_argument("--dry-run", action="store_true", help="show the runs without starting them")
    heal.add_argument("--today", help="age gaps relative to this date instead of today (YYYY-MM-DD)")
    heal.set_defaults(handler=cmd_heal)

    validate = _command(
        commands,
        "validate",
        "PASS/WARN/FAIL per level for one date; exit 1 on FAIL",
        "nba-pipeline validate --date 2024-01-15 --level quality,business -v",
    )
    validate.add_argument("--date", required=True)
    validate.add_argument(
        "--level", default="all", help="execution|volume|quality|dependencies|business|all (comma list allowed)"
    )
    validate.add_argument("--verbose", "-v", action="store_true", help="list every check")
    validate.set_defaults(handler=cmd_validate)
    report = _command(
        commands,
        "report",
        "reports; `report accuracy` = per-system MAE and hit rate; "
        "`report patterns` = runs, durations, skips, breakers, alerts, "
        "duplicate processing, gaps, healing",
        "nba-pipeline report accuracy --season 2023-24",
    )
    report.add_argument("kind", choices=["accuracy", "patterns"])
    report.add_argument("--season", type=_season, help="accuracy: the season, e.g. 2022-23")
    report.add_argument("--since", help="patterns: only what was recorded from this date on (YYYY-MM-DD)")
    report.add_argument("--html", help="patterns: also write a self-contained HTML page with charts")
    report.set_defaults(handler=cmd_report)

    demo = _command(commands, "demo", "the main job: generate, load, backfill every phase, report", "nba-pipeline demo")
    demo.set_defaults(handler=cmd_demo)

    config = _command(
        commands,
        "config",
        "every NBA_* setting: the value in effect (or its default), what it does and who reads it",
        "nba-pipeline config --json",
    )
    config.add_argument("--json", action="store_true", help="print the settings as a JSON array")
    config.set_defaults(handler=cmd_config)

    dbt = _command(
        commands,
        "dbt",
        "dbt from any folder, on this environment's warehouse (dbt's own arguments "
        "follow; a plain `dbt` runs from dbt_project/)",
        "nba-pipeline dbt build --select tag:phase_3 --vars '{start_date: 2022-04-16, end_date: 2022-04-30}'",
    )
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, help="what `dbt` would take: build, test, ls ...")
    dbt.set_defaults(handler=cmd_dbt)
    for command in commands.choices.values():  # a global option, also accepted after the command
        command.add_argument(
            "--lock-timeout", type=float, metavar="SECONDS", default=argparse.SUPPRESS, help=LOCK_TIMEOUT_HELP
        )
        command.add_argument("--quiet", "-q", action="store_true", default=argparse.SUPPRESS, help=QUIET_HELP)
    return parser


SETTINGS_HELP = (
    "settings: NBA_* environment variables (the warehouse, the target, BigQuery, timeouts); "
    "`nba-pipeline config` lists each with its default and the value in effect"
)
QUIET_HELP = (
    "no progress lines, only each command's result (for scripts); progress is plain lines "
    "when the output is not a terminal"
)
LOCK_TIMEOUT_HELP = (
    "how long to wait for a warehouse another process holds (default: NBA_PIPELINE_LOCK_TIMEOUT, else 300)"
)


@contextmanager
def _lock_timeout(seconds: float | None) -> Iterator[None]:
    """--lock-timeout as NBA_PIPELINE_LOCK_TIMEOUT for this command (and the processes it starts)."""
    from orchestration.settings import overridden_environment
    from orchestration.warehouse_lock import LOCK_TIMEOUT_ENV, lock_timeout

    if seconds is None:
        yield
        return
    with overridden_environment({LOCK_TIMEOUT_ENV: repr(lock_timeout(seconds))}):
        yield


def _warehouse_problem(error: Exception) -> tuple[str, ExitCode] | None:
    """The one line and exit code for an error about the warehouse file (busy, missing, damaged, no access)."""
    from orchestration.warehouse_lock import WarehouseBusy, WarehouseUnreadable, explain

    explained = error if isinstance(error, (WarehouseBusy, WarehouseUnreadable)) else explain(error, warehouse_path())
    if explained is None:
        return None
    code = ExitCode.WAREHOUSE_BUSY if isinstance(explained, WarehouseBusy) else ExitCode.WAREHOUSE_UNREADABLE
    return str(explained), code


def _quiet_stdout() -> None:
    """After a closed pipe: point stdout at /dev/null so the flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (captured in tests)
        pass


def main(argv: list[str] | None = None) -> int:
    global _display
    args = build_parser().parse_args(argv)
    try:
        # with --json the output is the JSON alone: progress (and its heartbeat) goes to stderr
        progress_stream = sys.stderr if getattr(args, "json", False) else None
        with _lock_timeout(args.lock_timeout), Display(quiet=args.quiet, stream=progress_stream) as display:
            _display = display
            code = args.handler(args)
        sys.stdout.flush()  # a reader that went away shows here, not at exit
        return code
    except BrokenPipeError:  # `nba-pipeline gaps --json | head -1`
        _quiet_stdout()
        return ExitCode.BROKEN_PIPE
    except KeyboardInterrupt:
        print("nba-pipeline: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except ValueError as error:  # InvalidDateError included
        print(f"nba-pipeline: {error}", file=sys.stderr)
        return ExitCode.USAGE
    except Exception as error:
        problem = _warehouse_problem(error)
        if problem is not None:
            message, code = problem
            print(f"nba-pipeline: {message}", file=sys.stderr)
            return code
        from orchestration.dbt_invoke import DUCKDB_OUT_OF_MEMORY, out_of_memory_hint

        if DUCKDB_OUT_OF_MEMORY in str(error):  # a Python-side query over the range, beyond the DuckDB limit
            print(f"nba-pipeline: {str(error).splitlines()[0]}; {out_of_memory_hint()}", file=sys.stderr)
            return ExitCode.FAILED
        from orchestration.bigquery.setup_errors import setup_error_line

        line = setup_error_line(error)  # a production extra, credential or project missing
        if line is None:
            raise
        print(f"nba-pipeline: {line}", file=sys.stderr)
        return ExitCode.USAGE


if __name__ == "__main__":
    sys.exit(main())
