"""What run history says about each phase and date: the latest run's status, keyed by
(phase, game_date), so a date BLOCKED by strict mode is reported as blocked, not missing.
Completeness and freshness never come from here: the data records them (completeness.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from orchestration.completeness import existing_tables
from orchestration.warehouse import Session

RUN_HISTORY = "nba_orchestration.pipeline_run_history"


@dataclass(frozen=True)
class LatestRun:
    phase: int
    game_date: date
    status: str
    skip_reason: str | None
    finished_at: datetime
    run_id: str
    message: str | None


def latest_runs(con: Session, start: date | None = None, end: date | None = None) -> dict[tuple[int, date], LatestRun]:
    """(phase, game_date) -> the most recent run recorded for it."""
    if RUN_HISTORY not in existing_tables(con):
        return {}
    rows = con.execute(
        f"""
        select phase, game_date, status, skip_reason, finished_at, run_id, message
        from {RUN_HISTORY}
        where game_date between ? and ?
        qualify row_number() over (
            partition by phase, game_date order by finished_at desc, started_at desc, status = 'blocked' desc
        ) = 1
        """,
        [start or date(1900, 1, 1), end or date(2999, 12, 31)],
    ).fetchall()
    return {(row[0], row[1]): LatestRun(*row) for row in rows}
