"""Jobs: the daily pipeline (every asset over yesterday..today) and the backfill alert digest."""

from dagster import AssetSelection, Config, OpExecutionContext, define_asset_job, job, op

from orchestration.dagster.concurrency import WAREHOUSE_POOL
from orchestration.dagster.resources import PipelineResource, make_resources
from orchestration.monitoring.alerts import send_digest

# What any range run (this job, a Launch backfill, `dagster asset materialize --partition-range`) does.
RANGE_RUN_DESCRIPTION = (
    "A range run plans first, as `nba-pipeline backfill --dry-run --start S --end E` shows it: the forward "
    "cascade extends it to the later dates of the season already built; in strict mode a date whose lookback "
    "window has a gap upstream is BLOCKED (the step fails naming the missing dates and the command that fills "
    "them); then one build per stretch of phases. Its first step logs that plan and attaches it (dates per "
    "phase, estimated duration from this warehouse's history) as `backfill_plan` metadata."
)

daily_pipeline_job = define_asset_job(
    "daily_pipeline",
    selection=AssetSelection.all(),
    description="Every phase over a window of game dates (the daily schedule: yesterday's results through "
    "grading, today's context and predictions), one run for the window. " + RANGE_RUN_DESCRIPTION,
)


class DigestConfig(Config):
    backfill_id: str


@op(pool=WAREHOUSE_POOL)
def send_alert_digest(context: OpExecutionContext, config: DigestConfig, pipeline: PipelineResource) -> None:
    with pipeline.warehouse().writing("dagster send_alert_digest", say=context.log.info) as db:
        digest = send_digest(db, config.backfill_id, logger=context.log)
    context.log.info(
        f"digest for backfill {config.backfill_id}: "
        + (f"{digest.total} alert(s) delivered" if digest else "nothing pending")
    )


# its own resources: a sensor's job missing them is copied by Definitions with a Beta parameter (a warning)
@job(description="Deliver the pending alerts of one finished backfill as one digest.", resource_defs=make_resources())
def backfill_alert_digest_job():
    send_alert_digest()
