{#-
  One row per player per scheduled game: the fixed feature list v1 (every
  feature known before the game: windows strictly before the date), the
  consensus prop line when there is one, the label (points scored, once the
  game is final) and the row's quality metadata. The feature list and the
  formulas are documented in _precompute__models.yml; orchestration/ml reads
  the same list (FEATURES_V1).
-#}
with player_cache as (
    select * from {{ ref('player_daily_cache') }}
    where {{ in_run_range('game_date') }}
),

player_zones as (
    select * from {{ ref('player_shot_zone_analysis') }}
    where {{ in_run_range('game_date') }}
),

composite_factors as (
    select * from {{ ref('player_composite_factors') }}
    where {{ in_run_range('game_date') }}
),

team_zone_defense as (
    select * from {{ ref('team_defense_zone_analysis') }}
    where {{ in_run_range('game_date') }}
),

player_results as (
    select * from {{ ref('player_game_summary') }}
    where {{ in_run_range('game_date') }}
),

prop_lines as (
    select * from {{ ref('stg_nba_raw__player_points_props') }}
    where {{ in_run_range('game_date') }}
),

-- consensus line: mean over bookmakers, rounded to the nearest half point
consensus_lines as (
    select
        game_id,
        player_id,
        count(*) as bookmaker_count,
        {{ fixed('round(2 * ' ~ ratio('sum(points_line)', 'count(*)') ~ ') / 2', 1) }} as points_line
    from prop_lines
    group by game_id, player_id
),

features as (
    select
        player_cache.game_id,
        player_cache.game_date,
        player_cache.season_year,
        player_cache.season_type,
        player_cache.player_id,
        player_cache.player_name,
        player_cache.team_abbr,
        player_cache.opponent_team_abbr,
        player_cache.game_status,
        -- the feature list v1 (documented one by one in the YAML)
        player_cache.points_avg_last_5,
        player_cache.points_avg_last_10,
        player_cache.points_avg_last_30,
        player_cache.points_avg_season,
        player_cache.points_std_last_10,
        player_cache.minutes_avg_last_10,
        player_cache.minutes_avg_season,
        player_cache.usage_rate_avg_last_10,
        player_cache.fga_avg_last_10,
        player_cache.fg3a_avg_last_10,
        player_cache.fta_avg_last_10,
        player_cache.ts_pct_last_10,
        player_cache.games_last_10,
        player_cache.games_season,
        player_cache.days_rest,
        {{ flag('player_cache.is_back_to_back') }} as is_back_to_back,
        {{ flag('player_cache.is_home') }} as is_home,
        {{ flag("player_cache.season_type = 'Playoffs'") }} as is_playoffs,
        player_cache.minutes_last_7_days,
        player_zones.points_share_3pt_last_10,
        player_zones.points_share_ft_last_10,
        opponent_defense.games_in_window as opponent_games_in_window,
        opponent_defense.defensive_rating_last_15 as opponent_defensive_rating_last_15,
        opponent_defense.strength_2pt as opponent_strength_2pt,
        opponent_defense.strength_3pt as opponent_strength_3pt,
        opponent_defense.strength_ft as opponent_strength_ft,
        composite_factors.pace_ratio,
        composite_factors.fatigue_adjustment,
        composite_factors.zone_mismatch_adjustment,
        composite_factors.pace_adjustment,
        composite_factors.usage_adjustment,
        composite_factors.total_adjustment,
        -- not features
        consensus_lines.points_line,
        coalesce(consensus_lines.bookmaker_count, 0) as bookmaker_count,
        case when not player_results.is_dnp then player_results.points end as target_points,
        player_cache.calculation_quality,
        player_cache.upstream_gap_count,
        player_cache.upstream_gap_dates
    from player_cache
    left join player_zones
        on player_zones.game_id = player_cache.game_id
            and player_zones.player_id = player_cache.player_id
    left join composite_factors
        on composite_factors.game_id = player_cache.game_id
            and composite_factors.player_id = player_cache.player_id
    left join team_zone_defense as opponent_defense
        on opponent_defense.game_id = player_cache.game_id
            and opponent_defense.team_abbr = player_cache.opponent_team_abbr
    left join consensus_lines
        on consensus_lines.game_id = player_cache.game_id
            and consensus_lines.player_id = player_cache.player_id
    left join player_results
        on player_results.game_id = player_cache.game_id
            and player_results.player_id = player_cache.player_id
),

scored as (
    select
        *,
        {{ clamp(
            '100 * (0.50 * least(games_last_10, 10) / 10.0'
            ~ ' + 0.20 * least(coalesce(opponent_games_in_window, 0), 15) / 15.0'
            ~ ' + 0.10 * ' ~ flag('pace_ratio is not null')
            ~ ' + 0.10 * ' ~ flag('usage_rate_avg_last_10 is not null')
            ~ ' + 0.10 * ' ~ flag('points_line is not null') ~ ')'
            ~ ' - 20 * ' ~ flag('upstream_gap_count > 0'),
            0, 100) }} as raw_quality_score
    from features
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
        game_status,
        'v1' as feature_version,
        points_avg_last_5,
        points_avg_last_10,
        points_avg_last_30,
        points_avg_season,
        points_std_last_10,
        minutes_avg_last_10,
        minutes_avg_season,
        usage_rate_avg_last_10,
        fga_avg_last_10,
        fg3a_avg_last_10,
        fta_avg_last_10,
        ts_pct_last_10,
        games_last_10,
        games_season,
        days_rest,
        is_back_to_back,
        is_home,
        is_playoffs,
        minutes_last_7_days,
        points_share_3pt_last_10,
        points_share_ft_last_10,
        opponent_games_in_window,
        opponent_defensive_rating_last_15,
        opponent_strength_2pt,
        opponent_strength_3pt,
        opponent_strength_ft,
        pace_ratio,
        fatigue_adjustment,
        zone_mismatch_adjustment,
        pace_adjustment,
        usage_adjustment,
        total_adjustment,
        points_line,
        bookmaker_count,
        target_points,
        calculation_quality,
        upstream_gap_count,
        upstream_gap_dates,
        {{ fixed('raw_quality_score', 1) }} as feature_quality_score,
        coalesce(
            target_points is not null
            and games_last_10 >= 3
            and upstream_gap_count = 0
            and raw_quality_score >= 50,
            false
        ) as can_use_for_ml_training,
        nullif(rtrim(concat(
            case when points_line is null then 'prop_line,' else '' end,
            case when games_last_10 = 0 then 'player_history,' else '' end,
            case when coalesce(opponent_games_in_window, 0) = 0 then 'opponent_defense,' else '' end,
            case when pace_ratio is null then 'team_pace,' else '' end,
            case when upstream_gap_count > 0 then 'phase3_gaps,' else '' end
        ), ','), '') as missing_sources
    from scored
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
