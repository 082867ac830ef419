"""Alerts: the `nba_orchestration.alerts` table, a log, an optional webhook, one digest per backfill.

    alerter = Alerter(con)                      # or Alerter(warehouse=path)
    alerter.alert("heal_failed", "phase 3 failed for 2021-11-02", severity="error", source="healer")
    with alerter.backfill("bf-123"):            # inside: batched, one digest when the block ends
        alerter.alert(...)                      # recorded as pending_digest
        alerter.alert(..., severity="critical") # a circuit opening, a blocked phase: sent at once

Every alert goes through here: Dagster steps (one Alerter per step, its
`backfill_id` the Dagster backfill's in backfill mode), the healer, the circuit
breakers and the CLI. `delivery` is immediate | pending_digest | digest;
`alert_details` adds `category`, `context` and the webhook status per alert
(an alert without details falls in its source's category). A backfill made of
several runs (processes) shares one `backfill_id`: the digest is built from the
table, so `send_digest(con, backfill_id)` at the end collects every run's
alerts, grouped by category, each distinct message once with its count.

Webhook: `NBA_PIPELINE_ALERT_WEBHOOK` (or `webhook_url=`), a JSON POST; a
failing webhook is logged and recorded, never raised.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from orchestration.settings import settings
from orchestration.warehouse import Session, Warehouse, as_session, as_warehouse
from orchestration.warehouse.schema import ORCHESTRATION_SCHEMA, ORCHESTRATION_TABLES

SEVERITIES = ("info", "warning", "error", "critical")
LOG = logging.getLogger("nba_pipeline.alerts")

ALERTS_DDL = ORCHESTRATION_TABLES["alerts"]
ALERT_DETAILS_DDL = ORCHESTRATION_TABLES["alert_details"]


def ensure_alerts_table(con) -> None:
    as_session(con).ensure_tables(f"{ORCHESTRATION_SCHEMA}.alerts", f"{ORCHESTRATION_SCHEMA}.alert_details")


def _insert(
    con,
    alert_id,
    created_at,
    severity,
    source,
    start_date,
    end_date,
    message,
    run_id,
    backfill_id,
    delivery,
    digest_id,
    delivered_at,
    category,
    context,
    webhook_status,
) -> None:
    con = as_session(con)
    con.execute(
        """insert into nba_orchestration.alerts
           (alert_id, created_at, severity, source, start_date, end_date, message, run_id, backfill_id,
            delivery, digest_id, delivered_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            alert_id,
            created_at,
            severity,
            source,
            start_date,
            end_date,
            message,
            run_id,
            backfill_id,
            delivery,
            digest_id,
            delivered_at,
        ],
    )
    con.execute(
        "insert into nba_orchestration.alert_details values (?, ?, ?, ?)", [alert_id, category, context, webhook_status]
    )


@dataclass(frozen=True)
class Alert:
    alert_id: str
    created_at: datetime
    severity: str
    category: str
    message: str
    source: str
    context: dict
    backfill_id: str | None
    delivery: str


@dataclass(frozen=True)
class DigestEntry:
    category: str
    message: str
    severity: str
    count: int
    first_at: datetime
    last_at: datetime


@dataclass
class Digest:
    digest_id: str
    backfill_id: str
    entries: list[DigestEntry] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(entry.count for entry in self.entries)

    @property
    def severity(self) -> str:
        return max((e.severity for e in self.entries), key=_rank, default="info")

    def by_category(self) -> dict[str, list[DigestEntry]]:
        grouped: dict[str, list[DigestEntry]] = {}
        for entry in self.entries:
            grouped.setdefault(entry.category, []).append(entry)
        return grouped

    def text(self) -> str:
        lines = [f"backfill {self.backfill_id}: {self.total} alert(s), {len(self.entries)} distinct"]
        for category, entries in self.by_category().items():
            lines.append(f"[{category}] {sum(e.count for e in entries)} alert(s)")
            lines.extend(f"  {e.count:>4} x {e.severity}: {e.message}" for e in entries)
        return "\n".join(lines)

    def payload(self) -> dict:
        return {
            "type": "digest",
            "digest_id": self.digest_id,
            "backfill_id": self.backfill_id,
            "total": self.total,
            "severity": self.severity,
            "categories": {
                category: [
                    {
                        "message": e.message,
                        "severity": e.severity,
                        "count": e.count,
                        "first_at": e.first_at.isoformat(),
                        "last_at": e.last_at.isoformat(),
                    }
                    for e in entries
                ]
                for category, entries in self.by_category().items()
            },
            "text": self.text(),
        }


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 2


def _level(severity: str) -> int:
    return {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.CRITICAL}.get(severity, logging.ERROR)


def post_webhook(url: str | None, payload: dict, timeout: float = 5.0) -> str:
    """POST `payload` as JSON; returns `sent`, `none` (no URL) or `failed: ...`, never raises."""
    if not url:
        return "none"
    if not url.startswith(("http://", "https://")):
        return f"failed: not an http(s) URL: {url!r}"
    request = urllib.request.Request(
        url, data=json.dumps(payload, default=str).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return "sent" if 200 <= response.status < 300 else f"failed: HTTP {response.status}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        LOG.warning("alert webhook %s failed: %s", url, error)
        return f"failed: {error}"


def webhook_from_env() -> str | None:
    return settings().alert_webhook


class Alerter:
    """Records, logs and delivers alerts; batches them into one digest inside `backfill()`.

    Give it a session or DuckDB connection (`con=`) or a warehouse (`warehouse=`, a `Warehouse` or a
    DuckDB file's path; a session is opened per alert, so nothing holds the DuckDB file between alerts,
    e.g. while dbt runs).
    """

    def __init__(
        self,
        con=None,
        warehouse: Warehouse | Path | None = None,
        webhook_url: str | None = None,
        clock: Callable[[], datetime] = datetime.now,
        logger: logging.Logger = LOG,
        source: str = "monitoring",
    ):
        self._con = con
        self._warehouse = warehouse
        self.warehouse = warehouse  # the file it writes to, when given (commands in alerts name it)
        self.webhook_url = webhook_url if webhook_url is not None else webhook_from_env()
        self.clock = clock
        self.log = logger
        self.source = source
        self.backfill_id: str | None = None
        self.last_digest: Digest | None = None
        self.kept_for_digest = 0  # alerts this alerter kept for a backfill's digest

    @contextmanager
    def _connection(self) -> Iterator[Session]:
        if self._con is not None:
            session = as_session(self._con)
            ensure_alerts_table(session)
            yield session
            return
        with as_warehouse(self._warehouse).writing(f"alert from {self.source}") as session:
            ensure_alerts_table(session)
            yield session

    def alert(
        self,
        category: str,
        message: str,
        severity: str = "error",
        context: dict | None = None,
        source: str | None = None,
        backfill_id: str | None = None,
        run_id: str | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
    ) -> Alert:
        if severity not in SEVERITIES:
            raise ValueError(f"severity {severity!r} is not one of {SEVERITIES}")
        batch = backfill_id or self.backfill_id
        immediate = batch is None or severity == "critical"
        alert = Alert(
            uuid.uuid4().hex[:16],
            self.clock(),
            severity,
            category,
            message,
            source or self.source,
            context or {},
            batch,
            "immediate" if immediate else "pending_digest",
        )
        webhook_status = None
        delivered_at = None
        if immediate:
            self.log.log(_level(severity), "ALERT [%s] %s: %s", severity, category, message)
            webhook_status = post_webhook(
                self.webhook_url,
                {
                    "type": "alert",
                    "alert_id": alert.alert_id,
                    "severity": severity,
                    "category": category,
                    "source": alert.source,
                    "message": message,
                    "context": alert.context,
                    "backfill_id": batch,
                    "created_at": alert.created_at.isoformat(),
                },
            )
            delivered_at = self.clock()
        else:
            self.kept_for_digest += 1
            self.log.debug("alert kept for the digest of backfill %s: [%s] %s: %s", batch, severity, category, message)
        with self._connection() as con:
            _insert(
                con,
                alert.alert_id,
                alert.created_at,
                severity,
                alert.source,
                start_date,
                end_date,
                message,
                run_id,
                batch,
                alert.delivery,
                None,
                delivered_at,
                category,
                json.dumps(alert.context, default=str),
                webhook_status,
            )
        return alert

    @contextmanager
    def backfill(self, backfill_id: str | None = None) -> Iterator[Alerter]:
        """Batch non-critical alerts until the block ends, then send one digest."""
        previous = self.backfill_id
        self.backfill_id = backfill_id or f"backfill-{uuid.uuid4().hex[:12]}"
        try:
            yield self
        finally:
            current = self.backfill_id
            self.backfill_id = previous
            with self._connection() as con:
                self.last_digest = send_digest(con, current, self.webhook_url, self.clock, self.log)


def build_digest(con, backfill_id: str) -> Digest:
    """A backfill's waiting alerts, each distinct (category, message) once with its count."""
    con = as_session(con)
    ensure_alerts_table(con)
    rank = "case a.severity when 'critical' then 4 when 'error' then 3 when 'warning' then 2 else 1 end"
    rows = con.execute(
        f"""
        select coalesce(d.category, a.source) as category, a.message, arg_max(a.severity, {rank}) as severity,
               count(*) as alerts, min(a.created_at) as first_at, max(a.created_at) as last_at
        from nba_orchestration.alerts as a
        left join nba_orchestration.alert_details as d using (alert_id)
        where a.backfill_id = ? and a.delivery = 'pending_digest' and a.delivered_at is null
        group by all
        order by category, alerts desc, message
        """,
        [backfill_id],
    ).fetchall()
    return Digest(uuid.uuid4().hex[:16], backfill_id, [DigestEntry(*row) for row in rows])


def send_digest(
    con,
    backfill_id: str,
    webhook_url: str | None = None,
    clock: Callable[[], datetime] = datetime.now,
    logger: logging.Logger = LOG,
) -> Digest | None:
    """Deliver a backfill's waiting alerts as ONE digest (log + webhook); None when none wait.

    One transaction on DuckDB; on BigQuery each statement commits alone, the alerts marked delivered
    first: a kill in between leaves the digest's own row missing, never the alerts sent twice."""
    con = as_session(con)
    digest = build_digest(con, backfill_id)
    if not digest.entries:
        return None
    url = webhook_url if webhook_url is not None else webhook_from_env()
    logger.log(_level(digest.severity), "ALERT DIGEST %s", digest.text())
    status = post_webhook(url, digest.payload())
    now = clock()
    with con.transaction():
        con.execute(
            "update nba_orchestration.alerts set digest_id = ?, delivered_at = ? "
            "where backfill_id = ? and delivery = 'pending_digest' and delivered_at is null",
            [digest.digest_id, now, backfill_id],
        )
        _insert(
            con,
            digest.digest_id,
            now,
            digest.severity,
            "backfill_digest",
            None,
            None,
            digest.text(),
            None,
            backfill_id,
            "digest",
            digest.digest_id,
            now,
            "digest",
            json.dumps(digest.payload()["categories"], default=str),
            status,
        )
    return digest
