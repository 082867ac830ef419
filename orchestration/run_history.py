"""`nba_orchestration.pipeline_run_history`: one row per asset partition run.

The latest success per (phase, game_date) is also the date's processed-at time,
which is how staleness is told (a date processed before an upstream date of its
lookback window changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

RUN_HISTORY_DDL = """
create table if not exists nba_orchestration.pipeline_run_history (
    run_id varchar not null,
    asset varchar not null,
    phase integer not null,
    game_date date not null,
    status varchar not null,          -- success | failed | skipped | blocked
    skip_reason varchar,              -- no_games | circuit_open | unchanged_inputs | ...
    rows_written bigint,
    started_at timestamp not null,
    finished_at timestamp not null,
    duration_seconds double not null,
    is_backfill boolean not null,
    trigger varchar not null,         -- schedule | backfill | sensor | manual
    message varchar
)
"""

STATUSES = ("success", "failed", "skipped", "blocked")


@dataclass
class RunRecord:
    run_id: str
    asset: str
    phase: int
    game_date: date
    status: str
    skip_reason: str | None
    rows_written: int | None
    started_at: datetime
    finished_at: datetime
    duration_seconds: float
    is_backfill: bool
    trigger: str
    message: str | None = None


def ensure_run_history(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists nba_orchestration")
    con.execute(RUN_HISTORY_DDL)


def record_runs(con: duckdb.DuckDBPyConnection, records: list[RunRecord]) -> None:
    if not records:
        return
    for record in records:
        if record.status not in STATUSES:
            raise ValueError(f"run status {record.status!r} is not one of {STATUSES}")
    ensure_run_history(con)
    # vars(), not asdict(): asdict deep-copies every field (a second per four-season run)
    frame = pd.DataFrame([vars(record) for record in records])
    con.register("run_records", frame)
    try:
        con.execute("insert into nba_orchestration.pipeline_run_history by name select * from run_records")
    finally:
        con.unregister("run_records")
