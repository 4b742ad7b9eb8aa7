{#-
    Every value a source record offers for a golden-record attribute_name, long: one row per (record,
    attribute_name) with the record's customer, source and time. dim_customers picks one per
    customer and attribute_name by the rule in the identity_survivorship seed.
-#}

with

customers as (

    select * from {{ ref('stg_crm__customers') }}

),

orders as (

    select * from {{ ref('stg_orders__orders') }}

),

tickets as (

    select * from {{ ref('stg_service__tickets') }}

),

events as (

    select * from {{ ref('stg_events__events') }}

),

followers as (

    select * from {{ ref('stg_wechat__followers') }}

),

records as (

    select * from {{ ref('int_identity_record_customers') }}

),

{#- Which column of which staging model offers which attribute; a null value offers nothing. -#}
{%- set valid_email = 'case when email_is_valid then email end' %}
{%- set valid_phone = 'case when phone_is_valid then phone_e164 end' %}
{%- set specs = [
    {
        'relation': 'customers', 'source': 'crm.customers', 'key': 'customer_id',
        'observed_at': 'updated_at', 'where': 'true',
        'attributes': {
            'full_name': 'full_name', 'first_name': 'first_name', 'last_name': 'last_name',
            'email': valid_email, 'phone': valid_phone, 'address': 'address', 'city': 'city',
            'region': 'region', 'postal_code': 'postal_code', 'country_code': 'country_code',
            'birth_date': 'birth_date', 'gender': "case when gender <> 'unknown' then gender end",
        },
    },
    {
        'relation': 'orders', 'source': 'orders.orders', 'key': 'order_id',
        'observed_at': 'ordered_at', 'where': 'true',
        'attributes': {'email': valid_email, 'phone': valid_phone},
    },
    {
        'relation': 'tickets', 'source': 'service.tickets', 'key': 'ticket_id',
        'observed_at': 'created_at', 'where': 'true',
        'attributes': {'email': valid_email, 'phone': valid_phone},
    },
    {
        'relation': 'followers', 'source': 'wechat.followers', 'key': 'openid',
        'observed_at': 'updated_at', 'where': 'true',
        'attributes': {'phone': valid_phone, 'city': 'city'},
    },
    {
        'relation': 'events', 'source': 'events.events', 'key': 'event_id',
        'observed_at': 'occurred_at', 'where': "event_type = 'identify'",
        'attributes': {
            'full_name': 'trait_name',
            'email': 'case when trait_email_is_valid then trait_email end',
            'phone': 'case when trait_phone_is_valid then trait_phone_e164 end',
        },
    },
] %}

candidates as (

    {% for spec in specs -%}
        {%- set outer_loop = loop %}
        {%- for attribute_name, expression in spec.attributes.items() %}
            select
                '{{ spec.source }}:' || {{ spec.key }} as record_id,
                '{{ attribute_name }}' as attribute_name,
                cast({{ expression }} as {{ dbt.type_string() }}) as attribute_value,
                {{ spec.observed_at }} as observed_at
            from {{ spec.relation }}
            where {{ spec.where }}
            {% if not (loop.last and outer_loop.last) %}union all{% endif %}
        {%- endfor %}
    {% endfor %}

),

final as (

    select
        records.unified_customer_id,
        candidates.attribute_name,
        candidates.attribute_value,
        records.source_name,
        candidates.record_id,
        candidates.observed_at
    from candidates
    inner join records
        on candidates.record_id = records.record_id
    where candidates.attribute_value is not null and candidates.attribute_value <> ''

)

select * from final
