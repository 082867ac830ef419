"""Alerts: one log table, delivered one by one in normal mode, as one digest per backfill.

`nba_orchestration.alerts` holds every alert (BLOCKED dates, failed gates,
failed steps). Delivery goes through an `AlertSink`; the default one writes to
the Dagster/Python log. A later issue plugs real channels (mail, chat) in by
implementing `AlertSink` and passing it to `set_alert_sink`.

- normal mode: `raise_alert` delivers at once (`delivery = 'immediate'`).
- backfill mode: the alert waits (`delivery = 'pending_digest'`) and the run is
  tagged `nba/pending_alerts=true`; when the backfill has finished, the sensor
  `backfill_alert_digest` launches `send_backfill_digest` once for it, which
  delivers ONE digest of all its alerts and records it (`delivery = 'digest'`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

import duckdb

ALERTS_DDL = """
create table if not exists nba_orchestration.alerts (
    alert_id varchar not null,
    created_at timestamp not null,
    severity varchar not null,          -- warning | error
    source varchar not null,            -- asset or step that raised it
    start_date date,
    end_date date,
    message varchar not null,
    run_id varchar,
    backfill_id varchar,
    delivery varchar not null,          -- immediate | pending_digest | digest
    digest_id varchar,                  -- the digest that delivered it (or: this row is that digest)
    delivered_at timestamp
)
"""

PENDING_ALERTS_TAG = "nba/pending_alerts"
_log = logging.getLogger("nba_pipeline.alerts")


@dataclass
class Alert:
    severity: str
    source: str
    message: str
    run_id: str | None = None
    backfill_id: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    alert_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    created_at: datetime = field(default_factory=datetime.now)


@dataclass
class AlertDigest:
    digest_id: str
    backfill_id: str
    alerts: list[Alert]

    def text(self) -> str:
        lines = [f"backfill {self.backfill_id}: {len(self.alerts)} alert(s)"]
        for alert in self.alerts:
            window = f" {alert.start_date}..{alert.end_date}" if alert.start_date else ""
            lines.append(f"- [{alert.severity}] {alert.source}{window}: {alert.message}")
        return "\n".join(lines)


class AlertSink(Protocol):
    def deliver(self, alert: Alert) -> None: ...
    def deliver_digest(self, digest: AlertDigest) -> None: ...


class LogAlertSink:
    """The default channel: the log (Dagster shows it in the run's event log)."""

    def __init__(self, logger=None):
        self.logger = logger or _log

    def deliver(self, alert: Alert) -> None:
        self.logger.error(f"ALERT [{alert.severity}] {alert.source}: {alert.message}")

    def deliver_digest(self, digest: AlertDigest) -> None:
        self.logger.error("ALERT DIGEST " + digest.text())


_sink_factory = LogAlertSink


def set_alert_sink(factory) -> None:
    """Install another channel: `factory(logger)` returns an AlertSink."""
    global _sink_factory
    _sink_factory = factory


def alert_sink(logger=None) -> AlertSink:
    return _sink_factory(logger)


def ensure_alerts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists nba_orchestration")
    con.execute(ALERTS_DDL)


def _insert(con, alert: Alert, delivery: str, digest_id: str | None, delivered_at: datetime | None) -> None:
    con.execute(
        "insert into nba_orchestration.alerts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [alert.alert_id, alert.created_at, alert.severity, alert.source, alert.start_date, alert.end_date,
         alert.message, alert.run_id, alert.backfill_id, delivery, digest_id, delivered_at],
    )


def raise_alert(con: duckdb.DuckDBPyConnection, alert: Alert, backfill_mode: bool, sink: AlertSink) -> str:
    """Record the alert; deliver it now (normal mode) or keep it for the backfill's digest."""
    ensure_alerts(con)
    if backfill_mode and alert.backfill_id:
        _insert(con, alert, "pending_digest", None, None)
        return "pending_digest"
    sink.deliver(alert)
    _insert(con, alert, "immediate", None, datetime.now())
    return "immediate"


def send_backfill_digest(con: duckdb.DuckDBPyConnection, backfill_id: str, sink: AlertSink) -> AlertDigest | None:
    """Deliver every pending alert of one backfill as one digest (nothing pending: no digest)."""
    ensure_alerts(con)
    rows = con.execute(
        """select alert_id, created_at, severity, source, start_date, end_date, message, run_id
           from nba_orchestration.alerts
           where backfill_id = ? and delivery = 'pending_digest' and delivered_at is null
           order by created_at""",
        [backfill_id],
    ).fetchall()
    if not rows:
        return None
    alerts = [Alert(severity, source, message, run_id, backfill_id, start, end, alert_id, created)
              for alert_id, created, severity, source, start, end, message, run_id in rows]
    digest = AlertDigest(uuid.uuid4().hex[:16], backfill_id, alerts)
    sink.deliver_digest(digest)
    now = datetime.now()
    con.execute(
        "update nba_orchestration.alerts set digest_id = ?, delivered_at = ? where alert_id in "
        f"({', '.join('?' for _ in alerts)})",
        [digest.digest_id, now, *[a.alert_id for a in alerts]],
    )
    summary = Alert("error" if any(a.severity == "error" for a in alerts) else "warning", "backfill_digest",
                    digest.text(), None, backfill_id, alert_id=digest.digest_id)
    _insert(con, summary, "digest", digest.digest_id, now)
    return digest
