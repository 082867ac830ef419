"""How long a run will take, fitted on the past runs of this warehouse.

Each phase costs a fixed part per step (dbt start-up, the gates' fixed queries, a model's lookback)
plus a part per game date. Both are fitted by least squares on the successful steps recorded in
`nba_orchestration.pipeline_step_runs`: a Python step's duration is its phase's; a dbt step's duration
(which builds several phases in one `dbt build`) is split between its phases in proportion to dbt's
own execution time of their nodes (`dbt_node_timings`; the Phase 2 staging views count for the
first phase of the step, which builds them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from orchestration.completeness import existing_tables, scheduled_game_dates
from orchestration.step_history import NODE_TIMINGS, STEP_RUNS, step_kind


@dataclass(frozen=True)
class PhaseCost:
    phase: int
    fixed_seconds: float
    per_date_seconds: float
    runs: int  # distinct runs the fit is based on
    steps: int  # step executions (samples)

    def seconds(self, game_dates: int) -> float:
        return self.fixed_seconds + self.per_date_seconds * game_dates if game_dates else 0.0


@dataclass(frozen=True)
class _Sample:
    run_id: str
    game_dates: int
    seconds: float


def fit_line(points: list[tuple[float, float]]) -> tuple[float, float]:
    """(fixed, per_date) of y = fixed + per_date * x by least squares, both kept >= 0. With one size of x
    the fixed part cannot be told apart: everything is per date."""
    xs = {x for x, _ in points}
    if len(xs) < 2:
        total_x = sum(x for x, _ in points)
        return 0.0, (sum(y for _, y in points) / total_x if total_x else 0.0)
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
    intercept = mean_y - slope * mean_x
    if slope < 0:  # noise on near-equal sizes: a constant cost
        return mean_y, 0.0
    if intercept < 0:  # through the origin
        return 0.0, sum(x * y for x, y in points) / sum(x * x for x, _ in points)
    return intercept, slope


def _samples(con, since: date | None = None) -> dict[tuple[str, int], list[_Sample]]:
    """Per step kind and phase: (run, game dates, seconds of that phase) of every successful step that
    built games. A phase's cost is the sum over its kinds (Phase 5: the trained model, then dbt)."""
    tables = existing_tables(con)
    if STEP_RUNS not in tables:
        return {}
    since_filter = "and s.started_at >= ?" if since else ""
    steps = con.execute(
        f"""
        select s.run_id, s.step, s.started_at, s.phases, s.game_dates, s.duration_seconds
        from {STEP_RUNS} s
        where s.status = 'success' and s.skip_reason is null and s.game_dates > 0 {since_filter}
        """,
        [since] if since else [],
    ).fetchall()
    node_seconds: dict[tuple[str, str, object], dict[int, float]] = {}
    if NODE_TIMINGS in tables:
        for run_id, step, started, phase, seconds in con.execute(
            f"select run_id, step, started_at, phase, sum(execution_seconds) from {NODE_TIMINGS} "
            "where phase is not null group by all"
        ).fetchall():
            node_seconds.setdefault((run_id, step, started), {})[phase] = seconds
    samples: dict[tuple[str, int], list[_Sample]] = {}
    for run_id, step, started, phases_text, game_dates, duration in steps:
        phases = [int(part) for part in phases_text.split(",") if part]
        if not phases:
            continue
        by_phase = dict.fromkeys(phases, 0.0)
        for phase, seconds in node_seconds.get((run_id, step, started), {}).items():
            by_phase[phase if phase in by_phase else phases[0]] += seconds
        total = sum(by_phase.values())
        for phase in phases:
            share = by_phase[phase] / total if total > 0 else 1.0 / len(phases)
            samples.setdefault((step_kind(step), phase), []).append(_Sample(run_id, game_dates, duration * share))
    return samples


def phase_costs(con, since: date | None = None) -> dict[int, PhaseCost]:
    """Per phase with history: its fitted fixed and per-date cost."""
    by_phase: dict[int, list[tuple[float, float, list[_Sample]]]] = {}
    for (_, phase), samples in _samples(con, since).items():
        fixed, per_date = fit_line([(s.game_dates, s.seconds) for s in samples])
        by_phase.setdefault(phase, []).append((fixed, per_date, samples))
    return {
        phase: PhaseCost(
            phase,
            sum(f for f, _, _ in fits),
            sum(p for _, p, _ in fits),
            len({s.run_id for _, _, samples in fits for s in samples}),
            sum(len(samples) for _, _, samples in fits),
        )
        for phase, fits in by_phase.items()
    }


@dataclass(frozen=True)
class StretchWork:
    """Dates a run builds together: a segment of the plan (or the load's window) and its phases."""

    start: date
    end: date
    phases: tuple[int, ...]
    game_dates: int


@dataclass
class DurationEstimate:
    costs: dict[int, PhaseCost]
    seconds_by_phase: dict[int, float]
    phases_without_history: list[int]

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds_by_phase.values())

    @property
    def has_history(self) -> bool:
        return bool(self.seconds_by_phase)

    def describe(self) -> str:
        if not self.has_history:
            return "estimated duration: no history yet (the first run of this warehouse records it)"
        lines = [f"estimated duration: {format_seconds(self.total_seconds)}"]
        for phase, seconds in sorted(self.seconds_by_phase.items()):
            cost = self.costs[phase]
            lines.append(
                f"  phase {phase}: {format_seconds(seconds)} (fixed {cost.fixed_seconds:.1f}s + "
                f"{cost.per_date_seconds:.2f}s per game date, fitted on {cost.steps} step(s) of "
                f"{cost.runs} run(s))"
            )
        if self.phases_without_history:
            lines.append(
                "  no history yet for phase(s) " + ", ".join(map(str, self.phases_without_history)) + ": not counted"
            )
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "total_seconds": round(self.total_seconds, 1) if self.has_history else None,
            "history": "fitted" if self.has_history else "no history yet",
            "phases": {
                str(phase): {
                    "seconds": round(seconds, 1),
                    "fixed_seconds": round(self.costs[phase].fixed_seconds, 2),
                    "per_date_seconds": round(self.costs[phase].per_date_seconds, 3),
                    "runs": self.costs[phase].runs,
                    "steps": self.costs[phase].steps,
                }
                for phase, seconds in sorted(self.seconds_by_phase.items())
            },
            "phases_without_history": self.phases_without_history,
        }


def stretch_work(con, stretches: list[tuple[date, date, tuple[int, ...]]]) -> list[StretchWork]:
    return [
        StretchWork(start, end, phases, len(scheduled_game_dates(con, start, end))) for start, end, phases in stretches
    ]


def estimate_duration(con, work: list[StretchWork]) -> DurationEstimate:
    """The run's duration: per stretch and phase, the phase's fitted cost for the stretch's game dates."""
    costs = phase_costs(con)
    seconds: dict[int, float] = {}
    missing: set[int] = set()
    for stretch in work:
        for phase in stretch.phases:
            if phase in costs:
                seconds[phase] = seconds.get(phase, 0.0) + costs[phase].seconds(stretch.game_dates)
            else:
                missing.add(phase)
    return DurationEstimate(costs, seconds, sorted(missing))


def format_seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 90:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
