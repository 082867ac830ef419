{#- similarity_balanced_v1: the player's last 30 games played this season before
    the date, each weighted by how similar its situation (venue, rest, opponent
    defense) was to this one, blended with his last-10 average. The window is a
    bounded equi-join on the games' sequence numbers (at most 30 rows per
    player-game), so memory stays flat in the number of seasons. -#}
{%- set system = nba_pipeline.prediction_system('similarity_balanced_v1') %}

with inputs as (
    select * from {{ ref('int_player_prop_predictions__inputs') }}
),

player_games as (
    select * from {{ ref('int_player_games__sequenced') }}
),

team_context as (
    select * from {{ ref('upcoming_team_game_context') }}
    where {{ in_lookback_range('game_date') }}
),

-- the situation of each game: venue, rest, and the opponent's defensive rating
-- over its last 10 games before that game (all known before it)
situations as (
    select
        player_games.*,
        least(coalesce(player_games.days_rest, 3), 3) as rest_days_capped,
        opponent.defensive_rating_last_10 as opponent_defensive_rating
    from player_games
    left join team_context as opponent
        on opponent.game_id = player_games.game_id
            and opponent.team_abbr = player_games.opponent_team_abbr
),

target_situations as (
    select * from situations
    where {{ in_run_range('game_date') }}
        and played_games_before > 0
),

past_games as (
    select * from situations
    where was_played
),

-- the player's last 30 games played this season before the row's date, and how
-- similar each one's situation was to this one
similar_games as (
    select
        target_situations.game_id,
        target_situations.player_id,
        past_games.points,
        1
        - 0.25 * {{ flag('past_games.is_home <> target_situations.is_home') }}
        - 0.25 * abs(past_games.rest_days_capped - target_situations.rest_days_capped) / 3.0
        - 0.5 * coalesce({{ clamp(
            'abs(past_games.opponent_defensive_rating - target_situations.opponent_defensive_rating)', 0, 10
        ) }} / 10.0, 0.5)
            as raw_similarity
    from target_situations
    inner join past_games
        on past_games.player_id = target_situations.player_id
            and past_games.season_year = target_situations.season_year
            and past_games.played_game_number between target_situations.played_games_before - 29
            and target_situations.played_games_before
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
        {{ fixed(ratio('sum(similarity * points)', 'sum(similarity)'), 2) }} as similarity_weighted_points
    from weighted_games
    group by game_id, player_id
),

rows_to_write as (
    select
        {{ nba_pipeline.prediction_system_columns(system, predicted_points=
            'case when inputs.games_last_10 > 0 then '
            ~ fixed('0.6 * similarity_averages.similarity_weighted_points + 0.4 * inputs.points_avg_last_10', 2)
            ~ ' end') }}
    from inputs
    left join similarity_averages
        on similarity_averages.game_id = inputs.game_id
            and similarity_averages.player_id = inputs.player_id
),

input_versions as (
    {{ input_versions() }}
),

final as (
    {{ with_freshness_columns('rows_to_write') }}
)

select * from final
{{ nba_pipeline.injected_failure(system.system_id) }}
