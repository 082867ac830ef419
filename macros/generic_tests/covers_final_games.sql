{#-
  Completeness against the schedule: every final game in the run's dates has,
  for each of its two teams, between min_rows_per_team and max_rows_per_team
  rows in the model. Fails with one row per team-game that falls short.
-#}
{% test covers_final_games(model, min_rows_per_team=1, max_rows_per_team=none) %}
with team_games as (
    select game_id, game_date, team_abbr
    from {{ ref('int_team_schedule') }}
    where is_final and {{ nba_pipeline.in_run_range('game_date') }}
),

model_rows as (
    select game_id, team_abbr, count(*) as row_count
    from {{ model }}  -- the run's dates only (get_where_subquery in run_range.sql)
    group by game_id, team_abbr
),

final as (
    select
        team_games.game_id,
        team_games.game_date,
        team_games.team_abbr,
        coalesce(model_rows.row_count, 0) as row_count
    from team_games
    left join model_rows
        on model_rows.game_id = team_games.game_id
        and model_rows.team_abbr = team_games.team_abbr
)

select * from final
where row_count < {{ min_rows_per_team }}
{% if max_rows_per_team is not none %} or row_count > {{ max_rows_per_team }} {% endif %}
{% endtest %}
