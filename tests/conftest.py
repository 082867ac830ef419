"""Shared fixtures: loaded warehouses built once per session, copied per test."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from orchestration.paths import DBT_PROJECT_DIR, real_data_path
from orchestration.settings import env_name

GENERATED_SEASONS = [2021, 2022]
GENERATED_SEED = 7
IN_SEASON_PLAYED_THROUGH = date(2021, 11, 20)


def pytest_configure(config) -> None:
    """Parallel workers (pytest-xdist, `python3 dev.py test`) keep their own dbt target folders: two workers
    building warehouses of the same name at once must not share dbt's parse state and logs. The processes a
    test starts inherit the setting."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        os.environ[env_name("dbt_target_dir")] = str(DBT_PROJECT_DIR / "target" / f"pytest-{worker}")


@pytest.fixture(scope="session")
def real_dir() -> Path:
    path = real_data_path()
    if not (path / "player_box").is_dir():
        pytest.skip(f"real data not found at {path} (set NBA_REAL_DATA_DIR)")
    return path


@pytest.fixture(scope="session")
def real_raw_warehouse(real_dir: Path, tmp_path_factory) -> Path:
    """The real playoff files loaded into nba_raw (nothing built)."""
    from orchestration.loading import load_landing
    from orchestration.warehouse import connect

    path = tmp_path_factory.mktemp("real") / "raw.duckdb"
    with connect(path) as con:
        load_landing(real_dir, con=con)
    return path


@pytest.fixture(scope="session")
def generated_landing(tmp_path_factory) -> Path:
    from orchestration.generator import generate_seasons

    out = tmp_path_factory.mktemp("landing") / "generated"
    generate_seasons(GENERATED_SEASONS, out, seed=GENERATED_SEED)
    return out


@pytest.fixture(scope="session")
def in_season_landing(tmp_path_factory) -> Path:
    """The generated 2021-22 season as it stood on IN_SEASON_PLAYED_THROUGH: the same games and box scores
    as `generated_landing` up to that date, the rest of the season's schedule published but not played."""
    from orchestration.generator import generate_seasons

    out = tmp_path_factory.mktemp("landing") / "in_season"
    generate_seasons(GENERATED_SEASONS[:1], out, seed=GENERATED_SEED, played_through=IN_SEASON_PLAYED_THROUGH)
    return out


@pytest.fixture(scope="session")
def generated_raw_warehouse(generated_landing: Path, tmp_path_factory) -> Path:
    """Two generated seasons loaded into nba_raw (nothing built)."""
    from orchestration.loading import load_landing
    from orchestration.warehouse import connect

    path = tmp_path_factory.mktemp("generated") / "raw.duckdb"
    with connect(path) as con:
        load_landing(generated_landing, con=con)
    return path


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server (Debian's postgresql-15, `python3 dev.py test` installs it) for
    Dagster's production instance: a fresh cluster in a temporary folder on a free port."""
    from orchestration.dagster.local_postgres import LocalPostgres, PostgresNotInstalled

    try:
        server = LocalPostgres.start()
    except PostgresNotInstalled as error:
        pytest.skip(str(error))
    with server:
        yield server


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """A local BigQuery emulator (orchestration/bigquery/emulator.py) on a free port, stopped by its PID."""
    from orchestration.bigquery.emulator import BigQueryEmulator

    emulator = BigQueryEmulator.start(timeout=60, log_dir=tmp_path_factory.mktemp("bq_emulator"))
    try:
        yield emulator
    finally:
        emulator.stop()
        assert emulator.process.poll() is not None, "the emulator outlived the tests"
