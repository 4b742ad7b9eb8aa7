{#-
    Reconciliation test: the sum of `column_name` over `model` equals the sum of `field` over
    `to` (optionally filtered by `to_where`), to the cent. Returns one row when they differ.
-#}
{% test cdp_sums_match(model, column_name, to, field, to_where='1 = 1') %}

with

model_total as (
    select coalesce(sum({{ column_name }}), 0) as total from {{ model }}
),

reference_total as (
    select coalesce(sum({{ field }}), 0) as total from {{ to }} where {{ to_where }}
)

select
    model_total.total as model_total,
    reference_total.total as reference_total
from model_total
cross join reference_total
where abs(model_total.total - reference_total.total) >= 0.01

{% endtest %}

{#- Every row satisfies a boolean SQL expression (dbt_utils' expression_is_true). -#}
{% test cdp_expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}

{#- The row count of `model` equals the row count of `to` (optionally filtered by `to_where`). -#}
{% test cdp_row_count_matches(model, to, to_where='1 = 1') %}

with

model_rows as (
    select count(*) as row_count from {{ model }}
),

reference_rows as (
    select count(*) as row_count from {{ to }} where {{ to_where }}
)

select
    model_rows.row_count as model_row_count,
    reference_rows.row_count as reference_row_count
from model_rows
cross join reference_rows
where model_rows.row_count != reference_rows.row_count

{% endtest %}
