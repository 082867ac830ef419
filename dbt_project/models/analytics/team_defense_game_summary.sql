{#- One row per team per game: what the team allowed. -#}
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
        opp_points as points_allowed,
        opp_fgm,
        opp_fga,
        opp_fg3m,
        opp_fg3a,
        opp_ftm,
        opp_fta,
        2 * (opp_fgm - opp_fg3m) as opp_points_2pt,
        3 * opp_fg3m as opp_points_3pt,
        opp_ftm as opp_points_ft,
        dreb,
        stl,
        blk,
        opp_tov as turnovers_forced,
        points > opp_points as win_flag,
        game_minutes,
        possessions,
        pace,
        defensive_rating
    from team_games
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
