"""The Python steps of phases.py (`python_steps`) as assets between two dbt stretches.

Today one step: `orchestration.ml:run_trained_model_step`, which writes the
sources `nba_predictions.ml_system_predictions` / `ml_model_registry` that the
Phase 5 dbt models read. The asset runs after the previous phase's models and
before its own phase's models, over the same window and cascade, with the
same strict check, like `nba-pipeline backfill` runs it.

A failing step does not stop the other systems (as in the CLI): the asset is
materialized, its check `<step>_succeeded` fails (warning, not blocking), run
history records `failed` and an alert is raised.
"""


from dagster import AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, AssetSpec, MaterializeResult, \
    MetadataValue, multi_asset

from orchestration.backfill import StepResult, resolve_step
from orchestration.completeness import scheduled_game_dates
from orchestration.dagster.checks import step_check_spec
from orchestration.dagster.concurrency import WAREHOUSE_POOL
from orchestration.dagster.partitions import BACKFILL_POLICY, GAME_DATE_PARTITIONS
from orchestration.dagster.resources import PipelineResource
from orchestration.dagster.runtime import AssetTarget, StepRun
from orchestration.dagster.translator import PHASE_TAG, PipelineLayout, PythonStep, group_name


def run_python_step(context: AssetExecutionContext, pipeline: PipelineResource, step: PythonStep):
    run = StepRun(context, pipeline, f"step {step.reference}")
    targets = [AssetTarget(key, step.phase.number, step.relations.get(key)) for key in step.keys]
    if run.skip_if_historical(targets):
        return
    start, end = run.apply_plan(run.plan([step.phase]), targets)
    with run.connect() as con:
        if not scheduled_game_dates(con, start, end):
            outcome = StepResult(step.reference, "skipped", 0, "no games in the window")
        else:
            try:
                outcome = resolve_step(step.reference)(con, start, end)
            except Exception as error:  # a failing system must not stop the others
                outcome = StepResult(step.reference, "failed", 0, f"{type(error).__name__}: {error}")
        failed = outcome.status == "failed"
        run.record(con, targets, start, end, "failed" if failed else "success",
                   message=outcome.message or None, count_rows=not failed)
        if failed:
            run.alert(con, "error", f"step {step.reference} failed for {start}..{end}: {outcome.message}",
                      category="step_failed")
    context.log.info(f"step {step.reference}: {outcome.status} {outcome.message}")
    metadata = {"status": MetadataValue.text(outcome.status), "rows_written": MetadataValue.int(outcome.rows_written),
                "window": MetadataValue.text(f"{start}..{end}")}
    for key in step.keys:
        yield MaterializeResult(asset_key=key, metadata=metadata)
    yield AssetCheckResult(check_name=f"{step.name}_succeeded", asset_key=step.keys[0], passed=not failed,
                           severity=AssetCheckSeverity.WARN,
                           metadata={"message": MetadataValue.text(outcome.message or "")})


def build_step_assets(layout: PipelineLayout) -> list:
    return [_step_asset(step) for step in layout.python_steps]


def _step_asset(step: PythonStep):
    specs = [AssetSpec(key, deps=step.deps, group_name=group_name(step.phase.number), kinds={"python", "duckdb"},
                       tags={PHASE_TAG: str(step.phase.number)}, skippable=True,
                       description=f"Written by the Python step {step.reference} (phases.py), "
                                   f"between the Phase {step.phase.number - 1} and Phase {step.phase.number} dbt builds.")
             for key in step.keys]

    @multi_asset(
        name=f"step_{step.name}",
        specs=specs,
        check_specs=[step_check_spec(step.name, step.keys[0])],
        partitions_def=GAME_DATE_PARTITIONS,
        backfill_policy=BACKFILL_POLICY,
        pool=WAREHOUSE_POOL,
    )
    def _asset(context: AssetExecutionContext, pipeline: PipelineResource):
        yield from run_python_step(context, pipeline, step)

    return _asset
