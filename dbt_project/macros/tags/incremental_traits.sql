{#-
    The incremental traits model: the previous table, with only the customers whose traits may
    have changed recomputed from all their facts.

    A customer is recomputed when, since the previous build, it has a fact that was loaded
    (ingested_at after the previous watermark), that entered the as-of horizon (occurred between
    the previous and the current as_of), or that left one of the windows (occurred in
    (previous as_of - window, as_of - window]); or when the identity graph merged or split it
    (identity_events since the previous build). Everything is recomputed (a full run) on
    --full-refresh, on the first build, when the aggregates changed (traits_hash) or when as_of
    went back in time. Recomputing a customer from all its facts, not adding deltas, keeps
    distinct counts, modes and late facts exact; the test
    assert_customer_traits_match_full_recompute checks the result against a full recompute.
-#}

{% macro cdp_incremental_traits_sql(refresh) -%}
{%- set registry = cdp_tags() -%}
{%- set as_of = cdp_tags_as_of() -%}
{%- set aggregates = cdp_tag_list(kinds=['aggregate'], refresh=refresh) -%}
{%- set traits_hash = registry.traits_hash -%}
{%- set previous = cdp_incremental_traits_previous(refresh, traits_hash, as_of) -%}
{%- set fact_names = [] -%}
{%- for tag in aggregates if tag.definition.fact not in fact_names -%}
    {%- do fact_names.append(tag.definition.fact) -%}
{%- endfor -%}
with

{%- if previous is none %}

traits__ as (

    select
        traits.*,
        true as was_recomputed
    from (
        {{ cdp_tag_traits_sql(as_of, refresh=refresh) | indent(8) }}
    ) as traits

),
{%- else %}

previous__ as (

    select * from {{ this }}

),

state__ as (

    select
        max(as_of) as as_of,
        max(facts_watermark) as facts_watermark,
        max(computed_at) as computed_at
    from previous__

),

affected__ as (
    {%- for fact_name in fact_names %}
    {%- set fact = registry.facts[fact_name] %}
    {%- set at = cdp_tag_column(fact.occurred_at) %}
    {%- set windows = aggregates | selectattr('definition.fact', 'equalto', fact_name)
        | map(attribute='definition.window_days') | reject('none') | unique | list %}

    select facts.unified_customer_id
    from {{ ref(fact.model) }} as facts
    cross join state__
    where facts.{{ cdp_tag_column(fact.ingested_at) }} > state__.facts_watermark
        or (facts.{{ at }} > state__.as_of and facts.{{ at }} <= {{ as_of }})
        {%- for days in windows %}
        or (
            facts.{{ at }} > {{ dbt.dateadd('day', -1 * days, 'state__.as_of') }}
            and facts.{{ at }} <= {{ dbt.dateadd('day', -1 * days, as_of) }}
        )
        {%- endfor %}

    union
    {%- endfor %}

    select identity_events.customer_id as unified_customer_id
    from {{ ref('identity_events') }} as identity_events
    cross join state__
    where identity_events.recorded_at > state__.computed_at

    union

    select identity_events.other_customer_id as unified_customer_id
    from {{ ref('identity_events') }} as identity_events
    cross join state__
    where identity_events.recorded_at > state__.computed_at
        and identity_events.other_customer_id is not null

),

recomputed__ as (

    {{ cdp_tag_traits_sql(as_of, refresh=refresh, customers='affected__') | indent(4) }}

),

traits__ as (

    select
        unified_customer_id
        {%- for tag in aggregates %},
        {{ cdp_tag_column(tag.name) }}
        {%- endfor %},
        false as was_recomputed
    from previous__
    where unified_customer_id not in (select unified_customer_id from affected__)

    union all

    select
        *,
        true as was_recomputed
    from recomputed__

),
{%- endif %}

watermark__ as (
    {%- for fact_name in fact_names %}
    {%- set fact = registry.facts[fact_name] %}
    select max({{ cdp_tag_column(fact.ingested_at) }}) as ingested_at
    from {{ ref(fact.model) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- if not fact_names %}
    select cast(null as {{ cdp_tag_timestamp_type() }}) as ingested_at
    {%- endif %}
),

final as (

    select
        traits__.*,
        {{ as_of }} as as_of,
        (select max(ingested_at) from watermark__) as facts_watermark,
        '{{ traits_hash }}' as traits_hash,
        {{ cdp_tag_timestamp(run_started_at.strftime('%Y-%m-%d %H:%M:%S')) }} as computed_at,
        {{ "'full'" if previous is none else "'incremental'" }} as refresh_mode
    from traits__

)

select * from final
{%- endmacro %}

{#-
    The previous build of this model when an incremental run is possible, else none: not on
    --full-refresh, the first build, changed aggregates or an as_of earlier than the stored one.
-#}
{% macro cdp_incremental_traits_previous(refresh, traits_hash, as_of) -%}
    {#- dbt unit tests set tags_incremental: false (their inputs are fixtures, not this table). -#}
    {%- if flags.FULL_REFRESH or not execute or not var('tags_incremental', true) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set previous = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if previous is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set state = run_query(
        "select max(traits_hash), count(distinct traits_hash), max(as_of) <= " ~ as_of
        ~ " from " ~ previous
    ) -%}
    {%- set row = state.rows[0] -%}
    {%- if row[0] != traits_hash or row[1] != 1 or not row[2] -%}
        {{ log("Tag traits of " ~ this ~ ": full recompute (aggregates changed, empty table or "
            ~ "as_of moved back)", info=true) }}
        {{ return(none) }}
    {%- endif -%}
    {{ return(previous) }}
{%- endmacro %}
