{#-
  Precision is fixed at the edge: window aggregates are sums and counts of
  integers or decimals (exact in any frame), and every derived rate is rounded
  and stored as a decimal, so a range run and a date-by-date run are
  bit-identical (DOUBLE window averages differ in the 13th digit between frames).
-#}
{% macro fixed(expression, scale=4) -%}
    {{ return(adapter.dispatch('fixed', 'nba_pipeline')(expression, scale)) }}
{%- endmacro %}

{% macro default__fixed(expression, scale) -%}
    cast(round({{ expression }}, {{ scale }}) as decimal(18, {{ scale }}))
{%- endmacro %}


{#- a / b, null when b is 0 or null. -#}
{% macro ratio(numerator, denominator) -%}
    {{ return(adapter.dispatch('ratio', 'nba_pipeline')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__ratio(numerator, denominator) -%}
    (cast({{ numerator }} as double) / nullif({{ denominator }}, 0))
{%- endmacro %}


{#- Whole days from `earlier` to `later`. -#}
{% macro days_between(earlier, later) -%}
    {{ dbt.datediff(earlier, later, 'day') }}
{%- endmacro %}
