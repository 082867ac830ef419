"""Tables the trained-model system owns in nba_predictions (DuckDB DDL).

`ml_system_predictions` is declared once, as the dbt source Phase 5 reads
(dbt_project/models/staging/nba_predictions/_nba_predictions__sources.yml, its
columns and data types): this step creates it from that declaration, and so
does the dbt macro `ensure_ml_system_predictions` when the step never ran.
"""

from __future__ import annotations

import duckdb
import yaml

from orchestration.paths import DBT_PROJECT_DIR

SCHEMA = "nba_predictions"
PREDICTIONS_TABLE = f"{SCHEMA}.ml_system_predictions"
REGISTRY_TABLE = f"{SCHEMA}.ml_model_registry"
SOURCE_YAML = DBT_PROJECT_DIR / "models" / "staging" / "nba_predictions" / "_nba_predictions__sources.yml"


def predictions_columns() -> list[tuple[str, str]]:
    """(name, data type) of ml_system_predictions, as its dbt source declares them."""
    sources = yaml.safe_load(SOURCE_YAML.read_text())["sources"]
    table = next(table for source in sources if source["name"] == SCHEMA
                 for table in source["tables"] if table["name"] == "ml_system_predictions")
    return [(column["name"], column["data_type"]) for column in table["columns"]]


PREDICTIONS_DDL = (f"create table if not exists {PREDICTIONS_TABLE} ("
                   + ", ".join(f"{name} {data_type} not null" for name, data_type in predictions_columns()) + ")")

REGISTRY_DDL = f"""
    create table if not exists {REGISTRY_TABLE} (
        model_id varchar not null,            -- <system_id>_<season_year>
        system_id varchar not null,
        system_version varchar not null,
        season_year integer not null,         -- the season the model predicts
        status varchar not null,              -- trained | skipped | failed
        status_reason varchar,
        feature_version varchar not null,
        feature_count integer not null,
        training_seasons varchar,             -- e.g. '2019,2020,2021'
        training_start_date date,
        training_end_date date,
        training_rows integer not null,
        validation_strategy varchar,          -- what the metrics were measured on
        validation_rows integer,
        validation_mae decimal(18, 4),
        validation_baseline_mae decimal(18, 4),  -- moving_average on the same rows
        validation_rmse decimal(18, 4),
        random_seed integer not null,
        hyperparameters varchar not null,     -- JSON
        library_version varchar not null,
        data_fingerprint varchar,             -- sha256 of training rows, parameters, versions
        artifact_path varchar                 -- relative to the warehouse file's folder
    )"""


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(PREDICTIONS_DDL)
    con.execute(REGISTRY_DDL)
