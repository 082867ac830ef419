{#-
  The date window of a run. `--vars '{start_date: ..., end_date: ...}'` wins;
  otherwise the env vars NBA_START_DATE / NBA_END_DATE (how Dagster passes a
  partition window without forcing a re-parse); otherwise everything.
  Dates are validated before any SQL runs. The env vars are read only while
  executing, so a new window never invalidates the partial-parse cache.
-#}

{#- True while dbt runs a unit test (its inputs are fixture rows, not tables). -#}
{% macro in_unit_test() -%}
    {{ return(model is mapping and model.get('resource_type') == 'unit_test') }}
{%- endmacro %}


{% macro _run_date_setting(var_name, env_name) -%}
    {#- a unit test reads its fixture rows whole, whatever window the build runs with -#}
    {%- if nba_pipeline.in_unit_test() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set value = var(var_name, none) -%}
    {%- if value is none or value == '' -%}
        {%- set value = env_var(env_name, '') if execute else '' -%}
    {%- endif -%}
    {%- if value is none or value == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(nba_pipeline.validated_iso_date(value, var_name)) }}
{%- endmacro %}


{% macro validated_iso_date(value, name) -%}
    {%- set text = value | string | trim -%}
    {%- set problem = 'var ' ~ name ~ '=' ~ (value | string) ~ ' is not a date: expected YYYY-MM-DD, e.g. 2023-11-01' -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{ exceptions.raise_compiler_error(problem) }}
    {%- endif -%}
    {%- set year, month, day = text[0:4] | int, text[5:7] | int, text[8:10] | int -%}
    {%- if month < 1 or month > 12 or day < 1 -%}
        {{ exceptions.raise_compiler_error(problem) }}
    {%- endif -%}
    {%- set next_month = modules.datetime.date(year + (month // 12), (month % 12) + 1, 1) -%}
    {%- if day > (next_month - modules.datetime.timedelta(days=1)).day -%}
        {{ exceptions.raise_compiler_error(problem) }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}


{% macro run_start_date() -%}
    {{ return(nba_pipeline._run_date_setting('start_date', 'NBA_START_DATE')) }}
{%- endmacro %}


{% macro run_end_date() -%}
    {%- set end = nba_pipeline._run_date_setting('end_date', 'NBA_END_DATE') -%}
    {%- set start = nba_pipeline.run_start_date() -%}
    {%- if start is not none and end is not none and end < start -%}
        {{ exceptions.raise_compiler_error('end_date ' ~ end ~ ' is before start_date ' ~ start) }}
    {%- endif -%}
    {{ return(end) }}
{%- endmacro %}


{#- `<column> between start and end`, either end open when unset (none: every date). -#}
{% macro date_range_predicate(column, start, end) -%}
    {%- if start is none and end is none -%} (1 = 1)
    {%- elif end is none -%} ({{ column }} >= {{ nba_pipeline.date_literal(start) }})
    {%- elif start is none -%} ({{ column }} <= {{ nba_pipeline.date_literal(end) }})
    {%- else -%} ({{ column }} between {{ nba_pipeline.date_literal(start) }} and {{ nba_pipeline.date_literal(end) }})
    {%- endif -%}
{%- endmacro %}


{#- `<column> between start and end` for the dates this run writes. -#}
{% macro in_run_range(column) -%}
    {{- nba_pipeline.date_range_predicate(column, nba_pipeline.run_start_date(), nba_pipeline.run_end_date()) -}}
{%- endmacro %}


{#-
  The first date a window model must read: the first game of the season that
  `start_date` falls in (or precedes), so every "last N games of the season"
  window of a row in range is complete. Looked up while executing and inlined
  as a literal, so the warehouse can prune partitions. Looked up once per
  invocation and start date: every model reading a window (and each ephemeral
  model compiled into it) asks again, one query each (41 per two-date build on
  BigQuery, each a job); `graph` is the one object every node of an invocation
  shares, and the schedule it reads is not written by dbt.
-#}
{% macro lookback_start_date() -%}
    {%- set start = nba_pipeline.run_start_date() -%}
    {%- if start is none or not execute -%}
        {{ return(start) }}
    {%- endif -%}
    {%- set known = graph.setdefault('nba_pipeline_lookback_starts', {}) -%}
    {%- if start not in known -%}
        {%- do known.update({start: nba_pipeline._season_start_or(start)}) -%}
    {%- endif -%}
    {{ return(known[start]) }}
{%- endmacro %}


{% macro _season_start_or(start) -%}
    {%- set schedule = source('nba_raw', 'nbac_schedule') -%}
    {%- set query -%}
        select min(game_date) from {{ schedule }}
        where season_year = (
            select min(season_year) from {{ schedule }} where game_date >= {{ nba_pipeline.date_literal(start) }}
        )
    {%- endset -%}
    {%- set season_start = run_query(query).columns[0].values()[0] -%}
    {%- if season_start is none or (season_start | string) > start -%}
        {{ return(start) }}
    {%- endif -%}
    {{ return(season_start | string) }}
{%- endmacro %}


{#- `<column>` within the lookback buffer: season start of start_date .. end_date. -#}
{% macro in_lookback_range(column) -%}
    {{- nba_pipeline.date_range_predicate(column, nba_pipeline.lookback_start_date(), nba_pipeline.run_end_date()) -}}
{%- endmacro %}


{% macro date_literal(iso_date) -%}
    date '{{ iso_date }}'
{%- endmacro %}


{#-
  The generic data tests on a table a run writes date by date (an incremental
  model) check the run's window, not the whole table: a gate is about what the
  run wrote, and every date outside the window was checked when it was built.
  Without a window (a full `dbt build`) they check every row, as before; a
  test's own `where` still applies. A row without a game_date belongs to no
  window and is wrong in every one: each windowed test reads it too (so
  not_null on game_date still fails on it). dbt documents this macro as the place to
  customise how a test reads its model; this replaces dbt's default.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set predicates = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do predicates.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- if nba_pipeline.tests_a_dated_model() and (nba_pipeline.run_start_date() is not none or nba_pipeline.run_end_date() is not none) -%}
        {%- do predicates.append('(' ~ nba_pipeline.in_run_range('game_date') ~ ' or game_date is null)') -%}
    {%- endif -%}
    {%- if predicates -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ predicates | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{#- True for a generic test attached to an incremental model (every one is written by game_date). -#}
{% macro tests_a_dated_model() -%}
    {%- if not execute or model is not mapping -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set attached = model.get('attached_node') -%}
    {%- set node = graph.nodes.get(attached) if attached else none -%}
    {{ return(node is not none and node.config.materialized == 'incremental') }}
{%- endmacro %}
