with source as (
    select * from {{ source('nba_raw', 'nbac_player_boxscore') }}
),

final as (
    select
        game_id,
        game_date,
        season_year,
        team_id,
        team_abbr,
        player_id,
        player_name,
        position,
        is_starter,
        comment,
        is_dnp,
        seconds_played,
        minutes,
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
