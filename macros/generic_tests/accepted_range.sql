{#- Fails with every row whose value is outside [min_value, max_value] (on an incremental model, the
    run's dates: get_where_subquery in run_range.sql).
    dbt_utils' test of the same name, re-implemented: the dbt package hub is not
    reachable from this project's machines, so no packages.yml. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
select *
from {{ model }}
where (
    false
    {% if min_value is not none %} or {{ column_name }} < {{ min_value }} {% endif %}
    {% if max_value is not none %} or {{ column_name }} > {{ max_value }} {% endif %}
  )
{% endtest %}
