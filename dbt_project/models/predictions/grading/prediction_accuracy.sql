{#-
  Phase 6: one row per prediction of a final game, graded against what the
  player scored. Predictions of games not yet final have no row here until the
  game is final and the date is rebuilt. Formulas: _grading__models.yml.
-#}
with predictions as (
    select * from {{ ref('player_prop_predictions') }}
    where {{ in_run_range('game_date') }}
),

team_games as (
    select * from {{ ref('upcoming_team_game_context') }}
    where {{ in_run_range('game_date') }}
),

player_results as (
    select * from {{ ref('player_game_summary') }}
    where {{ in_run_range('game_date') }}
),

final_game_predictions as (
    select
        predictions.*,
        player_results.player_id is not null as has_box_score,
        coalesce(player_results.is_dnp, false) as is_dnp,
        case when not player_results.is_dnp then player_results.points end as actual_points,
        case when not player_results.is_dnp then player_results.minutes end as actual_minutes
    from predictions
    inner join team_games
        on team_games.game_id = predictions.game_id
            and team_games.team_abbr = predictions.team_abbr
            and team_games.game_status = 'final'
    left join player_results
        on player_results.game_id = predictions.game_id
            and player_results.player_id = predictions.player_id
),

graded as (
    select
        *,
        case
            when not has_box_score then 'no_box_score'
            when is_dnp then 'dnp'
            when predicted_points is null then 'no_prediction'
            else 'graded'
        end as grading_status,
        case
            when points_line is null or actual_points is null then null
            when actual_points > points_line then 'OVER'
            when actual_points < points_line then 'UNDER'
            else 'PUSH'
        end as line_result
    from final_game_predictions
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
        system_id,
        system_version,
        model_id,
        predicted_points,
        confidence,
        points_line,
        recommendation,
        grading_status,
        grading_status = 'graded' as is_graded,
        actual_points,
        actual_minutes,
        case when grading_status = 'graded' then predicted_points - actual_points end as error,
        case when grading_status = 'graded' then abs(predicted_points - actual_points) end as absolute_error,
        case when grading_status = 'graded' then abs(predicted_points - actual_points) <= 3 end as within_3_points,
        line_result,
        case
            when grading_status <> 'graded' or recommendation not in ('OVER', 'UNDER') then null
            when line_result = 'PUSH' then 'PUSH'
            when line_result = recommendation then 'WIN'
            else 'LOSS'
        end as recommendation_result
    from graded
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
