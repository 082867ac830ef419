{#- Every player-level Phase 4 table holds exactly the (game_id, player_id) rows of
    player_daily_cache (whose rows are upcoming_player_game_context's, and whose
    completeness against the schedule covers_final_games checks) for the run's
    dates: none missing, none extra. Only Phase 4 parents, so a Phase 3 build
    never selects this test. -#}
{#- several parents: dagster-dbt shows it as an asset check of ml_feature_store -#}
{{ config(meta={'dagster': {'ref': {'name': 'ml_feature_store'}}}) }}
{#- sqlfluff's DuckDB grammar has no `except distinct` (BigQuery requires the word): it leaves the
    set operations below unparsed (ignore:parsing) and does not see the CTE cache_keys used there. -#}
-- sqlfluff:ignore:parsing
{%- set phase4_tables = ['player_shot_zone_analysis', 'player_composite_factors', 'ml_feature_store'] %}

with cache_keys as (  -- noqa: ST03
    select
        game_id,
        player_id
    from {{ ref('player_daily_cache') }}
    where {{ in_run_range('game_date') }}
),

{% for table in phase4_tables %}
    {{ table }}_differences as (
        select '{{ table }}' as table_name, 'missing' as problem, game_id, player_id from (
            select game_id, player_id from cache_keys
            except distinct
            select game_id, player_id from {{ ref(table) }} where {{ in_run_range('game_date') }}
        ) as missing_rows
        union all
        select '{{ table }}' as table_name, 'extra' as problem, game_id, player_id from (
            select game_id, player_id from {{ ref(table) }} where {{ in_run_range('game_date') }}
            except distinct
            select game_id, player_id from cache_keys
        ) as extra_rows
    ),
{% endfor %}

final as (
    {% for table in phase4_tables %}
        select * from {{ table }}_differences
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from final
