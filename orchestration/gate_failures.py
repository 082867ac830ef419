"""A failed gate explains itself: the rows that failed it, and the quarantined lines of the same games.

dbt reports a failing test as "Got 1 result, configured to fail if != 0". After a build,
the runner runs each failing test's own compiled query again (capped) and shows its rows:
the game, date, team or player and the numbers compared, as the test selects them. When
lines of the same games or dates sit in `nba_raw.load_quarantine` (a row the loader set
aside can be why team points no longer equal the players' sum), it says which.
"""

from __future__ import annotations

from orchestration.dbt_invoke import DbtBuildResult
from orchestration.warehouse import as_session

ROWS_SHOWN = 5
QUARANTINE = "nba_raw.load_quarantine"


def explain_failures(con, build: DbtBuildResult, rows_shown: int = ROWS_SHOWN) -> list[str]:
    """Lines explaining each failed test of `build` (empty when none failed or none can be rerun)."""
    from orchestration.completeness import existing_tables

    con = as_session(con)
    lines: list[str] = []
    has_quarantine = QUARANTINE in existing_tables(con)
    for node in build.failed_nodes:
        if node.resource_type != "test" or not node.compiled_code:
            continue
        try:
            failing = con.execute(f"select * from ({node.compiled_code}) as failing limit {int(rows_shown)}")
            columns, rows = failing.columns, failing.rows
        except Exception as error:  # the test's SQL cannot be rerun here: say so, keep going
            lines.append(f"{node.unique_id}: its failing rows cannot be shown ({type(error).__name__})")
            continue
        name = node.unique_id.split(".")[2]
        lines.append(f"{name}: {node.failures} failing row(s), the first {len(rows)}:")
        lines.extend("  " + ", ".join(f"{column}={value}" for column, value in zip(columns, row)) for row in rows)
        if has_quarantine:
            lines.extend(_quarantined(con, columns, rows))
    return lines


def _quarantined(con, columns: list[str], rows: list[tuple]) -> list[str]:
    """The quarantined lines of the failing rows' games (by game id) or dates."""
    by_name = [dict(zip(columns, row)) for row in rows]
    game_ids = sorted({str(row["game_id"]) for row in by_name if row.get("game_id")})
    dates = sorted({row["game_date"] for row in by_name if row.get("game_date")})
    if not game_ids and not dates:
        return []
    # box score lines carry game ids without their leading zeros (the source's quirk)
    patterns = [f"%{game_id.lstrip('0')}%" for game_id in game_ids]
    conditions = " or ".join(
        ["raw_text like ?"] * len(patterns) + (["game_date in (" + ", ".join("?" * len(dates)) + ")"] if dates else [])
    )
    found = con.execute(
        f"select target_table, source_file, line_number, rule from {QUARANTINE} "
        f"where {conditions} order by 1, 2, 3 limit 10",
        [*patterns, *dates],
    ).fetchall()
    if not found:
        return []
    return [f"  in {QUARANTINE}, lines of the same games or dates (they were not loaded):"] + [
        f"    {table}: {source_file} line {line} ({rule})" for table, source_file, line, rule in found
    ]
