{#-
    Traits: the registry's aggregates of facts, one row per unified customer with at least one
    fact at or before `as_of` (a SQL timestamp expression).

    One grouped scan per fact computes every aggregate of that fact at once (a window or filter
    becomes a CASE inside the aggregate), and a `mode` gets a count per value and a ranking.
    Only facts with occurred_at <= as_of are read, so the same SQL gives point-in-time values for
    any past as_of (tags_as_of.sql). `refresh` keeps the aggregates of one refresh mode;
    `customers` (a relation or CTE with unified_customer_id) limits the customers computed.
    Counts and sums of customers without matching facts are 0; averages, extremes, first and last
    values are null.
-#}

{% macro cdp_tag_traits_sql(as_of, refresh=none, customers=none) -%}
{%- set registry = cdp_tags() -%}
{%- set aggregates = cdp_tag_list(kinds=['aggregate'], refresh=refresh) -%}
{%- set fact_names = aggregates | map(attribute='definition.fact') | unique | list -%}
{%- if fact_names | length == 0 -%}
    select
        cast(null as {{ dbt.type_string() }}) as unified_customer_id
    where 1 = 0
{%- else -%}
with
{% for fact_name in fact_names %}
{%- set fact = registry.facts[fact_name] -%}
{%- set fact_tags = aggregates | selectattr('definition.fact', 'equalto', fact_name) | list -%}
{{ fact_name }}__rows as (

    select
        unified_customer_id,
        {{ cdp_tag_column(fact.occurred_at) }} as occurred_at__
        {%- for column in cdp_tag_fact_columns(fact_tags) %},
        {{ cdp_tag_column(column) }}
        {%- endfor %}
    from {{ ref(fact.model) }}
    where {{ cdp_tag_column(fact.occurred_at) }} <= {{ as_of }}
    {%- if customers is not none %}
        and unified_customer_id in (select unified_customer_id from {{ customers }})
    {%- endif %}

),

{{ fact_name }}__traits as (

    select
        unified_customer_id
        {%- for tag in fact_tags if tag.definition.function != 'mode' %},
        {{ cdp_tag_aggregate(tag, as_of) }} as {{ cdp_tag_column(tag.name) }}
        {%- endfor %}
    from {{ fact_name }}__rows
    group by unified_customer_id

),
{% for tag in fact_tags if tag.definition.function == 'mode' %}
{{ tag.name }}__counts as (

    select
        unified_customer_id,
        {{ cdp_tag_column(tag.definition.column) }} as value__,
        count(*) as facts__,
        max(occurred_at__) as latest__
    from {{ fact_name }}__rows
    where {{ cdp_tag_condition(tag, as_of) }}
        and {{ cdp_tag_column(tag.definition.column) }} is not null
    group by unified_customer_id, {{ cdp_tag_column(tag.definition.column) }}

),

{{ tag.name }}__ranked as (

    select
        unified_customer_id,
        value__,
        row_number() over (
            partition by unified_customer_id
            order by facts__ desc, latest__ desc, value__
        ) as rank__
    from {{ tag.name }}__counts

),
{% endfor %}
{% endfor %}
customers__ as (
    {% for fact_name in fact_names %}
    select unified_customer_id from {{ fact_name }}__traits
    {% if not loop.last %}union{% endif %}
    {%- endfor %}
),

final as (

    select
        customers__.unified_customer_id
        {%- for tag in aggregates %},
        {%- if tag.definition.function == 'mode' %}
        {{ tag.name }}__ranked.value__ as {{ cdp_tag_column(tag.name) }}
        {%- elif tag.definition.function in ['count', 'count_distinct', 'distinct_days', 'sum'] %}
        coalesce(
            {{ tag.definition.fact }}__traits.{{ cdp_tag_column(tag.name) }}, 0
        ) as {{ cdp_tag_column(tag.name) }}
        {%- else %}
        {{ tag.definition.fact }}__traits.{{ cdp_tag_column(tag.name) }}
        {%- endif %}
        {%- endfor %}
    from customers__
    {%- for fact_name in fact_names %}
    left join {{ fact_name }}__traits
        on customers__.unified_customer_id = {{ fact_name }}__traits.unified_customer_id
    {%- endfor %}
    {%- for tag in aggregates if tag.definition.function == 'mode' %}
    left join {{ tag.name }}__ranked
        on customers__.unified_customer_id = {{ tag.name }}__ranked.unified_customer_id
        and {{ tag.name }}__ranked.rank__ = 1
    {%- endfor %}

)

select * from final
{%- endif -%}
{%- endmacro %}

{#- The fact columns the aggregates read (their column and the columns of their filters). -#}
{% macro cdp_tag_fact_columns(fact_tags) -%}
    {%- set columns = [] -%}
    {%- for tag in fact_tags -%}
        {%- for column in [tag.definition.column] + (tag.where_columns or []) -%}
            {%- if column and column not in columns -%}{%- do columns.append(column) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{#- The filter of one aggregate: its `where` and its window, or none. -#}
{% macro cdp_tag_condition(tag, as_of) -%}
    {%- set parts = [] -%}
    {%- if tag.definition.where is not none -%}
        {%- do parts.append("(" ~ cdp_tag_sql(tag) ~ ")") -%}
    {%- endif -%}
    {%- if tag.definition.window_days is not none -%}
        {%- do parts.append(
            "occurred_at__ > " ~ dbt.dateadd('day', -1 * tag.definition.window_days, as_of)
        ) -%}
    {%- endif -%}
    {{ return(parts | join(" and ") if parts else "true") }}
{%- endmacro %}

{% macro cdp_tag_aggregate(tag, as_of) -%}
    {%- set function = tag.definition.function -%}
    {%- set condition = cdp_tag_condition(tag, as_of) -%}
    {%- set column = cdp_tag_column(tag.definition.column) if tag.definition.column else none -%}
    {%- if function == 'count' -%}
        {{ "count(*)" if condition == "true" else "count(" ~ cdp_tag_when(condition, "1") ~ ")" }}
    {%- elif function == 'count_distinct' -%}
        count(distinct {{ cdp_tag_when(condition, column) }})
    {%- elif function in ['sum', 'avg', 'min', 'max'] -%}
        {{ function }}({{ cdp_tag_when(condition, column) }})
    {%- elif function == 'distinct_days' -%}
        count(distinct {{ cdp_tag_when(condition, cdp_tag_utc_day("occurred_at__")) }})
    {%- elif function == 'first_at' -%}
        min({{ cdp_tag_when(condition, "occurred_at__") }})
    {%- elif function == 'last_at' -%}
        max({{ cdp_tag_when(condition, "occurred_at__") }})
    {%- elif function == 'first_value' -%}
        {{ cdp_tag_arg_extreme(
            'min', cdp_tag_when(condition, column), cdp_tag_when(condition, "occurred_at__")
        ) }}
    {%- elif function == 'last_value' -%}
        {{ cdp_tag_arg_extreme(
            'max', cdp_tag_when(condition, column), cdp_tag_when(condition, "occurred_at__")
        ) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("Unknown aggregate " ~ function ~ " of " ~ tag.name) }}
    {%- endif -%}
{%- endmacro %}

{#-
    The value at the earliest ('min') or latest ('max') time, ignoring null values; ties on time
    go to the smallest / largest value so that every run picks the same one.
-#}
{% macro cdp_tag_arg_extreme(direction, value, at) -%}
    {{ return(adapter.dispatch('cdp_tag_arg_extreme', 'cdp')(direction, value, at)) }}
{%- endmacro %}

{% macro default__cdp_tag_arg_extreme(direction, value, at) -%}
    {%- set order = "desc" if direction == 'max' else "asc" -%}
    {{ return(
        "(array_agg(" ~ value ~ " order by " ~ at ~ " " ~ order ~ ", " ~ value ~ " " ~ order
        ~ ") filter (where " ~ value ~ " is not null and " ~ at ~ " is not null))[1]"
    ) }}
{%- endmacro %}

{% macro duckdb__cdp_tag_arg_extreme(direction, value, at) -%}
    {{ return("arg_" ~ direction ~ "(" ~ value ~ ", (" ~ at ~ ", " ~ value ~ "))") }}
{%- endmacro %}

{#- `expression` for the rows that pass `condition` (null for the others). -#}
{% macro cdp_tag_when(condition, expression) -%}
    {{ return(expression if condition == "true"
        else "case when " ~ condition ~ " then " ~ expression ~ " end") }}
{%- endmacro %}

{#-
    The UTC day of a timestamp with time zone, as something distinct days can count: on DuckDB
    the day number since 1970 (an integer division, ten times cheaper than a cast to date, and
    UTC whatever the session's time zone); elsewhere the date in UTC.
-#}
{% macro cdp_tag_utc_day(timestamp) -%}
    {{ return(adapter.dispatch('cdp_tag_utc_day', 'cdp')(timestamp)) }}
{%- endmacro %}

{% macro default__cdp_tag_utc_day(timestamp) -%}
    {{ return("cast(" ~ timestamp ~ " at time zone 'UTC' as date)") }}
{%- endmacro %}

{% macro duckdb__cdp_tag_utc_day(timestamp) -%}
    {{ return("(epoch_us(" ~ timestamp ~ ") // 86400000000)") }}
{%- endmacro %}
