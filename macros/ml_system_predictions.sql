{#-
  The table the trained-model step (orchestration/ml, Python, outside dbt)
  writes and Phase 5 reads as the source nba_predictions.ml_system_predictions.
  Created empty when missing (a pre-hook of its staging view
  stg_nba_predictions__ml_system_predictions), so the Phase 5 build never
  fails because the step has not run or has failed.
  Keep the columns in sync with orchestration/ml/store.py (a test checks it).
-#}
{% macro ensure_ml_system_predictions() -%}
    {%- set relation = source('nba_predictions', 'ml_system_predictions') -%}
    {{ return(adapter.dispatch('ensure_ml_system_predictions', 'nba_pipeline')(relation)) }}
{%- endmacro %}

{% macro default__ensure_ml_system_predictions(relation) -%}
    create schema if not exists {{ relation.schema }};
    create table if not exists {{ relation }} (
        game_id varchar not null,
        game_date date not null,
        season_year integer not null,
        player_id bigint not null,
        system_id varchar not null,
        system_version varchar not null,
        model_id varchar not null,
        predicted_points decimal(18, 2) not null
    )
{%- endmacro %}

{% macro bigquery__ensure_ml_system_predictions(relation) -%}
    create schema if not exists `{{ relation.database }}`.`{{ relation.schema }}`;
    create table if not exists {{ relation }} (
        game_id string not null,
        game_date date not null,
        season_year int64 not null,
        player_id int64 not null,
        system_id string not null,
        system_version string not null,
        model_id string not null,
        predicted_points numeric not null
    )
    partition by game_date
    cluster by player_id
{%- endmacro %}
