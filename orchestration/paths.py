"""Where things live: the project, the warehouse file, the landing folder, the real data."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" / "nba.duckdb"


def warehouse_path() -> Path:
    """The DuckDB file: `NBA_PIPELINE_DUCKDB`, default `warehouse/nba.duckdb`; a relative path is under the
    project root, wherever a command runs (the dbt profile's default resolves to the same file)."""
    configured = os.environ.get("NBA_PIPELINE_DUCKDB")
    path = Path(configured) if configured else DEFAULT_WAREHOUSE
    return path if path.is_absolute() else (PROJECT_ROOT / path).resolve()


def landing_path() -> Path:
    """The landing folder Dagster's Phase 2 assets read: `NBA_PIPELINE_LANDING`, default `landing/`."""
    configured = os.environ.get("NBA_PIPELINE_LANDING")
    path = Path(configured) if configured else PROJECT_ROOT / "landing"
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def real_data_path() -> Path:
    """The real NBA files, read where they lie: `NBA_REAL_DATA_DIR`, default `../shared/data/real`."""
    configured = os.environ.get("NBA_REAL_DATA_DIR")
    return Path(configured).resolve() if configured else (PROJECT_ROOT.parent / "shared" / "data" / "real").resolve()
