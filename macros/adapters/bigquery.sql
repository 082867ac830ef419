{#-
  BigQuery (target `prod`). Models are the same on every adapter; what differs
  lives here:
  - `bigquery__fixed`, `bigquery__ratio`: the dispatched numeric helpers of
    numeric.sql in BigQuery types (FLOAT64 arithmetic as DuckDB's DOUBLE,
    rounded, stored as NUMERIC).
  - `bq_insert_overwrite_sql`: the `insert_overwrite` strategy of dbt-bigquery
    with the run's dates as a STATIC partition list (see below).
  - the contracts' numeric(p, s) as NUMERIC (at the end).
  Partitioning and clustering are configs: dbt_project.yml.
-#}

{% macro bigquery__fixed(expression, scale) -%}
    cast(round({{ nba_pipeline.bigquery_decimal_literals(expression) }}, {{ scale }}) as numeric)
{%- endmacro %}


{% macro bigquery__ratio(numerator, denominator) -%}
    (cast({{ nba_pipeline.bigquery_decimal_literals(numerator) }} as float64) / nullif({{ nba_pipeline.bigquery_decimal_literals(denominator) }}, 0))
{%- endmacro %}


{#-
  DuckDB types a literal such as 0.44 DECIMAL, BigQuery FLOAT64, so
  `0.25 * zone_mismatch_score` is exact on DuckDB and binary on BigQuery, and
  the two round differently at a tie. Inside the expressions handed to
  fixed() and ratio() every such literal becomes a NUMERIC literal, so the
  arithmetic has DuckDB's types (DECIMAL -> NUMERIC, DOUBLE -> FLOAT64).
-#}
{% macro bigquery_decimal_literals(expression) -%}
    {{ return(modules.re.sub("(?<![A-Za-z0-9_.'])([0-9]+[.][0-9]+)(?![A-Za-z0-9_.'])", "numeric '\\g<1>'", expression | string)) }}
{%- endmacro %}


{#-
  The partitions a run writes, as BigQuery date literals: one per day of
  [start_date, end_date]; none when the run has no closed window.
-#}
{% macro run_partitions() -%}
    {%- set start, end = nba_pipeline.run_start_date(), nba_pipeline.run_end_date() -%}
    {%- if start is none or end is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set first = modules.datetime.date.fromisoformat(start) -%}
    {%- set days = (modules.datetime.date.fromisoformat(end) - first).days -%}
    {%- set literals = [] -%}
    {%- for offset in range(days + 1) -%}
        {%- do literals.append(nba_pipeline.date_literal((first + modules.datetime.timedelta(days=offset)).isoformat()) | trim) -%}
    {%- endfor -%}
    {{ return(literals) }}
{%- endmacro %}


{#-
  Overrides dbt-bigquery's macro of the same name (the root project wins name
  resolution); its incremental materialization calls it for
  `incremental_strategy: insert_overwrite`.

  Without a `partitions` config dbt-bigquery would use its dynamic form: a
  script (DECLARE ...) that replaces only the partitions found in the new
  rows, so a date whose rows disappeared upstream would keep its stale rows,
  and scripting cannot be tested locally. Here the partitions are the run's
  dates, as on DuckDB (game_date_range):
  - start_date and end_date set: a static partition list, one MERGE whose
    delete branch names every day of the window
    (`DBT_INTERNAL_DEST.game_date in (date '2024-04-20', ...)`), so BigQuery
    touches exactly those partitions and a day without new rows is emptied;
  - an open window: the same MERGE with the window as the predicate
    (`game_date >= date '...'`, or every row when there is no window at all).
  The MERGE is dbt-bigquery's own (get_insert_overwrite_merge_sql). A model
  with its own `partitions` config keeps them; `copy_partitions: true` goes to
  dbt-bigquery's partition copy with the same static list.
-#}
{% macro bq_insert_overwrite_sql(
    tmp_relation, target_relation, sql, unique_key, partition_by, partitions, dest_columns, tmp_relation_exists, copy_partitions
) %}
    {%- if partitions is none or partitions == [] -%}
        {%- set partitions = nba_pipeline.run_partitions() -%}
    {%- endif -%}

    {%- if copy_partitions -%}
        {%- if not partitions -%}
            {% do exceptions.raise_compiler_error("copy_partitions needs a closed run window (start_date and end_date)") %}
        {%- endif -%}
        {{ bq_static_insert_overwrite_sql(tmp_relation, target_relation, sql, partition_by, partitions, dest_columns, tmp_relation_exists, copy_partitions) }}
    {%- else -%}
        {%- if partition_by.data_type == 'date' -%}
            {%- set destination = 'DBT_INTERNAL_DEST.' ~ partition_by.field -%}
        {%- else -%}
            {%- set destination = partition_by.render_wrapped(alias='DBT_INTERNAL_DEST') -%}
        {%- endif -%}
        {%- if partitions -%}
            {%- set predicate = destination ~ ' in (' ~ (partitions | join(', ')) ~ ')' -%}
        {%- else -%}
            {%- set predicate = nba_pipeline.in_run_range(destination) -%}
        {%- endif -%}
        {%- set source_sql = bq_static_select_insert_overwrite_sql(tmp_relation, sql, partition_by, tmp_relation_exists) %}
        {{ get_insert_overwrite_merge_sql(target_relation, source_sql, dest_columns, [predicate], include_sql_header=not tmp_relation_exists) }};
        {%- if tmp_relation_exists %}
        drop table if exists {{ tmp_relation }};
        {%- endif %}
    {%- endif -%}
{% endmacro %}


{#-
  Contracts (`contract: {enforced: true}`, dbt_project.yml). A column's
  `data_type` in the YAML is one name for both adapters (string, integer,
  bigint, boolean, date, numeric(p, s)); dbt checks it by casting null to it in
  the database and comparing that query's schema with the model's. DuckDB's
  types carry precision and scale, so the YAML names them; BigQuery's query
  schemas do not (dbt-bigquery drops them too: BigQueryColumn.numeric_type),
  so on BigQuery numeric(p, s) is checked and created as NUMERIC, the type the
  models' SQL writes (bigquery__fixed). These two overrides of dbt-bigquery's
  dispatched macros (the root project wins the dispatch) read the contract's
  columns through `bigquery_contract_columns` and hand them to dbt's own code.
-#}
{% macro bigquery_contract_columns(columns) -%}
    {%- set translated = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set data_type = column.get('data_type') -%}
        {%- if data_type and modules.re.match('^\\s*(numeric|decimal)\\s*\\(', data_type, modules.re.IGNORECASE) -%}
            {%- do translated.update({name: dict(column, data_type='numeric')}) -%}
        {%- else -%}
            {%- do translated.update({name: column}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(translated) }}
{%- endmacro %}


{#- the query dbt compares the model's schema with -#}
{% macro bigquery__get_empty_schema_sql(columns) -%}
    {{ return(dbt.bigquery__get_empty_schema_sql(nba_pipeline.bigquery_contract_columns(columns))) }}
{%- endmacro %}


{#- the column list of the table's DDL (dbt's table_columns_and_constraints, with the translated columns) -#}
{% macro bigquery__get_table_columns_and_constraints() -%}
    {%- set columns = adapter.render_raw_columns_constraints(raw_columns=nba_pipeline.bigquery_contract_columns(model['columns'])) -%}
    {%- set constraints = adapter.render_raw_model_constraints(raw_constraints=model['constraints']) -%}
    ({{ (columns + constraints) | join(', ') }})
{%- endmacro %}
