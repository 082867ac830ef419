"""Coverage per season and phase: the table `nba-pipeline status` prints.

Per season and phase: game dates and final games complete / missing / blocked
(blocked: the latest run for that phase and date was BLOCKED by strict mode),
and totals. The cells come from `orchestration.monitoring.coverage`, which
reads the data (schedule vs each phase's tables), never whether a run fired.
"""

from __future__ import annotations

import duckdb

from orchestration.monitoring.coverage import SeasonPhaseCoverage, coverage_report, format_table
from orchestration.phases import PHASES


def season_coverage(con: duckdb.DuckDBPyConnection) -> list[SeasonPhaseCoverage]:
    """Per season (no total row): per phase, game dates and final games complete / missing / blocked."""
    _, summaries = coverage_report(con, PHASES)
    return [summary for summary in summaries if summary.season_year is not None]


def coverage_table(con: duckdb.DuckDBPyConnection, gaps: list | None = None) -> str:
    """The table `nba-pipeline status` prints: per season and phase, then the totals."""
    _, summaries = coverage_report(con, PHASES, gaps)
    return format_table(summaries)


def status_notes(con: duckdb.DuckDBPyConnection, gaps: list | None = None) -> list[str]:
    """One line on the gaps the data shows now, one on open circuit breakers (when any)."""
    from orchestration.completeness import existing_tables
    from orchestration.monitoring.circuit_breaker import CLOSED
    from orchestration.monitoring.gaps import find_gaps, pair_label

    gaps = gaps if gaps is not None else find_gaps(con)
    if gaps:
        per_pair: dict[str, int] = {}
        for gap in gaps:
            label = pair_label(gap.phase_from, gap.phase_to) + (" stale" if gap.kind == "stale" else "")
            per_pair[label] = per_pair.get(label, 0) + 1
        counts = ", ".join(f"{label} {count}" for label, count in per_pair.items())
        lines = [f"gaps: {len(gaps)} date(s) ({counts}); list them with `nba-pipeline gaps`, "
                 f"fill them with `nba-pipeline heal`"]
    else:
        lines = ["gaps: none"]
    if "nba_orchestration.circuit_breaker_state" in existing_tables(con):
        tripped = con.execute("select breaker_key, state from nba_orchestration.circuit_breaker_state "
                              "where state <> ? order by 1", [CLOSED]).fetchall()
        if tripped:
            lines.append("circuit breakers not closed: " + ", ".join(f"{key} {state}" for key, state in tripped))
    return lines
