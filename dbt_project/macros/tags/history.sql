{#-
    Tag values as published at a past time `at` (a SQL timestamp, e.g. cdp_tag_timestamp(...)),
    from the SCD2 history snp_customer_tags: one row per customer and tag that had a value then.
    `customers` (relation or CTE with unified_customer_id) and `tag_names` narrow the result.
    For values recomputed from the facts known at a time instead, use cdp_customer_tags_as_of.
-#}

{% macro cdp_tag_history_as_of(at, customers=none, tag_names=none) -%}
select
    unified_customer_id,
    tag_name,
    tag_value,
    tag_value_number,
    tag_version,
    dbt_valid_from as valid_from,
    dbt_valid_to as valid_to
from {{ ref('snp_customer_tags') }}
where dbt_valid_from <= {{ at }}
    and (dbt_valid_to > {{ at }} or dbt_valid_to is null)
    {%- if customers is not none %}
    and unified_customer_id in (select unified_customer_id from {{ customers }})
    {%- endif %}
    {%- if tag_names is not none %}
    and tag_name in (
        {%- for name in tag_names %}{{ cdp_tag_literal(name) }}{% if not loop.last %}, {% endif %}
        {%- endfor %})
    {%- endif %}
{%- endmacro %}

{#-
    The as-of dates of the feature table: var tags_feature_dates (a list of 'YYYY-MM-DD') or the
    first day (00:00 UTC: the cut-off after a whole month) of each of the tags_feature_months
    months before tags_as_of, then tags_as_of itself, unlabelled, which the models score.
-#}
{% macro cdp_tag_feature_dates() -%}
    {%- set explicit = var('tags_feature_dates', none) -%}
    {%- if explicit -%}
        {{ return(explicit) }}
    {%- endif -%}
    {%- set as_of = cdp_tags_as_of_value() -%}
    {%- set month = namespace(start=modules.datetime.datetime.strptime(as_of[:7], '%Y-%m')) -%}
    {%- set dates = [month.start.strftime('%Y-%m-%d')] if as_of[:10] != as_of[:7] ~ '-01' else [] -%}
    {%- for _ in range(var('tags_feature_months', 6) - (dates | length)) -%}
        {%- set month.start = (month.start - modules.datetime.timedelta(days=1)).replace(day=1) -%}
        {%- do dates.insert(0, month.start.strftime('%Y-%m-%d')) -%}
    {%- endfor -%}
    {%- do dates.append(as_of) -%}
    {{ return(dates) }}
{%- endmacro %}
