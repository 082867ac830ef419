{#- zone_matchup_v1: the moving average scaled by the bounded composite
    adjustment of player_composite_factors (matchup, pace, usage, fatigue). -#}
{%- set system = nba_pipeline.prediction_system('zone_matchup_v1') %}

with inputs as (
    select * from {{ ref('int_player_prop_predictions__inputs') }}
),

rows_to_write as (
    select
        {{ nba_pipeline.prediction_system_columns(system,
            predicted_points=fixed('inputs.moving_average_points * (1 + inputs.total_adjustment)', 2)) }}
    from inputs
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
{{ nba_pipeline.injected_failure(system.system_id) }}
