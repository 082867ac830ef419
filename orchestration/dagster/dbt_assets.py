"""Phases 3+ from the dbt project: one `@dbt_assets` per dbt stretch of pipeline_steps.py.

A run over a partition range is ONE `dbt build` per stretch, through the
project's runner (orchestration/runner.py), in this process:
1. plan (strict check + forward cascade) for the stretch's selected phases;
   BLOCKED dates of the run's own range fail the step (runtime.DagsterStep);
2. the runner's step: guard, `dbt build` over [start, cascade end] (the
   selected models, tests in the same build), run history, breakers, alerts;
3. dbt's structured events become Dagster events through dagster-dbt's own
   translation (`DbtCoreCliEventMessage.to_default_asset_events`): an
   output per model, an asset check per test (error severity = blocking).
"""

from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, MetadataValue, Output
from dagster_dbt import dbt_assets
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from orchestration.dagster.concurrency import WAREHOUSE_POOL
from orchestration.dagster.dbt_project import DBT_PROJECT
from orchestration.dagster.partitions import BACKFILL_POLICY, GAME_DATE_PARTITIONS
from orchestration.dagster.resources import PipelineResource
from orchestration.dagster.runtime import AssetTarget, DagsterStep
from orchestration.dagster.translator import PipelineDbtTranslator, PipelineLayout
from orchestration.phases import PHASES_BY_NUMBER
from orchestration.pipeline_steps import DbtStretch
from orchestration.runner import import_in_background


def _targets(layout: PipelineLayout, selected: set[AssetKey]) -> tuple[list[AssetTarget], dict[AssetKey, str]]:
    targets, unique_ids = [], {}
    for unique_id, phase in sorted(layout.node_phase.items(), key=lambda item: (item[1], item[0])):
        key = layout.key_of(unique_id)
        if key not in selected:
            continue
        node = layout.manifest["nodes"][unique_id]
        dated = node["config"].get("materialized") in {"incremental", "table"}
        targets.append(AssetTarget(key, phase, f"{node['schema']}.{node['alias']}" if dated else None))
        unique_ids[key] = unique_id
    return targets, unique_ids


def topological(targets: list[AssetTarget], deps: dict) -> list[AssetTarget]:
    """Targets ordered so every asset comes after its dependencies (a multi-asset must yield so)."""
    by_key = {target.key: target for target in targets}
    ordered, seen = [], set()

    def visit(key):
        if key in seen or key not in by_key:
            return
        seen.add(key)
        for parent in sorted(deps.get(key, ()), key=str):
            visit(parent)
        ordered.append(by_key[key])

    for target in targets:
        visit(target.key)
    return ordered


def _selection(layout: PipelineLayout, stretch: DbtStretch, unique_ids: dict[AssetKey, str]) -> DbtStretch:
    """The stretch as selected: its tag selectors when every model of it is selected, else the models
    by name (tests follow through the project's `indirect_selection: buildable`)."""
    stretch_models = {uid for uid, phase in layout.node_phase.items() if phase in stretch.tags}
    if stretch_models <= set(unique_ids.values()):
        return stretch
    names = sorted(layout.manifest["nodes"][uid]["name"] for uid in unique_ids.values())
    return DbtStretch(stretch.phases, select=tuple(names))


def run_stretch(
    context: AssetExecutionContext,
    pipeline: PipelineResource,
    layout: PipelineLayout,
    stretch: DbtStretch,
    translator: PipelineDbtTranslator,
):
    targets, unique_ids = _targets(layout, set(context.selected_asset_keys))
    if not targets:
        return
    step = DagsterStep(context, pipeline, stretch.name, targets)
    phases = [
        PHASES_BY_NUMBER[n]
        for n in sorted({t.phase for t in targets})
        if n in PHASES_BY_NUMBER and PHASES_BY_NUMBER[n].dbt_selector
    ]
    events: list[dict] = []
    selection = context.run.asset_selection  # the run's Python steps import while this builds
    import_in_background(
        python.step for python in layout.python_steps if selection is None or set(python.keys) & set(selection)
    )
    with step.held():
        start, end = step.plan(phases) if phases else (step.start, step.end)
        outcome = step.execute(_selection(layout, stretch, unique_ids), start, end, on_dbt_event=events.append)
    window = MetadataValue.text(f"{start}..{end}")
    if outcome.status == "skipped":  # an open circuit, unchanged inputs, an old date: nothing built
        context.log.warning(f"{stretch.name} {start}..{end} skipped ({outcome.skip_reason}): {outcome.message}")
        return
    if outcome.skip_reason == "no_games":
        context.log.info(f"{stretch.name} {start}..{end}: {outcome.message}")
        for target in topological(targets, context.assets_def.asset_deps):
            yield MaterializeResult(
                asset_key=target.key,
                metadata={"window": window, "skip_reason": MetadataValue.text(outcome.skip_reason or "")},
            )
        return
    for event in events:
        message = DbtCoreCliEventMessage(raw_event=event, event_history_metadata={})
        for dagster_event in message.to_default_asset_events(
            manifest=layout.manifest, dagster_dbt_translator=translator, context=context
        ):
            if isinstance(dagster_event, Output):
                dagster_event = dagster_event.with_metadata(
                    {**dagster_event.metadata, "window": window, **step.plan_metadata}
                )
                step.plan_metadata = {}  # the run's plan once, on its first output
            yield dagster_event
    if outcome.failed:
        raise Failure(
            description=f"dbt build {start}..{end} failed (gates stop downstream):\n{outcome.message}",
            metadata={"failed_nodes": MetadataValue.int(len(outcome.dbt.failed_nodes) if outcome.dbt else 0)},
        )


def build_dbt_assets(layout: PipelineLayout, manifest: Path) -> list:
    translator = PipelineDbtTranslator(layout)
    return [_stretch_assets(stretch, layout, translator, manifest) for stretch in layout.stretches]


def _stretch_assets(stretch: DbtStretch, layout: PipelineLayout, translator, manifest: Path):
    @dbt_assets(
        manifest=manifest,
        select=" ".join(stretch.selectors),
        name=stretch.name,
        partitions_def=GAME_DATE_PARTITIONS,
        backfill_policy=BACKFILL_POLICY,
        dagster_dbt_translator=translator,
        project=DBT_PROJECT,
        pool=WAREHOUSE_POOL,
    )
    def _assets(context: AssetExecutionContext, pipeline: PipelineResource):
        yield from run_stretch(context, pipeline, layout, stretch, translator)

    return _assets
