"""`nba-pipeline report patterns`, on the generated season healed through every phase (the monitoring
tests' shared warehouse), then:
- the last two dates rebuilt as they are: duplicate processing grows by exactly what that run wrote;
- one box score corrected and its date rebuilt (forward cascade): new inputs, no new duplicate;
- a schedule run of those old dates: an early exit; a healing-mode sensor run: a smart skip;
- a circuit opened by five failures and closed 150 s later.
The report's figures are checked against the tables they come from; the HTML page is opened in
headless Chromium, which must decode every chart; the Dagster coverage asset carries the same tables.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from test_monitoring_support import built_generated, copy_to, corrected_landing, sql

from orchestration.cli import main
from orchestration.loading import load_landing
from orchestration.monitoring.alerts import Alerter
from orchestration.monitoring.circuit_breaker import CircuitBreaker, processor_key
from orchestration.monitoring.patterns import patterns_report
from orchestration.phases import DBT_PHASES
from orchestration.pipeline_steps import pipeline_steps
from orchestration.run_modes import RunMode
from orchestration.runner import PipelineRun, run_backfill
from orchestration.warehouse import connect

REBUILT = (date(2021, 11, 19), date(2021, 11, 20))
CORRECTED = date(2021, 11, 19)
BREAKER = processor_key(9)  # not a phase of the pipeline: no run is skipped by it
OPENED_AT = datetime(2021, 11, 21, 9, 0, 0)


def _extra_builds(warehouse: Path) -> dict[int, int]:
    with connect(warehouse) as con:
        return {row[0]: row[2] for row in patterns_report(con).table("duplicates").rows}


def _written_by(warehouse: Path, run_id: str, phase: int) -> int:
    """(table, date) pairs with rows a run wrote in a phase's versioned tables."""
    return sql(
        warehouse,
        """select count(*) from nba_orchestration.pipeline_run_history h
                             where run_id = ? and phase = ? and status = 'success' and rows_written > 0
                               and exists (select 1 from information_schema.columns c
                                           where c.table_schema || '.' || c.table_name = h.asset
                                             and c.column_name = 'input_version')""",
        [run_id, phase],
    )[0][0]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, in_season_landing) -> dict:
    warehouse = copy_to(built_generated(tmp_path_factory, in_season_landing), tmp_path_factory.mktemp("patterns"))
    before = _extra_builds(warehouse)
    again = run_backfill(*REBUILT, warehouse=warehouse)
    after_rebuild = _extra_builds(warehouse)

    landing = corrected_landing(in_season_landing, tmp_path_factory.mktemp("corrected") / "landing", CORRECTED)
    with connect(warehouse) as con:
        load_landing(landing, start=CORRECTED, end=CORRECTED, con=con)
    corrected = run_backfill(CORRECTED, CORRECTED, warehouse=warehouse)
    after_correction = _extra_builds(warehouse)

    early = run_backfill(*REBUILT, warehouse=warehouse, trigger="schedule", is_backfill=False)
    smart = PipelineRun(warehouse, RunMode(backfill=False, strict=True, cascade=True, trigger="sensor", healing=True))
    with smart.lock():
        smart.begin(*REBUILT)
        skipped = smart.execute_step(pipeline_steps(list(DBT_PHASES))[0], *REBUILT)
        smart.finish("success")

    clock = {"now": OPENED_AT}
    with connect(warehouse) as con:
        breaker = CircuitBreaker(
            con, BREAKER, clock=lambda: clock["now"], alerter=Alerter(con, clock=lambda: clock["now"], webhook_url="")
        )
        for _ in range(5):
            breaker.record_failure("injected")
        clock["now"] = OPENED_AT + timedelta(seconds=150)
        breaker.record_success()
    return {
        "warehouse": warehouse,
        "before": before,
        "again": again,
        "after_rebuild": after_rebuild,
        "corrected": corrected,
        "after_correction": after_correction,
        "early": early,
        "skipped": skipped,
    }


def test_duplicate_processing_counts_rebuilds_from_unchanged_inputs_only(scenario):
    warehouse = scenario["warehouse"]
    assert scenario["again"].succeeded and scenario["corrected"].succeeded
    for phase in (3, 4, 5, 6):
        written = _written_by(warehouse, scenario["again"].run_id, phase)
        assert written > 0
        assert scenario["after_rebuild"][phase] - scenario["before"].get(phase, 0) == written, phase
    # the corrected player box score changed the inputs of the player tables on its date and every later date
    # of the season (their windows reach back): not duplicates; the team tables, which do not read it, are
    corrected = scenario["corrected"].run_id
    assert scenario["corrected"].plan.end == REBUILT[1]
    new_duplicates = scenario["after_correction"][3] - scenario["after_rebuild"][3]
    assert 0 < new_duplicates < _written_by(warehouse, corrected, 3)
    changed = sql(
        warehouse,
        """select relation, count(*) from nba_orchestration.date_build_inputs b
                                where run_id = ? and phase = 3 and not exists (
                                    select 1 from nba_orchestration.date_build_inputs e
                                    where e.run_id != b.run_id and e.relation = b.relation
                                      and e.game_date = b.game_date and e.input_version = b.input_version)
                                group by 1 order by 1""",
        [corrected],
    )
    assert ("nba_analytics.player_game_summary", 2) in changed
    assert new_duplicates == _written_by(warehouse, corrected, 3) - sum(n for _, n in changed)


def test_report_figures_come_from_the_tables(scenario, monkeypatch, capsys):
    warehouse = scenario["warehouse"]
    with connect(warehouse) as con:
        report = patterns_report(con)
    runs = {row[0]: row for row in report.table("runs").rows}
    assert (
        runs["cli"][1]
        == sql(warehouse, "select count(*) from nba_orchestration.pipeline_runs where runner = 'cli'")[0][0]
    )
    phase3 = next(row for row in report.table("phases").rows if row[:2] == [3, "dbt"])
    assert (
        phase3[2]
        == sql(
            warehouse,
            "select count(*) from nba_orchestration.pipeline_step_runs where "
            "status != 'skipped' and step like 'dbt_%' and phases like '%3%'",
        )[0][0]
    )
    models = {row[0]: row for row in report.table("models").rows}
    assert (
        models["nba_analytics.player_game_summary"][2]
        == sql(
            warehouse,
            "select count(*) from nba_orchestration.dbt_node_timings "
            "where relation = 'nba_analytics.player_game_summary' and status != 'skipped'",
        )[0][0]
    )
    p50, p95 = models["nba_analytics.player_game_summary"][4:6]
    assert 0 < p50 <= p95

    skips = {row[0]: row for row in report.table("skips").rows}
    assert scenario["early"].steps and all(s.skip_reason == "historical_date" for s in scenario["early"].steps)
    assert skips["historical_date"][3] >= 1 and skips["unchanged_inputs"][3] == 1
    assert scenario["skipped"].skip_reason == "unchanged_inputs"
    assert "smart-skip rate" in report.table("skips").note

    breakers = {row[0]: row for row in report.table("breakers").rows}
    assert breakers[BREAKER] == [BREAKER, 1, "2m30s", "CLOSED"]
    alerts = {row[0]: row for row in report.table("alerts").rows}
    assert alerts["circuit_open"][1] == 1 and alerts["circuit_open"][2] == 1  # one, critical
    assert alerts["circuit_closed"][1] == 1

    gaps = report.table("gaps").rows
    assert sum(row[2] for row in gaps) == sql(warehouse, "select count(*) from nba_orchestration.data_gaps")[0][0]
    assert all(row[2] == sum(row[3:]) for row in gaps)  # every gap in one age bucket
    healed, failed = sql(
        warehouse,
        "select count(*) filter (where healing_status = 'complete'), "
        "count(*) filter (where healing_status = 'failed') "
        "from nba_orchestration.data_gaps where heal_run_id is not null",
    )[0]
    assert healed > 0
    assert f"heal success rate {100.0 * healed / (healed + failed):.1f}%" in report.table("healing").note

    # --since after everything: nothing counted
    monkeypatch.setenv("NBA_PIPELINE_DUCKDB", str(warehouse))
    assert main(["report", "patterns", "--since", (date.today() + timedelta(days=1)).isoformat()]) == 0
    text = capsys.readouterr().out
    assert text.count("(nothing recorded)") == len(report.tables)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_html_page_renders_its_charts_in_headless_chromium(scenario, tmp_path, monkeypatch, capsys):
    browser = _chromium()
    if not browser:
        pytest.skip("chromium is not installed (apt-get install chromium chromium-driver)")
    page = tmp_path / "patterns.html"
    monkeypatch.setenv("NBA_PIPELINE_DUCKDB", str(scenario["warehouse"]))
    assert main(["report", "patterns", "--html", str(page)]) == 0
    assert f"wrote {page}" in capsys.readouterr().out
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        page.as_uri(),
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120).stdout
    rendered = dict(re.findall(r'id="chart-(\w+)"[^>]*data-rendered="(\d+x\d+)"', dom))
    assert set(rendered) == {"phases", "models", "skips", "gaps"}, dom[:3000]
    for key, size in rendered.items():
        width, height = map(int, size.split("x"))
        assert width > 200 and height > 100, (key, size)
    assert 'id="table-duplicates"' in dom and "player_game_summary" in dom


def test_dagster_coverage_asset_carries_the_patterns(scenario):
    from orchestration.dagster.monitoring_assets import coverage_metadata

    with connect(scenario["warehouse"]) as con:
        markdown = coverage_metadata(con)["patterns"].value
        expected = patterns_report(con).markdown()
    assert markdown == expected and "| nba_analytics.player_game_summary | 3 |" in markdown
