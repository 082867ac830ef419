{#- One row per team per game with the opponent's box beside it, and the
    shared possession estimate (Basketball-Reference formula, both teams).
    Every source is read over the run's lookback range only (season start of
    start_date .. end_date), so on BigQuery a range run scans only those
    partitions of each table. -#}
with team_box as (
    select * from {{ ref('stg_nba_raw__team_boxscores') }}
    where {{ in_lookback_range('game_date') }}
),

schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
    where {{ in_lookback_range('game_date') }}
),

paired as (
    select
        team.game_id,
        team.game_date,
        schedule.season_year,
        schedule.season_type,
        team.team_abbr,
        opponent.team_abbr as opponent_team_abbr,
        team.team_abbr = schedule.home_team_abbr as is_home,
        team.game_minutes,
        team.points,
        team.fgm,
        team.fga,
        team.fg3m,
        team.fg3a,
        team.ftm,
        team.fta,
        team.oreb,
        team.dreb,
        team.reb,
        team.ast,
        team.stl,
        team.blk,
        team.tov,
        team.pf,
        opponent.points as opp_points,
        opponent.fgm as opp_fgm,
        opponent.fga as opp_fga,
        opponent.fg3m as opp_fg3m,
        opponent.fg3a as opp_fg3a,
        opponent.ftm as opp_ftm,
        opponent.fta as opp_fta,
        opponent.oreb as opp_oreb,
        opponent.dreb as opp_dreb,
        opponent.tov as opp_tov
    from team_box as team
    inner join team_box as opponent
        on opponent.game_id = team.game_id
            and opponent.team_abbr <> team.team_abbr
    inner join schedule
        on schedule.game_id = team.game_id
),

possessions as (
    select
        *,
        {{ fixed(
            '0.5 * ((fga + 0.4 * fta - 1.07 * ' ~ ratio('oreb', 'oreb + opp_dreb') ~ ' * (fga - fgm) + tov)'
            ~ ' + (opp_fga + 0.4 * opp_fta - 1.07 * ' ~ ratio('opp_oreb', 'opp_oreb + dreb')
            ~ ' * (opp_fga - opp_fgm) + opp_tov))',
            2) }} as possessions
    from paired
),

final as (
    select
        *,
        {{ fixed(ratio('possessions * 48', 'game_minutes'), 2) }} as pace,
        {{ fixed(ratio('100 * points', 'possessions'), 2) }} as offensive_rating,
        {{ fixed(ratio('100 * opp_points', 'possessions'), 2) }} as defensive_rating,
        cast(round((game_minutes - 48) / 5) as integer) as overtime_periods
    from possessions
)

select * from final
