"""What runs did, recorded as they go: `pipeline_runs` (one row per run) and
`pipeline_run_history` (one row per asset and game date a step touched).

A run writes its row when it starts (`running`, with its process id), updates
it after every step and closes it at the end. A run whose process died keeps
`running` in the table and reads `interrupted` (`RunRow.effective_status`), so a
killed run is never silently absent. Nothing here decides completeness or
freshness: the data records those itself (completeness.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from orchestration.processes import ProcessIdentity
from orchestration.warehouse import as_session, ensure_orchestration_schema

RUNS = "nba_orchestration.pipeline_runs"
RUN_HISTORY = "nba_orchestration.pipeline_run_history"
STATUSES = ("success", "failed", "skipped", "blocked")
RUN_STATUSES = ("running", "success", "partial", "failed", "blocked", "nothing_to_do")
INTERRUPTED = "interrupted"


@dataclass
class RunRecord:
    """One asset (or phase) and game date a step touched."""

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


def record_runs(con, records: list[RunRecord]) -> None:
    if not records:
        return
    for record in records:
        if record.status not in STATUSES:
            raise ValueError(f"run status {record.status!r} is not one of {STATUSES}")
    db = as_session(con)
    ensure_orchestration_schema(db)
    # vars(), not asdict(): asdict deep-copies every field (a second per four-season run)
    db.append(RUN_HISTORY, [vars(record) for record in records])


@dataclass(frozen=True)
class RunRow:
    run_id: str
    runner: str
    command: str
    trigger: str
    is_backfill: bool
    requested_start: date | None
    requested_end: date | None
    status: str
    message: str | None
    steps_done: int
    current_step: str | None
    pid: int
    pid_start: str | None
    host: str
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def effective_status(self) -> str:
        """`interrupted` for a run still marked running whose process is gone."""
        if self.status == "running" and ProcessIdentity(self.pid, self.pid_start, self.host).is_gone():
            return INTERRUPTED
        return self.status


_RUN_COLUMNS = (
    "run_id",
    "runner",
    "command",
    "trigger",
    "is_backfill",
    "requested_start",
    "requested_end",
    "status",
    "message",
    "steps_done",
    "current_step",
    "pid",
    "pid_start",
    "host",
    "started_at",
    "updated_at",
    "finished_at",
)


def begin_run(
    con, run_id: str, runner: str, command: str, trigger: str, is_backfill: bool, start: date | None, end: date | None
) -> None:
    """The run's row, `running`, before any work (a run already recorded, e.g. by an earlier step of
    the same Dagster run, is left as it is)."""
    con = as_session(con)
    ensure_orchestration_schema(con)
    if con.execute(f"select count(*) from {RUNS} where run_id = ?", [run_id]).fetchone()[0]:
        return
    me = ProcessIdentity.current()
    now = datetime.now()
    con.execute(
        f"insert into {RUNS} ({', '.join(_RUN_COLUMNS)}) values ({', '.join('?' * len(_RUN_COLUMNS))})",
        [
            run_id,
            runner,
            command[:1000],
            trigger,
            is_backfill,
            start,
            end,
            "running",
            None,
            0,
            None,
            me.pid,
            me.start_ticks,
            me.host,
            now,
            now,
            None,
        ],
    )


def note_step(con, run_id: str, step: str, finished: bool) -> None:
    """The step now running (finished=False) or just done (True)."""
    as_session(con).execute(
        f"update {RUNS} set current_step = ?, steps_done = steps_done + ?, updated_at = ? where run_id = ?",
        [step, 1 if finished else 0, datetime.now(), run_id],
    )


def finish_run(con, run_id: str, status: str, message: str | None = None) -> None:
    if status not in RUN_STATUSES:
        raise ValueError(f"run status {status!r} is not one of {RUN_STATUSES}")
    now = datetime.now()
    as_session(con).execute(
        f"update {RUNS} set status = ?, message = ?, updated_at = ?, finished_at = ? where run_id = ?",
        [status, (message or None) and message[:4000], now, now, run_id],
    )


def close_run(con, run_id: str, status: str, message: str | None = None) -> None:
    """Finish a run recorded by its steps (a Dagster run), if it recorded itself and is still open."""
    from orchestration.completeness import existing_tables

    if RUNS in existing_tables(con):
        row = con.execute(f"select status from {RUNS} where run_id = ?", [run_id]).fetchone()
        if row is not None and row[0] == "running":
            finish_run(con, run_id, status, message)


def recent_runs(con, limit: int = 20) -> list[RunRow]:
    """The latest runs, newest first (empty before any run)."""
    from orchestration.completeness import existing_tables

    if RUNS not in existing_tables(con):
        return []
    rows = con.execute(
        f"select {', '.join(_RUN_COLUMNS)} from {RUNS} order by started_at desc limit ?", [limit]
    ).fetchall()
    return [RunRow(*row) for row in rows]
