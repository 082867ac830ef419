"""Alerts raised by Dagster steps, through the project's alerting (`orchestration.monitoring.alerts`).

One table (`nba_orchestration.alerts`, + `alert_details`), one delivery path
(log, and the webhook `NBA_PIPELINE_ALERT_WEBHOOK` when set), one digest per
backfill, shared with the healer, the circuit breakers and the CLI.

- normal mode: `raise_alert` delivers at once (`delivery = 'immediate'`).
- backfill mode: the alert waits (`delivery = 'pending_digest'`); the step tags
  its run `nba/pending_alerts=true`; when the backfill has finished, the sensor
  `backfill_alert_digest` launches `backfill_alert_digest_job` once for it,
  which sends ONE digest of every run's alerts (`send_backfill_digest`).
  Critical alerts (a circuit opening) are sent at once even in a backfill.

`AlertSink` is the seam for the logger a delivery writes to (the step's
Dagster log); channels beyond log + webhook belong to the monitoring module.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

import duckdb

PENDING_ALERTS_TAG = "nba/pending_alerts"
_log = logging.getLogger("nba_pipeline.alerts")


@dataclass
class Alert:
    severity: str                  # info | warning | error | critical
    source: str                    # the asset or step that raised it
    message: str
    run_id: str | None = None
    backfill_id: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    category: str | None = None    # phase_blocked, dbt_failure, step_failed, landing_error ... (default: source)
    alert_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    created_at: datetime = field(default_factory=datetime.now)


class AlertSink(Protocol):
    logger: logging.Logger


class LogAlertSink:
    """Deliveries are logged to `logger` (a step's `context.log` shows them in the run's events)."""

    def __init__(self, logger: logging.Logger | None = None):
        self.logger = logger or _log


def raise_alert(con: duckdb.DuckDBPyConnection, alert: Alert, backfill_mode: bool,
                sink: AlertSink | None = None) -> str:
    """Record the alert; deliver it now (normal mode) or keep it for the backfill's digest.
    Returns the delivery: immediate | pending_digest."""
    from orchestration.monitoring.alerts import Alerter

    logger = getattr(sink, "logger", None) or _log
    recorded = Alerter(con, logger=logger, source=alert.source).alert(
        alert.category or alert.source, alert.message, severity=alert.severity, source=alert.source,
        backfill_id=alert.backfill_id if backfill_mode else None, run_id=alert.run_id,
        start_date=alert.start_date, end_date=alert.end_date)
    return recorded.delivery


def send_backfill_digest(con: duckdb.DuckDBPyConnection, backfill_id: str, sink: AlertSink | None = None):
    """Deliver every pending alert of one backfill as ONE digest; None when nothing waits."""
    from orchestration.monitoring.alerts import send_digest

    return send_digest(con, backfill_id, logger=getattr(sink, "logger", None) or _log)
