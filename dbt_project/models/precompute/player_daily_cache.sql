{#-
  One row per player per scheduled game (the rows of upcoming_player_game_context):
  the snapshot Phase 5 reads, season-to-date and over the last 5 / 10 / 30 games
  played strictly before the date (same season), plus the minutes load of the
  7 days before. Formulas: _precompute__models.yml.
-#}
{{ nba_pipeline.assert_no_phase3_gaps() }}

{%- set windows = {'last_5': 5, 'last_10': 10, 'last_30': 30} %}
{#- the figures of each window, in the order the table has them -#}
{%- set figures = [
    'points_avg', 'minutes_avg', 'fga_avg', 'fg3a_avg', 'fta_avg', 'reb_avg', 'ast_avg', 'usage_rate_avg', 'ts_pct',
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
        {%- for name in windows.keys() | list + ['season'] %}
            count(*) over {{ name }} as games_{{ name }},
            sum(points) over {{ name }} as points_sum_{{ name }},
            sum(seconds_played) over {{ name }} as seconds_sum_{{ name }},
            sum(fga) over {{ name }} as fga_sum_{{ name }},
            sum(fg3a) over {{ name }} as fg3a_sum_{{ name }},
            sum(fta) over {{ name }} as fta_sum_{{ name }},
            sum(reb) over {{ name }} as reb_sum_{{ name }},
            sum(ast) over {{ name }} as ast_sum_{{ name }},
            sum(usage_rate) over {{ name }} as usage_sum_{{ name }},
            count(usage_rate) over {{ name }} as usage_games_{{ name }},
        {%- endfor %}
        sum(points * points) over last_10 as points_squared_sum_last_10
    from played_games
    window
        {%- for name, size in windows.items() %}
            {{ name }} as (
                partition by player_id, season_year order by game_date, game_id
                rows between {{ size - 1 }} preceding and current row
            ),
        {%- endfor %}
        season as (
            partition by player_id, season_year order by game_date, game_id
            rows between unbounded preceding and current row
        )
),

-- the figures of those windows, per game played: a row reads the figures of
-- its previous game, so the join below carries the two-decimal figures, not
-- the forty wide window sums they come from (that join's hash table was the
-- model's largest memory)
window_figures as (
    select
        player_id,
        season_year,
        game_date,
        {%- for name in windows.keys() | list + ['season'] %}
            games_{{ name }},
            {{ fixed(ratio('points_sum_' ~ name, 'games_' ~ name), 2) }} as points_avg_{{ name }},
            {{ fixed(ratio('seconds_sum_' ~ name, '60 * games_' ~ name), 2) }} as minutes_avg_{{ name }},
            {{ fixed(ratio('fga_sum_' ~ name, 'games_' ~ name), 2) }} as fga_avg_{{ name }},
            {{ fixed(ratio('fg3a_sum_' ~ name, 'games_' ~ name), 2) }} as fg3a_avg_{{ name }},
            {{ fixed(ratio('fta_sum_' ~ name, 'games_' ~ name), 2) }} as fta_avg_{{ name }},
            {{ fixed(ratio('reb_sum_' ~ name, 'games_' ~ name), 2) }} as reb_avg_{{ name }},
            {{ fixed(ratio('ast_sum_' ~ name, 'games_' ~ name), 2) }} as ast_avg_{{ name }},
            {{ fixed(ratio('usage_sum_' ~ name, 'usage_games_' ~ name), 2) }} as usage_rate_avg_{{ name }},
            {{ true_shooting_pct('points_sum_' ~ name, 'fga_sum_' ~ name, 'fta_sum_' ~ name) }} as ts_pct_{{ name }},
        {%- endfor %}
        {{ fixed('sqrt(' ~ clamp(
            ratio(
                'points_squared_sum_last_10 - ' ~ ratio('points_sum_last_10 * points_sum_last_10', 'games_last_10'),
                'games_last_10 - 1'
            ), 0, 10000
        ) ~ ')', 2) }} as points_std_last_10
    from trailing_windows
),

-- minutes load: games played in the 7 days before the row's date
recent_load as (
    select
        player_context.game_id,
        player_context.player_id,
        count(*) as games_last_7_days,
        sum(played_games.seconds_played) as seconds_last_7_days
    from player_context
    inner join played_games
        on played_games.player_id = player_context.player_id
            and played_games.season_year = player_context.season_year
            and played_games.game_date < player_context.game_date
            and {{ days_between('played_games.game_date', 'player_context.game_date') }} <= 7  -- noqa: LT05
    group by player_context.game_id, player_context.player_id
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
        player_context.is_home,
        player_context.game_status,
        player_context.previous_game_date,
        player_context.days_rest,
        player_context.is_back_to_back,
        coalesce(recent_load.games_last_7_days, 0) as games_last_7_days,
        coalesce(recent_load.seconds_last_7_days, 0) as seconds_last_7_days,
        {%- for name in windows.keys() | list + ['season'] %}
            coalesce(window_figures.games_{{ name }}, 0) as games_{{ name }},
            {%- for figure in figures %}
                window_figures.{{ figure }}_{{ name }},
            {%- endfor %}
        {%- endfor %}
        window_figures.points_std_last_10
    from player_context
    left join window_figures
        on window_figures.player_id = player_context.player_id
            and window_figures.season_year = player_context.season_year
            and window_figures.game_date = player_context.previous_game_date
    left join recent_load
        on recent_load.game_id = player_context.game_id
            and recent_load.player_id = player_context.player_id
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
        windowed.is_home,
        windowed.game_status,
        windowed.previous_game_date,
        windowed.days_rest,
        windowed.is_back_to_back,
        windowed.games_last_7_days,
        {{ fixed('seconds_last_7_days / 60.0', 2) }} as minutes_last_7_days,
        {%- for name in windows.keys() | list + ['season'] %}
            windowed.games_{{ name }},
            {%- for figure in figures %}
                windowed.{{ figure }}_{{ name }},
            {%- endfor %}
        {%- endfor %}
        windowed.points_std_last_10,
        {{ calculation_quality('windowed.games_last_10', 10) }} as calculation_quality,
        {{ calculation_quality('windowed.games_last_30', 30) }} as calculation_quality_30,
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
