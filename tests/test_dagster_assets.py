"""Dagster definitions through the Python API: one run per partition range over every phase,
no-game dates, the forward cascade, strict mode BLOCKED with its message, backfill mode's
alert digest, dbt gates as blocking asset checks, run history, and the definitions' shape."""

from __future__ import annotations

import shutil
from datetime import UTC, date, timedelta
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, materialize
from dagster._core.storage.partition_status_cache import AssetPartitionStatus
from support import query, real_landing_as_of

from orchestration.dagster.localrun import prepare_dagster_home, range_tags
from orchestration.dagster.partitions import GAME_DATE_PARTITIONS
from orchestration.dagster.resources import PipelineResource, make_resources

RANGE = (date(2022, 4, 16), date(2022, 4, 30))  # first round of the real 2022 playoffs; 04-30 has no games
PLAYER_BOX = AssetKey(["nba_raw", "nbac_player_boxscore"])
PLAYER_SUMMARY = AssetKey(["nba_analytics", "player_game_summary"])
GRADING = AssetKey(["nba_predictions", "prediction_accuracy"])
COVERAGE = AssetKey("pipeline_coverage")
MATERIALIZED, FAILED = AssetPartitionStatus.MATERIALIZED, AssetPartitionStatus.FAILED


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """A persistent instance configured by the project's dagster.yaml (pool of one)."""
    home = prepare_dagster_home(tmp_path_factory.mktemp("dagster_home"))
    patch = pytest.MonkeyPatch()
    patch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as dagster_instance:
        yield dagster_instance
    patch.undo()


@pytest.fixture(scope="module")
def definitions():
    from orchestration.definitions import defs

    return defs


def _assets(defs):
    return list(defs.assets)


def _resources(warehouse: Path, landing: Path):
    resources = make_resources()
    resources["pipeline"] = PipelineResource(duckdb_path=str(warehouse), landing_dir=str(landing))
    return resources


def _run(defs, instance, warehouse, landing, start, end, selection=None, tags=None, raise_on_error=True):
    return materialize(
        _assets(defs),
        selection=selection,
        instance=instance,
        resources=_resources(warehouse, landing),
        tags={**range_tags(start, end), **(tags or {})},
        raise_on_error=raise_on_error,
    )


def _partition_keys(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def _history(warehouse: Path, run_id: str) -> list[tuple]:
    return query(
        warehouse,
        """
        select asset, phase, game_date, status, skip_reason, rows_written, trigger, is_backfill, message
        from nba_orchestration.pipeline_run_history where run_id = ? order by phase, asset, game_date""",
        [run_id],
    )


def _failure_text(result) -> str:
    texts = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            data = event.step_failure_data
            texts.append(str(data.user_failure_data.description if data.user_failure_data else data.error))
    return "\n".join(texts)


@pytest.fixture(scope="module")
def landing(real_dir, tmp_path_factory) -> Path:
    """The real data as it stood at the end of RANGE (the later 2021-22 playoff games not played yet)."""
    return real_landing_as_of(real_dir, RANGE[1], tmp_path_factory.mktemp("landing") / "real")


@pytest.fixture(scope="module")
def built(definitions, instance, landing, tmp_path_factory):
    """The first round of the 2022 playoffs through every phase, as ONE run."""
    warehouse = tmp_path_factory.mktemp("api") / "range.duckdb"
    result = _run(definitions, instance, warehouse, landing, *RANGE)
    return warehouse, result


def test_one_run_materializes_the_range_through_every_phase(built, instance, definitions):
    warehouse, result = built
    assert result.success
    keys = {key for assets_def in definitions.assets for key in assets_def.keys}
    expected_partitions = set(_partition_keys(*RANGE))
    for key in keys:  # every asset, every partition of the range, in this one run
        assert instance.get_materialized_partitions(key) >= expected_partitions, key
    # the data: every phase holds rows only inside the range
    for table in (
        "nba_raw.nbac_player_boxscore",
        "nba_analytics.player_game_summary",
        "nba_precompute.ml_feature_store",
        "nba_predictions.player_prop_predictions",
        "nba_predictions.prediction_accuracy",
    ):
        count, first, last = query(warehouse, f"select count(*), min(game_date), max(game_date) from {table}")[0]
        assert count > 0 and first == RANGE[0] and last <= RANGE[1], table
    # dbt tests came back as asset checks, all evaluated and passing
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) >= 40
    assert all(evaluation.passed for evaluation in evaluations), [e.check_name for e in evaluations if not e.passed]
    # singular tests with several parents are checks too, on the model their dbt meta names
    checks = {(e.asset_key.to_user_string(), e.check_name) for e in evaluations}
    assert {
        ("nba_analytics/team_offense_game_summary", "assert_team_points_equal_player_points"),
        ("nba_precompute/ml_feature_store", "phase4_player_rows_match_context"),
        ("nba_predictions/player_prop_predictions", "phase5_every_player_game_has_each_system"),
        ("nba_predictions/system_daily_performance", "phase6_daily_performance_reconciles"),
    } <= checks


def test_a_range_run_plans_each_asset_once_and_resolves_every_check(built, instance, definitions):
    """The range is planned as one event per asset (not one per asset and date), the web UI's
    partition status still reads every date as materialized, and each check's execution record
    for the run is settled by its one range-wide evaluation (none left PLANNED)."""
    from dagster import DagsterEventType
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    _, result = built
    keys = {key for assets_def in definitions.assets for key in assets_def.keys}
    planned = instance.get_records_for_run(
        result.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    ).records
    assert sorted(record.event_log_entry.dagster_event.asset_key.to_user_string() for record in planned) == sorted(
        key.to_user_string() for key in keys
    )
    days = _partition_keys(*RANGE)
    for key in (PLAYER_BOX, PLAYER_SUMMARY, GRADING):
        assert set(instance.get_status_by_partition(key, days, GAME_DATE_PARTITIONS).values()) == {MATERIALIZED}, key
    check_keys = {check_key for assets_def in definitions.assets for check_key in assets_def.check_keys}
    assert len(check_keys) >= 40
    for check_key in check_keys:
        records = [
            record
            for record in instance.event_log_storage.get_asset_check_execution_history(check_key, limit=20)
            if record.run_id == result.run_id
        ]
        assert [(record.status, record.partition) for record in records] == [
            (AssetCheckExecutionRecordStatus.SUCCEEDED, None)
        ], check_key


def test_the_runs_plan_is_metadata_of_its_first_output_and_names_the_dates_it_built(built):
    """What `backfill --dry-run` would print is shown once per run, on the first dbt output; its dates per
    phase are the dates the run then wrote."""
    warehouse, result = built
    plans = {
        event.asset_key: event.materialization.metadata  # one event per partition of an output
        for event in result.get_asset_materialization_events()
        if "backfill_plan_json" in event.materialization.metadata
    }
    assert len(plans) == 1, list(plans)
    metadata = next(iter(plans.values()))
    assert "plan of this run" in metadata["backfill_plan"].value
    plan = metadata["backfill_plan_json"].value
    assert plan["requested"] == {"start": RANGE[0].isoformat(), "end": RANGE[1].isoformat()}
    for phase in plan["phases"]:  # no-game days are in a run's window too: they are recorded
        recorded = {
            row[0].isoformat()
            for row in query(
                warehouse,
                """
            select distinct game_date from nba_orchestration.pipeline_run_history
            where run_id = ? and phase = ? and status <> 'blocked'""",
                [result.run_id, phase["phase"]],
            )
        }
        assert set(phase["dates_to_build"]) == recorded, phase["phase"]
    built_days = {
        row[0].isoformat()
        for row in query(warehouse, "select distinct game_date from nba_analytics.player_game_summary")
    }
    assert built_days and built_days <= set(plan["phases"][0]["dates_to_build"])


def test_every_asset_partition_run_writes_run_history(built, definitions):
    warehouse, result = built
    rows = _history(warehouse, result.run_id)
    steps = {
        key
        for assets_def in definitions.assets
        if assets_def.node_def.name.startswith("step_")
        for key in assets_def.keys
    }
    keys = {".".join(key.path) for assets_def in definitions.assets for key in assets_def.keys if key not in steps} - {
        "pipeline_coverage"
    }
    keys |= {"trained_model"}  # a Python step is recorded under its name
    days = (RANGE[1] - RANGE[0]).days + 1
    assert {row[0] for row in rows} == keys
    assert len(rows) == len(keys) * days
    assert {row[3] for row in rows} == {"success"}
    assert {(row[6], row[7]) for row in rows} == {("manual", False)}
    # the date without games is an empty success; game dates count what they wrote
    no_games = {row[0]: row for row in rows if row[2] == date(2022, 4, 30)}
    assert {row[4] for row in no_games.values()} == {"no_games"}
    summary = [row for row in rows if row[0] == "nba_analytics.player_game_summary" and row[2] == date(2022, 4, 16)]
    assert (
        summary[0][5]
        == query(warehouse, "select count(*) from nba_analytics.player_game_summary where game_date = '2022-04-16'")[0][
            0
        ]
        > 0
    )
    phases = {row[0]: row[1] for row in rows}
    assert phases["nba_raw.nbac_schedule"] == 2 and phases["nba_predictions.prediction_accuracy"] == 6


def test_the_coverage_asset_shows_the_status_table_after_the_run(built, instance):
    """Coverage (schedule vs each phase's tables) is the last step of the run, its table in the metadata."""
    warehouse, result = built
    materialization = instance.get_latest_materialization_event(COVERAGE).asset_materialization
    metadata = materialization.metadata
    table = metadata["coverage"].value
    assert "2021-22" in table and "| season" in table.lower().replace("|season", "| season")
    # the playoffs' first round is loaded and built through every phase: nothing missing in the range's season
    scheduled = query(warehouse, "select count(distinct game_date) from nba_raw.nbac_schedule where game_status = 3")[
        0
    ][0]  # final games (the later ones are not played)
    built_dates = query(warehouse, "select count(distinct game_date) from nba_analytics.player_game_summary")[0][0]
    assert metadata["phase_3_dates_missing"].value == scheduled - built_dates
    assert metadata["phase_6_games_complete_pct"].value > 0
    assert metadata["open_gaps"].value >= 0


def test_a_date_without_games_is_an_empty_success(built, definitions, instance, landing):
    warehouse, _ = built
    result = _run(definitions, instance, warehouse, landing, date(2022, 5, 5), date(2022, 5, 5))
    assert result.success
    rows = _history(warehouse, result.run_id)
    assert rows and {(row[3], row[4]) for row in rows} == {("success", "no_games")}
    assert "no_games" in str(result.asset_materializations_for_node("dbt_phases_2_3_4")[0].metadata)
    assert "2022-05-05" in instance.get_materialized_partitions(GRADING)


def test_rebuilding_a_date_cascades_forward(built, definitions, instance, landing):
    """A rerun of 04-20 rebuilds the later dates of the season already built (same plan as the CLI)."""
    warehouse, _ = built
    before = query(
        warehouse, "select * exclude (build_id) from nba_analytics.upcoming_player_game_context order by all"
    )
    phase3_and_4 = [
        key
        for assets_def in definitions.assets
        for key in assets_def.keys
        if key.path[0] in {"nba_analytics", "nba_precompute", "nba_staging"}
    ]
    result = _run(
        definitions, instance, warehouse, landing, date(2022, 4, 20), date(2022, 4, 20), selection=phase3_and_4
    )
    assert result.success
    rows = _history(warehouse, result.run_id)
    dates = {row[2] for row in rows}
    assert min(dates) == date(2022, 4, 20) and max(dates) >= date(2022, 4, 29)
    assert all("forward cascade" in (row[8] or "") for row in rows if row[2] > date(2022, 4, 20))
    assert all(row[3] == "success" for row in rows)
    assert (
        query(warehouse, "select * exclude (build_id) from nba_analytics.upcoming_player_game_context order by all")
        == before
    )


@pytest.fixture
def gap_warehouse(built, tmp_path):
    """The built range with the player box of 2022-04-20 lost: a gap in every later lookback."""
    warehouse = tmp_path / "gap.duckdb"
    shutil.copyfile(built[0], warehouse)
    import duckdb

    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from nba_raw.nbac_player_boxscore where game_date = '2022-04-20'")
    return warehouse


def _phase3_selection(definitions):
    return [key for assets_def in definitions.assets for key in assets_def.keys if key.path[0] == "nba_analytics"]


def test_strict_mode_blocks_with_the_missing_dates_and_the_fix(gap_warehouse, definitions, instance, landing):
    result = _run(
        definitions,
        instance,
        gap_warehouse,
        landing,
        date(2022, 4, 25),
        date(2022, 4, 26),
        selection=_phase3_selection(definitions),
        raise_on_error=False,
    )
    assert not result.success
    message = _failure_text(result)
    assert "BLOCKED: phase 3" in message
    assert "2022-04-20" in message  # the missing date
    # the fix names the landing this warehouse was loaded from, and the warehouse (not the default file)
    assert (
        f"NBA_PIPELINE_DUCKDB={gap_warehouse} nba-pipeline load {landing} --start 2022-04-20 --end 2022-04-20"
        in message
    )
    assert (
        "dagster asset materialize -m orchestration.definitions --select '*' --partition-range 2022-04-20..." in message
    )
    rows = _history(gap_warehouse, result.run_id)
    blocked = {row[2] for row in rows if row[3] == "blocked"}
    assert {date(2022, 4, 25), date(2022, 4, 26)} <= blocked  # and the cascade's later dates
    assert all(row[3] in {"blocked", "skipped"} for row in rows)
    alerts = query(gap_warehouse, "select severity, delivery from nba_orchestration.alerts")
    assert alerts == [("critical", "immediate")]  # a blocked phase goes out at once
    # the web UI shows the run's dates of every selected asset as failed (planned once for the range)
    statuses = instance.get_status_by_partition(
        PLAYER_SUMMARY, ["2022-04-24", "2022-04-25", "2022-04-26"], GAME_DATE_PARTITIONS
    )
    assert statuses == {"2022-04-24": MATERIALIZED, "2022-04-25": FAILED, "2022-04-26": FAILED}
    # nothing was rebuilt from the incomplete window
    assert (
        query(gap_warehouse, "select count(*) from nba_analytics.player_game_summary where game_date = '2022-04-20'")[
            0
        ][0]
        > 0
    )


@pytest.fixture
def duplicate_warehouse(built, tmp_path):
    """The built range with one box score line of 2022-04-29 duplicated: dbt's uniqueness gate fails."""
    warehouse = tmp_path / "broken.duckdb"
    shutil.copyfile(built[0], warehouse)
    import duckdb

    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into nba_raw.nbac_player_boxscore select * from nba_raw.nbac_player_boxscore "
            "where game_date = '2022-04-29' limit 1"
        )
    return warehouse


def _built_assets(definitions):
    return [key for assets_def in definitions.assets for key in assets_def.keys if key.path[0] != "nba_raw"]


def test_backfill_mode_collects_alerts_into_one_digest(duplicate_warehouse, definitions, instance, landing):
    """Runs of one backfill keep their (non-critical) alerts for ONE digest, each distinct error once."""
    from orchestration.monitoring.alerts import send_digest
    from orchestration.warehouse import connect

    tags = {"dagster/backfill": "bf-test-1"}
    for _ in range(2):
        result = _run(
            definitions,
            instance,
            duplicate_warehouse,
            landing,
            date(2022, 4, 29),
            date(2022, 4, 29),
            selection=_built_assets(definitions),
            tags=tags,
            raise_on_error=False,
        )
        assert not result.success
        assert instance.get_run_by_id(result.run_id).tags.get("nba/pending_alerts") == "true"
        rows = _history(duplicate_warehouse, result.run_id)
        assert {(row[6], row[7]) for row in rows} == {("backfill", True)}
    pending = query(
        duplicate_warehouse, "select count(*) from nba_orchestration.alerts where delivery = 'pending_digest'"
    )[0][0]
    assert pending == 2
    with connect(duplicate_warehouse) as con:
        digest = send_digest(con, "bf-test-1")
        assert send_digest(con, "bf-test-1") is None  # once
    assert digest.total == 2 and len(digest.entries) == 1 and "failed" in digest.text()
    assert [entry.category for entry in digest.entries] == ["dbt_failure"]
    assert (
        query(duplicate_warehouse, "select count(*) from nba_orchestration.alerts where delivery = 'digest'")[0][0] == 1
    )
    assert (
        query(
            duplicate_warehouse,
            "select count(*) from nba_orchestration.alerts where delivery = 'pending_digest' and delivered_at is null",
        )[0][0]
        == 0
    )


def test_a_failing_error_gate_stops_downstream_assets(duplicate_warehouse, definitions, instance, landing):
    """A duplicated box score row fails dbt's uniqueness test: a failed blocking check, nothing downstream."""
    warehouse = duplicate_warehouse
    result = _run(
        definitions,
        instance,
        warehouse,
        landing,
        date(2022, 4, 29),
        date(2022, 4, 29),
        selection=_built_assets(definitions),
        raise_on_error=False,
    )
    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed and all(e.severity.value == "ERROR" for e in failed)
    # the check's record for this run and date is settled as failed (not left planned beside the evaluation)
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    records = [
        record
        for record in instance.event_log_storage.get_asset_check_execution_history(failed[0].asset_check_key, limit=20)
        if record.run_id == result.run_id
    ]
    assert [(record.status, record.partition) for record in records] == [
        (AssetCheckExecutionRecordStatus.FAILED, "2022-04-29")
    ]
    executed = {event.step_key for event in result.all_events if event.event_type_value == "STEP_START"}
    assert "dbt_phases_2_3_4" in executed
    assert "step_trained_model" not in executed and "dbt_phases_5_6" not in executed
    assert "dbt build 2022-04-29..2022-04-29 failed" in _failure_text(result)
    statuses = {row[3] for row in _history(warehouse, result.run_id)}
    assert "failed" in statuses or "skipped" in statuses


# -- the definitions themselves ------------------------------------------------------------------


def test_definitions_share_one_partitioning_single_run_policy_and_the_warehouse_pool(definitions):
    from orchestration.dagster.concurrency import WAREHOUSE_POOL
    from orchestration.dagster.partitions import GAME_DATE_PARTITIONS

    graph = definitions.resolve_asset_graph()
    for assets_def in definitions.assets:
        assert assets_def.partitions_def == GAME_DATE_PARTITIONS
        assert assets_def.backfill_policy.max_partitions_per_run is None  # single run
        assert assets_def.op.pool == WAREHOUSE_POOL
    assert GAME_DATE_PARTITIONS.start.date() <= date(2010, 10, 1)
    # the trained-model step sits between the two dbt stretches, generically from phases.py
    step = AssetKey(["nba_predictions", "ml_system_predictions"])
    assert AssetKey(["nba_precompute", "ml_feature_store"]) in graph.get(step).parent_keys
    # (its rows reach the union player_prop_predictions through the staging view and the system's model)
    staged = AssetKey(["nba_staging", "stg_nba_predictions__ml_system_predictions"])
    assert step in graph.get(staged).parent_keys
    assert (
        staged in graph.get(AssetKey(["nba_predictions", "player_prop_predictions_gradient_boosting_v1"])).parent_keys
    )
    # dbt sources nba_raw.* are the raw assets
    assert PLAYER_BOX in graph.get(AssetKey(["nba_staging", "stg_nba_raw__player_boxscores"])).parent_keys
    # dbt error-severity tests are blocking asset checks
    checks = [spec for assets_def in definitions.assets for spec in assets_def.check_specs]
    assert sum(1 for spec in checks if spec.blocking) >= 40


def test_chunked_backfill_policy_from_the_environment(monkeypatch):
    from orchestration.dagster.partitions import make_backfill_policy

    monkeypatch.setenv("NBA_PIPELINE_BACKFILL_CHUNK_DAYS", "30")
    assert make_backfill_policy().max_partitions_per_run == 30
    monkeypatch.setenv("NBA_PIPELINE_BACKFILL_CHUNK_DAYS", "")
    assert make_backfill_policy().max_partitions_per_run is None


def test_modes_follow_the_run_tags():
    from orchestration.run_modes import resolve_mode

    manual = resolve_mode({})
    assert (manual.backfill, manual.strict, manual.trigger) == (False, True, "manual")
    backfill = resolve_mode({"dagster/backfill": "abc"})
    assert (backfill.backfill, backfill.trigger, backfill.backfill_id) == (True, "backfill", "abc")
    assert resolve_mode({"dagster/schedule_name": "daily"}).trigger == "schedule"
    assert resolve_mode({"nba/strict": "false"}).strict is False
    assert resolve_mode({"nba/mode": "backfill"}).backfill is True
    sensor = resolve_mode({"dagster/sensor_name": "s"})
    assert sensor.skips_as_historical(date(2022, 1, 1), today=date(2024, 1, 1))
    assert not backfill.skips_as_historical(date(2022, 1, 1), today=date(2024, 1, 1))
    assert not manual.skips_as_historical(date(2022, 1, 1), today=date(2024, 1, 1))
    healing = resolve_mode({"dagster/sensor_name": "gap_healing_sensor", "nba/heal": "2->3", "nba/mode": "normal"})
    assert (healing.trigger, healing.backfill, healing.healing) == ("sensor", False, True)
    assert not healing.skips_as_historical(date(2022, 1, 1), today=date(2024, 1, 1))  # the healer chose the dates


def test_daily_schedule_is_stopped_and_covers_yesterday_and_today(definitions):
    from dagster import DefaultScheduleStatus, build_schedule_context

    from orchestration.dagster.schedules import daily_pipeline_schedule

    assert daily_pipeline_schedule.default_status == DefaultScheduleStatus.STOPPED
    from datetime import datetime

    context = build_schedule_context(scheduled_execution_time=datetime(2024, 3, 2, 15, 0, tzinfo=UTC))
    request = daily_pipeline_schedule.evaluate_tick(context).run_requests[0]
    assert request.tags["dagster/asset_partition_range_start"] == "2024-03-01"
    assert request.tags["dagster/asset_partition_range_end"] == "2024-03-02"
    job = definitions.resolve_job_def("daily_pipeline")
    assert len(job.asset_layer.selected_asset_keys) == sum(len(a.keys) for a in definitions.assets)
    sensors = {sensor.name: sensor for sensor in definitions.sensors}
    assert sensors["gap_healing_sensor"].default_status.value == "STOPPED"
    assert sensors["backfill_alert_digest"].default_status.value == "RUNNING"


def test_the_manifest_is_parsed_when_missing(tmp_path):
    """A fresh checkout has no dbt_project/target: loading the definitions parses it."""
    from dagster_dbt import DbtProject

    from orchestration.dagster.dbt_project import ensure_manifest
    from orchestration.paths import PROJECT_ROOT

    for folder in ("dbt_project", "macros", "seeds"):
        shutil.copytree(
            PROJECT_ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
        )
    project = DbtProject(project_dir=tmp_path / "dbt_project", profiles_dir=tmp_path / "dbt_project")
    assert not Path(project.manifest_path).exists()
    manifest = ensure_manifest(project)
    assert manifest.exists()
    stamp = manifest.stat().st_mtime_ns
    assert ensure_manifest(project).stat().st_mtime_ns == stamp  # current: not parsed again
    (tmp_path / "dbt_project" / "models" / "analytics" / "_analytics__models.yml").touch()
    with open(tmp_path / "dbt_project" / "models" / "analytics" / "_analytics__models.yml", "a") as handle:
        handle.write("\n# edited\n")
    assert ensure_manifest(project).stat().st_mtime_ns != stamp  # edited: parsed again


def test_gap_healing_sensor_of_the_definitions_heals_through_a_real_run(
    built, definitions, instance, landing, tmp_path
):
    """A hole in Phase 3 (rows deleted by hand, no event fired): the sensor built like the one in
    the definitions finds it, requests one range run over phases 3-6 with the forward cascade, and
    that run, executed on the real assets, makes every table equal to the intact warehouse again."""
    from dagster import build_sensor_context
    from test_dagster_cli import differences

    from orchestration.dagster.monitoring_assets import build_gap_healing_sensor
    from orchestration.definitions import assets_of_phases
    from orchestration.monitoring.gaps import open_gaps, scan_gaps
    from orchestration.warehouse import connect

    intact, _ = built
    warehouse = tmp_path / "holed.duckdb"
    shutil.copyfile(intact, warehouse)
    hole = date(2022, 4, 20)
    with connect(warehouse) as con:
        con.execute("delete from nba_analytics.player_game_summary where game_date = ?", [hole])

    # the data of 2022 is years old: this sensor's age limit is raised so it heals instead of alerting
    sensor = build_gap_healing_sensor(assets_of_phases, name="test_heal", warehouse=warehouse, max_age_days=100_000)
    context = build_sensor_context(instance=instance, repository_def=definitions.get_repository_def())
    (request,) = sensor.evaluate_tick(context).run_requests
    assert request.tags["dagster/asset_partition_range_start"] == hole.isoformat()
    last_game_date = query(intact, "select max(game_date) from nba_analytics.player_game_summary")[0][0]
    assert request.tags["dagster/asset_partition_range_end"] == last_game_date.isoformat()  # forward cascade
    assert PLAYER_SUMMARY in request.asset_selection and PLAYER_BOX not in request.asset_selection

    result = materialize(
        _assets(definitions),
        selection=request.asset_selection,
        instance=instance,
        resources=_resources(warehouse, landing),
        tags=request.tags,
    )
    assert result.success
    with connect(warehouse) as con:
        scan_gaps(con)
        assert open_gaps(con) == []
    assert differences(intact, warehouse) == []
    assert (
        sensor.evaluate_tick(
            build_sensor_context(instance=instance, repository_def=definitions.get_repository_def())
        ).run_requests
        == []
    )  # healing again: nothing
