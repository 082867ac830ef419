{#- Box-score and schedule formulas shared by the player and team models (one definition each). -#}

{#- True shooting: points per two shooting possessions, a free-throw attempt counting 0.44 of one. -#}
{% macro true_shooting_pct(points, fga, fta) -%}
    {{ fixed(ratio(points, '2 * (' ~ fga ~ ' + 0.44 * ' ~ fta ~ ')')) }}
{%- endmacro %}

{#- Effective field-goal percentage: a made three counts 1.5 field goals. -#}
{% macro effective_fg_pct(fgm, fg3m, fga) -%}
    {{ fixed(ratio(fgm ~ ' + 0.5 * ' ~ fg3m, fga)) }}
{%- endmacro %}

{#- Points by shot type, as three columns: points_2pt, points_3pt, points_ft. -#}
{% macro points_by_shot_type(fgm='fgm', fg3m='fg3m', ftm='ftm') -%}
    2 * ({{ fgm }} - {{ fg3m }}) as points_2pt,
        3 * {{ fg3m }} as points_3pt,
        {{ ftm }} as points_ft
{%- endmacro %}

{#- Rest before a game, as two columns: full days off since the previous game (null for a
    season's first) and whether it is the second night of a back-to-back. -#}
{% macro rest_before_game(previous_game_date='previous_game_date', game_date='game_date') -%}
    {{ days_between(previous_game_date, game_date) }} - 1 as days_rest,
        coalesce({{ days_between(previous_game_date, game_date) }} = 1, false) as is_back_to_back
{%- endmacro %}
