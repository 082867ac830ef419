{#-
  One row per team per scheduled game (final or not): rest and the team's
  form over its last 10 final games strictly before the game, same season.
-#}
with team_schedule as (
    select * from {{ ref('int_team_schedule') }}
    where {{ in_lookback_range('game_date') }}
),

team_games as (
    select * from {{ ref('int_team_games__with_opponent') }}
    where {{ in_lookback_range('game_date') }}
),

-- windows ending at (and including) each final game
trailing_windows as (
    select
        game_id,
        team_abbr,
        count(*) over last_10 as games_last_10,
        sum(points) over last_10 as points_sum_last_10,
        sum(opp_points) over last_10 as points_allowed_sum_last_10,
        sum(possessions) over last_10 as possessions_sum_last_10,
        sum(pace) over last_10 as pace_sum_last_10,
        count(*) over season_to_date as season_games,
        sum(case when points > opp_points then 1 else 0 end) over season_to_date as season_wins
    from team_games
    window
        last_10 as (
            partition by team_abbr, season_year order by game_date, game_id
            rows between 9 preceding and current row
        ),
        season_to_date as (
            partition by team_abbr, season_year order by game_date, game_id
            rows between unbounded preceding and current row
        )
),

sequenced as (
    select
        team_schedule.*,
        trailing_windows.games_last_10,
        trailing_windows.points_sum_last_10,
        trailing_windows.points_allowed_sum_last_10,
        trailing_windows.possessions_sum_last_10,
        trailing_windows.pace_sum_last_10,
        trailing_windows.season_games,
        trailing_windows.season_wins
    from team_schedule
    left join trailing_windows
        on trailing_windows.game_id = team_schedule.game_id
            and trailing_windows.team_abbr = team_schedule.team_abbr
),

prior_windows as (
    select
        game_id,
        game_date,
        season_year,
        season_type,
        is_final,
        team_abbr,
        opponent_team_abbr,
        is_home,
        lag(game_date) over team_sequence as previous_game_date,
        coalesce(last_value(games_last_10 ignore nulls) over before_this_game, 0) as games_last_10,
        last_value(points_sum_last_10 ignore nulls) over before_this_game as points_sum_last_10,
        last_value(points_allowed_sum_last_10 ignore nulls) over before_this_game as points_allowed_sum_last_10,
        last_value(possessions_sum_last_10 ignore nulls) over before_this_game as possessions_sum_last_10,
        last_value(pace_sum_last_10 ignore nulls) over before_this_game as pace_sum_last_10,
        coalesce(last_value(season_games ignore nulls) over before_this_game, 0) as season_games,
        coalesce(last_value(season_wins ignore nulls) over before_this_game, 0) as season_wins
    from sequenced
    window
        team_sequence as (partition by team_abbr, season_year order by game_date, game_id),
        before_this_game as (
            partition by team_abbr, season_year order by game_date, game_id
            rows between unbounded preceding and 1 preceding
        )
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
        case when is_final then 'final' else 'scheduled' end as game_status,
        previous_game_date,
        {{ rest_before_game() }},
        season_games as games_played_before,
        season_wins as wins_before,
        {{ fixed(ratio('season_wins', 'season_games'), 4) }} as win_pct_before,
        {{ fixed(ratio('points_sum_last_10', 'games_last_10'), 2) }} as points_avg_last_10,
        {{ fixed(ratio('points_allowed_sum_last_10', 'games_last_10'), 2) }} as points_allowed_avg_last_10,
        {{ fixed(ratio('pace_sum_last_10', 'games_last_10'), 2) }} as pace_avg_last_10,
        {{ fixed(ratio('100 * points_sum_last_10', 'possessions_sum_last_10'), 2) }} as offensive_rating_last_10,
        {{ fixed(
            ratio('100 * points_allowed_sum_last_10', 'possessions_sum_last_10'), 2
        ) }} as defensive_rating_last_10,
        games_last_10 as games_in_window,
        {{ calculation_quality('games_last_10', 10) }} as calculation_quality
    from prior_windows
    where {{ in_run_range('game_date') }}
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
