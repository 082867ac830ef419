{#- Fails with every row of the run's dates where `expression` is false.
    dbt_utils' test of the same name, re-implemented: the dbt package hub is not
    reachable from this project's machines, so no packages.yml. -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where {{ nba_pipeline.in_run_range('game_date') }}
  and not ({{ expression }})
{% endtest %}
