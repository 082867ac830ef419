{#- Custom schemas are used verbatim (nba_raw, nba_analytics, ...) so every
    target has the same schema names as DESIGN.md, not <target>_<custom>. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
