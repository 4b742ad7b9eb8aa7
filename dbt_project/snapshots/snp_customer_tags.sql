{#-
    SCD2 history of the tags with history (booleans, enums, scores, quantiles and tags marked
    history: true): one row per customer, tag and value period, dbt_valid_from / dbt_valid_to
    set by each build. A value that disappears (customer merged away, tag no longer set) is
    closed. Read membership on a past date with cdp_tag_history_as_of (macros/tags/history.sql).
-#}

{% snapshot snp_customer_tags %}

{{
    config(
        schema='snapshots',
        unique_key=['unified_customer_id', 'tag_name'],
        strategy='check',
        check_cols=['tag_value', 'tag_version'],
        hard_deletes='invalidate'
    )
}}

select
    unified_customer_id,
    tag_name,
    category,
    value_type,
    tag_value,
    tag_value_number,
    tag_version,
    as_of
from {{ ref('fct_customer_tags') }}
where tag_name in (
    {%- for tag in cdp_tags().tags if tag.history %}
    {{ cdp_tag_literal(tag.name) }}{% if not loop.last %},{% endif %}
    {%- endfor %}
)

{% endsnapshot %}
