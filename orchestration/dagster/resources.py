"""Resources: where the warehouse and the landing folder are, and the mode defaults.

dbt runs through the project's runner (orchestration/runner.py, dbt in process),
not through a dbt resource: one code path for Dagster and `nba-pipeline`.

The warehouse follows the target (NBA_PIPELINE_TARGET): the DuckDB file on dev,
the BigQuery project on prod, the same as every `nba-pipeline` command. It and the
landing folder are resolved when a run starts, not when definitions load: the run
process's settings win unless the resource is configured explicitly (run config
`resources: {pipeline: {config: {...}}}`; `duckdb_path` pins a DuckDB file).
"""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from orchestration.paths import landing_path
from orchestration.warehouse import DuckDBWarehouse, Warehouse, current_warehouse


class PipelineResource(ConfigurableResource):
    """The warehouse, the landing folder and the defaults of the run modes."""

    duckdb_path: str = Field(
        default="",
        description="A DuckDB file to use whatever the target; empty: the target's warehouse "
        "(NBA_PIPELINE_TARGET: prod = BigQuery, else NBA_PIPELINE_DUCKDB or warehouse/nba.duckdb)",
    )
    landing_dir: str = Field(default="", description="Landing folder; empty: NBA_PIPELINE_LANDING or landing/")
    strict: bool = Field(default=True, description="Strict mode: BLOCK dates whose upstream lookback window has gaps")
    cascade: bool = Field(default=True, description="Forward cascade: rebuild later dates of the season already built")
    backfill_mode: bool | None = Field(
        default=None, description="None: on for runs of a backfill (tag dagster/backfill); true/false forces it"
    )
    recent_days: int = Field(
        default=30,
        description="Normal mode: schedule/sensor runs whose dates are all older than this many days "
        "are skipped (the gap healer's age limit)",
    )

    def warehouse(self) -> Warehouse:
        return DuckDBWarehouse(Path(self.duckdb_path)) if self.duckdb_path else current_warehouse()

    def landing(self) -> Path:
        return Path(self.landing_dir).resolve() if self.landing_dir else landing_path()


def make_resources() -> dict:
    return {"pipeline": PipelineResource()}
