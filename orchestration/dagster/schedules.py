"""The daily schedule, stopped by default (turn it on in the UI or `dagster schedule start`).

At 10:00 US-Eastern: ONE run of every asset over yesterday..today: yesterday's
final results through grading (phases 2-6), today's schedule, context and
predictions. Normal mode (not a backfill): strict, alerts one by one.
"""

from datetime import timedelta

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from orchestration.dagster.jobs import daily_pipeline_job
from orchestration.dagster.partitions import GAME_DATE_TIMEZONE
from orchestration.run_modes import range_tags


def daily_run_request(today) -> RunRequest:
    yesterday = today - timedelta(days=1)
    return RunRequest(
        run_key=f"daily-{today.isoformat()}",
        tags=range_tags(yesterday.isoformat(), today.isoformat()),
    )


@schedule(
    job=daily_pipeline_job,
    cron_schedule="0 10 * * *",
    execution_timezone=GAME_DATE_TIMEZONE,
    default_status=DefaultScheduleStatus.STOPPED,
    description="Yesterday's results through grading, today's context and predictions (one run).",
)
def daily_pipeline_schedule(context: ScheduleEvaluationContext):
    return daily_run_request(context.scheduled_execution_time.date())
