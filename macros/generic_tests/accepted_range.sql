{#- Fails with every row of the run's dates whose value is outside [min_value, max_value].
    dbt_utils' test of the same name, re-implemented: the dbt package hub is not
    reachable from this project's machines, so no packages.yml. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
select *
from {{ model }}
where {{ nba_pipeline.in_run_range('game_date') }}
  and (
    false
    {% if min_value is not none %} or {{ column_name }} < {{ min_value }} {% endif %}
    {% if max_value is not none %} or {{ column_name }} > {{ max_value }} {% endif %}
  )
{% endtest %}
