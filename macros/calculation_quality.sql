{#- The label DESIGN.md gives a lookback window: complete, partial_<k>_games, no_prior_games. -#}
{% macro calculation_quality(games_in_window, window_size) -%}
    case
        when {{ games_in_window }} >= {{ window_size }} then 'complete'
        when {{ games_in_window }} = 0 then 'no_prior_games'
        else concat('partial_', cast({{ games_in_window }} as {{ dbt.type_string() }}), '_games')
    end
{%- endmacro %}
