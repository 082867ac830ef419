{#-
  One row per player per game: for final games every player who played
  (minutes > 0), for scheduled games the players of that team's last 5 final
  games. Every window covers the player's games played strictly before the
  row's date in the same season; DNPs never enter a window.
-#}
with team_schedule as (
    select * from {{ ref('int_team_schedule') }}
    where {{ in_lookback_range('game_date') }}
),

played_games as (
    select * from {{ ref('int_player_games__enriched') }}
    where {{ in_lookback_range('game_date') }}
        and not is_dnp
),

-- Windows ending at (and including) each played game. A row reads the latest
-- of these strictly before its own date, which is exactly "the last N games
-- before this one" for a played game and for a scheduled one alike.
trailing_windows as (
    select
        game_id,
        player_id,
        count(*) over last_5 as games_last_5,
        sum(points) over last_5 as points_sum_last_5,
        count(*) over last_10 as games_last_10,
        sum(points) over last_10 as points_sum_last_10,
        sum(points * points) over last_10 as points_squared_sum_last_10,
        sum(seconds_played) over last_10 as seconds_sum_last_10,
        count(*) over season_to_date as season_games,
        sum(points) over season_to_date as season_points_sum,
        sum(seconds_played) over season_to_date as season_seconds_sum
    from played_games
    window
        last_5 as (
            partition by player_id, season_year order by game_date, game_id
            rows between 4 preceding and current row
        ),
        last_10 as (
            partition by player_id, season_year order by game_date, game_id
            rows between 9 preceding and current row
        ),
        season_to_date as (
            partition by player_id, season_year order by game_date, game_id
            rows between unbounded preceding and current row
        )
),

upcoming_team_games as (
    select * from team_schedule
    where not is_final and {{ in_run_range('game_date') }}
),

recent_team_games as (
    select
        upcoming.game_id as upcoming_game_id,
        upcoming.team_abbr,
        recent.game_id as recent_game_id,
        row_number() over (
            partition by upcoming.game_id, upcoming.team_abbr
            order by recent.game_date desc, recent.game_id desc
        ) as recency
    from upcoming_team_games as upcoming
    inner join team_schedule as recent
        on recent.team_abbr = upcoming.team_abbr
            and recent.season_year = upcoming.season_year
            and recent.is_final
            and recent.game_date < upcoming.game_date
),

upcoming_candidates as (
    select
        upcoming.game_id,
        upcoming.game_date,
        upcoming.season_year,
        upcoming.season_type,
        played.player_id,
        max(played.player_name) as player_name,
        upcoming.team_abbr,
        upcoming.opponent_team_abbr,
        upcoming.is_home,
        max(played.game_date) as last_game_for_team
    from recent_team_games as recent
    inner join upcoming_team_games as upcoming
        on upcoming.game_id = recent.upcoming_game_id
            and upcoming.team_abbr = recent.team_abbr
    inner join played_games as played
        on played.game_id = recent.recent_game_id
            and played.team_abbr = recent.team_abbr
    where recent.recency <= 5
    group by 1, 2, 3, 4, 5, 7, 8, 9
),

-- a player traded between the two teams of one game belongs to his latest team
upcoming_players as (
    select * from upcoming_candidates
    qualify row_number() over (partition by game_id, player_id order by last_game_for_team desc, team_abbr asc) = 1
),

target_rows as (
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
        true as is_final
    from played_games
    union all
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
        false as is_final
    from upcoming_players
),

sequenced as (
    select
        target_rows.*,
        case when trailing_windows.game_id is not null then target_rows.game_date end as played_game_date,
        trailing_windows.games_last_5,
        trailing_windows.points_sum_last_5,
        trailing_windows.games_last_10,
        trailing_windows.points_sum_last_10,
        trailing_windows.points_squared_sum_last_10,
        trailing_windows.seconds_sum_last_10,
        trailing_windows.season_games,
        trailing_windows.season_points_sum,
        trailing_windows.season_seconds_sum
    from target_rows
    left join trailing_windows
        on trailing_windows.game_id = target_rows.game_id
            and trailing_windows.player_id = target_rows.player_id
),

prior_windows as (
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
        is_final,
        last_value(played_game_date ignore nulls) over before_this_game as previous_game_date,
        coalesce(last_value(games_last_5 ignore nulls) over before_this_game, 0) as games_last_5,
        last_value(points_sum_last_5 ignore nulls) over before_this_game as points_sum_last_5,
        coalesce(last_value(games_last_10 ignore nulls) over before_this_game, 0) as games_last_10,
        last_value(points_sum_last_10 ignore nulls) over before_this_game as points_sum_last_10,
        last_value(points_squared_sum_last_10 ignore nulls) over before_this_game as points_squared_sum_last_10,
        last_value(seconds_sum_last_10 ignore nulls) over before_this_game as seconds_sum_last_10,
        coalesce(last_value(season_games ignore nulls) over before_this_game, 0) as season_games,
        last_value(season_points_sum ignore nulls) over before_this_game as season_points_sum,
        last_value(season_seconds_sum ignore nulls) over before_this_game as season_seconds_sum
    from sequenced
    window before_this_game as (
        partition by player_id, season_year order by game_date, game_id
        rows between unbounded preceding and 1 preceding
    )
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
        case when is_final then 'final' else 'scheduled' end as game_status,
        previous_game_date,
        {{ rest_before_game() }},
        {{ fixed(ratio('points_sum_last_5', 'games_last_5'), 2) }} as points_avg_last_5,
        {{ fixed(ratio('points_sum_last_10', 'games_last_10'), 2) }} as points_avg_last_10,
        {{ fixed('sqrt(' ~ ratio(
            'points_squared_sum_last_10 - ' ~ ratio('points_sum_last_10 * points_sum_last_10', 'games_last_10'),
            'games_last_10 - 1'
        ) ~ ')', 2) }} as points_std_last_10,
        {{ fixed(ratio('seconds_sum_last_10', '60 * games_last_10'), 2) }} as minutes_avg_last_10,
        season_games as season_games_before,
        {{ fixed(ratio('season_points_sum', 'season_games'), 2) }} as season_points_avg,
        {{ fixed(ratio('season_seconds_sum', '60 * season_games'), 2) }} as season_minutes_avg,
        games_last_5 as games_in_window_5,
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
