"""Smart skip on a built generated season: the input fingerprint sees exactly the lookback
window's upstream rows; unchanged inputs skip outside backfill mode only; deleted output
never skips; the guard puts the circuit breaker first."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from orchestration.monitoring.circuit_breaker import CircuitBreaker, processor_key
from orchestration.monitoring.dagster_hooks import finish_partition, guard_partition
from orchestration.monitoring.run_state import processed_at
from orchestration.monitoring.smart_skip import (
    code_fingerprint,
    input_fingerprint,
    last_fingerprint,
    record_fingerprint,
    record_skip,
    skip_decision,
)
from orchestration.warehouse import connect
from test_monitoring_support import built_generated, copy_to

DAY = date(2021, 11, 10)


@pytest.fixture(scope="module")
def built(tmp_path_factory, in_season_landing) -> Path:
    return built_generated(tmp_path_factory, in_season_landing)


@pytest.fixture
def con(built, tmp_path):
    with connect(copy_to(built, tmp_path)) as connection:
        yield connection


def test_fingerprint_covers_the_lookback_window_only(con):
    first = input_fingerprint(con, 3, DAY, DAY)
    assert first == input_fingerprint(con, 3, DAY, DAY)
    assert first.window_start == date(2021, 10, 19) and first.upstream_rows > 0
    # a change inside the window (an earlier date of the season) changes it ...
    con.execute("update nba_raw.nbac_player_boxscore set points = points + 1 "
                "where game_date = '2021-10-25' and player_id = (select min(player_id) from nba_raw.nbac_player_boxscore "
                "where game_date = '2021-10-25')")
    changed = input_fingerprint(con, 3, DAY, DAY)
    assert changed.value != first.value
    # ... a change after the date does not; nor does a reload's bookkeeping (loaded_at)
    con.execute("update nba_raw.nbac_player_boxscore set points = points + 1 where game_date = '2021-11-15'")
    con.execute("update nba_raw.nbac_player_boxscore set loaded_at = now()")
    assert input_fingerprint(con, 3, DAY, DAY).value == changed.value
    # phase 4 reads phase 3's tables too
    before = input_fingerprint(con, 4, DAY, DAY)
    con.execute("update nba_analytics.upcoming_player_game_context set points_avg_last_10 = points_avg_last_10 + 1 "
                "where game_date = '2021-11-01'")
    assert input_fingerprint(con, 4, DAY, DAY).value != before.value
    assert input_fingerprint(con, 3, DAY, DAY).value == changed.value


def test_unchanged_inputs_skip_outside_backfill_mode_only(con):
    assert skip_decision(con, 3, DAY, DAY, backfill_mode=False).skip is False   # nothing recorded yet
    record_fingerprint(con, input_fingerprint(con, 3, DAY, DAY), run_id="r1")
    decision = skip_decision(con, 3, DAY, DAY, backfill_mode=False)
    assert (decision.skip, decision.reason) == (True, "unchanged_inputs")
    assert skip_decision(con, 3, DAY, DAY, backfill_mode=True).skip is False

    # the skip is recorded in run history and counts as processed (verified current)
    record_skip(con, decision, run_id="r2", trigger="schedule")
    assert con.execute("select status, skip_reason from nba_orchestration.pipeline_run_history "
                       "where run_id = 'r2'").fetchall() == [("skipped", "unchanged_inputs")]
    assert DAY in processed_at(con)[3]

    # changed upstream: runs; changed back: skips again
    con.execute("update nba_raw.nbac_team_boxscore set tov = tov + 1 where game_date = '2021-11-09'")
    assert skip_decision(con, 3, DAY, DAY, backfill_mode=False).skip is False
    con.execute("update nba_raw.nbac_team_boxscore set tov = tov - 1 where game_date = '2021-11-09'")
    assert skip_decision(con, 3, DAY, DAY, backfill_mode=False).skip is True

    # output rows deleted by hand: never "unchanged"
    con.execute("delete from nba_analytics.team_offense_game_summary where game_date = ?", [DAY])
    decision = skip_decision(con, 3, DAY, DAY, backfill_mode=False)
    assert decision.skip is False and "incomplete" in decision.message


def test_guard_checks_the_breaker_first_and_finish_records(con):
    assert guard_partition(con, 4, DAY, DAY, backfill_mode=False).skip is False
    assert finish_partition(con, 4, DAY, DAY, ok=True, run_id="r3") == "CLOSED"
    assert last_fingerprint(con, 4, DAY, DAY) == input_fingerprint(con, 4, DAY, DAY).value
    guard = guard_partition(con, 4, DAY, DAY, backfill_mode=False)
    assert (guard.skip, guard.reason) == (True, "unchanged_inputs")
    assert guard_partition(con, 4, DAY, DAY, backfill_mode=True).skip is False
    for _ in range(5):
        finish_partition(con, 4, DAY, DAY, ok=False, error="dbt failed")
    guard = guard_partition(con, 4, DAY, DAY, backfill_mode=False)
    assert (guard.skip, guard.reason) == (True, "circuit_open")
    assert CircuitBreaker(con, processor_key(4)).state == "OPEN"


def test_code_fingerprint_follows_the_models(tmp_path, monkeypatch):
    import orchestration.monitoring.smart_skip as smart_skip

    monkeypatch.setattr(smart_skip, "PROJECT_ROOT", tmp_path)
    models = tmp_path / "models"
    models.mkdir()
    (models / "a.sql").write_text("select 1")
    first = code_fingerprint((models,))
    (models / "a.sql").write_text("select 2")
    assert code_fingerprint((models,)) != first
