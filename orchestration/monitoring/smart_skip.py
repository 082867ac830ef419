"""Smart skip: outside backfill mode, a partition whose inputs have not changed since
its last successful materialisation is skipped, with skip reason `unchanged_inputs`.

The input fingerprint of (phase, start..end) hashes, order-independently, every
upstream row a run of that range reads: the lookback buffer from the season
start of `start` to `end`, of the Phase 2 tables (load bookkeeping columns
excluded) and of every earlier phase's tables, plus the dbt code (models and
macros). It is recorded after each successful run (`record_fingerprint`).

A partition is skipped only when all of these hold (`skip_decision`):
not backfill mode; a fingerprint was recorded for exactly this range; it equals
the current one; and the phase's output is complete for the range right now:
rows deleted from an output are never "unchanged" (completeness comes from the
data, not from the fingerprint). The fingerprint string also serves as a
Dagster `DataVersion`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from orchestration.completeness import existing_tables, incomplete_dates, season_bounds, season_of
from orchestration.paths import DBT_PROJECT_DIR, PROJECT_ROOT
from orchestration.phases import PHASES, PHASES_BY_NUMBER, Phase
from orchestration.run_history import RunRecord, record_runs

SKIP_REASON = "unchanged_inputs"
RAW_INPUT_TABLES = (
    "nba_raw.nbac_schedule",
    "nba_raw.nbac_player_boxscore",
    "nba_raw.nbac_team_boxscore",
    "nba_raw.odds_api_player_points_props",
)
VOLATILE_COLUMNS = ("loaded_at", "source_file", "source_line")

FINGERPRINT_DDL = """
create table if not exists nba_orchestration.input_fingerprints (
    phase integer not null,
    start_date date not null,
    end_date date not null,
    fingerprint varchar not null,     -- sha256 of the upstream rows of the lookback window + the dbt code
    upstream_rows bigint not null,
    window_start date not null,       -- the lookback buffer the fingerprint covers
    run_id varchar,
    recorded_at timestamp not null
)
"""


def ensure_fingerprint_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists nba_orchestration")
    con.execute(FINGERPRINT_DDL)


@dataclass(frozen=True)
class Fingerprint:
    phase: int
    start: date
    end: date
    window_start: date
    value: str
    upstream_rows: int

    @property
    def data_version(self) -> str:
        """Short form for a Dagster DataVersion."""
        return self.value[:24]


@dataclass(frozen=True)
class SkipDecision:
    skip: bool
    reason: str | None
    message: str
    fingerprint: Fingerprint | None


def upstream_tables(phase: Phase, phases: tuple[Phase, ...] = PHASES) -> tuple[str, ...]:
    """What a run of `phase` reads: the Phase 2 tables and every earlier phase's tables."""
    earlier = [table for p in phases if 2 < p.number < phase.number for table in p.completeness_tables]
    return RAW_INPUT_TABLES + tuple(dict.fromkeys(earlier))


def code_fingerprint(roots: tuple[Path, ...] = (DBT_PROJECT_DIR / "models", PROJECT_ROOT / "macros")) -> str:
    """sha256 over the dbt models and macros (a changed model is a changed input)."""
    digest = hashlib.sha256()
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".sql", ".yml", ".yaml", ".py"}:
                digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def lookback_start(con: duckdb.DuckDBPyConnection, start: date) -> date:
    """The season start of `start` (the buffer a range run reads), or `start` off-season."""
    bounds = season_bounds(con)
    season = season_of(start, bounds)
    return bounds[season][0] if season is not None else start


def input_fingerprint(
    con: duckdb.DuckDBPyConnection, phase: Phase | int, start: date, end: date, include_code: bool = True
) -> Fingerprint:
    """Order-independent hash of every upstream row the run of (phase, start..end) reads."""
    phase = PHASES_BY_NUMBER[phase] if isinstance(phase, int) else phase
    window_start = lookback_start(con, start)
    present = existing_tables(con)
    digest = hashlib.sha256(f"phase={phase.number};{start};{end}".encode())
    total_rows = 0
    for table in upstream_tables(phase):
        if table not in present:
            digest.update(f"{table}:absent".encode())
            continue
        schema, name = table.split(".")
        columns = [row[0] for row in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position", [schema, name]).fetchall()]
        hashed = [f'"{column}"' for column in columns if column not in VOLATILE_COLUMNS]
        rows, row_hash = con.execute(
            f"select count(*), coalesce(sum(hash({', '.join(hashed)})::hugeint), 0) from {table} "
            "where game_date between ? and ?", [window_start, end]).fetchone()
        total_rows += rows
        digest.update(f"{table}:{','.join(hashed)}:{rows}:{row_hash}".encode())
    if include_code:
        digest.update(code_fingerprint().encode())
    return Fingerprint(phase.number, start, end, window_start, digest.hexdigest(), total_rows)


def record_fingerprint(con: duckdb.DuckDBPyConnection, fingerprint: Fingerprint, run_id: str | None = None) -> None:
    """Call after a successful materialisation of (phase, start..end)."""
    ensure_fingerprint_table(con)
    con.execute(
        "insert into nba_orchestration.input_fingerprints values (?, ?, ?, ?, ?, ?, ?, ?)",
        [fingerprint.phase, fingerprint.start, fingerprint.end, fingerprint.value, fingerprint.upstream_rows,
         fingerprint.window_start, run_id, datetime.now()],
    )


def last_fingerprint(con: duckdb.DuckDBPyConnection, phase: int, start: date, end: date) -> str | None:
    ensure_fingerprint_table(con)
    row = con.execute(
        "select fingerprint from nba_orchestration.input_fingerprints where phase = ? and start_date = ? "
        "and end_date = ? order by recorded_at desc limit 1", [phase, start, end]).fetchone()
    return row[0] if row else None


def skip_decision(
    con: duckdb.DuckDBPyConnection, phase: Phase | int, start: date, end: date, backfill_mode: bool
) -> SkipDecision:
    """Whether a run of (phase, start..end) may be skipped as unchanged."""
    phase = PHASES_BY_NUMBER[phase] if isinstance(phase, int) else phase
    if backfill_mode:
        return SkipDecision(False, None, "backfill mode never skips", None)
    current = input_fingerprint(con, phase, start, end)
    previous = last_fingerprint(con, phase.number, start, end)
    if previous is None:
        return SkipDecision(False, None, "no earlier successful run recorded a fingerprint", current)
    if previous != current.value:
        return SkipDecision(False, None, "inputs changed since the last successful run", current)
    incomplete = incomplete_dates(con, phase, start, end)
    if incomplete:
        return SkipDecision(False, None, f"inputs unchanged but the output is incomplete on {len(incomplete)} "
                                         f"date(s) from {incomplete[0]}: rebuilding", current)
    return SkipDecision(True, SKIP_REASON, f"inputs unchanged since the last successful run ({current.data_version})",
                        current)


def record_skip(
    con: duckdb.DuckDBPyConnection,
    decision: SkipDecision,
    run_id: str,
    trigger: str,
    asset: str | None = None,
    is_backfill: bool = False,
) -> None:
    """Run history rows (status skipped, skip reason unchanged_inputs) for the skipped dates."""
    from orchestration.dates import days

    fingerprint = decision.fingerprint
    if fingerprint is None or not decision.skip:
        raise ValueError("record_skip needs a decision to skip with its fingerprint")
    now = datetime.now()
    phase = PHASES_BY_NUMBER[fingerprint.phase]
    record_runs(con, [
        RunRecord(run_id, asset or phase.name, phase.number, day, "skipped", decision.reason, 0, now, now, 0.0,
                  is_backfill, trigger, decision.message)
        for day in days(fingerprint.start, fingerprint.end)
    ])
