with source as (
    select * from {{ source('nba_raw', 'nbac_team_boxscore') }}
),

final as (
    select
        game_id,
        game_date,
        season_year,
        team_id,
        team_abbr,
        team_name,
        is_home,
        opponent_team_abbr,
        wl,
        game_minutes,
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
        stl,
        blk,
        tov,
        pf,
        points,
        plus_minus
    from source
)

select * from final
