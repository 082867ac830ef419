"""Phases 3+ from the dbt project: one `@dbt_assets` per stretch of dbt phases (see translator).

A run over a partition range is ONE `dbt build` per stretch:
1. plan with `plan_backfill` (strict check + forward cascade) for the stretch's
   selected phases; BLOCKED dates fail the step (runtime.StepRun.apply_plan);
2. a range without games is an empty success (`no_games`), no dbt process;
3. otherwise `dbt build` over [start, cascade end]: the window reaches the
   models through NBA_START_DATE / NBA_END_DATE (not --vars, which would make
   dbt re-parse the project on every run), tests run in the same build and
   come back as asset checks (error severity = blocking);
4. one run-history row per model and date, with its status from dbt.
"""


import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, MetadataValue, Output
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.completeness import scheduled_game_dates
from orchestration.dagster.concurrency import WAREHOUSE_POOL, wait_for_warehouse
from orchestration.dagster.dbt_project import DBT_PROJECT, keep_partial_parse, seed_partial_parse
from orchestration.dagster.partitions import BACKFILL_POLICY, GAME_DATE_PARTITIONS
from orchestration.dagster.resources import PipelineResource
from orchestration.dagster.runtime import AssetTarget, StepRun
from orchestration.dagster.translator import PipelineDbtTranslator, PipelineLayout, Stretch
from orchestration.dbt_runner import dbt_window_vars
from orchestration.phases import PHASES_BY_NUMBER

DBT_TARGET_ROOT_ENV = "NBA_PIPELINE_DBT_TARGET_ROOT"   # where each build's target folder goes (default: temp)
_ENV_LOCK = threading.Lock()


@contextmanager
def dbt_window_env(start: date, end: date, warehouse: Path):
    """The run window and warehouse in the environment dbt is started with (restored right after)."""
    values = dbt_window_vars(start, end, warehouse)
    with _ENV_LOCK:
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


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


_DBT_STATUS = {"success": ("success", None), "error": ("failed", None), "skipped": ("skipped", "upstream_failed")}


def run_stretch(context: AssetExecutionContext, dbt: DbtCliResource, pipeline: PipelineResource,
                layout: PipelineLayout, stretch: Stretch):
    run = StepRun(context, pipeline, stretch.op_name)
    targets, unique_ids = _targets(layout, set(context.selected_asset_keys))
    if not targets:
        return
    if run.skip_if_historical(targets):
        return
    phases = [PHASES_BY_NUMBER[n] for n in sorted({t.phase for t in targets})
              if n in PHASES_BY_NUMBER and PHASES_BY_NUMBER[n].dbt_selector]
    start, end = run.apply_plan(run.plan(phases), targets) if phases else (run.start, run.end)
    numbers = [phase.number for phase in phases]
    if run.guard(targets, numbers):
        return
    window = MetadataValue.text(f"{start}..{end}")

    with run.connect() as con:
        games = scheduled_game_dates(con, start, end)
        if not games:
            run.record(con, targets, start, end, "success")
    if not games:
        run.finish(numbers, True)
        context.log.info(f"no games in {start}..{end}: empty success, nothing to build")
        for target in topological(targets, context.assets_def.asset_deps):
            yield MaterializeResult(asset_key=target.key, metadata={"window": window,
                                                                    "skip_reason": MetadataValue.text("no_games")})
        return

    root = os.environ.get(DBT_TARGET_ROOT_ENV) or None
    if root:
        Path(root).mkdir(parents=True, exist_ok=True)
    target_path = Path(tempfile.mkdtemp(prefix=f"{stretch.op_name}-{context.run.run_id[:8]}-", dir=root))
    try:
        wait_for_warehouse(run.warehouse, pipeline.lock_wait_seconds, log=context.log.info)
        seed_partial_parse(target_path, run.warehouse)
        with dbt_window_env(start, end, run.warehouse):
            invocation = dbt.cli(["build"], context=context, raise_on_error=False, target_path=target_path)
        for event in invocation.stream():
            if isinstance(event, Output):
                event = event.with_metadata({**event.metadata, "window": window})
            yield event
        succeeded = invocation.is_successful()
        run_results = invocation.get_artifact("run_results.json") \
            if (target_path / "run_results.json").exists() else {"results": []}
        keep_partial_parse(target_path, run.warehouse)
    finally:
        shutil.rmtree(target_path, ignore_errors=True)

    results = {result["unique_id"]: result for result in run_results.get("results", [])}
    statuses = {key: _DBT_STATUS.get(str(results.get(uid, {}).get("status")), ("skipped", "not_run"))
                for key, uid in unique_ids.items()}
    failures = [f"{uid}: {result['status']} ({result.get('message')})" for uid, result in results.items()
                if str(result.get("status")) in {"error", "fail", "runtime error"}]
    with run.connect() as con:
        run.record(con, targets, start, end, "success", status_by_target=statuses,
                   message=None if succeeded else "dbt build failed: " + "; ".join(failures)[:2000])
        if not succeeded:
            run.alert(con, "error", f"dbt build {start}..{end} failed: " + "; ".join(failures)[:2000],
                      category="dbt_failure")
    run.finish(numbers, succeeded, "; ".join(failures)[:2000])
    if not succeeded:
        raise Failure(description=f"dbt build {start}..{end} failed (gates stop downstream):\n" + "\n".join(failures),
                      metadata={"failed_nodes": MetadataValue.int(len(failures))})


def build_dbt_assets(layout: PipelineLayout, manifest: Path) -> list:
    translator = PipelineDbtTranslator(layout)
    return [_stretch_assets(stretch, layout, translator, manifest) for stretch in layout.stretches]


def _stretch_assets(stretch: Stretch, layout: PipelineLayout, translator, manifest: Path):
    @dbt_assets(
        manifest=manifest,
        select=stretch.select,
        name=stretch.op_name,
        partitions_def=GAME_DATE_PARTITIONS,
        backfill_policy=BACKFILL_POLICY,
        dagster_dbt_translator=translator,
        project=DBT_PROJECT,
        pool=WAREHOUSE_POOL,
    )
    def _assets(context: AssetExecutionContext, dbt: DbtCliResource, pipeline: PipelineResource):
        yield from run_stretch(context, dbt, pipeline, layout, stretch)

    return _assets
