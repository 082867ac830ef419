{#-
  One row per team per scheduled game: how the team defended each scoring zone
  (2PT, 3PT, FT points allowed per 100 possessions) over its last 15 final
  games strictly before the date, same season, against the league over the
  same season before the date. Formulas: _precompute__models.yml.
-#}
{{ nba_pipeline.assert_no_phase3_gaps() }}

with team_context as (
    select * from {{ ref('upcoming_team_game_context') }}
    where {{ in_run_range('game_date') }}
),

team_defense as (
    select * from {{ ref('team_defense_game_summary') }}
    where {{ in_lookback_range('game_date') }}
),

gap_marks as (
    {{ nba_pipeline.upstream_gap_marks('team_context') }}
),

-- the team's window ending at (and including) each final game
trailing_windows as (
    select
        team_abbr,
        season_year,
        game_date,
        count(*) over last_15 as games_last_15,
        sum(opp_points_2pt) over last_15 as points_2pt_allowed_sum,
        sum(opp_points_3pt) over last_15 as points_3pt_allowed_sum,
        sum(opp_points_ft) over last_15 as points_ft_allowed_sum,
        sum(points_allowed) over last_15 as points_allowed_sum,
        sum(possessions) over last_15 as possessions_sum,
        sum(pace) over last_15 as pace_sum
    from team_defense
    window last_15 as (
        partition by team_abbr, season_year order by game_date, game_id
        rows between 14 preceding and current row
    )
),

-- the league's season-to-date totals at the end of each game date
league_daily as (
    select
        season_year,
        game_date,
        count(*) as team_games,
        sum(opp_points_2pt) as points_2pt,
        sum(opp_points_3pt) as points_3pt,
        sum(opp_points_ft) as points_ft,
        sum(points_allowed) as points_allowed,
        sum(possessions) as possessions,
        sum(pace) as pace
    from team_defense
    group by season_year, game_date
),

league_to_date as (
    select
        season_year,
        game_date,
        sum(team_games) over season_to_date as league_team_games,
        sum(points_2pt) over season_to_date as league_points_2pt_sum,
        sum(points_3pt) over season_to_date as league_points_3pt_sum,
        sum(points_ft) over season_to_date as league_points_ft_sum,
        sum(points_allowed) over season_to_date as league_points_allowed_sum,
        sum(possessions) over season_to_date as league_possessions_sum,
        sum(pace) over season_to_date as league_pace_sum
    from league_daily
    window season_to_date as (
        partition by season_year order by game_date
        rows between unbounded preceding and current row
    )
),

-- the team's latest final game strictly before the row's date
previous_team_games as (
    select
        team_context.game_id,
        team_context.team_abbr,
        max(team_games.game_date) as window_date
    from team_context
    inner join team_defense as team_games
        on team_games.team_abbr = team_context.team_abbr
            and team_games.season_year = team_context.season_year
            and team_games.game_date < team_context.game_date
    group by team_context.game_id, team_context.team_abbr
),

-- the league's latest game date strictly before the row's date
previous_league_dates as (
    select
        row_dates.season_year,
        row_dates.game_date,
        max(league_daily.game_date) as window_date
    from (
        select distinct
            season_year,
            game_date
        from team_context
    ) as row_dates
    inner join league_daily
        on league_daily.season_year = row_dates.season_year
            and league_daily.game_date < row_dates.game_date
    group by row_dates.season_year, row_dates.game_date
),

windowed as (
    select
        team_context.game_id,
        team_context.game_date,
        team_context.season_year,
        team_context.season_type,
        team_context.team_abbr,
        team_context.opponent_team_abbr,
        team_context.is_home,
        coalesce(trailing_windows.games_last_15, 0) as games_in_window,
        trailing_windows.points_2pt_allowed_sum,
        trailing_windows.points_3pt_allowed_sum,
        trailing_windows.points_ft_allowed_sum,
        trailing_windows.points_allowed_sum,
        trailing_windows.possessions_sum,
        trailing_windows.pace_sum,
        cast(coalesce(league_to_date.league_team_games, 0) as {{ dbt.type_bigint() }}) as league_team_games_before,
        league_to_date.league_points_2pt_sum,
        league_to_date.league_points_3pt_sum,
        league_to_date.league_points_ft_sum,
        league_to_date.league_points_allowed_sum,
        league_to_date.league_possessions_sum,
        league_to_date.league_pace_sum
    from team_context
    left join previous_team_games
        on previous_team_games.game_id = team_context.game_id
            and previous_team_games.team_abbr = team_context.team_abbr
    left join trailing_windows
        on trailing_windows.team_abbr = team_context.team_abbr
            and trailing_windows.season_year = team_context.season_year
            and trailing_windows.game_date = previous_team_games.window_date
    left join previous_league_dates
        on previous_league_dates.season_year = team_context.season_year
            and previous_league_dates.game_date = team_context.game_date
    left join league_to_date
        on league_to_date.season_year = team_context.season_year
            and league_to_date.game_date = previous_league_dates.window_date
),

rates as (
    select
        *,
        {{ fixed(ratio('100 * points_2pt_allowed_sum', 'possessions_sum'), 2) }} as points_2pt_allowed_per_100,
        {{ fixed(ratio('100 * points_3pt_allowed_sum', 'possessions_sum'), 2) }} as points_3pt_allowed_per_100,
        {{ fixed(ratio('100 * points_ft_allowed_sum', 'possessions_sum'), 2) }} as points_ft_allowed_per_100,
        {{ fixed(ratio('100 * points_allowed_sum', 'possessions_sum'), 2) }} as defensive_rating_last_15,
        {{ fixed(ratio('pace_sum', 'games_in_window'), 2) }} as pace_last_15,
        {{ fixed(ratio('100 * league_points_2pt_sum', 'league_possessions_sum'), 2) }} as league_points_2pt_per_100,
        {{ fixed(ratio('100 * league_points_3pt_sum', 'league_possessions_sum'), 2) }} as league_points_3pt_per_100,
        {{ fixed(ratio('100 * league_points_ft_sum', 'league_possessions_sum'), 2) }} as league_points_ft_per_100,
        {{ fixed(ratio('100 * league_points_allowed_sum', 'league_possessions_sum'), 2) }} as league_defensive_rating,
        {{ fixed(ratio('league_pace_sum', 'league_team_games_before'), 2) }} as league_pace
    from windowed
),

strengths as (
    select
        *,
        {{ fixed(clamp(ratio('league_points_2pt_per_100 - points_2pt_allowed_per_100', 'league_points_2pt_per_100'),
            -1, 1)) }} as strength_2pt,
        {{ fixed(clamp(ratio('league_points_3pt_per_100 - points_3pt_allowed_per_100', 'league_points_3pt_per_100'),
            -1, 1)) }} as strength_3pt,
        {{ fixed(clamp(ratio('league_points_ft_per_100 - points_ft_allowed_per_100', 'league_points_ft_per_100'),
            -1, 1)) }} as strength_ft,
        {{ fixed(clamp(ratio('league_defensive_rating - defensive_rating_last_15', 'league_defensive_rating'),
            -1, 1)) }} as strength_overall
    from rates
),

rows_to_write as (
    select
        strengths.game_id,
        strengths.game_date,
        strengths.season_year,
        strengths.season_type,
        strengths.team_abbr,
        strengths.opponent_team_abbr,
        strengths.is_home,
        strengths.games_in_window,
        {{ calculation_quality('strengths.games_in_window', 15) }} as calculation_quality,
        strengths.points_2pt_allowed_per_100,
        strengths.points_3pt_allowed_per_100,
        strengths.points_ft_allowed_per_100,
        strengths.defensive_rating_last_15,
        strengths.pace_last_15,
        strengths.league_team_games_before,
        strengths.league_points_2pt_per_100,
        strengths.league_points_3pt_per_100,
        strengths.league_points_ft_per_100,
        strengths.league_defensive_rating,
        strengths.league_pace,
        strengths.strength_2pt,
        strengths.strength_3pt,
        strengths.strength_ft,
        strengths.strength_overall,
        gap_marks.upstream_gap_count,
        gap_marks.upstream_gap_dates
    from strengths
    inner join gap_marks
        on gap_marks.season_year = strengths.season_year
            and gap_marks.game_date = strengths.game_date
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
