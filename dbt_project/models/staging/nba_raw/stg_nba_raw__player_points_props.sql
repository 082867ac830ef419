with source as (
    select * from {{ source('nba_raw', 'odds_api_player_points_props') }}
),

final as (
    select
        game_id,
        game_date,
        player_id,
        player_name,
        team_abbr,
        bookmaker,
        points_line,
        over_price,
        under_price
    from source
)

select * from final
