{#- What every Phase 5 system reads: the feature-store rows of the run's dates
    (one per player per scheduled game), with the two shared quantities the
    systems build on. Formulas: models/predictions/_predictions__models.yml.
    Every feature passes through (`*`), so sqlfluff cannot count the columns (hence the noqa on the last line). -#}
with features as (
    select * from {{ ref('ml_feature_store') }}
    where {{ in_run_range('game_date') }}
),

final as (
    select
        *,
        case when games_last_10 > 0 then
                {{ fixed('0.5 * points_avg_last_5 + 0.3 * points_avg_last_10 + 0.2 * points_avg_season', 2) }}
        end as moving_average_points,
        -- sample size and volatility of the player's recent scoring
        {{ fixed(
            '100 * least(games_last_10, 10) / 10.0 * (1 - 0.5 * coalesce('
            ~ clamp(ratio(
                'points_std_last_10', 'case when points_avg_last_10 > 1 then points_avg_last_10 else 1 end'
            ), 0, 1)
            ~ ', 1))', 1) }} as base_confidence
    from features
)

select * from final  -- noqa: AM04
