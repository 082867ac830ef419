{#-
  Bounded values for Phase 4-6 formulas.

  `clamp(x, low, high)`: x limited to [low, high], null stays null. Written as
  CASE because GREATEST/LEAST treat nulls differently on DuckDB (ignored) and
  BigQuery (null wins).
-#}
{% macro clamp(expression, low, high) -%}
    (case
        when ({{ expression }}) is null then null
        when ({{ expression }}) < {{ low }} then {{ low }}
        when ({{ expression }}) > {{ high }} then {{ high }}
        else ({{ expression }})
    end)
{%- endmacro %}


{#- 1 when the boolean is true, 0 otherwise (null counts as false). -#}
{% macro flag(boolean_expression) -%}
    (case when {{ boolean_expression }} then 1 else 0 end)
{%- endmacro %}
