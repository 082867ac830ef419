"""nba-pipeline: NBA stats pipeline with backfill done right (dbt + Dagster + DuckDB)."""

__version__ = "0.1.0"
