{#- The scheduled games of the players of the run's rows over the lookback range
    (season start of start_date .. end_date), one row per player per game, with
    the points when he played it and where it stands in his season:
    `played_game_number` numbers his games played (by date, then game id) and
    `played_games_before` counts those strictly before the row's date. "The last
    N games played before D" is then played_game_number between
    played_games_before - N + 1 and played_games_before: a bounded equi-join
    (at most N rows per player-game), never a ranking of every earlier game. -#}
with lookback_context as (
    select * from {{ ref('upcoming_player_game_context') }}
    where {{ in_lookback_range('game_date') }}
),

-- the players of the run's player-games (the rows of ml_feature_store and of every
-- Phase 5 system are one per row of upcoming_player_game_context)
run_players as (
    select distinct player_id from lookback_context
    where {{ in_run_range('game_date') }}
),

player_history as (
    select * from {{ ref('player_game_summary') }}
    where {{ in_lookback_range('game_date') }}
        and not is_dnp
        and player_id in (select player_id from run_players)
),

player_context as (
    select * from lookback_context
    where player_id in (select player_id from run_players)
),

player_games as (
    select
        player_context.game_id,
        player_context.game_date,
        player_context.season_year,
        player_context.player_id,
        player_context.opponent_team_abbr,
        player_context.is_home,
        player_context.days_rest,
        player_history.game_id is not null as was_played,
        player_history.points
    from player_context
    left join player_history
        on player_history.game_id = player_context.game_id
            and player_history.player_id = player_context.player_id
),

final as (
    select
        *,
        case when was_played then
                row_number() over (partition by player_id, season_year, was_played order by game_date, game_id)
        end as played_game_number,
        -- games played up to and including the row's date, minus those on its date
        cast(
            sum({{ flag('was_played') }}) over (partition by player_id, season_year order by game_date)
            - sum({{ flag('was_played') }}) over (partition by player_id, season_year, game_date)
            as {{ dbt.type_bigint() }}
        ) as played_games_before
    from player_games
)

select * from final
