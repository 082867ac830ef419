{#- One row per player per game with its game context and per-game rates.
    Ephemeral: Phase 3 models read it with their own date filter, so their
    windows are always computed from Phase 2, never from their own output.
    Every source is read over the run's lookback range only (season start of
    start_date .. end_date), so on BigQuery a range run scans only those
    partitions of each table. -#}
with player_box as (
    select * from {{ ref('stg_nba_raw__player_boxscores') }}
    where {{ in_lookback_range('game_date') }}
),

schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
    where {{ in_lookback_range('game_date') }}
),

team_box as (
    select * from {{ ref('stg_nba_raw__team_boxscores') }}
    where {{ in_lookback_range('game_date') }}
),

joined as (
    select
        player_box.game_id,
        player_box.game_date,
        schedule.season_year,
        schedule.season_type,
        player_box.player_id,
        player_box.player_name,
        player_box.team_abbr,
        case
            when player_box.team_abbr = schedule.home_team_abbr then schedule.away_team_abbr
            else schedule.home_team_abbr
        end as opponent_team_abbr,
        player_box.team_abbr = schedule.home_team_abbr as is_home,
        player_box.is_starter,
        player_box.is_dnp or player_box.seconds_played = 0 as is_dnp,
        player_box.comment as dnp_reason,
        player_box.seconds_played,
        player_box.minutes,
        player_box.points,
        player_box.fgm,
        player_box.fga,
        player_box.fg3m,
        player_box.fg3a,
        player_box.ftm,
        player_box.fta,
        player_box.oreb,
        player_box.dreb,
        player_box.reb,
        player_box.ast,
        player_box.stl,
        player_box.blk,
        player_box.tov,
        player_box.pf,
        player_box.plus_minus,
        team_box.game_minutes,
        team_box.fga as team_fga,
        team_box.fta as team_fta,
        team_box.tov as team_tov
    from player_box
    inner join schedule
        on schedule.game_id = player_box.game_id
    left join team_box
        on team_box.game_id = player_box.game_id
            and team_box.team_abbr = player_box.team_abbr
),

final as (
    select
        *,
        {{ true_shooting_pct('points', 'fga', 'fta') }} as ts_pct,
        {{ effective_fg_pct('fgm', 'fg3m', 'fga') }} as efg_pct,
        -- share of team plays used while on court (Basketball-Reference usage rate)
        {{ fixed(ratio('100 * (fga + 0.44 * fta + tov) * game_minutes * 60',
                       'seconds_played * (team_fga + 0.44 * team_fta + team_tov)'), 2) }} as usage_rate,
        {{ points_by_shot_type() }}
    from joined
)

select * from final
