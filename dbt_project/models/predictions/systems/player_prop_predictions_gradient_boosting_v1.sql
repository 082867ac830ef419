{#- gradient_boosting_v1: the trained model's predictions (the Python step of
    Phase 5, orchestration/ml), for the player-games with a game played this
    season before the date. No rows for a season without an earlier season to
    train on, or when the step failed. -#}
{%- set system = nba_pipeline.prediction_system('gradient_boosting_v1') %}

with inputs as (
    select * from {{ ref('int_player_prop_predictions__inputs') }}
),

trained_model_predictions as (
    select * from {{ ref('stg_nba_predictions__ml_system_predictions') }}
    where {{ in_run_range('game_date') }}
),

rows_to_write as (
    select
        {{ nba_pipeline.prediction_system_columns(system,
            system_id='trained_model_predictions.system_id',
            system_version='trained_model_predictions.system_version',
            model_id='trained_model_predictions.model_id',
            predicted_points=fixed('trained_model_predictions.predicted_points', 2)) }}
    from inputs
    inner join trained_model_predictions
        on trained_model_predictions.game_id = inputs.game_id
            and trained_model_predictions.player_id = inputs.player_id
    where inputs.games_last_10 > 0
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
{{ nba_pipeline.injected_failure(system.system_id) }}
