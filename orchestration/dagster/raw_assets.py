"""Phase 2: the `nba_raw` tables, loaded from the landing folder for the run's dates.

One multi-asset over the tables the dbt project reads as sources (`nba_raw.*`,
same keys as dagster-dbt gives the sources, so the graph connects). It runs
the runner's load step, the same as `nba-pipeline backfill --phases 2`:
`load_landing(NBA_PIPELINE_LANDING, start, end, tables=<the selected dated
tables>)`, which replaces exactly the dates whose content changed within the
window, in one transaction (a rerun changes nothing; a killed load leaves
nothing half-written). The registries are upserted by every load.
"""

from dagster import AssetExecutionContext, AssetKey, AssetSpec, Failure, MaterializeResult, MetadataValue, multi_asset

from orchestration.dagster.checks import RAW_COVERAGE_CHECK, raw_coverage_result
from orchestration.dagster.concurrency import WAREHOUSE_POOL
from orchestration.dagster.partitions import BACKFILL_POLICY, GAME_DATE_PARTITIONS
from orchestration.dagster.resources import PipelineResource
from orchestration.dagster.runtime import AssetTarget, DagsterStep
from orchestration.dagster.translator import PHASE_TAG, RAW_PHASE, group_name
from orchestration.phases import PHASES_BY_NUMBER
from orchestration.pipeline_steps import LoadStep
from orchestration.warehouse import DATED_RAW_TABLES, RAW_SCHEMA, target_kind

RAW_TABLES: tuple[str, ...] = (*DATED_RAW_TABLES, "player_registry")
_DESCRIPTIONS = {
    "nbac_schedule": "One row per game (final or scheduled), from landing schedule/.",
    "nbac_player_boxscore": "One row per player per game, DNPs included (nba.com box score v3), from player_box/.",
    "nbac_team_boxscore": "One row per team per game (LeagueGameLog), from team_box/.",
    "odds_api_player_points_props": "Player points prop lines, one row per player-game-bookmaker, from props/.",
    "player_registry": "Known players (nba_api static list plus landing reference/), upserted by every load.",
}


def raw_key(table: str) -> AssetKey:
    return AssetKey(["nba_raw", table])


RAW_SPECS = [
    AssetSpec(
        raw_key(table),
        description=_DESCRIPTIONS[table],
        group_name=group_name(RAW_PHASE),
        kinds={"python", target_kind()},
        tags={PHASE_TAG: str(RAW_PHASE)},
        skippable=True,
    )
    for table in RAW_TABLES
]


@multi_asset(
    name="nba_raw_landing",
    specs=RAW_SPECS,
    check_specs=[RAW_COVERAGE_CHECK],
    can_subset=True,
    partitions_def=GAME_DATE_PARTITIONS,
    backfill_policy=BACKFILL_POLICY,
    pool=WAREHOUSE_POOL,
)
def nba_raw_landing(context: AssetExecutionContext, pipeline: PipelineResource):
    selected = [table for table in RAW_TABLES if raw_key(table) in context.selected_asset_keys]
    dated = [table for table in selected if table in DATED_RAW_TABLES]
    targets = [
        AssetTarget(raw_key(table), RAW_PHASE, f"{RAW_SCHEMA}.{table}" if table in DATED_RAW_TABLES else None)
        for table in selected
    ]
    landing = pipeline.landing()
    step = DagsterStep(context, pipeline, "nba_raw_landing", targets, landing=landing, load_tables=dated)
    with step.held():
        outcome = step.execute(LoadStep(PHASES_BY_NUMBER[RAW_PHASE]), step.start, step.end)
        coverage = (
            raw_coverage_result(step.run, step.start, step.end)
            if RAW_COVERAGE_CHECK.key in context.selected_asset_check_keys
            else None
        )
    if outcome.failed:
        raise Failure(description=outcome.message)
    if outcome.status == "skipped":  # an open circuit, an old date in normal mode: nothing loaded
        context.log.warning(f"load skipped ({outcome.skip_reason}): {outcome.message}")
        return
    report = outcome.load
    if report is not None:
        context.log.info(report.summary())
    for table in selected:
        table_report = report.tables.get(table) if report is not None else None
        metadata = {
            "landing": MetadataValue.path(str(landing)),
            "window": MetadataValue.text(f"{step.start}..{step.end}"),
        }
        if table_report is not None:
            metadata["rows_loaded"] = MetadataValue.int(table_report.rows_loaded)
            metadata["rows_quarantined"] = MetadataValue.int(table_report.rows_quarantined)
            metadata["dates_replaced"] = MetadataValue.int(len(table_report.dates_replaced))
        yield MaterializeResult(asset_key=raw_key(table), metadata=metadata)
    if coverage is not None:
        yield coverage
