{#- One row per team per scheduled game (final or not): the schedule seen
    from each side. Readers filter it to their own date range; the schedule is
    read over the run's lookback range only (season start of start_date ..
    end_date), so on BigQuery a range run scans only those partitions. -#}
with schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
    where {{ in_lookback_range('game_date') }}
),

home_side as (
    select
        game_id,
        game_date,
        season_year,
        season_type,
        is_final,
        home_team_abbr as team_abbr,
        away_team_abbr as opponent_team_abbr,
        true as is_home
    from schedule
),

away_side as (
    select
        game_id,
        game_date,
        season_year,
        season_type,
        is_final,
        away_team_abbr as team_abbr,
        home_team_abbr as opponent_team_abbr,
        false as is_home
    from schedule
),

final as (
    select * from home_side
    union all
    select * from away_side
)

select * from final
