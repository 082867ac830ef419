"""Rows that broke a rule: collected per load, written to nba_raw.load_quarantine.

The quarantine is replaced like the data: a load deletes, per target table, the
quarantined rows of the dates it replaces and the date-less rows of the files it
read, then inserts what it found, so reloading never piles up duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import pyarrow as pa

from orchestration.loading.duck import registered


@dataclass
class QuarantineRows:
    """Quarantined rows as columns (cheap to append, one bulk insert)."""

    target_table: list[str] = field(default_factory=list)
    source_file: list[str] = field(default_factory=list)
    line_number: list[int] = field(default_factory=list)
    rule: list[str] = field(default_factory=list)
    raw_text: list[str] = field(default_factory=list)
    game_date: list[date | None] = field(default_factory=list)

    def add(self, table: str, source_file: str, line: int, rule: str, raw: str, game_date: date | None) -> None:
        self.target_table.append(table)
        self.source_file.append(source_file)
        self.line_number.append(line)
        self.rule.append(rule)
        self.raw_text.append(raw)
        self.game_date.append(game_date)

    def extend(self, other: QuarantineRows) -> None:
        for name in ("target_table", "source_file", "line_number", "rule", "raw_text", "game_date"):
            getattr(self, name).extend(getattr(other, name))

    def __len__(self) -> int:
        return len(self.line_number)

    def to_arrow(self) -> pa.Table:
        return pa.table(
            {
                "target_table": pa.array(self.target_table, pa.string()),
                "source_file": pa.array(self.source_file, pa.string()),
                "line_number": pa.array(self.line_number, pa.int32()),
                "rule": pa.array(self.rule, pa.string()),
                "raw_text": pa.array(self.raw_text, pa.string()),
                "game_date": pa.array(self.game_date, pa.date32()),
            }
        )


@dataclass(frozen=True)
class QuarantineScope:
    """What one load owns in the quarantine: (table, date) pairs and (table, file) pairs."""

    dates: list[tuple[str, date]]
    files: list[tuple[str, str]]


def replace_quarantine(
    con: duckdb.DuckDBPyConnection, scope: QuarantineScope, rows: QuarantineRows, quarantined_at: datetime
) -> None:
    """Delete the scope's quarantined rows and insert `rows` (inside the caller's transaction)."""
    dates = pa.table(
        {
            "t": pa.array([t for t, _ in scope.dates], pa.string()),
            "d": pa.array([d for _, d in scope.dates], pa.date32()),
        }
    )
    files = pa.table(
        {
            "t": pa.array([t for t, _ in scope.files], pa.string()),
            "f": pa.array([f for _, f in scope.files], pa.string()),
        }
    )
    with registered(con, _q_dates=dates, _q_files=files, _q_rows=rows.to_arrow()):
        con.execute("""
            delete from nba_raw.load_quarantine q
            where exists (select 1 from _q_dates s where s.t = q.target_table and s.d = q.game_date)
               or (q.game_date is null
                   and exists (select 1 from _q_files s where s.t = q.target_table and s.f = q.source_file))""")
        con.execute(
            """
            insert into nba_raw.load_quarantine
                (target_table, source_file, line_number, rule, raw_text, game_date, quarantined_at)
            select target_table, source_file, line_number, rule, raw_text, game_date, ?::timestamp
            from _q_rows""",
            [quarantined_at],
        )
