"""Coverage per season and phase: the table `nba-pipeline status` prints.

Per season and phase: game dates complete / stale / unverified / missing /
blocked and final games complete, and totals. The cells come from
`orchestration.monitoring.coverage`, which reads the data (schedule vs each
phase's tables, and the freshness and gates the data recorded), never whether
a run fired. The notes add the gaps, open circuit breakers and runs that were
interrupted or are running.
"""

from __future__ import annotations

from orchestration.monitoring.coverage import SeasonPhaseCoverage, coverage_report, format_table
from orchestration.phases import PHASES


def season_coverage(con) -> list[SeasonPhaseCoverage]:
    """Per season (no total row): per phase, game dates and final games by state."""
    _, summaries = coverage_report(con, PHASES)
    return [summary for summary in summaries if summary.season_year is not None]


def coverage_table(con) -> str:
    """The table `nba-pipeline status` prints: per season and phase, then the totals."""
    _, summaries = coverage_report(con, PHASES)
    return format_table(summaries)


def status_notes(con, gaps: list | None = None) -> list[str]:
    """One line on the gaps the data shows now, one on open circuit breakers, one per run that
    was interrupted or is still running."""
    from orchestration.completeness import existing_tables
    from orchestration.monitoring.circuit_breaker import CLOSED
    from orchestration.monitoring.gaps import find_gaps, pair_label
    from orchestration.run_history import INTERRUPTED, recent_runs

    gaps = gaps if gaps is not None else find_gaps(con)
    if gaps:
        per_pair: dict[str, int] = {}
        for gap in gaps:
            label = pair_label(gap.phase_from, gap.phase_to) + ("" if gap.kind == "missing" else f" {gap.kind}")
            per_pair[label] = per_pair.get(label, 0) + 1
        counts = ", ".join(f"{label} {count}" for label, count in per_pair.items())
        lines = [
            f"gaps: {len(gaps)} date(s) ({counts}); list them with `nba-pipeline gaps`, "
            f"fill them with `nba-pipeline heal`"
        ]
    else:
        lines = ["gaps: none"]
    if "nba_orchestration.circuit_breaker_state" in existing_tables(con):
        tripped = con.execute(
            "select breaker_key, state from nba_orchestration.circuit_breaker_state where state <> ? order by 1",
            [CLOSED],
        ).fetchall()
        if tripped:
            lines.append("circuit breakers not closed: " + ", ".join(f"{key} {state}" for key, state in tripped))
    for run in recent_runs(con, limit=20):
        status = run.effective_status
        if status in (INTERRUPTED, "running"):
            window = f" {run.requested_start}..{run.requested_end}" if run.requested_start else ""
            step = f", last step {run.current_step}" if run.current_step else ""
            lines.append(
                f"run {run.run_id} {status}: {run.command}{window} (started {run.started_at:%Y-%m-%d %H:%M:%S}"
                f", {run.steps_done} step(s) done{step})"
            )
    return lines
