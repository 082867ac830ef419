{#-
  Freshness recorded by the data (DESIGN.md "Lookback semantics").

  Every dated model (incremental or table) writes two columns with its rows, in
  the same statement that writes them:
  - `input_version`: for the row's game_date D, a digest of the versions of
    every dated input the model reads (through views and ephemeral models) on
    every date of D's season up to and including D: the content versions of
    the source tables (nba_orchestration.source_date_versions, read through
    stg_nba_orchestration__source_date_versions; written by the
    loader and the trained-model step with their rows) and the
    `input_version` of upstream dated models. Deterministic: a range run, a
    date-by-date run and a rerun write the same digests.
  - `build_id`: the dbt invocation that wrote the row.

  A date is stale when its recorded input_version differs from the digest of
  the inputs as they are now; it is verified when the build that wrote it
  passed the model's tests (`record_build_outcome`, on-run-end). Both are read
  from the view nba_orchestration.date_freshness, which `record_build_outcome`
  (re)creates at the end of every dbt invocation, so a plain `dbt build`
  keeps it current too.
-#}

{#- A 48-bit integer from the md5 of a text: the same value on every adapter. -#}
{% macro version_hash(text_expression) -%}
    {{ return(adapter.dispatch('version_hash', 'nba_pipeline')(text_expression)) }}
{%- endmacro %}

{% macro default__version_hash(text_expression) -%}
    cast(('0x' || substr(md5({{ text_expression }}), 1, 12)) as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro bigquery__version_hash(text_expression) -%}
    cast(concat('0x', substr(to_hex(md5({{ text_expression }})), 1, 12)) as int64)
{%- endmacro %}


{#-
  Whether builds record freshness (default yes). NBA_RECORD_FRESHNESS=false writes
  null versions and skips the hook: every date then reads stale and unverified.
  It exists to measure what the bookkeeping costs (bench/backfill_benchmark.py).
-#}
{% macro freshness_recorded() -%}
    {%- set setting = (env_var('NBA_RECORD_FRESHNESS', 'true') if execute else 'true') | string | lower | trim -%}
    {{ return(setting not in ['false', '0', 'no', 'off']) }}
{%- endmacro %}


{#- The dbt invocation writing the row. -#}
{% macro build_id() -%}
    cast('{{ invocation_id }}' as {{ dbt.type_string() }})
{%- endmacro %}


{#- True for the models that write dated rows with input_version and build_id. -#}
{% macro is_dated_model(node) -%}
    {{ return(node.resource_type == 'model' and node.config.materialized in ['incremental', 'table']) }}
{%- endmacro %}


{#- "schema.table" of a model or source: the name run history, completeness and versions use. -#}
{% macro node_label(node) -%}
    {%- if node.resource_type == 'source' -%}
        {{ return(node.schema ~ '.' ~ node.identifier) }}
    {%- endif -%}
    {{ return(node.schema ~ '.' ~ node.alias) }}
{%- endmacro %}


{#- The phase of a node: its `phase_<n>` tag (dbt_project.yml sets one per folder). -#}
{% macro phase_of(node) -%}
    {%- for tag in node.tags if tag.startswith('phase_') and tag[6:].isdigit() -%}
        {{ return(tag[6:] | int) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}


{#-
  The dated inputs of a node, found through views and ephemeral models:
  {'models': [(label, relation_name)], 'sources': [label]}.
-#}
{% macro dated_inputs(node) -%}
    {%- set found = {'models': [], 'sources': []} -%}
    {%- do nba_pipeline._collect_dated_inputs(node, found, []) -%}
    {{ return(found) }}
{%- endmacro %}

{% macro _collect_dated_inputs(node, found, seen) -%}
    {%- for parent_id in node.depends_on.nodes if parent_id not in seen -%}
        {%- do seen.append(parent_id) -%}
        {%- if parent_id.startswith('source.') -%}
            {%- set label = nba_pipeline.node_label(graph.sources[parent_id]) -%}
            {%- if label != nba_pipeline.source_versions_label() and label not in found['sources'] -%}
                {%- do found['sources'].append(label) -%}
            {%- endif -%}
        {%- elif parent_id.startswith('model.') -%}
            {%- set parent = graph.nodes[parent_id] -%}
            {%- if nba_pipeline.is_dated_model(parent) -%}
                {#- a model without a table (a prediction system that failed on its first build) is read by none -#}
                {%- if adapter.get_relation(database=parent.database, schema=parent.schema, identifier=parent.alias) is not none -%}
                    {%- do found['models'].append((nba_pipeline.node_label(parent), parent.relation_name)) -%}
                {%- endif -%}
            {%- else -%}
                {%- do nba_pipeline._collect_dated_inputs(parent, found, seen) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}


{% macro source_versions_label() -%}
    {{ return('nba_orchestration.source_date_versions') }}
{%- endmacro %}


{#-
  (game_date, input_version) for every scheduled date of the window: the
  running sum, over the season, of one hash per dated input and date.
  `window` is a predicate on `game_date`: the run's lookback range in a model,
  every date in the freshness view.
-#}
{% macro input_versions_sql(node, window, schedule, source_versions) -%}
    {%- set inputs = nba_pipeline.dated_inputs(node) -%}
    {%- set sources = inputs['sources'] or ['(none)'] -%}
    select
        season_dates.game_date,
        cast(sum(coalesce(date_digests.digest, 0)) over (
            partition by season_dates.season_year order by season_dates.game_date
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as input_version
    from (
        select game_date, min(season_year) as season_year
        from {{ schedule }}
        where {{ window }}
        group by game_date
    ) as season_dates
    left join (
        select
            game_date,
            sum({{ nba_pipeline.version_hash("input_name || '|' || cast(game_date as " ~ dbt.type_string() ~ ") || '|' || version") }}) as digest
        from (
            {%- for label, relation in inputs['models'] %}
            select '{{ label }}' as input_name, game_date, cast(max(input_version) as {{ dbt.type_string() }}) as version
            from {{ relation }}
            where {{ window }}
            group by game_date
            union all
            {%- endfor %}
            select source_table as input_name, game_date, content_version as version
            from {{ source_versions }}
            where source_table in ('{{ sources | join("', '") }}') and {{ window }}
        ) as input_dates
        group by game_date
    ) as date_digests
        on date_digests.game_date = season_dates.game_date
{%- endmacro %}


{#-
  In a dated model: `input_versions as ({{ input_versions() }})`, joined on
  game_date in `final`. Reads the inputs over the run's lookback range only.
-#}
{% macro input_versions() -%}
    {#- a unit test's inputs are its fixtures: versions of the warehouse's data mean nothing there -#}
    {%- if nba_pipeline.in_unit_test() -%}
        {{ return('select cast(null as date) as game_date, cast(null as ' ~ dbt.type_bigint() ~ ') as input_version') }}
    {%- endif -%}
    {%- set source_versions = ref('stg_nba_orchestration__source_date_versions') -%}
    {%- set schedule = ref('stg_nba_raw__schedule') -%}
    {%- if not execute or not nba_pipeline.freshness_recorded() -%}
        {{ return('select cast(null as date) as game_date, cast(null as ' ~ dbt.type_bigint() ~ ') as input_version') }}
    {%- endif -%}
    {{ return(nba_pipeline.input_versions_sql(model, nba_pipeline.in_lookback_range('game_date'), schedule, source_versions)) }}
{%- endmacro %}


{#-
  on-run-end (dbt_project.yml): after every build, run or test,
  1. record which builds passed their gates: a model built by this `dbt build`
     is verified when every test of it that ran passed (or warned) and at
     least one ran (or it has none); a `dbt test` verifies the builds whose
     rows its passing tests read (the run window's dates);
  2. (re)create the view nba_orchestration.date_freshness: per dated model and
     game date, the recorded input_version against the one its inputs give
     now (is_fresh), and whether the build that wrote the date passed its
     gates (is_verified).
  A build killed before this hook records nothing: its dates read "built,
  not verified" until a build or test that passes covers them.
-#}
{% macro record_build_outcome(results) -%}
    {%- if not execute or flags.WHICH not in ['build', 'run', 'test'] or not nba_pipeline.freshness_recorded() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set verifications = nba_pipeline.orchestration_relation('build_verifications') -%}
    {%- do adapter.create_schema(api.Relation.create(database=target.database, schema='nba_orchestration')) -%}
    {%- do run_query(nba_pipeline.build_verifications_ddl(verifications)) -%}

    {#- data tests are the gates: unit tests check formulas on fixtures, not the rows a build wrote -#}
    {%- set outcomes = {} -%}
    {%- for result in results if result.node.resource_type == 'test' -%}
        {%- for parent_id in result.node.depends_on.nodes if parent_id.startswith('model.') -%}
            {%- do outcomes.setdefault(parent_id, []).append(result.status | string) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set has_tests = {} -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'test' -%}
        {%- for parent_id in node.depends_on.nodes -%}
            {%- do has_tests.update({parent_id: true}) -%}
        {%- endfor -%}
    {%- endfor -%}

    {%- set statements = [] -%}
    {%- if flags.WHICH == 'build' -%}
        {#- a model this build wrote, whose tests all passed -#}
        {%- for result in results if nba_pipeline.is_dated_model(result.node) and (result.status | string) == 'success' -%}
            {%- set statuses = outcomes.get(result.node.unique_id, []) -%}
            {%- if statuses | reject('in', ['pass', 'warn']) | list | length == 0
                  and (statuses | length > 0 or not has_tests.get(result.node.unique_id)) -%}
                {%- do statements.append(
                    "select '" ~ invocation_id ~ "' as build_id, '" ~ nba_pipeline.node_label(result.node)
                    ~ "' as model_relation, " ~ (statuses | length) ~ " as tests_passed") -%}
            {%- endif -%}
        {%- endfor -%}
    {%- elif flags.WHICH == 'test' -%}
        {#- the builds whose rows (in the run window) the passing tests read -#}
        {%- for uid, statuses in outcomes.items() if uid in graph.nodes and nba_pipeline.is_dated_model(graph.nodes[uid])
              and statuses | reject('in', ['pass', 'warn']) | list | length == 0 -%}
            {%- set node = graph.nodes[uid] -%}
            {%- if adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) is none -%}
                {%- continue -%}
            {%- endif -%}
            {%- do statements.append(
                "select distinct build_id, '" ~ nba_pipeline.node_label(node) ~ "' as model_relation, "
                ~ (statuses | length) ~ " as tests_passed from " ~ node.relation_name
                ~ " where build_id is not null and " ~ nba_pipeline.in_run_range('game_date')) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if statements -%}
        {%- do run_query(
            "insert into " ~ verifications ~ " (build_id, model_relation, tests_passed, verified_by, verified_at) "
            ~ "select build_id, model_relation, tests_passed, '" ~ invocation_id ~ "', " ~ dbt.current_timestamp()
            ~ " from (" ~ (statements | join(' union all ')) ~ ") as verified") -%}
    {%- endif -%}
    {%- do nba_pipeline.refresh_date_freshness(verifications) -%}
    {{ return('') }}
{%- endmacro %}


{% macro orchestration_relation(identifier) -%}
    {{ return(api.Relation.create(database=target.database, schema='nba_orchestration', identifier=identifier)) }}
{%- endmacro %}


{% macro build_verifications_ddl(relation) -%}
    create table if not exists {{ relation }} (
        build_id {{ dbt.type_string() }},
        model_relation {{ dbt.type_string() }},
        tests_passed {{ dbt.type_int() }},
        verified_by {{ dbt.type_string() }},
        verified_at {{ dbt.type_timestamp() }}
    )
{%- endmacro %}


{#- The view Python reads freshness and verification from (completeness.py). -#}
{% macro refresh_date_freshness(verifications) -%}
    {#- graph lookups, not ref()/source(): a hook declares no dependencies -#}
    {%- set source_versions = graph.sources['source.nba_pipeline.nba_orchestration.source_date_versions'].relation_name -%}
    {%- set schedule = graph.nodes['model.nba_pipeline.stg_nba_raw__schedule'].relation_name -%}
    {%- set parts = [] -%}
    {%- for node in graph.nodes.values() if nba_pipeline.is_dated_model(node) and nba_pipeline.phase_of(node) is not none -%}
        {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
        {%- if relation is not none -%}
            {%- set label = nba_pipeline.node_label(node) -%}
            {%- do parts.append(
                "select '" ~ label ~ "' as model_relation, " ~ nba_pipeline.phase_of(node) ~ " as phase, "
                ~ "built.game_date, built.row_count, built.recorded_version, expected.input_version as expected_version, "
                ~ "coalesce(built.version_count = 1 and built.recorded_version = expected.input_version, false) as is_fresh, "
                ~ "built.build_id, verified.build_id is not null as is_verified "
                ~ "from (select game_date, count(*) as row_count, min(input_version) as recorded_version, "
                ~ "count(distinct input_version) as version_count, min(build_id) as build_id "
                ~ "from " ~ relation ~ " group by game_date) as built "
                ~ "left join (" ~ nba_pipeline.input_versions_sql(node, '(1 = 1)', schedule, source_versions)
                ~ ") as expected on expected.game_date = built.game_date "
                ~ "left join (select distinct build_id from " ~ verifications ~ " where model_relation = '" ~ label
                ~ "') as verified on verified.build_id = built.build_id") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if parts -%}
        {%- set view = nba_pipeline.orchestration_relation('date_freshness') -%}
        {%- set definition = "create or replace view " ~ view ~ " as " ~ (parts | join(' union all ')) -%}
        {%- set definition_md5 = local_md5(definition) -%}
        {%- if nba_pipeline.date_freshness_definition_md5(view) != definition_md5 -%}
            {%- do run_query(definition) -%}
            {%- do run_query("create or replace table " ~ nba_pipeline.orchestration_relation('date_freshness_definition')
                             ~ " as select '" ~ definition_md5 ~ "' as definition_md5") -%}
        {%- endif -%}
        {#- listing nba_orchestration's relations (not in dbt's cache) opens a transaction on DuckDB, which
            dbt rolls back after the hook: commit (on BigQuery a no-op) -#}
        {%- do adapter.commit() -%}
    {%- endif -%}
{%- endmacro %}


{#-
  The md5 of the statement that last created the view date_freshness (none when either is missing). The
  statement changes only when a dated model's table first appears or goes, or the project's SQL changes, so
  most invocations need not create the view again: on the BigQuery emulator that statement (a union over
  every dated model, translated by sqlglot) took 3-5 s an invocation, on DuckDB 0.15-0.3 s, against one
  read of a one-row table.
-#}
{% macro date_freshness_definition_md5(view) -%}
    {%- set recorded = nba_pipeline.orchestration_relation('date_freshness_definition') -%}
    {%- if adapter.get_relation(database=view.database, schema=view.schema, identifier=view.identifier) is none
          or adapter.get_relation(database=recorded.database, schema=recorded.schema, identifier=recorded.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rows = run_query("select definition_md5 from " ~ recorded) -%}
    {{ return(rows.columns[0].values()[0] if rows.rows | length == 1 else none) }}
{%- endmacro %}


{#-
  The `final` CTE of a dated model: the rows it writes (CTE `rows_cte`) with
  their input_version (CTE `input_versions`) and build_id.
-#}
{% macro with_freshness_columns(rows_cte) -%}
    select
        {{ rows_cte }}.*,
        input_versions.input_version,
        {{ nba_pipeline.build_id() }} as build_id
    from {{ rows_cte }}
    left join input_versions
        on input_versions.game_date = {{ rows_cte }}.game_date
{%- endmacro %}
