with source as (
    select * from {{ source('nba_raw', 'nbac_schedule') }}
),

final as (
    select
        game_id,
        game_date,
        season_year,
        season_type,
        home_team_id,
        home_team_abbr,
        away_team_id,
        away_team_abbr,
        game_status,
        game_status = 3 as is_final,
        home_points,
        away_points
    from source
)

select * from final
