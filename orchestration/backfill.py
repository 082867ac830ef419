"""Backfill plans: which dates of which phases a run builds, and which are BLOCKED, before anything runs.

The same plan serves `nba-pipeline backfill`, heal, the demo and the Dagster
steps (orchestration/runner.py runs it), so the forward cascade and the strict
check have one definition:
- **forward cascade**: a change to date D can change every later date of the
  season whose windows reach back to D, so the run extends to the last later
  date of the season some selected phase already holds;
- **strict mode**: a date of a phase is BLOCKED while its upstream phase is
  incomplete (missing, stale or unverified) on some date of its lookback window
  (season start .. the date), unless the run itself builds that upstream date.
  Each phase is planned on its own: a phase that can run, runs, even when a
  later phase is blocked.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from orchestration.completeness import (
    RAW_PHASE,
    coverage_by_date,
    incomplete_dates_by_phase,
    partial_seasons,
    scheduled_game_dates,
    season_bounds,
    season_of,
)
from orchestration.dates import contiguous_ranges, days, format_date_ranges
from orchestration.paths import DEFAULT_WAREHOUSE
from orchestration.phases import PHASES, Phase
from orchestration.warehouse import DuckDBWarehouse, Warehouse

DAGSTER_COMMAND = "dagster asset materialize -m orchestration.definitions"


@dataclass
class StepResult:
    """What a Python step (phases.py `python_steps`) reports."""

    name: str
    status: str  # success | failed | skipped
    rows_written: int = 0
    message: str = ""


@dataclass
class BlockedDates:
    phase: int
    dates: list[date]
    missing_upstream: list[date]
    fix_command: str

    def message(self) -> str:
        first, last = self.dates[0], self.dates[-1]
        return (
            f"BLOCKED: phase {self.phase} for {len(self.dates)} date(s) {first}..{last}: "
            f"phase {self.phase - 1} is incomplete in their lookback window on "
            f"{format_date_ranges(self.missing_upstream, limit=6)}. Fix: {self.fix_command}"
        )

    def dagster_fix_command(self, end: date) -> str:
        first = self.missing_upstream[0] if self.missing_upstream else self.dates[0]
        return f"{DAGSTER_COMMAND} --select '*' --partition-range {first}...{max(end, self.dates[-1])}"


@dataclass
class BackfillPlan:
    requested_start: date
    requested_end: date
    end: date  # after the forward cascade
    phases: list[Phase]
    runnable: dict[int, list[date]] = field(default_factory=dict)  # phase -> dates it builds
    blocked: list[BlockedDates] = field(default_factory=list)
    stale_dates: list[date] = field(default_factory=list)  # later dates left stale by --no-cascade

    @property
    def cascaded(self) -> bool:
        return self.end > self.requested_end

    def segments(self) -> list[tuple[date, date, list[Phase]]]:
        """Contiguous stretches of dates over which the same phases run: (start, end, phases)."""
        by_day: dict[date, tuple[int, ...]] = {}
        runnable = self._runnable_sets  # built once: per day it made planning quadratic (54 s at 16 seasons)
        for day in days(self.requested_start, self.end):
            numbers = tuple(p.number for p in self.phases if day in runnable[p.number])
            if numbers:
                by_day[day] = numbers
        segments: list[tuple[date, date, list[Phase]]] = []
        for day, numbers in sorted(by_day.items()):
            if (
                segments
                and segments[-1][1] == day - timedelta(days=1)
                and tuple(p.number for p in segments[-1][2]) == numbers
            ):
                segments[-1] = (segments[-1][0], day, segments[-1][2])
            else:
                segments.append((day, day, [p for p in self.phases if p.number in numbers]))
        return segments

    @property
    def _runnable_sets(self) -> dict[int, set[date]]:
        return {number: set(dates) for number, dates in self.runnable.items()}

    @property
    def runnable_ranges(self) -> list[tuple[date, date]]:
        return contiguous_ranges([day for dates in self.runnable.values() for day in dates])

    def blocked_messages(self) -> list[str]:
        return [blocked.message() for blocked in self.blocked]

    def describe(self) -> str:
        lines = [
            f"range {self.requested_start}..{self.requested_end}, phases {','.join(str(p.number) for p in self.phases)}"
        ]
        if self.cascaded:
            lines.append(
                f"forward cascade: extended to {self.end} (later dates of the season whose windows reach back)"
            )
        if self.stale_dates:
            lines.append(
                f"--no-cascade: {len(self.stale_dates)} later date(s) are now stale: "
                f"{format_date_ranges(self.stale_dates, limit=6)}"
            )
        for start, end, phases in self.segments():
            lines.append(f"run: {start}..{end} phases {','.join(str(p.number) for p in phases)}")
        lines.extend(self.blocked_messages())
        return "\n".join(lines)


def _previous_phase(phase: Phase) -> Phase:
    numbers = [p.number for p in PHASES]
    return PHASES[numbers.index(phase.number) - 1]


def plan_backfill(
    con,
    start: date,
    end: date,
    phases: list[Phase],
    cascade: bool = True,
    strict: bool = True,
    landing: Path | None = None,
    warehouse: Warehouse | Path | None = None,
) -> BackfillPlan:
    """Decide which dates of each phase run and which are blocked, before anything runs. `landing`
    and `warehouse` go into the fix commands (default: the landing recorded for the warehouse)."""
    bounds = season_bounds(con)
    later_built = _later_built_dates(con, end, phases, bounds)
    effective_end = max([end, *later_built]) if cascade else end
    plan = BackfillPlan(start, end, effective_end, list(phases), stale_dates=[] if cascade else later_built)
    window = list(days(start, effective_end))
    if not strict:
        plan.runnable = {phase.number: window for phase in phases}
        return plan

    in_run = {phase.number for phase in phases}
    upstream_of = {phase.number: _previous_phase(phase) for phase in phases}
    incomplete = _incomplete_upstream_dates(con, list(upstream_of.values()), start, effective_end, bounds)
    partial = partial_seasons(con)
    game_days = scheduled_game_dates(con, start, effective_end)
    fix = FixContext(landing or _recorded_landing(con), warehouse)
    for phase in phases:  # pipeline order: an upstream phase is planned first
        upstream = upstream_of[phase.number]
        built_here = set(plan.runnable.get(upstream.number, [])) if upstream.number in in_run else set()
        missing_dates = [m for m in incomplete.get(upstream.number, []) if m not in built_here]
        gaps = _window_gaps(missing_dates, window, bounds)
        if upstream.number == RAW_PHASE:  # a season loaded in part waits for its first games
            for day in window:
                season = partial.get(season_of(day, bounds))
                if season is not None:
                    gaps.setdefault(day, []).extend(season.missing_range)
        plan.runnable[phase.number] = [day for day in window if day not in gaps]
        blocked = sorted(day for day in gaps if day in game_days)  # status counts game dates
        if blocked:
            missing = sorted({m for day in blocked for m in gaps[day]})
            plan.blocked.append(
                BlockedDates(phase.number, blocked, missing, fix.command(upstream, missing, effective_end))
            )
    return plan


def _recorded_landing(con) -> Path | None:
    from orchestration.loading import recorded_landing

    return recorded_landing(con)


def _later_built_dates(con, end: date, phases: list[Phase], bounds) -> list[date]:
    """Dates after `end` in the same season that some selected phase already holds."""
    season = season_of(end, bounds)
    if season is None or not phases:
        return []
    season_end = bounds[season][1]
    if season_end <= end:
        return []
    coverage = coverage_by_date(con, tuple(phases), end + timedelta(days=1), season_end)
    return sorted({c.game_date for c in coverage if c.present_games > 0})


def _incomplete_upstream_dates(con, upstreams: list[Phase], start: date, end: date, bounds) -> dict[int, list[date]]:
    """Per upstream phase, its incomplete dates from the start of the first season the run
    touches to `end` (one coverage query for every phase)."""
    window_start = min((bounds[s][0] for s in bounds if bounds[s][1] >= start), default=start)
    return incomplete_dates_by_phase(
        con, tuple({phase.number: phase for phase in upstreams}.values()), min(window_start, start), end
    )


def _window_gaps(missing_dates: list[date], window: list[date], bounds) -> dict[date, list[date]]:
    """For every date of the window: the missing upstream dates of its season up to it."""
    missing_dates = sorted(missing_dates)
    gaps: dict[date, list[date]] = {}
    for day in window:
        season = season_of(day, bounds)
        if season is None:
            continue
        season_start = bounds[season][0]
        missing = [m for m in missing_dates if season_start <= m <= day]
        if missing:
            gaps[day] = missing
    return gaps


def warehouse_prefix(warehouse: Warehouse | Path | None) -> str:
    """`NBA_PIPELINE_DUCKDB=<file> ` when a command must name a warehouse other than the project's default,
    `NBA_PIPELINE_TARGET=prod NBA_BQ_PROJECT=<project> ` for BigQuery (a printed command is run later, maybe
    in another shell: it names the warehouse it is about)."""
    from orchestration.warehouse.bigquery import BigQueryWarehouse

    if isinstance(warehouse, BigQueryWarehouse):
        return f"NBA_PIPELINE_TARGET=prod NBA_BQ_PROJECT={shlex.quote(warehouse.project)} "
    if isinstance(warehouse, DuckDBWarehouse):
        warehouse = warehouse.path
    if warehouse is None or Path(warehouse).resolve() == DEFAULT_WAREHOUSE.resolve():
        return ""
    return f"NBA_PIPELINE_DUCKDB={shlex.quote(str(warehouse))} "


@dataclass(frozen=True)
class FixContext:
    """What a fix command names: the landing to load from and the warehouse (when not the default)."""

    landing: Path | None = None
    warehouse: Warehouse | Path | None = None

    def command(self, upstream: Phase, missing: list[date], end: date) -> str:
        """The command that fills the upstream gap and rebuilds what waits on it."""
        prefix = warehouse_prefix(self.warehouse)
        if upstream.number == RAW_PHASE:
            landing = shlex.quote(str(self.landing)) if self.landing else "<landing-dir>"
            return (
                f"{prefix}nba-pipeline load {landing} --start {missing[0]} --end {missing[-1]} "
                f"&& {prefix}nba-pipeline backfill --start {missing[0]} --end {end}"
            )
        return f"{prefix}nba-pipeline backfill --start {missing[0]} --end {end} --phases {upstream.number}" + "".join(
            f",{p.number}" for p in PHASES if p.number > upstream.number
        )
