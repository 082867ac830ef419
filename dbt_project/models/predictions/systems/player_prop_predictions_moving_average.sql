{#- moving_average: the baseline, a weighted mean of the player's recent
    scoring averages (null without a game played this season before the date). -#}
{%- set system = nba_pipeline.prediction_system('moving_average') %}

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
        moving_average_points as predicted_points,
        base_confidence as confidence,
        cast(null as {{ dbt.type_bigint() }}) as components_used
    from inputs
)

select * from final
{{ nba_pipeline.injected_failure(system.system_id) }}
