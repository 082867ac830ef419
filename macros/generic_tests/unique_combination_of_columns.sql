{#- Fails with one row per duplicated key.
    dbt_utils' test of the same name, re-implemented: the dbt package hub is not
    reachable from this project's machines, so no packages.yml. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
with keyed as (
    select {{ combination_of_columns | join(', ') }}, count(*) as row_count
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
)

select * from keyed where row_count > 1
{% endtest %}
