"""The Python steps of pipeline_steps.py (e.g. the trained model) as assets between dbt stretches.

Today one step: `orchestration.ml:run_trained_model_step`, which writes the
sources `nba_predictions.ml_system_predictions` / `ml_model_registry` that the
Phase 5 dbt models read. The asset runs after the previous phase's models and
before its own phase's models, over the same window and cascade, with the
same strict check, through the same runner as `nba-pipeline backfill`.

A failing step does not stop the other systems (as in the CLI): the asset is
materialized, its check `<step>_succeeded` fails (warning, not blocking), run
history records `failed` and an alert is raised.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from orchestration.dagster.checks import step_check_spec
from orchestration.dagster.concurrency import WAREHOUSE_POOL
from orchestration.dagster.partitions import BACKFILL_POLICY, GAME_DATE_PARTITIONS
from orchestration.dagster.resources import PipelineResource
from orchestration.dagster.runtime import AssetTarget, DagsterStep
from orchestration.dagster.translator import PHASE_TAG, PipelineLayout, StepAssets, group_name
from orchestration.warehouse import target_kind


def run_python_step(context: AssetExecutionContext, pipeline: PipelineResource, assets: StepAssets):
    targets = [AssetTarget(key, assets.phase.number, assets.relations.get(key)) for key in assets.keys]
    step = DagsterStep(context, pipeline, f"step {assets.reference}", targets)
    with step.held():
        start, end = step.plan([assets.phase])
        outcome = step.run.execute_step(assets.step, start, end)  # recorded under the step's name, as in the CLI
        step.tag_pending_alerts()
    context.log.info(f"step {assets.reference}: {outcome.status} {outcome.message}")
    if outcome.status == "skipped":  # an open circuit, unchanged inputs, an old date: nothing written
        yield AssetCheckResult(
            check_name=f"{assets.name}_succeeded",
            asset_key=assets.keys[0],
            passed=True,
            severity=AssetCheckSeverity.WARN,
            metadata={"skipped": MetadataValue.text(f"{outcome.skip_reason}: {outcome.message}")},
        )
        return
    metadata = {
        "status": MetadataValue.text(outcome.python.status if outcome.python else outcome.status),
        "rows_written": MetadataValue.int(outcome.python.rows_written if outcome.python else 0),
        "window": MetadataValue.text(f"{start}..{end}"),
    }
    for key in assets.keys:
        yield MaterializeResult(asset_key=key, metadata=metadata)
    yield AssetCheckResult(
        check_name=f"{assets.name}_succeeded",
        asset_key=assets.keys[0],
        passed=not outcome.failed,
        severity=AssetCheckSeverity.WARN,
        metadata={"message": MetadataValue.text(outcome.message or "")},
    )


def build_step_assets(layout: PipelineLayout) -> list:
    return [_step_asset(assets) for assets in layout.python_steps]


def _step_asset(assets: StepAssets):
    specs = [
        AssetSpec(
            key,
            deps=assets.deps,
            group_name=group_name(assets.phase.number),
            kinds={"python", target_kind()},
            tags={PHASE_TAG: str(assets.phase.number)},
            skippable=True,
            description=f"Written by the Python step {assets.reference} (phases.py), "
            f"between the Phase {assets.phase.number - 1} and Phase {assets.phase.number} "
            "dbt builds.",
        )
        for key in assets.keys
    ]

    @multi_asset(
        name=f"step_{assets.name}",
        specs=specs,
        check_specs=[step_check_spec(assets.name, assets.keys[0])],
        partitions_def=GAME_DATE_PARTITIONS,
        backfill_policy=BACKFILL_POLICY,
        pool=WAREHOUSE_POOL,
    )
    def _asset(context: AssetExecutionContext, pipeline: PipelineResource):
        yield from run_python_step(context, pipeline, assets)

    return _asset
