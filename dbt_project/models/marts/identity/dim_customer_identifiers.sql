{#- One row per identifier that links records, with its unified customer. -#}

with

customer_ids as (

    select * from {{ ref('int_customer_ids') }}

),

screened as (

    select * from {{ ref('int_identifiers_screened') }}

),

final as (

    select
        customer_ids.identifier_type,
        customer_ids.identifier_value,
        customer_ids.unified_customer_id,
        screened.is_hard_id,
        screened.records,
        screened.sources,
        screened.first_seen_at,
        screened.last_seen_at
    from customer_ids
    inner join screened
        on
            customer_ids.identifier_type = screened.identifier_type
            and customer_ids.identifier_value = screened.identifier_value
    where customer_ids.is_current

)

select * from final
