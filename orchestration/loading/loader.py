"""load_landing: a landing folder -> nba_raw, per game date, idempotent, in one transaction.

1. Read every file of the selected folders (and reference/); a file missing
   required columns stops the load with LandingFileError before anything is written.
2. Apply the row rules; bad rows go to the quarantine, good rows of the same file load.
3. In ONE transaction: upsert the registries, then per table delete the dates
   present in the files (within [start, end]) and insert the new rows; replace
   the same dates of the quarantine and of unresolved_players. Any error rolls back.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Collection
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.loading.csvfiles import list_files, read_folder
from orchestration.loading.dataset import check_and_record, identify_landing
from orchestration.loading.duck import scalar
from orchestration.loading.errors import FileProblem, LandingFileError
from orchestration.loading.formats import FORMATS
from orchestration.loading.quarantine import QuarantineRows, QuarantineScope, replace_quarantine
from orchestration.loading.registry import read_registries, write_registries
from orchestration.loading.report import LoadReport, TableReport
from orchestration.loading.staging import StagedTable, stage
from orchestration.loading.writer import PLAYER_BOX, replace_dates, unresolved_names
from orchestration.warehouse import DATED_RAW_TABLES, DuckDBSession, connect, ensure_raw_schema


def _selected(tables: Collection[str] | None) -> list[str]:
    if tables is None:
        return list(DATED_RAW_TABLES)
    unknown = sorted(set(tables) - set(DATED_RAW_TABLES))
    if unknown:
        raise ValueError(f"unknown tables {unknown}; choose from {list(DATED_RAW_TABLES)}")
    return [t for t in DATED_RAW_TABLES if t in set(tables)]


def _returning_arrow_pages(load: Callable[..., LoadReport]) -> Callable[..., LoadReport]:
    """After the load, arrow's allocator hands back the pages of the files' columns: it keeps them for reuse
    unless told (~260 MB after 16 seasons), and a backfill's later steps run in this same process."""

    @functools.wraps(load)
    def loading(*args, **kwargs) -> LoadReport:
        try:
            return load(*args, **kwargs)
        finally:
            pa.default_memory_pool().release_unused()

    return loading


@_returning_arrow_pages
def load_landing(
    landing_dir: Path,
    start: date | None = None,
    end: date | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    tables: Collection[str] | None = None,
    progress: Callable[[str], None] | None = None,
    allow_other_dataset: bool = False,
) -> LoadReport:
    """Load `landing_dir` into nba_raw, replacing the game dates its files hold (within [start, end]).

    A landing of another dataset than the warehouse holds is refused (DatasetMismatchError, nothing
    written) unless `allow_other_dataset`.
    """
    began = time.perf_counter()
    landing_dir = Path(landing_dir)
    if start is not None and end is not None and start > end:
        raise ValueError(f"start {start} is after end {end}")
    selected = _selected(tables)
    if not landing_dir.is_dir():
        raise LandingFileError([FileProblem(landing_dir, "landing folder does not exist")])

    # 1-2. Read and check everything before touching the warehouse.
    problems: list[FileProblem] = []
    staged: list[StagedTable] = []
    for name in selected:
        fmt = FORMATS[name]
        folder = landing_dir / fmt.folder
        if fmt.folder_required and not folder.is_dir():
            problems.append(FileProblem(folder, f"required folder {fmt.folder}/ is missing"))
            continue
        rows = read_folder(list_files(folder), fmt.required, fmt.optional, problems, progress)
        if not problems:
            staged.append(stage(fmt, rows, start, end))
            if progress:
                s = staged[-1]
                progress(
                    f"checked {name}: {s.rows_loaded:,} rows to load, {len(s.quarantine):,} quarantined, "
                    f"{len(s.dates):,} dates"
                )
    registries = read_registries(landing_dir, problems, progress)
    if problems:
        raise LandingFileError(problems)
    identity = identify_landing(landing_dir, staged)

    quarantine = QuarantineRows()
    for s in staged:
        quarantine.extend(s.quarantine)
    quarantine.extend(registries.quarantine)
    scope = QuarantineScope(
        dates=[(s.fmt.table, d) for s in staged for d in s.dates],
        files=[(s.fmt.table, str(p)) for s in staged for p in s.files] + registries.files,
    )

    # 3. One transaction for the whole load.
    own = con is None
    con = con if con is not None else connect()
    report = LoadReport(
        landing_dir=landing_dir, start=start, end=end, quarantine_scope=scope, dataset=identity.describe()
    )
    loaded_at = datetime.now()
    try:
        with DuckDBSession(con).transaction():
            ensure_raw_schema(con)
            check_and_record(con, identity, landing_dir, staged, loaded_at, allow_other_dataset)
            write_registries(con, registries)
            for s in staged:
                if progress:
                    progress(f"writing {s.fmt.table}: {s.rows_loaded:,} rows over {len(s.dates):,} dates")
                unresolved = replace_dates(con, s, loaded_at)
                if s.fmt.table == PLAYER_BOX:
                    report.unresolved_occurrences = unresolved
                    report.unresolved_players = unresolved_names(con, s) if unresolved else []
            replace_quarantine(con, scope, quarantine, loaded_at)
            report.registry_players = scalar(con, "select count(*) from nba_raw.player_registry")
            report.registry_teams = scalar(con, "select count(*) from nba_raw.team_registry")
    finally:
        if own:
            con.close()

    for s in staged:
        report.tables[s.fmt.table] = TableReport(
            table=s.fmt.table,
            files_read=len(s.files),
            rows_read=s.rows_read,
            rows_loaded=s.rows_loaded,
            rows_quarantined=len(s.quarantine),
            rows_deduplicated=s.rows_deduplicated,
            rows_out_of_range=s.rows_out_of_range,
            blank_lines=s.blank_lines,
            dates_replaced=s.dates,
            whole_seasons=s.whole_seasons,
        )
    report.warnings = [w for s in staged for w in s.warnings] + registries.warnings
    report.registry_quarantined = len(registries.quarantine)
    report.seconds = time.perf_counter() - began
    if progress:
        progress(
            f"done: {report.rows_loaded:,} rows loaded, {report.rows_quarantined:,} quarantined "
            f"in {report.seconds:.2f} s"
        )
    return report
