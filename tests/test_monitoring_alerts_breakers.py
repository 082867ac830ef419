"""Alerts (table, log, webhook, one digest per backfill) and circuit breakers (every transition),
against real DuckDB files and a webhook server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import duckdb
import pytest

from orchestration.backfill import StepResult
from orchestration.monitoring.alerts import Alerter, send_digest
from orchestration.monitoring.circuit_breaker import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitBreaker,
    breaker_states,
    guarded_call,
    prediction_system_key,
    processor_key,
    record_step_results,
)


@pytest.fixture
def webhook():
    """A webhook receiver on 127.0.0.1: yields (url, received payloads)."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "ops.duckdb"))
    yield connection
    connection.close()


class Clock:
    def __init__(self, start: datetime = datetime(2024, 1, 10, 12, 0, 0)):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_alert_goes_to_table_log_and_webhook(con, webhook, caplog):
    url, received = webhook
    alerter = Alerter(con, webhook_url=url, source="test")
    with caplog.at_level("ERROR", logger="nba_pipeline.alerts"):
        alerter.alert("heal_failed", "phase 3 failed for 2024-01-02", context={"phase": 3})
    assert [(p["type"], p["category"], p["message"], p["context"]) for p in received] == [
        ("alert", "heal_failed", "phase 3 failed for 2024-01-02", {"phase": 3})
    ]
    assert "phase 3 failed for 2024-01-02" in caplog.text
    row = con.execute(
        "select a.severity, a.source, a.delivery, a.delivered_at is not null, d.category, d.webhook_status "
        "from nba_orchestration.alerts a join nba_orchestration.alert_details d using (alert_id)"
    ).fetchall()
    assert row == [("error", "test", "immediate", True, "heal_failed", "sent")]


def test_backfill_digest_has_each_error_once_with_its_count(con, webhook, caplog):
    url, received = webhook
    alerter = Alerter(con, webhook_url=url, source="backfill")
    with alerter.backfill("bf-42"):
        for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
            alerter.alert("dbt_failure", "not_null_player_game_summary_points failed", context={"day": day})
        alerter.alert("dbt_failure", "unique_team_offense_game_summary failed")
        alerter.alert("dbt_failure", "unique_team_offense_game_summary failed")
        alerter.alert("gap_too_old", "3 gap dates 2->3 older than 30 days", severity="warning")
        # a critical alert is not batched: it goes out at once, inside the backfill
        alerter.alert(
            "circuit_open", "circuit processor:phase_3 opened after 10 consecutive failures", severity="critical"
        )
        assert [p["type"] for p in received] == ["alert"]
        assert received[0]["category"] == "circuit_open"
    digest = alerter.last_digest
    assert [p["type"] for p in received] == ["alert", "digest"]
    payload = received[1]
    assert payload["backfill_id"] == "bf-42" and payload["total"] == 6
    assert payload["categories"] == {
        "dbt_failure": [
            {
                "message": "not_null_player_game_summary_points failed",
                "severity": "error",
                "count": 3,
                "first_at": payload["categories"]["dbt_failure"][0]["first_at"],
                "last_at": payload["categories"]["dbt_failure"][0]["last_at"],
            },
            {
                "message": "unique_team_offense_game_summary failed",
                "severity": "error",
                "count": 2,
                "first_at": payload["categories"]["dbt_failure"][1]["first_at"],
                "last_at": payload["categories"]["dbt_failure"][1]["last_at"],
            },
        ],
        "gap_too_old": [
            {
                "message": "3 gap dates 2->3 older than 30 days",
                "severity": "warning",
                "count": 1,
                "first_at": payload["categories"]["gap_too_old"][0]["first_at"],
                "last_at": payload["categories"]["gap_too_old"][0]["last_at"],
            }
        ],
    }
    text = digest.text()
    assert text.count("not_null_player_game_summary_points failed") == 1 and "3 x error" in text
    # every batched alert is marked delivered by that digest; one row records the digest itself
    rows = con.execute(
        "select delivery, count(*), count(delivered_at), count(distinct digest_id) "
        "from nba_orchestration.alerts group by 1 order by 1"
    ).fetchall()
    assert rows == [("digest", 1, 1, 1), ("immediate", 1, 1, 0), ("pending_digest", 6, 6, 1)]
    # nothing left to send
    assert send_digest(con, "bf-42", webhook_url=url) is None and len(received) == 2


def test_digest_collects_alerts_of_every_run_of_a_backfill(tmp_path, webhook):
    """Two runs (two processes, here two alerters on the file) of one backfill -> one digest."""
    url, received = webhook
    warehouse = tmp_path / "wh.duckdb"
    for run in range(2):
        Alerter(warehouse=warehouse, webhook_url=url).alert(
            "dbt_failure", "relationships_player_box_game_id failed", backfill_id="bf-7", run_id=f"run-{run}"
        )
    assert received == []
    with duckdb.connect(str(warehouse)) as con:
        digest = send_digest(con, "bf-7", webhook_url=url)
    assert [(e.category, e.count) for e in digest.entries] == [("dbt_failure", 2)]
    assert [p["type"] for p in received] == ["digest"]


def test_a_failing_webhook_is_recorded_never_raised(con):
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()  # nothing listens there any more
    Alerter(con, webhook_url=f"http://127.0.0.1:{port}/hook").alert("heal_failed", "boom")
    (status,) = con.execute("select webhook_status from nba_orchestration.alert_details").fetchone()
    assert status.startswith("failed:")


def test_breaker_opens_after_five_failures_and_skips_with_circuit_open(con, webhook):
    url, received = webhook
    clock = Clock()
    breaker = CircuitBreaker(con, processor_key(3), clock=clock, alerter=Alerter(con, webhook_url=url))
    for failure in range(4):
        breaker.record_failure(f"dbt failed #{failure}")
        assert breaker.state == CLOSED and breaker.check().allowed
    state = breaker.record_failure("dbt failed #4")
    assert (state.state, state.consecutive_failures, state.opened_at) == (OPEN, 5, clock.now)
    # opening is a critical alert, sent at once
    assert [(p["category"], p["severity"]) for p in received] == [("circuit_open", "critical")]
    decision = breaker.check()
    assert (decision.allowed, decision.state, decision.skip_reason) == (False, OPEN, "circuit_open")
    assert decision.retry_at == clock.now + timedelta(seconds=300)
    clock.advance(299)
    assert not breaker.check().allowed
    clock.advance(1)
    decision = breaker.check()  # OPEN -> HALF_OPEN after 300 s
    assert (decision.allowed, decision.state) == (True, HALF_OPEN)
    assert breaker.record_failure("still failing").state == OPEN  # HALF_OPEN -> OPEN
    assert len(received) == 2 and "re-opened" in received[1]["message"]
    clock.advance(300)
    assert breaker.check().state == HALF_OPEN
    state = breaker.record_success()  # HALF_OPEN -> CLOSED
    assert (state.state, state.consecutive_failures, state.opened_at) == (CLOSED, 0, None)
    assert breaker.check().allowed


def test_success_resets_the_count_and_state_survives_a_new_process(tmp_path):
    path = tmp_path / "wh.duckdb"
    clock = Clock()
    with duckdb.connect(str(path)) as con:
        breaker = CircuitBreaker(con, processor_key(4), clock=clock)
        for _ in range(4):
            breaker.record_failure("x")
        breaker.record_success()
        for _ in range(4):
            breaker.record_failure("y")
        assert breaker.state == CLOSED
        breaker.record_failure("z")
        assert breaker.state == OPEN
    with duckdb.connect(str(path)) as con:  # another connection, like another run
        again = CircuitBreaker(con, processor_key(4), clock=clock)
        assert again.state == OPEN and again.load().last_error == "z"
        assert not again.check().allowed
        assert [(s.breaker_key, s.state) for s in breaker_states(con)] == [("processor:phase_4", OPEN)]


def test_backfill_mode_opens_after_ten_and_half_opens_after_600s(con):
    clock = Clock()
    breaker = CircuitBreaker(con, prediction_system_key("zone_matchup_v1"), backfill_mode=True, clock=clock)
    assert breaker.kind == "prediction_system"
    for _ in range(9):
        breaker.record_failure("bad features")
    assert breaker.state == CLOSED
    breaker.record_failure("bad features")
    assert breaker.state == OPEN
    clock.advance(599)
    assert breaker.check().skip_reason == "circuit_open"
    clock.advance(1)
    assert breaker.check().state == HALF_OPEN
    assert breaker.record_success().state == CLOSED


def test_guarded_call_and_prediction_system_steps(con):
    clock = Clock()
    breaker = CircuitBreaker(con, processor_key(5), clock=clock)
    calls = []

    def failing():
        calls.append(1)
        raise RuntimeError("model file missing")

    for _ in range(5):
        result = guarded_call(breaker, failing)
        assert not result.skipped and isinstance(result.error, RuntimeError)
    skipped = guarded_call(breaker, failing)
    assert (skipped.skipped, skipped.skip_reason, len(calls)) == (True, "circuit_open", 5)
    clock.advance(300)
    ok = guarded_call(breaker, lambda: 42)
    assert ok.succeeded and ok.value == 42 and breaker.state == CLOSED

    steps = [
        StepResult("trained_model:gradient_boosting_v1", "failed", 0, "no model"),
        StepResult("trained_model:similarity_balanced_v1", "success", 10),
        StepResult("trained_model:ensemble_v1", "skipped", 0, "no earlier season"),
    ]
    for _ in range(5):
        record_step_results(con, steps, clock=clock)
    states = {s.breaker_key: (s.state, s.consecutive_failures) for s in breaker_states(con)}
    assert states["prediction_system:gradient_boosting_v1"] == (OPEN, 5)
    assert states["prediction_system:similarity_balanced_v1"] == (CLOSED, 0)
    assert "prediction_system:ensemble_v1" not in states


def test_a_backfill_sends_one_digest_and_feeds_the_breakers(
    tmp_path, tmp_path_factory, in_season_landing, webhook, monkeypatch
):
    """A real backfill of a built month: a failing gate and a failing prediction system become ONE
    digest at the end (each error once, with its count); a BLOCKED phase goes out at once; the phase's
    and the system's breakers count the failures."""
    from datetime import date

    from test_monitoring_support import built_generated, copy_to, sql

    from orchestration.ml import trained_model
    from orchestration.runner import run_backfill

    url, received = webhook
    monkeypatch.setenv("NBA_PIPELINE_ALERT_WEBHOOK", url)
    warehouse = copy_to(built_generated(tmp_path_factory, in_season_landing), tmp_path)
    monkeypatch.setattr(trained_model, "_run", lambda con, start, end: (_ for _ in ()).throw(OSError("no model file")))
    first = run_backfill(date(2021, 11, 15), date(2021, 11, 16), cascade=False, warehouse=warehouse)
    assert first.status == "partial" and [s.step.name for s in first.degraded_steps] == ["trained_model"]
    # a duplicated box score line fails the uniqueness gate
    sql(
        warehouse,
        "insert into nba_raw.nbac_player_boxscore select * from nba_raw.nbac_player_boxscore "
        "where game_date = '2021-11-18' limit 1",
    )
    second = run_backfill(date(2021, 11, 18), date(2021, 11, 18), cascade=False, warehouse=warehouse)
    assert second.status == "failed"
    digests = [payload for payload in received if payload["type"] == "digest"]
    assert len(digests) == 2  # one per backfill, nothing else sent
    assert list(digests[0]["categories"]) == ["step_failed"] and list(digests[1]["categories"]) == ["dbt_failure"]
    with duckdb.connect(str(warehouse)) as con:
        states = {s.breaker_key: (s.state, s.consecutive_failures) for s in breaker_states(con)}
    assert states["processor:phase_3"] == ("CLOSED", 1)
    assert states["prediction_system:gradient_boosting_v1"] == ("CLOSED", 1)

    received.clear()
    # 11-18's box scores are gone: 11-19 is BLOCKED
    sql(warehouse, "delete from nba_raw.nbac_player_boxscore where game_date = '2021-11-18'")
    sql(warehouse, "delete from nba_raw.nbac_team_boxscore where game_date = '2021-11-18'")
    blocked = run_backfill(date(2021, 11, 19), date(2021, 11, 19), cascade=False, warehouse=warehouse)
    # phases 3 and 4 wait for the hole; 5 and 6 read what phase 4 holds complete there, and build
    assert {b.phase for b in blocked.plan.blocked} == {3, 4} and blocked.status == "partial"
    assert [(payload["type"], payload.get("category")) for payload in received][:1] == [("alert", "phase_blocked")]
