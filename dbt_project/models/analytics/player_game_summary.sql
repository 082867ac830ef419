{#- One row per player per game, DNPs included (flagged, never averaged). -#}
with player_games as (
    select * from {{ ref('int_player_games__enriched') }}
    where {{ in_run_range('game_date') }}
),

rows_to_write as (
    select
        game_id,
        game_date,
        season_year,
        season_type,
        player_id,
        player_name,
        team_abbr,
        opponent_team_abbr,
        is_home,
        is_starter,
        is_dnp,
        dnp_reason,
        seconds_played,
        minutes,
        points,
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
        plus_minus,
        points_2pt,
        points_3pt,
        points_ft,
        ts_pct,
        efg_pct,
        usage_rate
    from player_games
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
