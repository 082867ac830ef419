{#-
  Phase 5: one row per player per scheduled game per prediction system, the
  union of the system models (models/predictions/systems, one per system) with
  the player-game's shared columns and the recommendation against the line.
  A system whose model failed in this run is left out (the systems are
  `on_error: continue`): only its own rows are missing, and the Phase 5 gates
  name it. Forward-looking: every input of a row dated D is known before D's
  games. Formulas: _predictions__models.yml.
-#}
{%- set system_relations = nba_pipeline.existing_prediction_system_relations(
        nba_pipeline.prediction_systems() | map(attribute='system_id') | list) %}
{%- if not system_relations %}
    {{ exceptions.raise_compiler_error(
        'player_prop_predictions: no prediction system has a table (every system model failed)'
    ) }}
{%- endif %}

with inputs as (
    select * from {{ ref('int_player_prop_predictions__inputs') }}
),

player_games as (
    select * from {{ ref('int_player_games__sequenced') }}
    where {{ in_run_range('game_date') }}
),

system_predictions as (
    {%- for relation in system_relations %}
        select
            game_id,
            player_id,
            system_id,
            system_version,
            model_id,
            predicted_points,
            confidence,
            components_used
        from {{ relation }}
        where {{ in_run_range('game_date') }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- the number of games similarity_balanced_v1 weighs for the player-game (at most 30)
similar_games as (
    select
        game_id,
        player_id,
        least(played_games_before, 30) as similar_games_used
    from player_games
    where played_games_before > 0
),

rows_to_write as (
    select
        inputs.game_id,
        inputs.game_date,
        inputs.season_year,
        inputs.season_type,
        inputs.player_id,
        inputs.player_name,
        inputs.team_abbr,
        inputs.opponent_team_abbr,
        inputs.game_status,
        system_predictions.system_id,
        system_predictions.system_version,
        system_predictions.model_id,
        system_predictions.predicted_points,
        case
            when system_predictions.predicted_points is null then 0 else system_predictions.confidence
        end as confidence,
        inputs.points_line,
        system_predictions.predicted_points - inputs.points_line as edge,
        case
            when inputs.points_line is null then 'NO_LINE'
            when system_predictions.predicted_points is null or system_predictions.confidence < 40 then 'PASS'
            when system_predictions.predicted_points - inputs.points_line >= 1.0 then 'OVER'
            when system_predictions.predicted_points - inputs.points_line <= -1.0 then 'UNDER'
            else 'PASS'
        end as recommendation,
        case
            when system_predictions.predicted_points is null then 'no_prior_games' else 'predicted'
        end as prediction_status,
        system_predictions.components_used,
        inputs.games_last_10 as games_in_window,
        similar_games.similar_games_used,
        inputs.feature_quality_score,
        inputs.missing_sources
    from system_predictions
    inner join inputs
        on inputs.game_id = system_predictions.game_id
            and inputs.player_id = system_predictions.player_id
    left join similar_games
        on similar_games.game_id = inputs.game_id
            and similar_games.player_id = inputs.player_id
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
