"""Tables the trained-model system owns in nba_predictions: their DDL is in the schema module
(orchestration/warehouse/schema.py; `ml_system_predictions` from its dbt source declaration)."""

from __future__ import annotations

import duckdb

from orchestration.warehouse.schema import ML_TABLES

SCHEMA = "nba_predictions"
PREDICTIONS_TABLE = f"{SCHEMA}.ml_system_predictions"
REGISTRY_TABLE = f"{SCHEMA}.ml_model_registry"
PREDICTIONS_DDL = ML_TABLES["ml_system_predictions"]
REGISTRY_DDL = ML_TABLES["ml_model_registry"]


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(PREDICTIONS_DDL)
    con.execute(REGISTRY_DDL)
