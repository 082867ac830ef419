{#- Fails with every row of the run's dates where `expression` is false. -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where {{ nba_pipeline.in_run_range('game_date') }}
  and not ({{ expression }})
{% endtest %}
