{#-
  One row per player per scheduled game (the rows of upcoming_player_game_context):
  the player's scoring mix by zone (2PT, 3PT, FT) over his last 10 and last 20
  games played strictly before the date, same season. Formulas:
  _precompute__models.yml.
-#}
{{ nba_pipeline.assert_no_phase3_gaps() }}

{#- the figures of each window, in the order the table has them -#}
{%- set figures = [
    'points_avg', 'points_share_2pt', 'points_share_3pt', 'points_share_ft',
    'attempt_share_2pt', 'attempt_share_3pt', 'attempt_share_ft',
] %}

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

-- the figures of those windows, per game played: a row reads the figures of
-- its previous game, so the join below carries the figures, not the window
-- sums they come from (a smaller hash table; see player_daily_cache)
window_attempts as (
    select
        *,
        fg2a_sum_10 + fg3a_sum_10 + 0.44 * fta_sum_10 as attempts_sum_10,
        fg2a_sum_20 + fg3a_sum_20 + 0.44 * fta_sum_20 as attempts_sum_20
    from trailing_windows
),

window_figures as (
    select
        player_id,
        season_year,
        game_date,
        games_last_10,
        games_last_20,
        {%- for size in [10, 20] %}
            {{ fixed(ratio('points_sum_' ~ size, 'games_last_' ~ size), 2) }} as points_avg_last_{{ size }},
            {{ fixed(ratio('points_2pt_sum_' ~ size, 'points_sum_' ~ size)) }} as points_share_2pt_last_{{ size }},
            {{ fixed(ratio('points_3pt_sum_' ~ size, 'points_sum_' ~ size)) }} as points_share_3pt_last_{{ size }},
            {{ fixed(ratio('points_ft_sum_' ~ size, 'points_sum_' ~ size)) }} as points_share_ft_last_{{ size }},
            {{ fixed(ratio('fg2a_sum_' ~ size, 'attempts_sum_' ~ size)) }} as attempt_share_2pt_last_{{ size }},
            {{ fixed(ratio('fg3a_sum_' ~ size, 'attempts_sum_' ~ size)) }} as attempt_share_3pt_last_{{ size }},
            {{ fixed(ratio('0.44 * fta_sum_' ~ size, 'attempts_sum_' ~ size)) }} as attempt_share_ft_last_{{ size }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from window_attempts
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
        coalesce(window_figures.games_last_10, 0) as games_in_window_10,
        coalesce(window_figures.games_last_20, 0) as games_in_window_20,
        {%- for size in [10, 20] %}
            {%- for figure in figures %}
                window_figures.{{ figure }}_last_{{ size }}{% if not loop.last %},{% endif %}
            {%- endfor %}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from player_context
    left join window_figures
        on window_figures.player_id = player_context.player_id
            and window_figures.season_year = player_context.season_year
            and window_figures.game_date = player_context.previous_game_date
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
        {%- for size in [10, 20] %}
            {%- for figure in figures %}
                windowed.{{ figure }}_last_{{ size }},
            {%- endfor %}
        {%- endfor %}
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
