{#-
    One column per value of `values` from a long table grouped by its key: for each value v,
    `<aggregate>(case when <key_column> = 'v' then <value_column> end) as <prefix>v<suffix>`,
    wrapped in coalesce(..., <default>) when a default is given. Used by customer_360 to turn
    consent (one row per customer and channel) and last interactions into columns.
-#}
{% macro cdp_pivot(
    key_column, values, value_column, prefix='', suffix='', aggregate='max', default=none
) -%}
    {%- for value in values %}
    {%- set expression -%}
        {{ aggregate }}(case when {{ key_column }} = '{{ value }}' then {{ value_column }} end)
    {%- endset %}
    {% if default is not none -%}
        coalesce({{ expression }}, {{ default }}) as {{ prefix }}{{ value }}{{ suffix }}
    {%- else -%}
        {{ expression }} as {{ prefix }}{{ value }}{{ suffix }}
    {%- endif -%}
    {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- numerator / denominator as a double (dbt.type_float() is a 4-byte real on DuckDB), null when
    the denominator is 0 or null. -#}
{% macro cdp_ratio(numerator, denominator) -%}
    cast({{ numerator }} as double precision) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- The columns a cdp_pivot made, qualified by `relation`: `relation.<prefix>v<suffix>, ...`. -#}
{% macro cdp_pivot_columns(relation, values, prefix='', suffix='') -%}
    {%- for value in values %}
        {{ relation }}.{{ prefix }}{{ value }}{{ suffix }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
