"""Where things live: the project, the warehouse file, the landing folder, the real data
(their variables and defaults: orchestration/settings.py)."""

from __future__ import annotations

from pathlib import Path

from orchestration.settings import PROJECT_ROOT, Settings, settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEFAULT_WAREHOUSE = PROJECT_ROOT / Settings.model_fields["duckdb"].default


def warehouse_path() -> Path:
    """The DuckDB file (`NBA_PIPELINE_DUCKDB`), absolute."""
    return settings().warehouse


def landing_path() -> Path:
    """The landing folder Dagster's Phase 2 assets read (`NBA_PIPELINE_LANDING`), absolute."""
    path = settings().landing
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def real_data_path() -> Path:
    """The real NBA files, read where they lie (`NBA_REAL_DATA_DIR`)."""
    return settings().real_data_dir.resolve()
