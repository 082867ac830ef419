{#-
  The table the trained-model step (orchestration/ml, Python, outside dbt)
  writes and Phase 5 reads as the source nba_predictions.ml_system_predictions.
  Created empty when missing (a pre-hook of its staging view
  stg_nba_predictions__ml_system_predictions), so the Phase 5 build never
  fails because the step has not run or has failed. Its columns are declared
  once, on the source (_nba_predictions__sources.yml); the step creates the
  table from the same declaration.
-#}
{% macro ensure_ml_system_predictions() -%}
    {%- set relation = source('nba_predictions', 'ml_system_predictions') -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set columns = graph.sources['source.nba_pipeline.nba_predictions.ml_system_predictions'].columns.values() -%}
    {{ return(adapter.dispatch('ensure_ml_system_predictions', 'nba_pipeline')(relation, columns)) }}
{%- endmacro %}

{% macro default__ensure_ml_system_predictions(relation, columns) -%}
    create schema if not exists {{ relation.schema }};
    create table if not exists {{ relation }} (
        {%- for column in columns %}
        {{ column.name }} {{ column.data_type }} not null{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- BigQuery: its decimal with a scale is a parameterized numeric; the trained model's table is partitioned like the models. -#}
{% macro bigquery__ensure_ml_system_predictions(relation, columns) -%}
    create schema if not exists `{{ relation.database }}`.`{{ relation.schema }}`;
    create table if not exists {{ relation }} (
        {%- for column in columns %}
        {{ column.name }} {{ 'numeric' if column.data_type.startswith('decimal') else column.data_type }} not null{{ ',' if not loop.last }}
        {%- endfor %}
    )
    partition by game_date
    cluster by player_id
{%- endmacro %}
