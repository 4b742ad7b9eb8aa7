{#-
    The golden record: one row per unified customer. Each attribute_name is chosen among the values
    its records offer by the rule the identity_survivorship seed gives it (most_trusted_source:
    the source ranked first in identity_source_trust, then the most recent; most_recent; or
    most_frequent, then the most recent), with the source it came from.
-#}

{%- set attributes = [
    'full_name', 'first_name', 'last_name', 'email', 'phone', 'address', 'city', 'region',
    'postal_code', 'country_code', 'birth_date', 'gender',
] %}

with

candidates as (

    select * from {{ ref('int_customer_attribute_candidates') }}

),

survivorship as (

    select * from {{ ref('identity_survivorship') }}

),

source_trust as (

    select * from {{ ref('identity_source_trust') }}

),

record_customers as (

    select * from {{ ref('int_identity_record_customers') }}

),

record_nodes as (

    select * from {{ ref('int_identity_record_nodes') }}

),

customer_ids as (

    select * from {{ ref('int_customer_ids') }}

),

value_counts as (

    select
        unified_customer_id,
        attribute_name,
        attribute_value,
        count(*) as frequency
    from candidates
    group by unified_customer_id, attribute_name, attribute_value

),

ranked as (

    select
        candidates.unified_customer_id,
        candidates.attribute_name,
        candidates.attribute_value,
        candidates.source_name,
        row_number() over (
            partition by candidates.unified_customer_id, candidates.attribute_name
            order by
                case
                    when survivorship.rule = 'most_trusted_source' then source_trust.trust_rank
                end,
                case when survivorship.rule = 'most_frequent' then value_counts.frequency end desc,
                candidates.observed_at desc,
                source_trust.trust_rank asc,
                candidates.attribute_value asc
        ) as survivor_rank
    from candidates
    inner join survivorship
        on candidates.attribute_name = survivorship.attribute_name
    inner join source_trust
        on candidates.source_name = source_trust.source_name
    inner join value_counts
        on
            candidates.unified_customer_id = value_counts.unified_customer_id
            and candidates.attribute_name = value_counts.attribute_name
            and candidates.attribute_value = value_counts.attribute_value

),

golden as (

    select
        unified_customer_id,
        {%- for attribute_name in attributes %}
            max(case when attribute_name = '{{ attribute_name }}' then attribute_value end)
                as {{ attribute_name }},
            max(case when attribute_name = '{{ attribute_name }}' then source_name end)
                as {{ attribute_name }}_source{% if not loop.last %},{% endif %}
        {%- endfor %}
    from ranked
    where survivor_rank = 1
    group by unified_customer_id

),

record_stats as (

    select
        unified_customer_id,
        count(*) as record_count,
        count(distinct source_name) as source_count,
        max(case when has_probabilistic_link then 1 else 0 end) = 1 as has_probabilistic_link
    from record_customers
    group by unified_customer_id

),

seen as (

    select
        customer_ids.unified_customer_id,
        min(record_nodes.observed_at) as first_seen_at,
        max(record_nodes.observed_at) as last_seen_at
    from record_nodes
    inner join customer_ids
        on record_nodes.node_id = customer_ids.node_id and customer_ids.is_current
    group by customer_ids.unified_customer_id

),

identity as (

    select
        unified_customer_id,
        min(customer_id_created_at) as customer_id_created_at,
        min(case when identifier_type = 'crm_id' then identifier_value end) as crm_id,
        sum(case when identifier_type <> 'source_record' then 1 else 0 end) as identifier_count
    from customer_ids
    where is_current
    group by unified_customer_id

),

final as (

    select
        identity.unified_customer_id,
        identity.crm_id,
        {%- for attribute_name in attributes %}
            {%- if attribute_name == 'birth_date' %}
                cast(golden.birth_date as date) as birth_date,
            {%- else %}
                golden.{{ attribute_name }},
            {%- endif %}
            golden.{{ attribute_name }}_source,
        {%- endfor %}
        seen.first_seen_at,
        seen.last_seen_at,
        coalesce(record_stats.record_count, 0) as record_count,
        coalesce(record_stats.source_count, 0) as source_count,
        identity.identifier_count,
        coalesce(record_stats.has_probabilistic_link, false) as has_probabilistic_link,
        identity.customer_id_created_at
    from identity
    left join record_stats
        on identity.unified_customer_id = record_stats.unified_customer_id
    left join seen
        on identity.unified_customer_id = seen.unified_customer_id
    left join golden
        on identity.unified_customer_id = golden.unified_customer_id

)

select * from final
