"""What each executed step cost and what it was built from, recorded by the runner after the step.

- `pipeline_step_runs`: one row per step (its window, game dates, status, duration);
- `dbt_node_timings`: dbt's own execution time per node of a dbt step (`DbtBuildResult.nodes`);
- `date_build_inputs`: per dated table and date the step wrote, the `input_version` its rows carry
  (macros/freshness.sql): two builds of one date from the same version did the same work twice.

The duration estimate of a dry run (orchestration/estimates.py) and `nba-pipeline report patterns`
(orchestration/monitoring/patterns.py) read them. The DDL is in orchestration/warehouse/schema.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from orchestration.dbt_invoke import DbtBuildResult
from orchestration.warehouse import as_session, ensure_orchestration_schema

STEP_RUNS = "nba_orchestration.pipeline_step_runs"
NODE_TIMINGS = "nba_orchestration.dbt_node_timings"
BUILD_INPUTS = "nba_orchestration.date_build_inputs"
# dbt steps are named after the phases of their stretch (dbt_phases_2_3_4, or dbt_phases_2_3 when Phase 4 is
# blocked): one kind, "dbt"; the load and Python steps are their own kind
DBT_STEP_PREFIX = "dbt_"
STEP_KIND_SQL = f"case when step like '{DBT_STEP_PREFIX}%' then 'dbt' else step end"


def step_kind(step: str) -> str:
    return "dbt" if step.startswith(DBT_STEP_PREFIX) else step


@dataclass(frozen=True)
class StepRun:
    run_id: str
    step: str
    phases: list[int]
    window_start: date
    window_end: date
    game_dates: int
    status: str
    skip_reason: str | None
    started_at: datetime
    duration_seconds: float


def _insert(con, table: str, rows: list[dict]) -> None:
    if rows:
        as_session(con).append(table, rows)


def record_step(
    con,
    step: StepRun,
    build: DbtBuildResult | None,
    built_versions: dict[tuple[str, int], dict[date, tuple[str | None, str | None]]],
) -> None:
    """The step's row, its dbt nodes' timings and the input versions of the dates it built.
    `built_versions`: (relation, phase) -> date -> (input_version, build_id)."""
    con = as_session(con)
    ensure_orchestration_schema(con)
    _insert(con, STEP_RUNS, [{**vars(step), "phases": ",".join(str(n) for n in step.phases)}])
    _insert(
        con,
        NODE_TIMINGS,
        [
            {
                "run_id": step.run_id,
                "step": step.step,
                "started_at": step.started_at,
                "unique_id": node.unique_id,
                "resource_type": node.resource_type,
                "relation": node.relation,
                "phase": node.phase,
                "status": node.status,
                "execution_seconds": node.execution_time,
            }
            for node in (build.nodes if build else [])
        ],
    )
    now = datetime.now()
    _insert(
        con,
        BUILD_INPUTS,
        [
            {
                "run_id": step.run_id,
                "relation": relation,
                "phase": phase,
                "game_date": day,
                "input_version": version,
                "build_id": build_id,
                "recorded_at": now,
            }
            for (relation, phase), by_date in built_versions.items()
            for day, (version, build_id) in sorted(by_date.items())
        ],
    )
