{#-
    The incremental traits model: the previous table, with only the customers whose traits may
    have changed recomputed from all their facts.

    A customer is recomputed when, since the previous build, it has a fact that was loaded
    (ingested_at after the previous watermark), that entered the as-of horizon (occurred between
    the previous and the current as_of), or that left one of the windows (occurred in
    (previous as_of - window, as_of - window]); or when its set of records changed (a merge, a
    split, an identifier that stopped linking, a new record): each row keeps a fingerprint of the
    customer's records (the xor of their hashes) and the next build compares. Everything is
    recomputed (a full run) on --full-refresh, on the first build, when the aggregates changed
    (traits_hash), when as_of went back in time or when the table predates a state column. Recomputing a customer from all its facts, not adding deltas, keeps
    distinct counts, modes and late facts exact; the test
    assert_customer_traits_match_full_recompute checks the result against a full recompute.
-#}

{% macro cdp_incremental_traits_sql(refresh) -%}
{%- set registry = cdp_tags() -%}
{%- set as_of = cdp_tags_as_of() -%}
{%- set aggregates = cdp_tag_list(kinds=['aggregate'], refresh=refresh) -%}
{%- set traits_hash = registry.traits_hash -%}
{%- set previous = cdp_incremental_traits_previous(refresh, traits_hash, as_of) -%}
{%- set fact_names = aggregates | map(attribute='definition.fact') | unique | list -%}
with

{# Which records each customer has now: a change of the set changes the fingerprint. #}
fingerprints__ as (

    select
        unified_customer_id,
        {{ cdp_tag_records_fingerprint('record_id') }} as records_fingerprint
    from {{ ref('int_identity_record_customers') }}
    group by unified_customer_id

),

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

    select * from {{ previous.relation }}

),

affected__ as (
    {%- for fact_name in fact_names %}
    {%- set fact = registry.facts[fact_name] %}
    {%- set at = cdp_tag_column(fact.occurred_at) %}
    {%- set windows = aggregates | selectattr('definition.fact', 'equalto', fact_name)
        | map(attribute='definition.window_days') | reject('none') | unique | list %}

    select facts.unified_customer_id
    from {{ ref(fact.model) }} as facts
    where facts.{{ cdp_tag_column(fact.ingested_at) }} > {{ previous.facts_watermark }}
        or (facts.{{ at }} > {{ previous.as_of }} and facts.{{ at }} <= {{ as_of }})
        {%- for days in windows %}
        or (
            facts.{{ at }} > {{ dbt.dateadd('day', -1 * days, previous.as_of) }}
            and facts.{{ at }} <= {{ dbt.dateadd('day', -1 * days, as_of) }}
        )
        {%- endfor %}

    union
    {%- endfor %}

    select coalesce(fingerprints__.unified_customer_id, previous__.unified_customer_id)
        as unified_customer_id
    from fingerprints__
    full outer join previous__
        on fingerprints__.unified_customer_id = previous__.unified_customer_id
    where fingerprints__.records_fingerprint is distinct from previous__.records_fingerprint

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
    where unified_customer_id not in (
        select unified_customer_id from affected__ where unified_customer_id is not null
    )

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
        fingerprints__.records_fingerprint,
        {{ as_of }} as as_of,
        (select max(ingested_at) from watermark__) as facts_watermark,
        '{{ traits_hash }}' as traits_hash,
        {{ cdp_tag_timestamp(run_started_at.strftime('%Y-%m-%d %H:%M:%S')) }} as computed_at,
        {{ "'full'" if previous is none else "'incremental'" }} as refresh_mode
    from traits__
    left join fingerprints__
        on traits__.unified_customer_id = fingerprints__.unified_customer_id

)

select * from final
{%- endmacro %}

{#-
    The previous build of this model when an incremental run is possible, else none: not on
    --full-refresh, the first build, changed aggregates, an as_of earlier than the stored one or a
    table from an older version of this macro.
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
    {%- set columns = adapter.get_columns_in_relation(previous) | map(attribute='name')
        | map('lower') | list -%}
    {%- for required in ['as_of', 'facts_watermark', 'traits_hash', 'records_fingerprint'] -%}
        {%- if required not in columns -%}
            {{ log("Tag traits of " ~ this ~ ": full recompute (the table predates column "
                ~ required ~ ")", info=true) }}
            {{ return(none) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set state = run_query(
        "select max(traits_hash), count(distinct traits_hash), max(as_of) <= " ~ as_of
        ~ ", cast(max(as_of) as " ~ dbt.type_string() ~ "), cast(coalesce(max(facts_watermark), "
        ~ cdp_tag_timestamp('1900-01-01') ~ ") as " ~ dbt.type_string() ~ ") from " ~ previous
    ) -%}
    {%- set row = state.rows[0] -%}
    {%- if row[0] != traits_hash or row[1] != 1 or not row[2] -%}
        {{ log("Tag traits of " ~ this ~ ": full recompute (aggregates changed, empty table or "
            ~ "as_of moved back)", info=true) }}
        {{ return(none) }}
    {%- endif -%}
    {#- The previous as_of and watermark as literals: a constant range lets the warehouse skip
        row groups of the facts, a join to a one-row state table does not. -#}
    {{ return({
        "relation": previous,
        "as_of": cdp_tag_stored_timestamp(row[3]),
        "facts_watermark": cdp_tag_stored_timestamp(row[4]),
    }) }}
{%- endmacro %}

{#-
    An order-independent fingerprint of a set of record ids: the xor of their 64-bit hashes. Two
    different sets share one with probability 2^-64.
-#}
{% macro cdp_tag_records_fingerprint(record_id) -%}
    {{ return(adapter.dispatch('cdp_tag_records_fingerprint', 'cdp')(record_id)) }}
{%- endmacro %}

{% macro default__cdp_tag_records_fingerprint(record_id) -%}
    {{ return("bit_xor(('x' || substr(md5(" ~ record_id ~ "), 1, 16))::bit(64)::bigint)") }}
{%- endmacro %}

{% macro duckdb__cdp_tag_records_fingerprint(record_id) -%}
    {{ return("bit_xor(hash(" ~ record_id ~ "))") }}
{%- endmacro %}

{#- A timestamp the warehouse printed (2026-12-01 00:00:00.123+00) as a SQL literal. -#}
{% macro cdp_tag_stored_timestamp(text) -%}
    {%- if not modules.re.match("^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}(:?\d{2})?)?$",
        text | string) -%}
        {{ exceptions.raise_compiler_error("Unexpected stored timestamp: " ~ text) }}
    {%- endif -%}
    {{ return("cast('" ~ text ~ "' as " ~ cdp_tag_timestamp_type() ~ ")") }}
{%- endmacro %}
