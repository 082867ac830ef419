{#-
  Incremental strategy `game_date_range`: replace exactly the run's dates.
  Every row with game_date in [start_date, end_date] is deleted and the model's
  rows for that window are inserted, so a date whose upstream rows vanished is
  emptied too (delete+insert on a unique key would leave it stale). With no
  window the whole table is replaced. BigQuery uses insert_overwrite over the
  same partitions instead (see dbt_project.yml).
-#}
{% macro get_incremental_game_date_range_sql(arg_dict) -%}
    {{ return(adapter.dispatch('replace_game_date_range_sql', 'nba_pipeline')(arg_dict)) }}
{%- endmacro %}


{% macro default__replace_game_date_range_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target }} where {{ nba_pipeline.in_run_range('game_date') }};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}
