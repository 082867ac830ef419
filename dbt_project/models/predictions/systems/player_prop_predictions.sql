{#-
  Phase 5: one row per player per scheduled game per prediction system.
  Forward-looking: every input of a row dated D is known before D's games
  (Phase 4 rows of D are built from windows strictly before D; the
  similarity history is read from Phase 3 strictly before D), so predictions
  of past dates are honest backtests. Formulas: _systems__models.yml.
-#}
{{ config(pre_hook=["{{ nba_pipeline.ensure_ml_system_predictions() }}"]) }}

{%- set sql_systems = {
    'moving_average': 'v1',
    'zone_matchup_v1': 'v1',
    'similarity_balanced_v1': 'v1',
} %}
{%- set ensemble_weights = {
    'moving_average': '0.20',
    'zone_matchup_v1': '0.25',
    'similarity_balanced_v1': '0.20',
    'gradient_boosting_v1': '0.35',
} %}

with features as (
    select * from {{ ref('ml_feature_store') }}
    where {{ in_run_range('game_date') }}
),

trained_model_predictions as (
    select * from {{ source('nba_predictions', 'ml_system_predictions') }}
    where {{ in_run_range('game_date') }}
),

-- the history of the players of the run's rows (the similarity is per player)
player_history as (
    select * from {{ ref('player_game_summary') }}
    where {{ in_lookback_range('game_date') }}
      and not is_dnp
      and player_id in (select player_id from features)
),

player_context_history as (
    select * from {{ ref('upcoming_player_game_context') }}
    where {{ in_lookback_range('game_date') }}
      and player_id in (select player_id from features)
),

team_context_history as (
    select * from {{ ref('upcoming_team_game_context') }}
    where {{ in_lookback_range('game_date') }}
),

-- the situation of each game: rest, venue, and the opponent's defensive
-- rating over its last 10 games before that game (all known before it)
game_situations as (
    select
        player_context_history.game_id,
        player_context_history.game_date,
        player_context_history.season_year,
        player_context_history.player_id,
        player_context_history.is_home,
        least(coalesce(player_context_history.days_rest, 3), 3) as rest_days_capped,
        opponent.defensive_rating_last_10 as opponent_defensive_rating
    from player_context_history
    left join team_context_history as opponent
        on opponent.game_id = player_context_history.game_id
        and opponent.team_abbr = player_context_history.opponent_team_abbr
),

past_games as (
    select
        game_situations.*,
        player_history.points
    from game_situations
    inner join player_history
        on player_history.game_id = game_situations.game_id
        and player_history.player_id = game_situations.player_id
),

target_situations as (
    select * from game_situations
    where {{ in_run_range('game_date') }}
),

-- the player's last 30 games this season before the row's date, and how
-- similar each one's situation was to this one
similar_games as (
    select
        target_situations.game_id,
        target_situations.player_id,
        past_games.points,
        1
            - 0.25 * {{ flag('past_games.is_home <> target_situations.is_home') }}
            - 0.25 * abs(past_games.rest_days_capped - target_situations.rest_days_capped) / 3.0
            - 0.5 * coalesce({{ clamp('abs(past_games.opponent_defensive_rating - target_situations.opponent_defensive_rating)', 0, 10) }} / 10.0, 0.5)
            as raw_similarity
    from target_situations
    inner join past_games
        on past_games.player_id = target_situations.player_id
        and past_games.season_year = target_situations.season_year
    where past_games.game_date < target_situations.game_date
    qualify row_number() over (
        partition by target_situations.game_id, target_situations.player_id
        order by past_games.game_date desc, past_games.game_id desc
    ) <= 30
),

weighted_games as (
    select
        game_id,
        player_id,
        points,
        {{ fixed(clamp('raw_similarity', 0.05, 1)) }} as similarity
    from similar_games
),

similarity_averages as (
    select
        game_id,
        player_id,
        count(*) as similar_games_used,
        {{ fixed(ratio('sum(similarity * points)', 'sum(similarity)'), 2) }} as similarity_weighted_points
    from weighted_games
    group by game_id, player_id
),

base as (
    select
        features.*,
        similarity_averages.similar_games_used,
        similarity_averages.similarity_weighted_points,
        case when features.games_last_10 > 0 then
            {{ fixed('0.5 * features.points_avg_last_5 + 0.3 * features.points_avg_last_10 + 0.2 * features.points_avg_season', 2) }}
        end as moving_average_points,
        -- shared by every system: sample size and volatility of the player's recent scoring
        {{ fixed(
            '100 * least(features.games_last_10, 10) / 10.0 * (1 - 0.5 * coalesce('
            ~ clamp(ratio('features.points_std_last_10', 'case when features.points_avg_last_10 > 1 then features.points_avg_last_10 else 1 end'), 0, 1)
            ~ ', 1))', 1) }} as base_confidence
    from features
    left join similarity_averages
        on similarity_averages.game_id = features.game_id
        and similarity_averages.player_id = features.player_id
),

system_predictions as (
    select
        game_id, player_id,
        'moving_average' as system_id,
        '{{ sql_systems["moving_average"] }}' as system_version,
        cast(null as {{ dbt.type_string() }}) as model_id,
        moving_average_points as predicted_points
    from base

    union all

    select
        game_id, player_id,
        'zone_matchup_v1' as system_id,
        '{{ sql_systems["zone_matchup_v1"] }}' as system_version,
        cast(null as {{ dbt.type_string() }}) as model_id,
        {{ fixed('moving_average_points * (1 + total_adjustment)', 2) }} as predicted_points
    from base

    union all

    select
        game_id, player_id,
        'similarity_balanced_v1' as system_id,
        '{{ sql_systems["similarity_balanced_v1"] }}' as system_version,
        cast(null as {{ dbt.type_string() }}) as model_id,
        case when games_last_10 > 0 then
            {{ fixed('0.6 * similarity_weighted_points + 0.4 * points_avg_last_10', 2) }}
        end as predicted_points
    from base

    union all

    -- the trained model's rows (Python step); only for rows still in the feature store
    select
        base.game_id, base.player_id,
        trained_model_predictions.system_id,
        trained_model_predictions.system_version,
        trained_model_predictions.model_id,
        {{ fixed('trained_model_predictions.predicted_points', 2) }} as predicted_points
    from base
    inner join trained_model_predictions
        on trained_model_predictions.game_id = base.game_id
        and trained_model_predictions.player_id = base.player_id
    where base.games_last_10 > 0
),

ensemble_inputs as (
    select
        game_id,
        player_id,
        system_id,
        predicted_points,
        case system_id
            {%- for system_id, weight in ensemble_weights.items() %}
            when '{{ system_id }}' then cast({{ weight }} as {{ dbt.type_numeric() }})
            {%- endfor %}
        end as weight
    from system_predictions
    where predicted_points is not null
),

ensemble_predictions as (
    select
        game_id,
        player_id,
        count(*) as components_used,
        {{ fixed(ratio('sum(weight * predicted_points)', 'sum(weight)'), 2) }} as predicted_points,
        max(predicted_points) - min(predicted_points) as component_spread
    from ensemble_inputs
    group by game_id, player_id
),

all_predictions as (
    select
        system_predictions.*,
        cast(null as {{ dbt.type_bigint() }}) as components_used,
        base.base_confidence as confidence
    from system_predictions
    inner join base
        on base.game_id = system_predictions.game_id
        and base.player_id = system_predictions.player_id

    union all

    select
        base.game_id,
        base.player_id,
        'ensemble_v1' as system_id,
        'v1' as system_version,
        cast(null as {{ dbt.type_string() }}) as model_id,
        ensemble_predictions.predicted_points,
        coalesce(ensemble_predictions.components_used, 0) as components_used,
        {{ fixed('base.base_confidence * (1 - coalesce('
            ~ clamp(ratio('ensemble_predictions.component_spread',
                          'case when ensemble_predictions.predicted_points > 5 then ensemble_predictions.predicted_points else 5 end'), 0, 0.5)
            ~ ', 0))', 1) }} as confidence
    from base
    left join ensemble_predictions
        on ensemble_predictions.game_id = base.game_id
        and ensemble_predictions.player_id = base.player_id
),

rows_to_write as (
    select
        base.game_id,
        base.game_date,
        base.season_year,
        base.season_type,
        base.player_id,
        base.player_name,
        base.team_abbr,
        base.opponent_team_abbr,
        base.game_status,
        all_predictions.system_id,
        all_predictions.system_version,
        all_predictions.model_id,
        all_predictions.predicted_points,
        case when all_predictions.predicted_points is null then 0 else all_predictions.confidence end as confidence,
        base.points_line,
        all_predictions.predicted_points - base.points_line as edge,
        case
            when base.points_line is null then 'NO_LINE'
            when all_predictions.predicted_points is null or all_predictions.confidence < 40 then 'PASS'
            when all_predictions.predicted_points - base.points_line >= 1.0 then 'OVER'
            when all_predictions.predicted_points - base.points_line <= -1.0 then 'UNDER'
            else 'PASS'
        end as recommendation,
        case when all_predictions.predicted_points is null then 'no_prior_games' else 'predicted' end as prediction_status,
        all_predictions.components_used,
        base.games_last_10 as games_in_window,
        base.similar_games_used,
        base.feature_quality_score,
        base.missing_sources
    from all_predictions
    inner join base
        on base.game_id = all_predictions.game_id
        and base.player_id = all_predictions.player_id
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
