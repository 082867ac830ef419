{#- One row per team per game: what the team scored and how. -#}
with team_games as (
    select * from {{ ref('int_team_games__with_opponent') }}
    where {{ in_run_range('game_date') }}
),

rows_to_write as (
    select
        game_id,
        game_date,
        season_year,
        season_type,
        team_abbr,
        opponent_team_abbr,
        is_home,
        points,
        opp_points as opponent_points,
        points > opp_points as win_flag,
        fgm,
        fga,
        fg3m,
        fg3a,
        ftm,
        fta,
        oreb,
        dreb,
        reb,
        ast,
        tov,
        {{ points_by_shot_type() }},
        game_minutes,
        overtime_periods,
        possessions,
        pace,
        offensive_rating,
        {{ true_shooting_pct('points', 'fga', 'fta') }} as ts_pct,
        {{ effective_fg_pct('fgm', 'fg3m', 'fga') }} as efg_pct
    from team_games
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
