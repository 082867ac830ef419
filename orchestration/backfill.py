"""Range backfills: plan (strict check + forward cascade), then one set-based run per range.

The same plan serves `nba-pipeline backfill`, the Dagster range runs and the
healer, so the forward cascade and the strict check have one definition.
"""

from __future__ import annotations

import importlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

import duckdb

from orchestration.completeness import (coverage_by_date, incomplete_dates_by_phase, scheduled_game_dates,
                                        season_bounds, season_of)
from orchestration.dates import contiguous_ranges, days
from orchestration.dbt_runner import DbtBuildResult, dbt_build
from orchestration.phases import PHASES, PHASES_BY_NUMBER, Phase
from orchestration.run_history import RunRecord, record_runs
from orchestration.warehouse import connect

Progress = Callable[[str], None]


@dataclass
class BlockedDates:
    phase: int
    dates: list[date]
    missing_upstream: list[date]
    fix_command: str

    def message(self) -> str:
        first, last = self.dates[0], self.dates[-1]
        missing = _short_list(self.missing_upstream)
        return (
            f"BLOCKED: phase {self.phase} for {len(self.dates)} date(s) {first}..{last}: "
            f"phase {self.phase - 1} is incomplete in their lookback window on {missing}. "
            f"Fix: {self.fix_command}"
        )


@dataclass
class BackfillPlan:
    requested_start: date
    requested_end: date
    end: date                               # after the forward cascade
    phases: list[Phase]
    runnable_ranges: list[tuple[date, date]]
    blocked: list[BlockedDates]
    stale_dates: list[date]                 # later dates left stale by --no-cascade

    @property
    def cascaded(self) -> bool:
        return self.end > self.requested_end

    def describe(self) -> str:
        lines = [f"range {self.requested_start}..{self.requested_end}, phases {','.join(str(p.number) for p in self.phases)}"]
        if self.cascaded:
            lines.append(f"forward cascade: extended to {self.end} (later dates of the season whose windows reach back)")
        if self.stale_dates:
            lines.append(
                f"--no-cascade: {len(self.stale_dates)} later date(s) are now stale: {_short_list(self.stale_dates)}"
            )
        for start, end in self.runnable_ranges:
            lines.append(f"run: {start}..{end}")
        lines.extend(blocked.message() for blocked in self.blocked)
        return "\n".join(lines)


@dataclass
class StepResult:
    name: str
    status: str          # success | failed | skipped
    rows_written: int = 0
    message: str = ""


@dataclass
class BackfillResult:
    plan: BackfillPlan
    run_id: str
    dbt_results: list[DbtBuildResult] = field(default_factory=list)
    step_results: list[StepResult] = field(default_factory=list)
    failed_ranges: list[tuple[date, date]] = field(default_factory=list)
    duration_seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        return not self.failed_ranges

    @property
    def blocked(self) -> bool:
        return bool(self.plan.blocked)


def _short_list(dates: list[date], limit: int = 8) -> str:
    shown = ", ".join(d.isoformat() for d in dates[:limit])
    return shown + (f" ... ({len(dates)} dates)" if len(dates) > limit else "")


def _previous_phase(phase: Phase) -> Phase:
    numbers = [p.number for p in PHASES]
    return PHASES[numbers.index(phase.number) - 1]


def plan_backfill(
    con: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    phases: list[Phase],
    cascade: bool = True,
    strict: bool = True,
) -> BackfillPlan:
    """Decide which dates run and which are blocked, before anything runs."""
    bounds = season_bounds(con)
    later_built = _later_built_dates(con, end, phases, bounds)
    effective_end = max([end, *later_built]) if cascade else end
    stale = [] if cascade else later_built

    blocked: list[BlockedDates] = []
    blocked_dates: set[date] = set()
    if strict:
        phase_numbers_in_run = {phase.number for phase in phases}
        upstream_phases = {phase.number: _previous_phase(phase) for phase in phases}
        incomplete = _incomplete_upstream_dates(con, list(upstream_phases.values()), start, effective_end, bounds)
        for phase in phases:
            upstream = upstream_phases[phase.number]
            # upstream dates inside the run count as done when the run builds them
            built_by_run = upstream.number in phase_numbers_in_run
            gaps = _upstream_gaps(incomplete.get(upstream.number, []), start, effective_end, bounds, built_by_run,
                                  blocked_dates)
            phase_blocked = sorted(d for d in days(start, effective_end) if gaps.get(d))
            if phase_blocked:
                missing = sorted({m for d in phase_blocked for m in gaps[d]})
                blocked.append(BlockedDates(phase.number, phase_blocked, missing, _fix_command(upstream, missing, effective_end)))
                blocked_dates.update(phase_blocked)

    runnable = [d for d in days(start, effective_end) if d not in blocked_dates]
    return BackfillPlan(start, end, effective_end, phases, contiguous_ranges(runnable), blocked, stale)


def _later_built_dates(con, end: date, phases: list[Phase], bounds) -> list[date]:
    """Dates after `end` in the same season that some selected phase already holds."""
    season = season_of(end, bounds)
    if season is None or not phases:
        return []
    season_end = bounds[season][1]
    if season_end <= end:
        return []
    coverage = coverage_by_date(con, tuple(phases), end + timedelta(days=1), season_end)
    return sorted({c.game_date for c in coverage if c.complete_games > 0})


def _incomplete_upstream_dates(con, upstreams: list[Phase], start: date, end: date, bounds) -> dict[int, list[date]]:
    """Per upstream phase, its incomplete dates from the start of the first season the run
    touches to `end` (one coverage query for every phase)."""
    window_start = min((bounds[s][0] for s in bounds if bounds[s][1] >= start), default=start)
    return incomplete_dates_by_phase(con, tuple({phase.number: phase for phase in upstreams}.values()),
                                     min(window_start, start), end)


def _upstream_gaps(
    incomplete: list[date], start: date, end: date, bounds, built_by_run: bool, blocked_dates: set[date]
) -> dict[date, list[date]]:
    """For every date in [start, end]: the incomplete upstream dates of its season up to it."""
    missing_dates = sorted(m for m in incomplete
                           if not (built_by_run and start <= m and m not in blocked_dates))
    gaps: dict[date, list[date]] = {}
    for day in days(start, end):
        season = season_of(day, bounds)
        if season is None:
            continue
        season_start = bounds[season][0]
        missing = [m for m in missing_dates if season_start <= m <= day]
        if missing:
            gaps[day] = missing
    return gaps


def _fix_command(upstream: Phase, missing: list[date], end: date) -> str:
    if upstream.number == 2:
        return (
            f"nba-pipeline load <landing-dir> --start {missing[0]} --end {missing[-1]} "
            f"&& nba-pipeline backfill --start {missing[0]} --end {end}"
        )
    return f"nba-pipeline backfill --start {missing[0]} --end {end} --phases {upstream.number}" + "".join(
        f",{p.number}" for p in PHASES if p.number > upstream.number
    )


def resolve_step(reference: str) -> Callable[..., StepResult]:
    """`module:function` of phases.py's python_steps -> the function (the CLI and Dagster both call it)."""
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def run_backfill(
    start: date,
    end: date,
    phases: list[Phase] | None = None,
    cascade: bool = True,
    strict: bool = True,
    warehouse: Path | None = None,
    trigger: str = "manual",
    is_backfill: bool = True,
    run_id: str | None = None,
    progress: Progress | None = None,
    target_path: Path | None = None,
) -> BackfillResult:
    """Plan, then build each runnable range with one dbt build per stretch of dbt phases."""
    say = progress or (lambda message: None)
    selected = phases or [p for p in PHASES if p.dbt_selector]
    started = time.monotonic()
    with connect(warehouse) as con:
        plan = plan_backfill(con, start, end, selected, cascade, strict)
    result = BackfillResult(plan, run_id or uuid.uuid4().hex[:12])
    say(plan.describe())

    for range_start, range_end in plan.runnable_ranges:
        range_started = datetime.now()
        with connect(warehouse) as con:
            has_games = bool(scheduled_game_dates(con, range_start, range_end))
        # a stretch with no games is an empty success: nothing to build
        ok = not has_games or _run_range(range_start, range_end, selected, warehouse, result, say, target_path)
        if not ok:
            result.failed_ranges.append((range_start, range_end))
        _record_range(warehouse, result, range_start, range_end, selected, ok, range_started, trigger, is_backfill)
        if not ok:
            break
    _record_blocked(warehouse, result, trigger, is_backfill)
    result.duration_seconds = time.monotonic() - started
    return result


def _run_range(start, end, phases, warehouse, result: BackfillResult, say: Progress, target_path) -> bool:
    """Phases in order: consecutive dbt phases share one build; python steps run between."""
    pending: list[str] = []

    def flush() -> bool:
        if not pending:
            return True
        say(f"dbt build {' '.join(pending)} for {start}..{end}")
        build = dbt_build(list(pending), start, end, warehouse, target_path, progress=say)
        result.dbt_results.append(build)
        pending.clear()
        if not build.succeeded:
            say(f"dbt build failed for {start}..{end}:\n{build.failure_summary()}")
        return build.succeeded

    for phase in phases:
        if phase.python_steps:
            if not flush():
                return False
            for reference in phase.python_steps:
                step = resolve_step(reference)
                with connect(warehouse) as con:
                    try:
                        outcome = step(con, start, end)
                    except Exception as error:  # a failing system must not stop the others
                        outcome = StepResult(reference, "failed", 0, f"{type(error).__name__}: {error}")
                result.step_results.append(outcome)
                say(f"step {reference}: {outcome.status} {outcome.message}")
        if phase.dbt_selector:
            pending.append(phase.dbt_selector)
    return flush()


def rows_by_date(con, phase: Phase, start: date, end: date) -> dict[date, int]:
    """Rows each date holds in the phase's tables (what a run wrote for it)."""
    totals: dict[date, int] = {}
    for table in phase.completeness_tables:
        try:
            rows = con.execute(
                f"select game_date, count(*) from {table} where game_date between ? and ? group by 1", [start, end]
            ).fetchall()
        except duckdb.CatalogException:
            continue
        for day, count in rows:
            totals[day] = totals.get(day, 0) + count
    return totals


def _record_range(warehouse, result, start, end, phases, ok, started_at, trigger, is_backfill) -> None:
    finished_at = datetime.now()
    duration = (finished_at - started_at).total_seconds()
    records: list[RunRecord] = []
    with connect(warehouse) as con:
        game_dates = scheduled_game_dates(con, start, end)
        for phase in phases:
            written = rows_by_date(con, phase, start, end) if ok else {}
            for day in days(start, end):
                no_games = day not in game_dates
                records.append(
                    RunRecord(
                        run_id=result.run_id,
                        asset=phase.name,
                        phase=phase.number,
                        game_date=day,
                        status="success" if ok else "failed",
                        skip_reason="no_games" if ok and no_games else None,
                        rows_written=written.get(day, 0) if ok else None,
                        started_at=started_at,
                        finished_at=finished_at,
                        duration_seconds=duration,
                        is_backfill=is_backfill,
                        trigger=trigger,
                        message=None if ok else "dbt build failed; see the run's dbt output",
                    )
                )
        record_runs(con, records)


def _record_blocked(warehouse, result: BackfillResult, trigger: str, is_backfill: bool) -> None:
    now = datetime.now()
    records = [
        RunRecord(result.run_id, PHASES_BY_NUMBER[blocked.phase].name, blocked.phase, day, "blocked", None, None,
                  now, now, 0.0, is_backfill, trigger, blocked.message())
        for blocked in result.plan.blocked
        for day in blocked.dates
    ]
    if records:
        with connect(warehouse) as con:
            record_runs(con, records)
