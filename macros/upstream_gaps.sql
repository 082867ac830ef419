{#-
  Phase 4's defensive check (DESIGN.md "strict mode"): before Phase 4 builds a
  date, every final game of that season up to the run's end date must be
  present in Phase 3, for both teams, in every Phase 3 table. Windows would
  otherwise be computed over a silent hole.

  - `phase3_gap_dates()`: SQL selecting (season_year, game_date) of the final
    games in the lookback range ([season start of start_date, end_date]) that
    Phase 3 lacks. Models use it as a CTE, which also declares the refs.
  - `assert_no_phase3_gaps()`: called at the top of the Phase 4 root models;
    in strict mode (var `strict_mode`, default true; env NBA_STRICT_MODE=false
    also turns it off) a `dbt run`/`dbt build` fails with the missing dates.
  - `upstream_gap_marks(spine)`: per (season_year, game_date) of the spine CTE,
    how many and which gap dates of the same season precede or equal it; rows
    built with strict mode off carry them.
-#}

{% macro phase3_gap_dates() -%}
    {#- one lookback lookup (a query) for the seven filters below -#}
    {%- set in_lookback = nba_pipeline.in_lookback_range('game_date') -%}
    {#- Phase 3's tables: var phase_completeness_models (dbt_project.yml), also read by phases.py -#}
    {%- set phase3_tables = [] -%}
    {%- for name in var('phase_completeness_models')[3] -%}
        {%- do phase3_tables.append(ref(name)) -%}
    {%- endfor -%}
    select distinct final_team_games.season_year, final_team_games.game_date
    from (
        select game_id, game_date, season_year, home_team_abbr as team_abbr
        from {{ ref('stg_nba_raw__schedule') }}
        where is_final and {{ in_lookback }}
        union all
        select game_id, game_date, season_year, away_team_abbr as team_abbr
        from {{ ref('stg_nba_raw__schedule') }}
        where is_final and {{ in_lookback }}
    ) as final_team_games
    left join (
        select game_id, team_abbr, count(*) as tables_present
        from (
            {%- for table in phase3_tables %}
            select distinct game_id, team_abbr from {{ table }}
            where {{ in_lookback }}
            {% if not loop.last %}union all{% endif %}
            {%- endfor %}
        ) as present_rows
        group by game_id, team_abbr
    ) as present
        on present.game_id = final_team_games.game_id
        and present.team_abbr = final_team_games.team_abbr
    where coalesce(present.tables_present, 0) < {{ phase3_tables | length }}
{%- endmacro %}


{% macro strict_mode_enabled() -%}
    {%- set setting = var('strict_mode', true) | string | lower | trim -%}
    {%- set env_setting = (env_var('NBA_STRICT_MODE', 'true') if execute else 'true') | string | lower | trim -%}
    {%- set off = ['false', '0', 'no', 'off'] -%}
    {{ return(setting not in off and env_setting not in off) }}
{%- endmacro %}


{% macro assert_no_phase3_gaps() -%}
    {%- if execute and flags.WHICH in ['run', 'build'] and nba_pipeline.strict_mode_enabled() -%}
        {%- set gaps = run_query(nba_pipeline.phase3_gap_dates() ~ ' order by 2') -%}
        {%- if gaps.rows | length > 0 -%}
            {%- set dates = gaps.columns[1].values() | map('string') | list -%}
            {%- set shown = dates[:10] | join(', ') ~ (' ... (' ~ (dates | length) ~ ' dates)' if dates | length > 10 else '') -%}
            {{ exceptions.raise_compiler_error(
                'BLOCKED (strict mode): Phase 4 for ' ~ (nba_pipeline.run_start_date() or 'all dates') ~ '..'
                ~ (nba_pipeline.run_end_date() or 'all dates') ~ ' needs Phase 3 for every final game of the season up to its date, '
                ~ 'and Phase 3 is missing games on ' ~ (dates | length) ~ ' date(s): ' ~ shown ~ '. '
                ~ 'Fix: nba-pipeline backfill --start ' ~ dates[0] ~ ' --end ' ~ (nba_pipeline.run_end_date() or dates[-1])
                ~ ' --phases 3,4,5,6 (or build anyway with --vars \'{strict_mode: false}\': rows are marked in upstream_gap_count).'
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{% macro upstream_gap_marks(spine) -%}
    select
        spine_dates.season_year,
        spine_dates.game_date,
        count(upstream_gaps.game_date) as upstream_gap_count,
        string_agg(cast(upstream_gaps.game_date as {{ dbt.type_string() }}), ',' order by upstream_gaps.game_date) as upstream_gap_dates
    from (select distinct season_year, game_date from {{ spine }}) as spine_dates
    left join ({{ nba_pipeline.phase3_gap_dates() }}) as upstream_gaps
        on upstream_gaps.season_year = spine_dates.season_year
        and upstream_gaps.game_date <= spine_dates.game_date
    group by spine_dates.season_year, spine_dates.game_date
{%- endmacro %}
