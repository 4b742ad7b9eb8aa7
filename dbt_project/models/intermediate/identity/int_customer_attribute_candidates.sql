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

crm_values as (

    {%- set crm_attributes = {
        'full_name': 'full_name', 'first_name': 'first_name', 'last_name': 'last_name',
        'email': 'case when email_is_valid then email end',
        'phone': 'case when phone_is_valid then phone_e164 end',
        'address': 'address', 'city': 'city', 'region': 'region', 'postal_code': 'postal_code',
        'country_code': 'country_code', 'birth_date': 'cast(birth_date as ' ~ dbt.type_string() ~ ')',
        'gender': "case when gender <> 'unknown' then gender end"
    } %}
    {%- for attribute_name, expression in crm_attributes.items() %}
        select
            'crm.customers:' || customer_id as record_id,
            '{{ attribute_name }}' as attribute_name,
            cast({{ expression }} as {{ dbt.type_string() }}) as attribute_value,
            updated_at as observed_at
        from customers
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

contact_values as (

    select
        'orders.orders:' || order_id as record_id,
        'email' as attribute_name,
        email as attribute_value,
        ordered_at as observed_at
    from orders
    where email_is_valid
    union all
    select
        'orders.orders:' || order_id as record_id,
        'phone' as attribute_name,
        phone_e164 as attribute_value,
        ordered_at as observed_at
    from orders
    where phone_is_valid
    union all
    select
        'service.tickets:' || ticket_id as record_id,
        'email' as attribute_name,
        email as attribute_value,
        created_at as observed_at
    from tickets
    where email_is_valid
    union all
    select
        'service.tickets:' || ticket_id as record_id,
        'phone' as attribute_name,
        phone_e164 as attribute_value,
        created_at as observed_at
    from tickets
    where phone_is_valid
    union all
    select
        'wechat.followers:' || openid as record_id,
        'phone' as attribute_name,
        phone_e164 as attribute_value,
        updated_at as observed_at
    from followers
    where phone_is_valid
    union all
    select
        'wechat.followers:' || openid as record_id,
        'city' as attribute_name,
        city as attribute_value,
        updated_at as observed_at
    from followers

),

trait_values as (

    select
        'events.events:' || event_id as record_id,
        'full_name' as attribute_name,
        trait_name as attribute_value,
        occurred_at as observed_at
    from events
    where event_type = 'identify'
    union all
    select
        'events.events:' || event_id as record_id,
        'email' as attribute_name,
        trait_email as attribute_value,
        occurred_at as observed_at
    from events
    where event_type = 'identify' and trait_email_is_valid
    union all
    select
        'events.events:' || event_id as record_id,
        'phone' as attribute_name,
        trait_phone_e164 as attribute_value,
        occurred_at as observed_at
    from events
    where event_type = 'identify' and trait_phone_is_valid

),

candidates as (

    select * from crm_values
    union all
    select * from contact_values
    union all
    select * from trait_values

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
