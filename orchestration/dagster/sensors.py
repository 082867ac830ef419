"""Sensors: one alert digest per finished backfill.

The sensor never opens the warehouse (a reader would collide with the single
writer); it reads Dagster's own storage: finished backfills whose runs were
tagged `nba/pending_alerts` get one `backfill_alert_digest_job` run
(run_key = the backfill id, so exactly once), which takes the warehouse pool.
"""

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from orchestration.dagster.jobs import backfill_alert_digest_job
from orchestration.run_modes import BACKFILL_TAG, PENDING_ALERTS_TAG

_FINISHED = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
_RUNNING_RUN = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


def finished_backfills_with_alerts(instance, limit: int = 50) -> list[str]:
    ids = []
    for backfill in instance.get_backfills(limit=limit):
        if backfill.status.value not in _FINISHED:
            continue
        tags = {BACKFILL_TAG: backfill.backfill_id, PENDING_ALERTS_TAG: "true"}
        if not instance.get_run_records(RunsFilter(tags=tags), limit=1):
            continue
        if instance.get_run_records(
            RunsFilter(tags={BACKFILL_TAG: backfill.backfill_id}, statuses=_RUNNING_RUN), limit=1
        ):
            continue
        ids.append(backfill.backfill_id)
    return ids


@sensor(
    job=backfill_alert_digest_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="When a backfill has finished, deliver its alerts as one digest (backfill mode batches them).",
)
def backfill_alert_digest(context: SensorEvaluationContext):
    ids = finished_backfills_with_alerts(context.instance)
    if not ids:
        return SkipReason("no finished backfill with pending alerts")
    return [
        RunRequest(
            run_key=f"digest-{backfill_id}",
            run_config={"ops": {"send_alert_digest": {"config": {"backfill_id": backfill_id}}}},
        )
        for backfill_id in ids
    ]
