"""`nba-pipeline backfill --dry-run`: what a backfill will do, read-only.

The plan is the runner's own (`backfill.plan_backfill`: strict check, forward cascade, the same
segments the run executes); each phase's dates are told apart by their state now
(`completeness.coverage_by_date`): already complete (rebuilt), stale, unverified, not built yet.
The duration comes from this warehouse's history (estimates.py). Nothing is written: the caller
holds a read-only connection (no run record, no lock file, no table).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from orchestration.backfill import BackfillPlan, BlockedDates, plan_backfill
from orchestration.completeness import COMPLETE, STALE, UNVERIFIED, coverage_by_date
from orchestration.dates import format_date_ranges
from orchestration.estimates import DurationEstimate, estimate_duration, stretch_work
from orchestration.phases import PHASES_BY_NUMBER, Phase
from orchestration.pipeline_steps import RAW_PHASE


@dataclass
class PhasePreview:
    phase: Phase
    build: list[date]  # every date the run builds (its window, no-game days too)
    complete: list[date] = field(default_factory=list)  # already complete: rebuilt
    stale: list[date] = field(default_factory=list)
    unverified: list[date] = field(default_factory=list)
    new: list[date] = field(default_factory=list)  # final games not (fully) built yet
    blocked: BlockedDates | None = None

    def as_dict(self) -> dict:
        return {
            "phase": self.phase.number,
            "name": self.phase.name,
            "dates_to_build": [d.isoformat() for d in self.build],
            "complete_rebuilt": [d.isoformat() for d in self.complete],
            "stale": [d.isoformat() for d in self.stale],
            "unverified": [d.isoformat() for d in self.unverified],
            "not_built": [d.isoformat() for d in self.new],
            "blocked": None
            if self.blocked is None
            else {
                "dates": [d.isoformat() for d in self.blocked.dates],
                "missing_upstream": [d.isoformat() for d in self.blocked.missing_upstream],
                "fix": self.blocked.fix_command,
            },
        }

    def describe(self) -> str:
        def dates(values: list[date]) -> str:
            return f"{len(values)} ({format_date_ranges(values, limit=4)})" if values else "0"

        lines = [
            f"phase {self.phase.number} ({self.phase.name}): build {dates(self.build)}",
            f"    not built yet {dates(self.new)}; already complete, rebuilt {dates(self.complete)}; "
            f"stale {dates(self.stale)}; unverified {dates(self.unverified)}",
        ]
        if self.blocked is not None:
            lines.append(f"    {self.blocked.message()}")
        return "\n".join(lines)


@dataclass
class BackfillPreview:
    plan: BackfillPlan
    loads: bool  # Phase 2 selected: the landing is loaded first
    phases: list[PhasePreview]
    duration: DurationEstimate
    cost: object | None = None  # orchestration.bigquery.estimate.CostEstimate on the prod target

    def as_dict(self) -> dict:
        plan = self.plan
        return {
            "requested": {"start": plan.requested_start.isoformat(), "end": plan.requested_end.isoformat()},
            "end": plan.end.isoformat(),
            "cascaded": plan.cascaded,
            "stale_after_no_cascade": [d.isoformat() for d in plan.stale_dates],
            "loads_landing_first": self.loads,
            "segments": [
                {"start": s.isoformat(), "end": e.isoformat(), "phases": [p.number for p in phases]}
                for s, e, phases in plan.segments()
            ],
            "phases": [phase.as_dict() for phase in self.phases],
            "estimate": self.duration.as_dict(),
            "bigquery": self.cost.as_dict() if self.cost is not None else None,
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2)

    def describe(self) -> str:
        plan = self.plan
        lines = [
            f"dry run: nothing is written. Requested {plan.requested_start}..{plan.requested_end}, "
            f"phases {','.join(str(p.number) for p in ([PHASES_BY_NUMBER[RAW_PHASE]] if self.loads else []) + plan.phases)}"
        ]
        if self.loads:
            lines.append(
                f"phase 2: loads the landing for {plan.requested_start}..{plan.requested_end} first "
                "(the plan below is the warehouse's state now)"
            )
        lines.append(
            f"forward cascade: runs to {plan.end}" if plan.cascaded else f"forward cascade: none (runs to {plan.end})"
        )
        if plan.stale_dates:
            lines.append(
                f"--no-cascade leaves {len(plan.stale_dates)} later date(s) stale: "
                f"{format_date_ranges(plan.stale_dates, limit=6)}"
            )
        lines.extend(phase.describe() for phase in self.phases)
        for start, end, phases in plan.segments():
            lines.append(f"run: {start}..{end} phases {','.join(str(p.number) for p in phases)}")
        lines.append(self.duration.describe())
        if self.cost is not None:
            lines.append(self.cost.describe())
        return "\n".join(lines)


def preview_backfill(
    con, start: date, end: date, phases: list[Phase], cascade: bool = True, strict: bool = True
) -> BackfillPreview:
    """The plan a `run_backfill` with these arguments would execute, and what it will cost; read-only."""
    built = [phase for phase in phases if phase.number != RAW_PHASE]
    loads = len(built) < len(phases)
    plan = (
        plan_backfill(con, start, end, built, cascade=cascade, strict=strict)
        if built
        else BackfillPlan(start, end, end, [])
    )
    states = (
        {(cell.phase, cell.game_date): cell.state for cell in coverage_by_date(con, tuple(built), start, plan.end)}
        if built
        else {}
    )
    blocked = {b.phase: b for b in plan.blocked}
    previews = []
    for phase in built:
        preview = PhasePreview(phase, list(plan.runnable.get(phase.number, [])), blocked=blocked.get(phase.number))
        for day in preview.build:
            state = states.get((phase.number, day))
            bucket = {COMPLETE: preview.complete, STALE: preview.stale, UNVERIFIED: preview.unverified, None: None}.get(
                state, preview.new
            )
            if bucket is not None:
                bucket.append(day)
        previews.append(preview)
    stretches = [(s, e, tuple(p.number for p in segment_phases)) for s, e, segment_phases in plan.segments()]
    if loads:
        stretches.insert(0, (start, end, (RAW_PHASE,)))
    return BackfillPreview(plan, loads, previews, estimate_duration(con, stretch_work(con, stretches)))
