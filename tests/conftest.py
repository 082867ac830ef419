"""Shared fixtures: loaded warehouses built once per test run, copied per test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from filelock import FileLock

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


def _run_folder(tmp_path_factory) -> Path:
    """The temporary folder of this test run: with pytest-xdist, the parent of the workers' own folders
    (`popen-gw0`...), which every worker of the run sees."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None], *, copy: bool = True) -> Path:
    """The folder `build(folder)` filled, built once per test run whatever the number of xdist workers: the
    first worker to ask builds it under a file lock, the others wait for it instead of building it again.
    With `copy`, each worker gets its own copy of the folder (two processes must not open one DuckDB file
    read-write); without it (landing files, only read), the one folder, so every warehouse records the same
    landing path. A build that failed half-way is started again by the next worker that asks."""
    shared = _run_folder(tmp_path_factory) / "built_once" / name
    complete = shared / ".complete"
    with FileLock(f"{shared}.lock"):
        if not complete.exists():
            shutil.rmtree(shared, ignore_errors=True)
            shared.mkdir(parents=True)
            build(shared)
            complete.touch()
    if not copy:
        return shared
    own = tmp_path_factory.mktemp(name)
    shutil.copytree(shared, own, dirs_exist_ok=True)
    return own


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

    def load(folder: Path) -> None:
        with connect(folder / "raw.duckdb") as con:
            load_landing(real_dir, con=con)

    return built_once(tmp_path_factory, "real", load) / "raw.duckdb"


@pytest.fixture(scope="session")
def generated_landing(tmp_path_factory) -> Path:
    from orchestration.generator import generate_seasons

    def generate(folder: Path) -> None:
        generate_seasons(GENERATED_SEASONS, folder / "generated", seed=GENERATED_SEED)

    return built_once(tmp_path_factory, "landing_generated", generate, copy=False) / "generated"


@pytest.fixture(scope="session")
def in_season_landing(tmp_path_factory) -> Path:
    """The generated 2021-22 season as it stood on IN_SEASON_PLAYED_THROUGH: the same games and box scores
    as `generated_landing` up to that date, the rest of the season's schedule published but not played."""
    from orchestration.generator import generate_seasons

    def generate(folder: Path) -> None:
        generate_seasons(
            GENERATED_SEASONS[:1], folder / "in_season", seed=GENERATED_SEED, played_through=IN_SEASON_PLAYED_THROUGH
        )

    return built_once(tmp_path_factory, "landing_in_season", generate, copy=False) / "in_season"


@pytest.fixture(scope="session")
def generated_raw_warehouse(generated_landing: Path, tmp_path_factory) -> Path:
    """Two generated seasons loaded into nba_raw (nothing built)."""
    from orchestration.loading import load_landing
    from orchestration.warehouse import connect

    def load(folder: Path) -> None:
        with connect(folder / "raw.duckdb") as con:
            load_landing(generated_landing, con=con)

    return built_once(tmp_path_factory, "generated", load) / "raw.duckdb"


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server (Debian's postgresql-15, `python3 dev.py test` installs it) for
    Dagster's production instance: a fresh cluster in a temporary folder on a free port."""
    from orchestration.dagster.local_postgres import LocalPostgres, PostgresNotInstalled

    try:
        server = LocalPostgres.start(settings=TEST_POSTGRES_SETTINGS)
    except PostgresNotInstalled as error:
        pytest.skip(str(error))
    with server:
        yield server


# The tests' throwaway cluster commits without waiting for its WAL flush: Dagster's stock PostgreSQL storage
# commits every event on its own (a connection each), and 300 such commits took 3.1 s waiting, 2.2 s not. A
# crash could lose the last commits, never corrupt the cluster, and the cluster is removed at exit; the bench's
# cluster keeps the default.
TEST_POSTGRES_SETTINGS = {"synchronous_commit": "off"}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """A local BigQuery emulator (orchestration/bigquery/emulator.py) on a free port, stopped by its PID."""
    from orchestration.bigquery.emulator import BigQueryEmulator, ensure_emulator_venv

    # on a fresh checkout, workers starting their emulators at once would each install its venv at once
    with FileLock(_run_folder(tmp_path_factory) / "bq_emulator_venv.lock"):
        ensure_emulator_venv()
    emulator = BigQueryEmulator.start(timeout=60, log_dir=tmp_path_factory.mktemp("bq_emulator"))
    try:
        yield emulator
    finally:
        emulator.stop()
        assert emulator.process.poll() is not None, "the emulator outlived the tests"
