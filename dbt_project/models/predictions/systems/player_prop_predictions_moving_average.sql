{#- moving_average: the baseline, a weighted mean of the player's recent
    scoring averages (null without a game played this season before the date). -#}
{%- set system = nba_pipeline.prediction_system('moving_average') %}

with inputs as (
    select * from {{ ref('int_player_prop_predictions__inputs') }}
),

rows_to_write as (
    select
        {{ nba_pipeline.prediction_system_columns(system, predicted_points='inputs.moving_average_points') }}
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
