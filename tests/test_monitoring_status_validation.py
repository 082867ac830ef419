"""`status` (text, HTML, Dagster metadata) and `validate` on a built generated season:
blocked dates come from run history; validate passes on a clean build and fails
on corrupted values, missing rows, failed runs and stale dates."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from test_monitoring_support import built_generated, copy_to, corrected_landing, sql

from orchestration.cli import main
from orchestration.loading import load_landing
from orchestration.monitoring.coverage import coverage_report, format_markdown
from orchestration.monitoring.validation import validate_date
from orchestration.phases import phases_from_spec
from orchestration.run_history import RunRecord, record_runs
from orchestration.runner import run_backfill
from orchestration.status import season_coverage
from orchestration.warehouse import connect

DAY = date(2021, 11, 9)


def _game_dates(warehouse: Path) -> int:
    return sql(warehouse, "select count(distinct game_date) from nba_raw.nbac_schedule where game_status = 3")[0][0]


@pytest.fixture(scope="module")
def built(tmp_path_factory, in_season_landing) -> Path:
    return built_generated(tmp_path_factory, in_season_landing)


@pytest.fixture(scope="module")
def blocked_warehouse(built, tmp_path_factory) -> Path:
    """Box scores of 11-10 deleted and phase 3 of 11-12..11-14 deleted; a strict backfill of 11-12..11-14
    is BLOCKED (its window has the 11-10 hole), which run history records."""
    warehouse = copy_to(built, tmp_path_factory.mktemp("blocked"))
    sql(warehouse, "delete from nba_raw.nbac_player_boxscore where game_date = '2021-11-10'")
    sql(warehouse, "delete from nba_raw.nbac_team_boxscore where game_date = '2021-11-10'")
    for table in ("player_game_summary", "team_offense_game_summary"):
        sql(warehouse, f"delete from nba_analytics.{table} where game_date between '2021-11-12' and '2021-11-14'")
    result = run_backfill(date(2021, 11, 12), date(2021, 11, 14), phases_from_spec("3,4,5,6"), warehouse=warehouse)
    assert result.blocked and not result.dbt_results  # nothing ran: every date was blocked
    return warehouse


def test_status_counts_complete_missing_and_blocked(blocked_warehouse, monkeypatch, capsys):
    with connect(blocked_warehouse) as con:
        (season,) = season_coverage(con)
    phase = season.phases

    def games_on(*days):
        return sum(
            r[0]
            for r in sql(
                blocked_warehouse,
                "select count(*) from nba_raw.nbac_schedule where game_date in ("
                + ", ".join(f"'{d}'" for d in days)
                + ") group by game_date",
            )
        )

    n = _game_dates(blocked_warehouse)
    assert phase[2].dates == n
    assert (phase[2].dates_complete, phase[2].dates_missing, phase[2].dates_blocked) == (n - 1, 1, 0)
    assert (phase[3].dates_complete, phase[3].dates_missing, phase[3].dates_blocked) == (n - 3, 0, 3)
    assert phase[3].games_blocked == games_on("2021-11-12", "2021-11-13", "2021-11-14")
    assert phase[2].games_missing == games_on("2021-11-10")
    # phase 4 still holds those dates, but every later date of the season read phase 3 rows that are
    # gone: stale (not complete), never blocked
    later = sql(
        blocked_warehouse,
        "select count(distinct game_date) from nba_raw.nbac_schedule "
        "where game_status = 3 and game_date >= '2021-11-12'",
    )[0][0]
    assert (phase[4].dates_complete, phase[4].dates_stale, phase[4].dates_blocked) == (n - later, later, 0)

    monkeypatch.setenv("NBA_PIPELINE_DUCKDB", str(blocked_warehouse))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    row = next(
        line
        for line in out.splitlines()
        if "3 analytics" in line and line.startswith("2021-22") is False and "total" not in line
    )
    numbers = [int(n) for n in re.findall(r"\b\d+\b", row.split("analytics", 1)[1].replace("%", ""))][:10]
    assert numbers[:6] == [n, n - 3, 0, 0, 0, 3]  # dates: complete, stale, unverified, missing, blocked
    assert "total" in out and "blocked" in out


def test_status_html_is_self_contained_with_table_and_heatmap(blocked_warehouse, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NBA_PIPELINE_DUCKDB", str(blocked_warehouse))
    page = tmp_path / "coverage.html"
    assert main(["status", "--html", str(page)]) == 0
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<table>" in html
    # no external assets: no scripts, stylesheets, images or fonts fetched from anywhere
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert not re.search(r"(src|href)=['\"](https?:)?//", html) and "@import" not in html and "url(" not in html
    # the heatmap has one cell per phase and game date, blocked ones in their colour with a tooltip
    assert html.count("<rect") >= 5 * _game_dates(blocked_warehouse)
    assert "2021-11-12 phase 3: blocked" in html and "2021-11-10 phase 2: missing" in html
    assert "Needs attention" in html


def test_coverage_markdown_for_dagster(blocked_warehouse):
    with connect(blocked_warehouse) as con:
        _, summaries = coverage_report(con)
        markdown = format_markdown(summaries)
    lines = markdown.splitlines()
    assert lines[0].startswith("| season | phase | dates |") and len(lines) == 2 + 2 * 5
    n = _game_dates(blocked_warehouse)
    assert f"| 2021-22 | 2 raw | {n} | {n - 1} | 0 | 0 | 1 | 0 |" in markdown
    assert f"| 3 analytics | {n} | {n - 3} | 0 | 0 | 0 | 3 |" in markdown
    from orchestration.dagster.monitoring_assets import coverage_metadata as metadata

    with connect(blocked_warehouse) as con:
        values = metadata(con)
    assert values["phase_3_dates_blocked"].value == 3 and "2021-22" in values["coverage"].value


def test_validate_passes_on_a_clean_build(built, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NBA_PIPELINE_DUCKDB", str(copy_to(built, tmp_path)))
    assert main(["validate", "--date", DAY.isoformat()]) == 0
    out = capsys.readouterr().out
    for level in ("execution", "volume", "quality", "dependencies", "business"):
        assert re.search(rf"{level}\s+PASS", out), out
    assert re.search(r"overall\s+PASS", out)
    assert main(["validate", "--date", DAY.isoformat(), "--level", "nonsense"]) == 2


def test_validate_fails_on_corrupted_values(built, tmp_path, monkeypatch, capsys):
    warehouse = copy_to(built, tmp_path)
    sql(
        warehouse,
        "update nba_analytics.upcoming_player_game_context set points_avg_last_10 = points_avg_last_10 + 2 "
        "where game_date = ?",
        [DAY],
    )
    sql(
        warehouse,
        "update nba_analytics.team_offense_game_summary set offensive_rating = offensive_rating + 7.5 "
        "where game_date = ?",
        [DAY],
    )
    sql(
        warehouse,
        "update nba_analytics.player_game_summary set points = -3 where game_date = ? and player_id = "
        "(select min(player_id) from nba_analytics.player_game_summary where game_date = ?)",
        [DAY, DAY],
    )
    monkeypatch.setenv("NBA_PIPELINE_DUCKDB", str(warehouse))
    assert main(["validate", "--date", DAY.isoformat(), "--verbose"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"business\s+FAIL", out) and re.search(r"quality\s+FAIL", out)
    assert re.search(r"volume\s+PASS", out) and re.search(r"overall\s+FAIL", out)
    assert re.search(r"FAIL\s+nba_analytics.upcoming_player_game_context.points_avg_last_10: 25 of 25", out)
    assert re.search(r"FAIL\s+nba_analytics.team_offense_game_summary.offensive_rating: \d+ of \d+", out)
    # the quality rules are the dbt tests (models' YAML), run over the date
    assert re.search(r"FAIL\s+accepted_range_player_game_summary_points__100__0: fail: 1 failing row", out)
    assert re.search(r"FAIL\s+player_game_summary_points_match_shots: fail: 1 failing row", out)
    assert main(["validate", "--date", DAY.isoformat(), "--level", "volume,execution"]) == 0


def test_validate_fails_on_missing_rows_failed_runs_and_stale_dates(built, tmp_path, in_season_landing):
    warehouse = copy_to(built, tmp_path)
    sql(
        warehouse,
        "delete from nba_precompute.ml_feature_store where game_date = ? and team_abbr = "
        "(select min(team_abbr) from nba_precompute.ml_feature_store where game_date = ?)",
        [DAY, DAY],
    )
    with connect(warehouse) as con:
        report = validate_date(con, DAY)
        assert report.level("volume").status == "FAIL" and report.level("dependencies").status == "FAIL"
        assert report.level("execution").status == "PASS" and report.exit_code == 1
        now = datetime.now()
        record_runs(
            con,
            [
                RunRecord(
                    "r-failed",
                    "grading",
                    6,
                    DAY,
                    "failed",
                    None,
                    None,
                    now,
                    now,
                    1.0,
                    False,
                    "schedule",
                    "dbt build failed",
                )
            ],
        )
        assert validate_date(con, DAY, ["execution"]).status == "FAIL"
        # a corrected file of an earlier date, loaded after the build, makes the date stale
        other = date(2021, 11, 20)
        assert validate_date(con, other, ["dependencies"]).status == "PASS"
        corrected = corrected_landing(in_season_landing, tmp_path / "corrected", date(2021, 11, 15))
        load_landing(corrected, start=date(2021, 11, 15), end=date(2021, 11, 15), con=con)
        stale = validate_date(con, other, ["dependencies"])
        assert stale.status == "FAIL" and "stale" in stale.level("dependencies").summary()


def test_validate_reports_dbt_warnings_and_source_freshness(built, tmp_path, monkeypatch, capsys):
    """An implausible value (a warn-severity test) is a WARN; sources not loaded for days are a
    FAIL for a current date and only a WARN for a historical one (a backfill); validate writes nothing."""
    from orchestration.monitoring.dbt_checks import run_date_checks
    from orchestration.monitoring.validation import check_execution

    warehouse = copy_to(built, tmp_path)
    sql(
        warehouse,
        "update nba_analytics.team_offense_game_summary set pace = 135 where game_date = ? and team_abbr = "
        "(select min(team_abbr) from nba_analytics.team_offense_game_summary where game_date = ?)",
        [DAY, DAY],
    )
    for table in ("nbac_schedule", "nbac_player_boxscore", "nbac_team_boxscore", "odds_api_player_points_props"):
        sql(warehouse, f"update nba_raw.{table} set loaded_at = loaded_at - interval 5 day")
    sql(warehouse, "update nba_orchestration.source_date_versions set written_at = written_at - interval 5 day")
    verifications = "select count(*) from nba_orchestration.build_verifications"
    before = sql(warehouse, verifications)
    monkeypatch.setenv("NBA_PIPELINE_DUCKDB", str(warehouse))
    # (the business level would recompute the pace and fail: the dbt levels are the subject here)
    assert main(["validate", "--date", DAY.isoformat(), "--level", "execution,quality", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"WARN\s+team_offense_pace_implausible: warn: 1 failing row", out), out
    assert re.search(r"quality\s+WARN", out) and re.search(r"overall\s+WARN", out)
    assert re.search(
        r"WARN\s+freshness nba_raw.nbac_schedule: last loaded 12\d\.\d h ago: stale for today, "
        r"not an error for the historical date",
        out,
    ), out
    assert sql(warehouse, verifications) == before  # read-only: nothing recorded

    checks = run_date_checks(warehouse, DAY)
    with connect(warehouse) as con:
        current = check_execution(con, DAY, 1, checks, today=DAY)
    stale = {c.name: c.status for c in current.checks if c.name.startswith("freshness")}
    assert len(stale) == 6 and set(stale.values()) == {"FAIL"}, stale
