{#-
  Phase 6: one row per prediction system per game date: how many predictions
  it made, how many are graded, and its MAE, bias, RMSE and hit rate on them.
  Formulas: _grading__models.yml.
-#}
with predictions as (
    select * from {{ ref('player_prop_predictions') }}
    where {{ in_run_range('game_date') }}
),

accuracy as (
    select * from {{ ref('prediction_accuracy') }}
    where {{ in_run_range('game_date') }}
),

predicted as (
    select
        game_date,
        system_id,
        max(season_year) as season_year,
        max(system_version) as system_version,
        count(*) as predictions,
        count(predicted_points) as predictions_with_value
    from predictions
    group by game_date, system_id
),

graded as (
    select
        game_date,
        system_id,
        count(*) as graded,
        sum(absolute_error) as absolute_error_sum,
        sum(error) as error_sum,
        sum(error * error) as squared_error_sum,
        sum({{ flag('within_3_points') }}) as within_3_count,
        sum({{ flag("recommendation in ('OVER', 'UNDER')") }}) as recommendations,
        sum({{ flag("recommendation_result = 'WIN'") }}) as wins,
        sum({{ flag("recommendation_result = 'LOSS'") }}) as losses,
        sum({{ flag("recommendation_result = 'PUSH'") }}) as pushes
    from accuracy
    where is_graded
    group by game_date, system_id
),

rows_to_write as (
    select
        predicted.game_date,
        predicted.season_year,
        predicted.system_id,
        predicted.system_version,
        predicted.predictions,
        predicted.predictions_with_value,
        coalesce(graded.graded, 0) as graded,
        {{ fixed(ratio('graded.absolute_error_sum', 'graded.graded')) }} as mae,
        {{ fixed(ratio('graded.error_sum', 'graded.graded')) }} as bias,
        {{ fixed('sqrt(' ~ ratio('graded.squared_error_sum', 'graded.graded') ~ ')') }} as rmse,
        {{ fixed(ratio('graded.within_3_count', 'graded.graded')) }} as within_3_pct,
        cast(coalesce(graded.recommendations, 0) as {{ dbt.type_bigint() }}) as recommendations,
        cast(coalesce(graded.wins, 0) as {{ dbt.type_bigint() }}) as wins,
        cast(coalesce(graded.losses, 0) as {{ dbt.type_bigint() }}) as losses,
        cast(coalesce(graded.pushes, 0) as {{ dbt.type_bigint() }}) as pushes,
        {{ fixed(ratio('graded.wins', 'graded.wins + graded.losses')) }} as hit_rate
    from predicted
    left join graded
        on graded.game_date = predicted.game_date
            and graded.system_id = predicted.system_id
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
