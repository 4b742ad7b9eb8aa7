{#-
    Tag values: one row per customer with every tag of the registry but the model scores.

    `traits` is a list of relations or CTE names with one row per customer and aggregate columns
    (cdp_tag_traits_sql). They are joined to the profile (the registry's profile model), then the
    rule tags are added level by level, each level reading only the levels below it, so a rule can
    use any tag it does not (directly or not) feed. `inner=true` keeps only customers with a trait
    row (customers known at a past as_of); otherwise every profile row is kept.
-#}

{% macro cdp_tag_values_sql(traits, as_of, inner=false) -%}
{%- set registry = cdp_tags() -%}
{%- set profile = registry.profile -%}
{%- set aggregates = cdp_tag_list(kinds=['aggregate']) -%}
{%- set rules = cdp_tag_list(exclude_kinds=['aggregate', 'model_score']) -%}
{%- set levels = rules | map(attribute='level') | unique | sort | list -%}
{%- set zero_when_absent = ['count', 'count_distinct', 'distinct_days', 'sum'] -%}
with

profile__ as (

    select * from {{ ref(profile.model) }}

),

base__ as (

    select
        profile__.unified_customer_id,
        {{ as_of }} as as_of
        {%- for column in profile.columns %},
        profile__.{{ cdp_tag_column(column) }}
        {%- endfor %}
        {%- for tag in aggregates %},
        {%- set source = cdp_tag_trait_source(traits, tag) %}
        {%- if tag.definition.function in zero_when_absent %}
        coalesce({{ source }}.{{ cdp_tag_column(tag.name) }}, 0) as {{ cdp_tag_column(tag.name) }}
        {%- else %}
        {{ source }}.{{ cdp_tag_column(tag.name) }}
        {%- endif %}
        {%- endfor %}
    from profile__
    {%- for relation in traits %}
    {{ "inner" if inner and loop.first else "left" }} join {{ relation }} as traits_{{ loop.index }}__
        on profile__.unified_customer_id = traits_{{ loop.index }}__.unified_customer_id
    {%- endfor %}

),
{% for level in levels %}
{%- set previous = "base__" if loop.first else "level_" ~ levels[loop.index0 - 1] ~ "__" %}
{%- set quantiles = rules | selectattr('level', 'equalto', level)
    | selectattr('kind', 'equalto', 'quantile') | list %}
{%- for tag in quantiles %}
{#- Ranked on a narrow relation of the ranked customers: a window over the wide rows of every
    customer costs several times more. -#}
{{ tag.name }}__ranked as (

    select
        unified_customer_id,
        {{ cdp_tag_quantile_bucket(tag) }} as value__
    from {{ previous }}
    where {{ cdp_tag_quantile_population(tag) }}

),
{% endfor %}
level_{{ level }}__ as (

    select
        {{ previous }}.*
        {%- for tag in rules if tag.level == level %},
        {%- if tag.kind == 'quantile' %}
        {{ tag.name }}__ranked.value__ as {{ cdp_tag_column(tag.name) }}
        {%- else %}
        {{ cdp_tag_rule(tag) }} as {{ cdp_tag_column(tag.name) }}
        {%- endif %}
        {%- endfor %}
    from {{ previous }}
    {%- for tag in quantiles %}
    left join {{ tag.name }}__ranked
        on {{ previous }}.unified_customer_id = {{ tag.name }}__ranked.unified_customer_id
    {%- endfor %}

),
{% endfor %}
final as (

    select
        unified_customer_id,
        as_of
        {%- for tag in cdp_tag_list(exclude_kinds=['model_score']) %},
        {{ cdp_tag_column(tag.name) }}
        {%- endfor %}
    from {{ "base__" if not levels else "level_" ~ levels[-1] ~ "__" }}

)

select * from final
{%- endmacro %}

{#- Which of the trait relations holds an aggregate: the one of its refresh mode. -#}
{% macro cdp_tag_trait_source(traits, tag) -%}
    {%- if traits | length == 1 -%}
        {{ return("traits_1__") }}
    {%- endif -%}
    {{ return("traits_1__" if tag.refresh == 'incremental' else "traits_2__") }}
{%- endmacro %}

{#- The SQL of one rule tag over the columns of the level below. -#}
{% macro cdp_tag_rule(tag) -%}
    {%- set d = tag.definition -%}
    {%- if tag.kind == 'threshold' -%}
        {{ cdp_tag_column(d.tag) }} {{ d.op }} {{ cdp_tag_literal(d.value) }}
    {%- elif tag.kind == 'bands' -%}
        case
            when {{ cdp_tag_column(d.tag) }} is null then null
            {%- for band in d.bands[:-1] %}
            when {{ cdp_tag_column(d.tag) }} < {{ band.below }} then {{ cdp_tag_literal(band.value) }}
            {%- endfor %}
            else {{ cdp_tag_literal(d.bands[-1].value) }}
        end
    {%- elif tag.kind == 'days_since' -%}
        {{ dbt.datediff(cdp_tag_column(d.tag), 'as_of', 'day') }}
    {%- elif tag.kind in ['case', 'expression'] -%}
        {{ cdp_tag_sql(tag) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("No rule SQL for " ~ tag.kind ~ " tag " ~ tag.name) }}
    {%- endif -%}
{%- endmacro %}

{#- The customers a quantile ranks: a value, and its `among` condition if any. -#}
{% macro cdp_tag_quantile_population(tag) -%}
    {{ return(cdp_tag_column(tag.definition.tag) ~ " is not null" ~ (
        " and coalesce(" ~ cdp_tag_sql(tag) ~ ", false)" if tag.definition.among is not none
        else ""
    )) }}
{%- endmacro %}

{#-
    The bucket of a quantile among its population: floor(percent_rank * buckets) + 1, at most
    `buckets`. percent_rank, not ntile: equal values share a bucket whatever the row order, the
    lowest their values reach (set by the share of the population strictly below them).
-#}
{% macro cdp_tag_quantile_bucket(tag) -%}
    {%- set d = tag.definition -%}
    {{ return(
        "least(" ~ d.buckets ~ ", 1 + cast(floor(percent_rank() over (order by "
        ~ cdp_tag_column(d.tag) ~ (" desc" if d.descending else " asc") ~ ") * "
        ~ d.buckets ~ ") as integer))"
    ) }}
{%- endmacro %}

{#-
    Point-in-time tag values: every tag but the model scores of the customers known at `as_of`
    (a SQL timestamp), computed only from facts that happened at or before it. `customers`
    (relation or CTE with unified_customer_id) limits the rows returned, not the population:
    quantiles still rank everyone known at that time.
-#}
{% macro cdp_customer_tags_as_of(as_of, customers=none) -%}
with

traits_as_of__ as (

    {{ cdp_tag_traits_sql(as_of) | indent(4) }}

),

values_as_of__ as (

    {{ cdp_tag_values_sql(['traits_as_of__'], as_of, inner=true) | indent(4) }}

)

select * from values_as_of__
{%- if customers is not none %}
where unified_customer_id in (select unified_customer_id from {{ customers }})
{%- endif %}
{%- endmacro %}
