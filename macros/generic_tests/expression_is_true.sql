{#- Fails with every row where `expression` is false (on an incremental model, the run's dates:
    get_where_subquery in run_range.sql).
    dbt_utils' test of the same name, re-implemented: the dbt package hub is not
    reachable from this project's machines, so no packages.yml. -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
