{#- zone_matchup_v1: the moving average scaled by the bounded composite
    adjustment of player_composite_factors (matchup, pace, usage, fatigue). -#}
{%- set system = nba_pipeline.prediction_system('zone_matchup_v1') %}

with inputs as (
    select * from {{ ref('int_player_prop_predictions__inputs') }}
),

final as (
    select
        game_id,
        game_date,
        player_id,
        '{{ system.system_id }}' as system_id,
        '{{ system.version }}' as system_version,
        cast(null as {{ dbt.type_string() }}) as model_id,
        {{ fixed('moving_average_points * (1 + total_adjustment)', 2) }} as predicted_points,
        base_confidence as confidence,
        cast(null as {{ dbt.type_bigint() }}) as components_used
    from inputs
)

select * from final
{{ nba_pipeline.injected_failure(system.system_id) }}
