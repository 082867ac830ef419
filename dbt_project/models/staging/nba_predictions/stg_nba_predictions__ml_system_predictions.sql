{#- The trained model's rows (written by the Python step of Phase 5). The
    pre-hook creates the source table, empty, when the step has never run. -#}
{{ config(pre_hook=["{{ nba_pipeline.ensure_ml_system_predictions() }}"]) }}

with source as (
    select * from {{ source('nba_predictions', 'ml_system_predictions') }}
),

final as (
    select
        game_id,
        game_date,
        season_year,
        player_id,
        system_id,
        system_version,
        model_id,
        predicted_points
    from source
)

select * from final
