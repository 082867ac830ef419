{#- Cross-table reconciliation: for every team-game in the run's dates, the
    team's points equal the sum of its players' points. -#}
{#- several parents: dagster-dbt shows it as an asset check of team_offense_game_summary -#}
{{ config(meta={'dagster': {'ref': {'name': 'team_offense_game_summary'}}}) }}
with team_games as (
    select
        game_id,
        team_abbr,
        points
    from {{ ref('team_offense_game_summary') }}
    where {{ in_run_range('game_date') }}
),

player_totals as (
    select
        game_id,
        team_abbr,
        sum(points) as player_points
    from {{ ref('player_game_summary') }}
    where {{ in_run_range('game_date') }}
    group by game_id, team_abbr
),

final as (
    select
        team_games.game_id,
        team_games.team_abbr,
        team_games.points as team_points,
        player_totals.player_points
    from team_games
    inner join player_totals
        on player_totals.game_id = team_games.game_id
            and player_totals.team_abbr = team_games.team_abbr
    where player_totals.player_points <> team_games.points
)

select * from final
