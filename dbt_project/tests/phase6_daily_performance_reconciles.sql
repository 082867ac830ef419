{#- Cross-table reconciliation: per system and date, system_daily_performance's graded
    count and absolute-error total equal those of prediction_accuracy. -#}
{#- several parents: dagster-dbt shows it as an asset check of system_daily_performance -#}
{{ config(meta={'dagster': {'ref': {'name': 'system_daily_performance'}}}) }}
with accuracy_totals as (
    select
        game_date,
        system_id,
        count(*) as graded,
        sum(absolute_error) as absolute_error_sum
    from {{ ref('prediction_accuracy') }}
    where {{ in_run_range('game_date') }} and is_graded
    group by game_date, system_id
),

performance as (
    select * from {{ ref('system_daily_performance') }}
    where {{ in_run_range('game_date') }}
),

final as (
    select
        coalesce(performance.game_date, accuracy_totals.game_date) as game_date,
        coalesce(performance.system_id, accuracy_totals.system_id) as system_id,
        performance.graded as performance_graded,
        accuracy_totals.graded as accuracy_graded,
        performance.mae,
        accuracy_totals.absolute_error_sum
    from performance
    full outer join accuracy_totals
        on accuracy_totals.game_date = performance.game_date
            and accuracy_totals.system_id = performance.system_id
    where coalesce(performance.graded, 0) <> coalesce(accuracy_totals.graded, 0)
        or (
            accuracy_totals.graded > 0
            and abs(performance.mae * accuracy_totals.graded - accuracy_totals.absolute_error_sum)
            > 0.0001 * accuracy_totals.graded
        )
)

select * from final
