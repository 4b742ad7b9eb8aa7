{#- A unified customer never holds two values of one hard id type (two CRM numbers): the limit
    the deterministic graph keeps by construction and the probabilistic guard keeps for merges. -#}
{{ config(meta={'dagster': {'ref': {'name': 'int_customer_ids'}}}) }}

with

customer_ids as (

    select * from {{ ref('int_customer_ids') }}

),

identifier_types as (

    select * from {{ ref('identity_identifier_types') }}

),

final as (

    select
        customer_ids.unified_customer_id,
        customer_ids.identifier_type,
        count(*) as hard_ids
    from customer_ids
    inner join identifier_types
        on customer_ids.identifier_type = identifier_types.identifier_type
    where customer_ids.is_current and identifier_types.is_hard_id
    group by customer_ids.unified_customer_id, customer_ids.identifier_type
    having count(*) > 1

)

select * from final
