{#-
  One row per player per scheduled game (the rows of upcoming_player_game_context):
  the player's scoring mix by zone (2PT, 3PT, FT) over his last 10 and last 20
  games played strictly before the date, same season. Formulas:
  _precompute__models.yml.
-#}
{{ nba_pipeline.assert_no_phase3_gaps() }}

with player_context as (
    select * from {{ ref('upcoming_player_game_context') }}
    where {{ in_run_range('game_date') }}
),

-- the games played by the players of the run's rows (windows are per player)
played_games as (
    select * from {{ ref('player_game_summary') }}
    where {{ in_lookback_range('game_date') }}
        and not is_dnp
        and player_id in (select player_id from player_context)
),

gap_marks as (
    {{ nba_pipeline.upstream_gap_marks('player_context') }}
),

-- the player's windows ending at (and including) each game played; a row
-- reads the windows of its previous_game_date, i.e. "the last N before it"
trailing_windows as (
    select
        player_id,
        season_year,
        game_date,
        count(*) over last_10 as games_last_10,
        sum(points) over last_10 as points_sum_10,
        sum(points_2pt) over last_10 as points_2pt_sum_10,
        sum(points_3pt) over last_10 as points_3pt_sum_10,
        sum(points_ft) over last_10 as points_ft_sum_10,
        sum(fga - fg3a) over last_10 as fg2a_sum_10,
        sum(fg3a) over last_10 as fg3a_sum_10,
        sum(fta) over last_10 as fta_sum_10,
        count(*) over last_20 as games_last_20,
        sum(points) over last_20 as points_sum_20,
        sum(points_2pt) over last_20 as points_2pt_sum_20,
        sum(points_3pt) over last_20 as points_3pt_sum_20,
        sum(points_ft) over last_20 as points_ft_sum_20,
        sum(fga - fg3a) over last_20 as fg2a_sum_20,
        sum(fg3a) over last_20 as fg3a_sum_20,
        sum(fta) over last_20 as fta_sum_20
    from played_games
    window
        last_10 as (
            partition by player_id, season_year order by game_date, game_id
            rows between 9 preceding and current row
        ),
        last_20 as (
            partition by player_id, season_year order by game_date, game_id
            rows between 19 preceding and current row
        )
),

windowed as (
    select
        player_context.game_id,
        player_context.game_date,
        player_context.season_year,
        player_context.season_type,
        player_context.player_id,
        player_context.player_name,
        player_context.team_abbr,
        player_context.opponent_team_abbr,
        coalesce(trailing_windows.games_last_10, 0) as games_in_window_10,
        coalesce(trailing_windows.games_last_20, 0) as games_in_window_20,
        trailing_windows.points_sum_10,
        trailing_windows.points_2pt_sum_10,
        trailing_windows.points_3pt_sum_10,
        trailing_windows.points_ft_sum_10,
        trailing_windows.fg2a_sum_10 + trailing_windows.fg3a_sum_10
        + 0.44 * trailing_windows.fta_sum_10 as attempts_sum_10,
        trailing_windows.fg2a_sum_10,
        trailing_windows.fg3a_sum_10,
        trailing_windows.fta_sum_10,
        trailing_windows.points_sum_20,
        trailing_windows.points_2pt_sum_20,
        trailing_windows.points_3pt_sum_20,
        trailing_windows.points_ft_sum_20,
        trailing_windows.fg2a_sum_20 + trailing_windows.fg3a_sum_20
        + 0.44 * trailing_windows.fta_sum_20 as attempts_sum_20,
        trailing_windows.fg2a_sum_20,
        trailing_windows.fg3a_sum_20,
        trailing_windows.fta_sum_20
    from player_context
    left join trailing_windows
        on trailing_windows.player_id = player_context.player_id
            and trailing_windows.season_year = player_context.season_year
            and trailing_windows.game_date = player_context.previous_game_date
),

rows_to_write as (
    select
        windowed.game_id,
        windowed.game_date,
        windowed.season_year,
        windowed.season_type,
        windowed.player_id,
        windowed.player_name,
        windowed.team_abbr,
        windowed.opponent_team_abbr,
        windowed.games_in_window_10,
        windowed.games_in_window_20,
        {{ calculation_quality('windowed.games_in_window_20', 20) }} as calculation_quality,
        {{ fixed(ratio('points_sum_10', 'games_in_window_10'), 2) }} as points_avg_last_10,
        {{ fixed(ratio('points_2pt_sum_10', 'points_sum_10')) }} as points_share_2pt_last_10,
        {{ fixed(ratio('points_3pt_sum_10', 'points_sum_10')) }} as points_share_3pt_last_10,
        {{ fixed(ratio('points_ft_sum_10', 'points_sum_10')) }} as points_share_ft_last_10,
        {{ fixed(ratio('fg2a_sum_10', 'attempts_sum_10')) }} as attempt_share_2pt_last_10,
        {{ fixed(ratio('fg3a_sum_10', 'attempts_sum_10')) }} as attempt_share_3pt_last_10,
        {{ fixed(ratio('0.44 * fta_sum_10', 'attempts_sum_10')) }} as attempt_share_ft_last_10,
        {{ fixed(ratio('points_sum_20', 'games_in_window_20'), 2) }} as points_avg_last_20,
        {{ fixed(ratio('points_2pt_sum_20', 'points_sum_20')) }} as points_share_2pt_last_20,
        {{ fixed(ratio('points_3pt_sum_20', 'points_sum_20')) }} as points_share_3pt_last_20,
        {{ fixed(ratio('points_ft_sum_20', 'points_sum_20')) }} as points_share_ft_last_20,
        {{ fixed(ratio('fg2a_sum_20', 'attempts_sum_20')) }} as attempt_share_2pt_last_20,
        {{ fixed(ratio('fg3a_sum_20', 'attempts_sum_20')) }} as attempt_share_3pt_last_20,
        {{ fixed(ratio('0.44 * fta_sum_20', 'attempts_sum_20')) }} as attempt_share_ft_last_20,
        gap_marks.upstream_gap_count,
        gap_marks.upstream_gap_dates
    from windowed
    inner join gap_marks
        on gap_marks.season_year = windowed.season_year
            and gap_marks.game_date = windowed.game_date
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
