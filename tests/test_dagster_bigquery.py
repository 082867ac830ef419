"""Dagster on the prod target: the definitions follow NBA_PIPELINE_TARGET, as every `nba-pipeline` command does.

One real `dagster asset materialize --select '*' --partition-range D...D` with NBA_PIPELINE_TARGET=prod against
the BigQuery emulator: the Phase 2 asset loads the real playoff files into BigQuery, the dbt assets and the
Python step assets build there, the coverage asset reads it, the run is recorded there, and the instance shows
the date materialized. Then a hole made on BigQuery: the gap-healing sensor asks for a run that fills it
(from that date on: the schedule's later dates, never loaded, are gaps too),
and the warehouse-sync sensor takes the date back from the assets that no longer hold it. No DuckDB file
anywhere. (A file of its own, so that pytest-xdist runs it beside the other emulator scenarios.)
"""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

pytestmark = pytest.mark.bigquery

PROJECT = "dagster-on-bigquery"
DAY = date(2023, 4, 15)  # the first date of the 2022-23 playoffs: a season's first date, nothing upstream


def test_a_dagster_range_run_builds_on_bigquery_and_dagster_shows_it(emulator, real_dir, tmp_path):
    from dagster import AssetKey, DagsterInstance, build_sensor_context

    from orchestration.bigquery import BigQuerySettings
    from orchestration.completeness import coverage_by_date
    from orchestration.dagster.localrun import materialize_command, pipeline_env, prepare_dagster_home
    from orchestration.paths import PROJECT_ROOT
    from orchestration.phases import PHASES_BY_NUMBER
    from orchestration.warehouse.bigquery import BigQueryWarehouse

    home = prepare_dagster_home(tmp_path / "dagster_home")
    duck_file = tmp_path / "untouched.duckdb"
    target = {**emulator.env(), "NBA_BQ_PROJECT": PROJECT, "NBA_BQ_EXECUTION_PROJECT": PROJECT}
    env = pipeline_env(home, duck_file, real_dir, **target, NBA_PIPELINE_MODEL_STORE=str(tmp_path / "models"))
    run = subprocess.run(
        materialize_command(DAY, DAY), env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-8000:]

    with pytest.MonkeyPatch.context() as patch:
        for name, value in target.items():
            patch.setenv(name, value)
        patch.setenv("NBA_PIPELINE_DUCKDB", str(duck_file))
        patch.setenv("DAGSTER_HOME", str(home))
        warehouse = BigQueryWarehouse(PROJECT, client=BigQuerySettings.from_env().client())
        db = warehouse.session()

        # BigQuery holds the date in every phase, built and recorded by the Dagster run
        cells = {cell.phase: cell for cell in coverage_by_date(db) if cell.game_date == DAY}
        assert sorted(cells) == [2, 3, 4, 5, 6] and all(cell.is_complete for cell in cells.values()), cells
        runs = db.execute("select runner, status from nba_orchestration.pipeline_runs").fetchall()
        assert runs == [("dagster", "success")], runs

        # the instance shows what BigQuery holds: every partitioned asset materialized on the date
        instance = DagsterInstance.get()
        from orchestration.dagster.warehouse_sync import keys_by_phase
        from orchestration.definitions import LAYOUT, defs

        keys = keys_by_phase(LAYOUT)
        phase3 = keys[3]
        for phase, phase_keys in keys.items():
            for key in phase_keys:
                assert DAY.isoformat() in instance.get_materialized_partitions(key), (phase, key)
        coverage = instance.get_latest_materialization_event(AssetKey("pipeline_coverage"))
        metadata = coverage.asset_materialization.metadata
        percents = {number: metadata[f"phase_{number}_games_complete_pct"].value for number in range(2, 7)}
        assert percents[2] > 0 and set(percents.values()) == {percents[2]}, percents  # the loaded date, in every phase

        # a hole on BigQuery: the healing sensor asks for a run over it that rebuilds Phase 3 ...
        for table in PHASES_BY_NUMBER[3].completeness_tables:
            db.execute(f"delete from {table} where game_date = ?", [DAY])
        from orchestration.dagster.monitoring_assets import build_gap_healing_sensor
        from orchestration.definitions import assets_of_phases

        repository = defs.get_repository_def()
        healer = build_gap_healing_sensor(assets_of_phases, name="heal_bigquery", max_age_days=100_000)
        (request,) = healer.evaluate_tick(
            build_sensor_context(instance=instance, repository_def=repository)
        ).run_requests
        assert request.tags["dagster/asset_partition_range_start"] == DAY.isoformat()
        assert set(phase3) <= set(request.asset_selection), request.asset_selection

        # ... and the sync sensor takes the date back from the assets that no longer hold it
        syncer = repository.get_sensor_def("warehouse_sync_sensor")
        syncer.evaluate_tick(build_sensor_context(instance=instance, repository_def=repository))
        for key in phase3:
            assert DAY.isoformat() not in instance.get_materialized_partitions(key), key
        assert all(DAY.isoformat() in instance.get_materialized_partitions(key) for key in keys[2])

    assert not duck_file.exists() and not list(Path(tmp_path).rglob("*.duckdb*")), "a prod run created a DuckDB file"
