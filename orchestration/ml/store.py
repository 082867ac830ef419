"""Tables the trained-model system owns in nba_predictions (DuckDB DDL).

`ml_system_predictions` is also created (empty) by the dbt macro
`ensure_ml_system_predictions` before Phase 5 reads it as a source; the two
column lists are kept equal (tests/test_phase4_6.py checks it).
"""

from __future__ import annotations

import duckdb

SCHEMA = "nba_predictions"
PREDICTIONS_TABLE = f"{SCHEMA}.ml_system_predictions"
REGISTRY_TABLE = f"{SCHEMA}.ml_model_registry"

PREDICTIONS_DDL = f"""
    create table if not exists {PREDICTIONS_TABLE} (
        game_id varchar not null,
        game_date date not null,
        season_year integer not null,
        player_id bigint not null,
        system_id varchar not null,
        system_version varchar not null,
        model_id varchar not null,
        predicted_points decimal(18, 2) not null
    )"""

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
