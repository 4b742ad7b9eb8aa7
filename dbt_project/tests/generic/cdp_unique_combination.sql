{#- No two rows share the same values in `columns` (dbt_utils' unique_combination_of_columns,
    which this project cannot install). Nulls compare equal, as in a primary key check. -#}
{% test cdp_unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as rows_with_these_values
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
