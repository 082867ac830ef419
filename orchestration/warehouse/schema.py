"""Every table the pipeline writes outside dbt: one schema module, in DuckDB's dialect.

dbt owns every schema from `nba_staging` on; Python owns
- `nba_raw`: the landing tables the loader writes;
- `nba_orchestration`: what the pipeline records about its own data and runs (content versions,
  runs, steps, gaps, alerts, circuit breakers);
- the trained model's tables in `nba_predictions` (`ml_system_predictions`, `ml_model_registry`).

The DDL is written once, here, for DuckDB. The BigQuery implementation derives its tables from the
same statements (orchestration/warehouse/bigquery_tables.py: columns and types read back from a
scratch DuckDB catalog, partitioned by day on game_date where `PARTITIONED` says so, clustered per
`CLUSTER_BY`). The nba_orchestration tables dbt writes, `build_verifications` and
`date_freshness_definition` (the md5 of the view's statement), and the view `date_freshness` are dbt's
(macros/freshness.sql: its on-run-end hook creates and writes them on either adapter); Python only reads the
view.
"""

from __future__ import annotations

import yaml

from orchestration.paths import DBT_PROJECT_DIR

RAW_SCHEMA = "nba_raw"
ORCHESTRATION_SCHEMA = "nba_orchestration"

# The counting stats of a box score row (player or team) and where the row came from.
_BOX_STATS_AND_LINEAGE = """fgm integer not null, fga integer not null,
            fg3m integer not null, fg3a integer not null,
            ftm integer not null, fta integer not null,
            oreb integer not null, dreb integer not null, reb integer not null,
            ast integer not null, stl integer not null, blk integer not null,
            tov integer not null, pf integer not null,
            points integer not null,
            plus_minus integer not null,
            source_file varchar not null,
            source_line integer not null,
            loaded_at timestamp not null"""

# One statement per table. Box score stat columns are integers; minutes are kept
# exactly as seconds (the source's M:SS) plus a decimal minutes column.
RAW_TABLES: dict[str, str] = {
    "nbac_schedule": """
        create table if not exists nba_raw.nbac_schedule (
            game_id varchar not null,          -- 10-char NBA game id
            game_date date not null,           -- US-Eastern game date
            season_year integer not null,      -- start year: 2021 for 2021-22
            season_type varchar not null,      -- Regular Season | PlayIn | Playoffs
            home_team_id bigint,
            home_team_abbr varchar not null,
            away_team_id bigint,
            away_team_abbr varchar not null,
            game_status integer not null,      -- 3 = final, 1 = scheduled
            home_points integer,
            away_points integer,
            source_file varchar not null,
            source_line integer not null,
            loaded_at timestamp not null
        )""",
    "nbac_player_boxscore": f"""
        create table if not exists nba_raw.nbac_player_boxscore (
            game_id varchar not null,          -- zero-padded to 10 chars
            game_date date not null,
            season_year integer not null,
            team_id bigint not null,
            team_abbr varchar not null,
            player_id bigint not null,
            player_name varchar not null,
            position varchar,                  -- G/F/C for starters only
            is_starter boolean not null,
            comment varchar,                   -- e.g. DNP - Coach's Decision
            is_dnp boolean not null,
            seconds_played integer not null,   -- from M:SS; 0 for DNP
            minutes decimal(9, 4) not null,    -- seconds_played / 60
            {_BOX_STATS_AND_LINEAGE}
        )""",
    "nbac_team_boxscore": f"""
        create table if not exists nba_raw.nbac_team_boxscore (
            game_id varchar not null,
            game_date date not null,
            season_year integer not null,
            team_id bigint not null,
            team_abbr varchar not null,
            team_name varchar,
            matchup varchar not null,          -- "BOS vs. MIA" (home) / "MIA @ BOS" (away)
            is_home boolean not null,
            opponent_team_abbr varchar not null,
            wl varchar,
            game_minutes decimal(6, 2) not null,  -- 48.0 regulation, 53.0 one OT ...
            {_BOX_STATS_AND_LINEAGE}
        )""",
    "odds_api_player_points_props": """
        create table if not exists nba_raw.odds_api_player_points_props (
            game_id varchar not null,
            game_date date not null,
            player_id bigint not null,
            player_name varchar not null,
            team_abbr varchar,
            bookmaker varchar not null,
            points_line decimal(5, 1) not null,
            over_price integer,
            under_price integer,
            source_file varchar not null,
            source_line integer not null,
            loaded_at timestamp not null
        )""",
    "player_registry": """
        create table if not exists nba_raw.player_registry (
            player_id bigint not null primary key,
            player_name varchar not null,
            is_active boolean,
            source varchar not null            -- nba_api | landing reference file
        )""",
    "team_registry": """
        create table if not exists nba_raw.team_registry (
            team_id bigint not null primary key,
            team_abbr varchar not null,
            team_name varchar not null,
            source varchar not null
        )""",
    "unresolved_players": """
        create table if not exists nba_raw.unresolved_players (
            player_id bigint not null,
            player_name varchar,
            team_abbr varchar,
            game_id varchar not null,
            game_date date not null,
            source_file varchar not null,
            source_line integer not null,
            detected_at timestamp not null
        )""",
    "load_quarantine": """
        create table if not exists nba_raw.load_quarantine (
            target_table varchar not null,
            source_file varchar not null,
            line_number integer not null,      -- 1-based line in the file, header = line 1
            rule varchar not null,
            raw_text varchar not null,
            game_date date,                    -- when it could be parsed
            quarantined_at timestamp not null
        )""",
    # Which dataset(s) the warehouse holds, written in the load's transaction (orchestration/loading/dataset.py).
    "landing_datasets": """
        create table if not exists nba_raw.landing_datasets (
            dataset_id varchar not null primary key,  -- e.g. generated:seed-42:from-2021-22
            kind varchar not null,             -- real | generated (mixed | unknown only with --allow-other-dataset)
            description varchar not null,
            segments varchar not null,         -- comma list of regular_season, play_in, playoffs the dataset holds
            evidence varchar not null,         -- how it was recognised: dataset.json, PROVENANCE.md, player ids ...
            identified boolean not null,       -- false: only the kind is known (loose files)
            first_loaded_at timestamp not null,
            loaded_at timestamp not null
        )""",
    "landing_folders": """
        create table if not exists nba_raw.landing_folders (
            landing_dir varchar not null,      -- absolute path of a folder loaded into the warehouse
            dataset_id varchar not null,
            file_game_date date not null,      -- a game date its files hold (all of them, not only the range loaded)
            loaded_at timestamp not null,
            primary key (landing_dir, file_game_date)
        )""",
}

# Tables holding one date's rows, replaced per game_date by the loader.
DATED_RAW_TABLES = ("nbac_schedule", "nbac_player_boxscore", "nbac_team_boxscore", "odds_api_player_points_props")

# What the pipeline records about its own data, beside it (see orchestration/source_versions.py).
ORCHESTRATION_TABLES: dict[str, str] = {
    "source_date_versions": """
        create table if not exists nba_orchestration.source_date_versions (
            source_table varchar not null,     -- schema.table written outside dbt (nba_raw.*, ml predictions)
            game_date date not null,
            row_count bigint not null,
            content_version varchar not null,  -- md5 of the date's rows; 'empty' for a date without rows
            written_at timestamp not null      -- when this version was written (not part of the version)
        )""",
    "pipeline_runs": """
        create table if not exists nba_orchestration.pipeline_runs (
            run_id varchar not null,           -- a CLI run's id, or the Dagster run id
            runner varchar not null,           -- cli | dagster
            command varchar not null,          -- what started it (the command line, the Dagster job)
            trigger varchar not null,          -- manual | backfill | schedule | sensor | heal
            is_backfill boolean not null,
            requested_start date,
            requested_end date,
            status varchar not null,           -- running | success | partial | failed | blocked | nothing_to_do
            message varchar,
            steps_done integer not null,
            current_step varchar,              -- the step running now (or last run)
            pid integer not null,              -- the process running it: a dead one means interrupted
            pid_start varchar,
            host varchar not null,
            started_at timestamp not null,
            updated_at timestamp not null,
            finished_at timestamp
        )""",
    "pipeline_run_history": """
        create table if not exists nba_orchestration.pipeline_run_history (
            run_id varchar not null,
            asset varchar not null,            -- the table (schema.table) or phase the row is about
            phase integer not null,
            game_date date not null,
            status varchar not null,           -- success | failed | skipped | blocked
            skip_reason varchar,               -- no_games | circuit_open | unchanged_inputs | upstream_failed ...
            rows_written bigint,
            started_at timestamp not null,
            finished_at timestamp not null,
            duration_seconds double not null,
            is_backfill boolean not null,
            trigger varchar not null,          -- schedule | backfill | sensor | manual | heal
            message varchar
        )""",
    # Per executed step (orchestration/step_history.py): what the duration estimate and `report patterns` fit on.
    "pipeline_step_runs": """
        create table if not exists nba_orchestration.pipeline_step_runs (
            run_id varchar not null,
            step varchar not null,             -- load | dbt_phases_2_3_4 | trained_model | dbt_phases_5_6 ...
            phases varchar not null,           -- the phases it built, comma list: 3,4
            window_start date not null,
            window_end date not null,
            game_dates integer not null,       -- dates with a scheduled game in the window
            status varchar not null,           -- success | failed | skipped
            skip_reason varchar,
            started_at timestamp not null,     -- = pipeline_run_history.started_at of the step's rows
            duration_seconds double not null
        )""",
    # dbt's own execution time per node of each dbt step (DbtBuildResult.nodes).
    "dbt_node_timings": """
        create table if not exists nba_orchestration.dbt_node_timings (
            run_id varchar not null,
            step varchar not null,
            started_at timestamp not null,     -- the step's (pipeline_step_runs.started_at)
            unique_id varchar not null,        -- model.nba_pipeline.player_game_summary, test....
            resource_type varchar not null,    -- model | test | seed ...
            relation varchar,                  -- schema.table of a model
            phase integer,                     -- the node's phase_<n> tag
            status varchar not null,           -- dbt's: success | error | skipped | pass | fail ...
            execution_seconds double not null
        )""",
    # The input version each dated table was built from on each date (the rows' input_version), per run:
    # two builds of a date from the same version are duplicate processing.
    "date_build_inputs": """
        create table if not exists nba_orchestration.date_build_inputs (
            run_id varchar not null,
            relation varchar not null,         -- schema.table
            phase integer not null,
            game_date date not null,
            input_version varchar,             -- null when freshness is not recorded (NBA_RECORD_FRESHNESS=false)
            build_id varchar,
            recorded_at timestamp not null
        )""",
    # Gaps between phases found in the data (orchestration/monitoring/gaps.py).
    "data_gaps": """
        create table if not exists nba_orchestration.data_gaps (
            gap_id varchar not null,
            detected_at timestamp not null,
            phase_from integer not null,      -- 1 = the schedule (landing files), else the upstream phase
            phase_to integer not null,
            game_date date not null,
            gap_kind varchar not null,        -- missing | stale | unverified
            gap_age_days integer not null,    -- days from game_date to the day of the latest scan
            healing_status varchar not null,  -- pending | triggered | complete | failed | ignored
            healed_at timestamp,
            last_seen_at timestamp not null,
            heal_run_id varchar,              -- the heal run (or Dagster run key) launched for it
            triggered_at timestamp,
            alerted_at timestamp,             -- when an alert said the gap is too old to heal
            detail varchar
        )""",
    # Alerts (orchestration/monitoring/alerts.py).
    "alerts": """
        create table if not exists nba_orchestration.alerts (
            alert_id varchar not null,
            created_at timestamp not null,
            severity varchar not null,          -- info | warning | error | critical
            source varchar not null,            -- what raised it: an asset, a step, healer, circuit_breaker ...
            start_date date,
            end_date date,
            message varchar not null,
            run_id varchar,
            backfill_id varchar,                -- set when raised inside a backfill
            delivery varchar not null,          -- immediate | pending_digest | digest (the digest's own row)
            digest_id varchar,                  -- the digest that delivered it (or: this row is that digest)
            delivered_at timestamp
        )""",
    # What the alerter adds per alert (an alert without a row here falls in the category named by its source).
    "alert_details": """
        create table if not exists nba_orchestration.alert_details (
            alert_id varchar not null,
            category varchar not null,          -- dbt_failure, phase_blocked, circuit_open, gap_too_old, heal_failed ...
            context varchar,                    -- JSON
            webhook_status varchar              -- sent | failed: <why> | none (no webhook configured)
        )""",
    # Circuit breakers per processor and prediction system (orchestration/monitoring/circuit_breaker.py).
    "circuit_breaker_state": """
        create table if not exists nba_orchestration.circuit_breaker_state (
            breaker_key varchar not null primary key,   -- processor:phase_3 | prediction_system:<system_id>
            kind varchar not null,                      -- processor | prediction_system
            state varchar not null,                     -- CLOSED | OPEN | HALF_OPEN
            consecutive_failures integer not null,
            opened_at timestamp,
            half_opened_at timestamp,
            last_failure_at timestamp,
            last_success_at timestamp,
            last_error varchar,
            updated_at timestamp not null
        )""",
}

ML_SCHEMA = "nba_predictions"
ML_PREDICTIONS = f"{ML_SCHEMA}.ml_system_predictions"
ML_REGISTRY = f"{ML_SCHEMA}.ml_model_registry"

ML_SOURCE_YAML = DBT_PROJECT_DIR / "models" / "staging" / "nba_predictions" / "_nba_predictions__sources.yml"


def predictions_columns() -> list[tuple[str, str]]:
    """(name, data type) of ml_system_predictions, as its dbt source declares them: Phase 5 reads it as that
    source, and the dbt macro `ensure_ml_system_predictions` creates it from there when the step never ran."""
    sources = yaml.safe_load(ML_SOURCE_YAML.read_text())["sources"]
    table = next(
        table
        for source in sources
        if source["name"] == ML_SCHEMA
        for table in source["tables"]
        if table["name"] == "ml_system_predictions"
    )
    return [(column["name"], column["data_type"]) for column in table["columns"]]


# The trained model's tables (orchestration/ml).
ML_TABLES: dict[str, str] = {
    "ml_system_predictions": (
        f"create table if not exists {ML_PREDICTIONS} ("
        + ", ".join(f"{name} {data_type} not null" for name, data_type in predictions_columns())
        + ")"
    ),
    "ml_model_registry": f"""
        create table if not exists {ML_REGISTRY} (
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
            artifact_path varchar                 -- where the artifact is: relative to the model store, or a URL
        )""",
}

# Every schema of the pipeline, dbt's included (datasets on BigQuery).
ALL_DATASETS = (
    "nba_raw",
    "nba_staging",
    "nba_analytics",
    "nba_precompute",
    "nba_predictions",
    "nba_reference",
    "nba_orchestration",
)

# schema -> its tables' DDL, in creation order.
SCHEMAS: dict[str, dict[str, str]] = {
    RAW_SCHEMA: RAW_TABLES,
    ORCHESTRATION_SCHEMA: ORCHESTRATION_TABLES,
    ML_SCHEMA: ML_TABLES,
}

# On BigQuery: tables partitioned by day on game_date (the dated raw tables, what dbt reads by date) and the
# columns each table is clustered on (what its readers join or look up by).
PARTITIONED = frozenset(
    {
        *(f"{RAW_SCHEMA}.{name}" for name in DATED_RAW_TABLES),
        f"{RAW_SCHEMA}.unresolved_players",
        f"{RAW_SCHEMA}.load_quarantine",
        f"{ORCHESTRATION_SCHEMA}.source_date_versions",
        ML_PREDICTIONS,
    }
)
CLUSTER_BY: dict[str, tuple[str, ...]] = {
    "nba_raw.nbac_schedule": ("game_id",),
    "nba_raw.nbac_player_boxscore": ("game_id", "player_id"),
    "nba_raw.nbac_team_boxscore": ("game_id", "team_abbr"),
    "nba_raw.odds_api_player_points_props": ("game_id", "player_id"),
    "nba_raw.player_registry": ("player_id",),
    "nba_raw.team_registry": ("team_id",),
    "nba_raw.unresolved_players": ("player_id",),
    "nba_raw.load_quarantine": ("target_table",),
    "nba_orchestration.source_date_versions": ("source_table",),
    ML_PREDICTIONS: ("player_id",),
}


# What a load creates: its own tables and the bookkeeping. The trained model's tables are created by its step,
# so a load (`--phases 2`) builds no later phase's schema, on either warehouse.
LOAD_SCHEMAS = (RAW_SCHEMA, ORCHESTRATION_SCHEMA)


def load_tables() -> list[str]:
    """ "schema.table" of every table a load creates."""
    return [f"{schema}.{name}" for schema in LOAD_SCHEMAS for name in SCHEMAS[schema]]


def qualified_tables() -> dict[str, str]:
    """ "schema.table" -> DDL, every table of this module."""
    return {f"{schema}.{name}": ddl for schema, tables in SCHEMAS.items() for name, ddl in tables.items()}
