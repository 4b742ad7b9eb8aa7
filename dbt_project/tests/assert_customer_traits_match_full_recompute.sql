{#-
    The incremental traits (int_customer_traits) equal a recompute from every fact as of the same
    time. Returns one row per customer that is missing on either side or has a trait that
    differs, naming the traits. Numbers match within 1e-9 relative (float sums depend on the
    order of addition). Tagged so that a production schedule may run it less often:
    `--exclude tag:tags_full_recompute`.
-#}

{{ config(tags=['tags_full_recompute']) }}

{%- set aggregates = cdp_tag_list(kinds=['aggregate'], refresh='incremental') -%}
{%- set stored = ref('int_customer_traits') -%}
{%- set numeric = ['count', 'count_distinct', 'distinct_days', 'sum', 'avg', 'min', 'max'] %}

with

incremental as (

    select * from {{ stored }}

),

full_recompute as (

    {{ cdp_tag_traits_sql('(select max(as_of) from ' ~ stored ~ ')', refresh='incremental')
        | indent(4) }}

),

compared as (

    select
        coalesce(incremental.unified_customer_id, full_recompute.unified_customer_id)
            as unified_customer_id,
        incremental.unified_customer_id is null as missing_incremental,
        full_recompute.unified_customer_id is null as missing_full
        {%- for tag in aggregates %}
        {%- set a = "incremental." ~ cdp_tag_column(tag.name) %}
        {%- set b = "full_recompute." ~ cdp_tag_column(tag.name) %},
        {%- if tag.definition.function in numeric %}
        coalesce(
            abs(cast({{ a }} as double) - cast({{ b }} as double))
            > 1e-9 * greatest(1, abs(cast({{ b }} as double))),
            {{ a }} is not null or {{ b }} is not null
        ) as {{ cdp_tag_column(tag.name ~ '__differs') }}
        {%- else %}
        {{ a }} is distinct from {{ b }} as {{ cdp_tag_column(tag.name ~ '__differs') }}
        {%- endif %}
        {%- endfor %}
    from incremental
    full outer join full_recompute
        on incremental.unified_customer_id = full_recompute.unified_customer_id

),

final as (

    select *
    from compared
    where missing_incremental
        or missing_full
        {%- for tag in aggregates %}
        or {{ cdp_tag_column(tag.name ~ '__differs') }}
        {%- endfor %}

)

select * from final
