{#-
  One row per player per scheduled game: four bounded adjustment factors and
  their bounded total, each a documented formula (_precompute__models.yml).
  Reads the same dates of the Phase 4 tables it combines (built in the same
  run) and Phase 3's team context; no window reaches its own output.
-#}
with player_cache as (
    select * from {{ ref('player_daily_cache') }}
    where {{ in_run_range('game_date') }}
),

player_zones as (
    select * from {{ ref('player_shot_zone_analysis') }}
    where {{ in_run_range('game_date') }}
),

team_zone_defense as (
    select * from {{ ref('team_defense_zone_analysis') }}
    where {{ in_run_range('game_date') }}
),

team_context as (
    select * from {{ ref('upcoming_team_game_context') }}
    where {{ in_run_range('game_date') }}
),

combined as (
    select
        player_cache.game_id,
        player_cache.game_date,
        player_cache.season_year,
        player_cache.season_type,
        player_cache.player_id,
        player_cache.player_name,
        player_cache.team_abbr,
        player_cache.opponent_team_abbr,
        player_cache.days_rest,
        player_cache.is_back_to_back,
        player_cache.minutes_last_7_days,
        player_cache.usage_rate_avg_last_5,
        player_cache.usage_rate_avg_season,
        player_zones.points_share_2pt_last_10,
        player_zones.points_share_3pt_last_10,
        player_zones.points_share_ft_last_10,
        opponent_defense.strength_2pt as opponent_strength_2pt,
        opponent_defense.strength_3pt as opponent_strength_3pt,
        opponent_defense.strength_ft as opponent_strength_ft,
        opponent_defense.league_pace,
        own_team.pace_avg_last_10 as team_pace_last_10,
        opponent_team.pace_avg_last_10 as opponent_pace_last_10,
        player_cache.upstream_gap_count
    from player_cache
    left join player_zones
        on player_zones.game_id = player_cache.game_id
            and player_zones.player_id = player_cache.player_id
    left join team_zone_defense as opponent_defense
        on opponent_defense.game_id = player_cache.game_id
            and opponent_defense.team_abbr = player_cache.opponent_team_abbr
    left join team_context as own_team
        on own_team.game_id = player_cache.game_id
            and own_team.team_abbr = player_cache.team_abbr
    left join team_context as opponent_team
        on opponent_team.game_id = player_cache.game_id
            and opponent_team.team_abbr = player_cache.opponent_team_abbr
),

inputs as (
    select
        *,
        -{{ fixed(
            'points_share_2pt_last_10 * opponent_strength_2pt + points_share_3pt_last_10 * opponent_strength_3pt'
            ~ ' + points_share_ft_last_10 * opponent_strength_ft'
        ) }} as zone_mismatch_score,
        {{ fixed('(team_pace_last_10 + opponent_pace_last_10) / 2', 2) }} as expected_pace,
        {{ fixed(ratio('(team_pace_last_10 + opponent_pace_last_10) / 2', 'league_pace')) }} as pace_ratio,
        {{ fixed(clamp(
            ratio('usage_rate_avg_last_5 - usage_rate_avg_season', 'usage_rate_avg_season'), -1, 1
        )) }} as usage_spike
    from combined
),

factors as (
    select
        *,
        {{ fixed(clamp(
            '0.01 * (least(coalesce(days_rest, 3), 3) - 1)'
            ~ ' - 0.03 * ' ~ flag('is_back_to_back')
            ~ ' - 0.0005 * (case when minutes_last_7_days > 96 then minutes_last_7_days - 96 else 0 end)',
            -0.10, 0.02)) }} as fatigue_adjustment,
        coalesce({{ fixed(clamp('0.25 * zone_mismatch_score', -0.10, 0.10)) }}, 0) as zone_mismatch_adjustment,
        coalesce({{ fixed(clamp('pace_ratio - 1', -0.08, 0.08)) }}, 0) as pace_adjustment,
        coalesce({{ fixed(clamp('0.10 * usage_spike', -0.05, 0.05)) }}, 0) as usage_adjustment
    from inputs
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
        days_rest,
        is_back_to_back,
        minutes_last_7_days,
        zone_mismatch_score,
        expected_pace,
        league_pace,
        pace_ratio,
        usage_rate_avg_last_5,
        usage_rate_avg_season,
        usage_spike,
        fatigue_adjustment,
        zone_mismatch_adjustment,
        pace_adjustment,
        usage_adjustment,
        {{ fixed(clamp(
            'fatigue_adjustment + zone_mismatch_adjustment + pace_adjustment + usage_adjustment', -0.25, 0.25
        )) }} as total_adjustment,
        nullif(rtrim(concat(
            case when zone_mismatch_score is null then 'zone_mismatch,' else '' end,
            case when pace_ratio is null then 'pace,' else '' end,
            case when usage_spike is null then 'usage,' else '' end
        ), ','), '') as missing_factor_inputs,
        upstream_gap_count
    from factors
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
