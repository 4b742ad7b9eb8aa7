{#
    Schemas are exactly what the folder configs say (`staging`, `intermediate`, `marts`), not
    dbt's default `<target_schema>_<custom_schema>` (which would give `main_staging`).
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
