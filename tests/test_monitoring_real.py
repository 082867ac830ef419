"""Monitoring on the real playoff data, built in strict mode: the partial 2023-24 playoffs show
as missing (phase 2) and blocked (phases 3-6); their gaps are years old, so heal alerts and
does not run; a hole injected in the 2021-22 playoffs is healed by one cascading run, which
also repairs a corrupted later date that `validate` had failed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from support import table_differences
from test_monitoring_support import built_real, copy_to, sql

from orchestration.completeness import coverage_by_date
from orchestration.monitoring.dbt_checks import run_date_checks
from orchestration.monitoring.gaps import find_gaps, open_gaps, scan_gaps
from orchestration.monitoring.healing import heal
from orchestration.monitoring.validation import validate_date
from orchestration.status import season_coverage
from orchestration.warehouse import connect

HOLE = date(2022, 5, 3)  # 2021-22 playoffs, second round
CORRUPTED = date(2022, 5, 15)


@pytest.fixture(scope="module")
def built(tmp_path_factory, real_raw_warehouse) -> Path:
    return built_real(tmp_path_factory, real_raw_warehouse)


def test_partial_season_is_missing_and_blocked_and_old_gaps_only_alert(built, tmp_path):
    warehouse = copy_to(built, tmp_path)
    with connect(warehouse) as con:
        seasons = {s.season_year: s for s in season_coverage(con)}
    partial = seasons[2023].phases
    assert partial[2].dates_missing == partial[2].dates - partial[2].dates_complete > 30
    for phase in (3, 4, 5, 6):
        # strict mode blocked every date whose window has the phase 2 hole: blocked, not missing
        assert partial[phase].dates_blocked == partial[2].dates_missing and partial[phase].dates_missing == 0
    assert all(
        s.phases[p].dates_missing == 0 and s.phases[p].dates_blocked == 0
        for year, s in seasons.items()
        if year != 2023
        for p in (2, 3, 4, 5, 6)
    )

    with connect(warehouse) as con:
        found = find_gaps(con)
    assert {(g.phase_from, g.phase_to) for g in found} == {(1, 2)}
    assert len(found) == partial[2].dates_missing and all(g.season_year == 2023 for g in found)

    report = heal(warehouse)  # today: these gaps are years old
    assert report.runs == [] and len(report.too_old) == len(found) and report.alerted_old == len(found)
    # one alert for the old gaps (the build's own alerts named the blocked phases)
    assert sql(
        warehouse,
        "select d.category, count(*) from nba_orchestration.alerts a "
        "join nba_orchestration.alert_details d using (alert_id) "
        "where d.category <> 'phase_blocked' group by 1",
    ) == [("gap_too_old", 1)]


def _validated(warehouse: Path, day: date):
    """`nba-pipeline validate --date`: dbt's tests and source freshness for the date, then every level."""
    checks = run_date_checks(warehouse, day)  # before our connection: dbt opens the file itself
    with connect(warehouse) as con:
        return validate_date(con, day, checks=checks)


def test_validate_real_dates(built, tmp_path):
    warehouse = copy_to(built, tmp_path)
    assert _validated(warehouse, date(2022, 5, 15)).status == "PASS"
    assert _validated(warehouse, date(2016, 6, 19)).status == "PASS"  # game 7 of the 2016 finals
    with connect(warehouse) as con:
        assert validate_date(con, date(2022, 5, 15)).level("quality").status == "WARN"  # its dbt tests not run
        blocked = validate_date(con, date(2024, 5, 1))
        assert blocked.status == "FAIL"
        assert "blocked" in blocked.level("execution").summary()
        assert blocked.level("dependencies").status == "FAIL"


def test_mid_playoffs_hole_is_healed_and_the_cascade_repairs_later_dates(built, tmp_path, tmp_path_factory):
    warehouse = copy_to(built, tmp_path)
    sql(warehouse, "delete from nba_analytics.upcoming_player_game_context where game_date = ?", [HOLE])
    sql(
        warehouse,
        "update nba_analytics.upcoming_team_game_context set points_avg_last_10 = points_avg_last_10 + 4 "
        "where game_date = ?",
        [CORRUPTED],
    )
    with connect(warehouse) as con:
        assert validate_date(con, CORRUPTED).level("business").status == "FAIL"
        assert validate_date(con, HOLE).status == "FAIL"
        result = scan_gaps(con, today=date(2022, 5, 20))
    assert [(g.pair, g.game_date) for g in result.open_gaps if g.game_date.year == 2022] == [("2->3", HOLE)]

    report = heal(warehouse, today=date(2022, 5, 20))
    (run,) = report.runs
    assert (run.status, run.range.start, run.cascaded_end) == ("success", HOLE, date(2022, 6, 16))
    assert _validated(warehouse, CORRUPTED).status == "PASS"
    assert _validated(warehouse, HOLE).status == "PASS"
    with connect(warehouse) as con:
        assert not [
            c for c in coverage_by_date(con, start=date(2022, 4, 1), end=date(2022, 6, 30)) if not c.is_complete
        ]
        assert [g for g in open_gaps(con) if g.game_date.year == 2022] == []
    for table in (
        "nba_analytics.upcoming_player_game_context",
        "nba_analytics.upcoming_team_game_context",
        "nba_precompute.ml_feature_store",
        "nba_predictions.prediction_accuracy",
    ):
        left, right, only_left, only_right = table_differences(built, warehouse, table)
        assert (left, only_left, only_right) == (right, 0, 0), table
    # the 2023-24 gaps are in the future as of 2022-05-20: neither healed nor alerted
    assert heal(warehouse, today=date(2022, 5, 20)).runs == []
