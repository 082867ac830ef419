"""Freshness recorded by the data (issue: one truth), on built real and generated warehouses.

- reloading identical files changes nothing: no version, no load time, no stale date;
- a corrected file makes stale exactly the dates of its season from the corrected date on,
  in exactly the tables whose lineage reads it; a backfill of that date repairs them;
- a build killed before its tests is "built, not verified", never complete; gaps and heal
  pick it up; a run killed at any point reads `interrupted`; a correction after a kill is seen;
- a load landing between two builds of a running backfill leaves stale dates that heal repairs;
- two backfills at once: the second waits for the first, both succeed, tables equal a clean build;
- smart skip (normal-mode automated runs) skips exactly what is complete, fresh and verified.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from support import query, table_differences
from test_monitoring_support import (
    GENERATED_END,
    GENERATED_START,
    GENERATED_TODAY,
    built_generated,
    built_real,
    copy_to,
    corrected_landing,
    sql,
)

from orchestration.completeness import coverage_by_date
from orchestration.dagster.dbt_project import ensure_manifest
from orchestration.loading import load_landing
from orchestration.monitoring.gaps import find_gaps
from orchestration.monitoring.healing import heal
from orchestration.phases import PHASES_BY_NUMBER
from orchestration.pipeline_steps import pipeline_steps
from orchestration.run_history import INTERRUPTED, recent_runs
from orchestration.run_modes import RunMode
from orchestration.runner import PipelineRun, run_backfill
from orchestration.warehouse import Warehouse, connect

TABLES = tuple(table for number in (3, 4, 5, 6) for table in PHASES_BY_NUMBER[number].completeness_tables)
REAL_CORRECTION = date(2022, 5, 3)
GENERATED_CORRECTION = date(2021, 11, 12)
KILL_RANGE = (date(2021, 11, 14), GENERATED_END)


@pytest.fixture(scope="module")
def generated(tmp_path_factory, in_season_landing) -> Path:
    return built_generated(tmp_path_factory, in_season_landing)


@pytest.fixture(params=["generated", "real"])
def dataset(request, tmp_path_factory, in_season_landing):
    """(built warehouse, its landing, the landing's date range to reload, a date to correct)."""
    if request.param == "generated":
        return (
            built_generated(tmp_path_factory, in_season_landing),
            in_season_landing,
            (GENERATED_START, GENERATED_END),
            GENERATED_CORRECTION,
        )
    real_dir = request.getfixturevalue("real_dir")
    raw = request.getfixturevalue("real_raw_warehouse")
    return built_real(tmp_path_factory, raw), real_dir, (None, None), REAL_CORRECTION


def _snapshot(warehouse: Path) -> tuple:
    versions = query(warehouse, "select * from nba_orchestration.source_date_versions order by all")
    loads = query(warehouse, "select game_date, max(loaded_at) from nba_raw.nbac_player_boxscore group by 1 order by 1")
    return versions, loads


def _stale(warehouse: Path) -> dict[str, set[date]]:
    rows = query(warehouse, "select model_relation, game_date from nba_orchestration.date_freshness where not is_fresh")
    stale: dict[str, set[date]] = {}
    for table, day in rows:
        stale.setdefault(table, set()).add(day)
    return stale


def _reads(manifest: dict, unique_id: str, source: str, seen: set | None = None) -> bool:
    """Whether a model reads the source table `schema.name`, through views and ephemeral models
    (the lineage, read from the manifest: a definition independent of the SQL that records it)."""
    seen = seen if seen is not None else set()
    for parent in manifest["nodes"][unique_id]["depends_on"]["nodes"]:
        if parent in seen:
            continue
        seen.add(parent)
        if parent.startswith("source."):
            node = manifest["sources"][parent]
            if f"{node['schema']}.{node['identifier']}" == source:
                return True
        elif parent.startswith("model."):
            node = manifest["nodes"][parent]
            if node["config"]["materialized"] in ("view", "ephemeral") and _reads(manifest, parent, source, seen):
                return True
    return False


def _season_dates_from(warehouse: Path, table: str, day: date) -> set[date]:
    return {
        row[0]
        for row in query(
            warehouse,
            f"""
        select distinct t.game_date from {table} as t
        where t.game_date >= ? and t.game_date <= (
            select max(game_date) from nba_raw.nbac_schedule where season_year = (
                select min(season_year) from nba_raw.nbac_schedule where game_date = ?))""",
            [day, day],
        )
    }


def test_reloading_identical_files_changes_nothing(dataset, tmp_path):
    built, landing, (start, end), _ = dataset
    warehouse = copy_to(built, tmp_path)
    before = _snapshot(warehouse)
    with connect(warehouse) as con:
        report = load_landing(landing, start, end, con=con)
        assert report.rows_loaded > 0
        assert [g for g in find_gaps(con) if g.kind != "missing"] == []
    assert _snapshot(warehouse) == before
    assert _stale(warehouse) == {}


def test_a_correction_makes_stale_exactly_the_later_dates_of_its_readers(dataset, tmp_path):
    built, landing, (start, end), day = dataset
    warehouse = copy_to(built, tmp_path)
    manifest = json.loads(ensure_manifest().read_text())
    models = {
        f"{node['schema']}.{node['alias']}": uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    }
    with connect(warehouse) as con:
        load_landing(corrected_landing(landing, tmp_path / "corrected", day), start=day, end=day, con=con)

    # phase 3 reads the raw box score: its readers are stale from the corrected date to the season's end
    stale = _stale(warehouse)
    readers = {table for table, uid in models.items() if _reads(manifest, uid, "nba_raw.nbac_player_boxscore")}
    assert readers and {"nba_analytics.player_game_summary", "nba_analytics.upcoming_player_game_context"} <= readers
    assert set(stale) == readers
    for table in readers:
        assert stale[table] == _season_dates_from(warehouse, table, day), table
    with connect(warehouse) as con:
        gaps = [g for g in find_gaps(con) if g.season_year == day.year - (day.month < 9)]
    assert {(g.phase_from, g.phase_to, g.kind) for g in gaps} == {(2, 3, "stale")}

    # the backfill of the corrected date cascades over the season: nothing stale, every phase complete
    result = run_backfill(day, day, warehouse=warehouse)
    assert result.succeeded and result.plan.cascaded
    assert _stale(warehouse) == {}
    with connect(warehouse) as con:
        assert [c for c in coverage_by_date(con) if c.phase > 2 and c.state in ("stale", "unverified")] == []


# ---------------------------------------------------------------- kills, races, concurrent writers


def _cli(warehouse: Path, *args: str, hook: str | None = None, **popen) -> subprocess.Popen:
    env = {**os.environ, "NBA_PIPELINE_DUCKDB": str(warehouse), "PYTHONPATH": str(Path(__file__).parent)}
    env.pop("NBA_PIPELINE_TEST_HOOK", None)
    if hook:
        env["NBA_PIPELINE_TEST_HOOK"] = hook
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        **popen,
    )


def _backfill(warehouse: Path, hook: str | None = None) -> subprocess.Popen:
    start, end = KILL_RANGE
    return _cli(warehouse, "backfill", "--start", start.isoformat(), "--end", end.isoformat(), hook=hook)


def _states(warehouse: Path, phase: int, start: date, end: date) -> set[str]:
    with connect(warehouse) as con:
        return {c.state for c in coverage_by_date(con, (PHASES_BY_NUMBER[phase],), start, end)}


def _assert_identical(built: Path, warehouse: Path) -> None:
    for table in TABLES:
        left, right, only_left, only_right = table_differences(built, warehouse, table)
        assert (left, only_left, only_right) == (right, 0, 0), table


def test_a_build_killed_before_its_tests_is_built_not_verified(generated, tmp_path, capsys, monkeypatch):
    warehouse = copy_to(generated, tmp_path)
    process = _backfill(warehouse, hook="tests:dbt_phases_2_3_4=kill")
    output, _ = process.communicate(timeout=600)
    assert process.returncode == -signal.SIGKILL, output
    # the models of the first stretch wrote the range, their gates never ran: not complete
    assert _states(warehouse, 3, *KILL_RANGE) == {"unverified"}
    assert _states(warehouse, 3, GENERATED_START, KILL_RANGE[0] - timedelta(days=1)) == {"complete"}
    with connect(warehouse) as con:
        (run,) = recent_runs(con, limit=1)
        gaps = find_gaps(con)
    assert run.effective_status == INTERRUPTED and run.current_step == "dbt_phases_2_3_4"
    assert {(g.phase_to, g.kind) for g in gaps if g.game_date >= KILL_RANGE[0]} >= {(3, "unverified")}
    from orchestration.cli import main

    monkeypatch.setenv("NBA_PIPELINE_DUCKDB", str(warehouse))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"run {run.run_id} interrupted" in out and "unverified" in out

    report = heal(warehouse, today=GENERATED_TODAY, max_age_days=60)
    assert report.ok and report.remaining == []
    _assert_identical(generated, warehouse)


def test_a_correction_after_a_killed_run_is_detected_as_stale(generated, in_season_landing, tmp_path):
    """Killed right after its first build (before anything after it could record): nothing hides
    that a later correction makes the built dates stale."""
    warehouse = copy_to(generated, tmp_path)
    process = _backfill(warehouse, hook="after:dbt_phases_2_3_4=kill")
    process.communicate(timeout=600)
    assert process.returncode == -signal.SIGKILL
    assert _states(warehouse, 3, *KILL_RANGE) == {"complete"}
    day = KILL_RANGE[0] + timedelta(days=1)
    with connect(warehouse) as con:
        load_landing(corrected_landing(in_season_landing, tmp_path / "corrected", day), start=day, end=day, con=con)
        stale = [g.game_date for g in find_gaps(con) if (g.phase_to, g.kind) == (3, "stale")]
        (run,) = recent_runs(con, limit=1)
    assert stale and min(stale) == day
    assert run.effective_status == INTERRUPTED


def test_a_run_killed_from_outside_is_interrupted_and_its_rerun_changes_nothing(generated, tmp_path):
    """A real SIGKILL of the process group while the run is in its first build."""
    warehouse = copy_to(generated, tmp_path)
    process = _backfill(warehouse)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            step = query(warehouse, "select current_step from nba_orchestration.pipeline_runs where status = 'running'")
        except Exception:  # the run holds the file: look again
            continue
        if step and step[0][0]:
            break
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    with connect(warehouse) as con:
        (run,) = recent_runs(con, limit=1)
    assert run.effective_status == INTERRUPTED
    rerun = _backfill(warehouse)
    output, _ = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, output
    _assert_identical(generated, warehouse)
    with connect(warehouse) as con:
        assert find_gaps(con) == []


def load_correction_between_builds(point: str, warehouse: Warehouse) -> None:
    """The race: a corrected file lands while the backfill is between its two dbt builds
    (called in the backfill's process, through NBA_PIPELINE_TEST_HOOK)."""
    landing, day = Path(os.environ["NBA_TEST_CORRECTED_LANDING"]), date.fromisoformat(os.environ["NBA_TEST_DAY"])
    warehouse.load(landing, day, day)


def test_a_load_between_two_builds_leaves_stale_dates_that_heal_repairs(
    generated, in_season_landing, tmp_path, monkeypatch
):
    warehouse = copy_to(generated, tmp_path)
    day = KILL_RANGE[0] + timedelta(days=1)
    monkeypatch.setenv("NBA_TEST_CORRECTED_LANDING", str(corrected_landing(in_season_landing, tmp_path / "c", day)))
    monkeypatch.setenv("NBA_TEST_DAY", day.isoformat())
    monkeypatch.setenv(
        "NBA_PIPELINE_TEST_HOOK", "after:dbt_phases_2_3_4=call:test_freshness:load_correction_between_builds"
    )
    result = run_backfill(*KILL_RANGE, warehouse=warehouse)
    assert result.succeeded
    monkeypatch.delenv("NBA_PIPELINE_TEST_HOOK")
    with connect(warehouse) as con:
        stale = {(g.phase_to, g.game_date) for g in find_gaps(con) if g.kind == "stale"}
    assert {(3, d) for d in _season_dates_from(warehouse, "nba_analytics.player_game_summary", day)} <= stale
    report = heal(warehouse, today=GENERATED_TODAY, max_age_days=60)
    assert report.ok and report.remaining == []
    assert _stale(warehouse) == {}


def test_two_backfills_at_once_both_finish_and_equal_a_clean_build(generated, tmp_path):
    warehouse = copy_to(generated, tmp_path)
    first, second = _backfill(warehouse), _backfill(warehouse)
    outputs = [process.communicate(timeout=900)[0] for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert any("waiting for the warehouse: held by PID" in output for output in outputs), outputs
    _assert_identical(generated, warehouse)
    with connect(warehouse) as con:
        runs = recent_runs(con, limit=2)
        assert [run.effective_status for run in runs] == ["success", "success"]
        assert find_gaps(con) == []


# ---------------------------------------------------------------- smart skip


def test_smart_skip_skips_exactly_what_is_complete_fresh_and_verified(generated, in_season_landing, tmp_path):
    warehouse = copy_to(generated, tmp_path)
    start, end = KILL_RANGE
    scheduled = RunMode(backfill=False, strict=True, cascade=True, trigger="schedule", recent_days=100000)
    steps = pipeline_steps([PHASES_BY_NUMBER[n] for n in (3, 4, 5, 6)])

    def statuses(mode: RunMode) -> list[tuple[str, str | None]]:
        run = PipelineRun(warehouse, mode)
        with run.lock():
            run.begin(start, end)
            return [(o.status, o.skip_reason) for o in (run.execute_step(step, start, end) for step in steps)]

    assert statuses(scheduled) == [("skipped", "unchanged_inputs")] * len(steps)
    # a backfill never skips
    backfill = RunMode(backfill=True, strict=True, cascade=True, trigger="backfill")
    assert [status for status, _ in statuses(backfill)] == ["success"] * len(steps)
    # a correction: phase 3 (and what reads it) runs again
    day = start + timedelta(days=2)
    with connect(warehouse) as con:
        load_landing(corrected_landing(in_season_landing, tmp_path / "c", day), start=day, end=day, con=con)
    assert statuses(scheduled)[0] == ("success", None)
    # an open circuit skips before anything else
    from orchestration.monitoring.circuit_breaker import CircuitBreaker, processor_key

    with connect(warehouse) as con:
        breaker = CircuitBreaker(con, processor_key(3))
        for _ in range(5):
            breaker.record_failure("failing")
    assert statuses(scheduled)[0] == ("skipped", "circuit_open")
    assert (
        sql(
            warehouse,
            "select count(*) from nba_orchestration.pipeline_run_history where skip_reason = 'unchanged_inputs'",
        )[0][0]
        > 0
    )
