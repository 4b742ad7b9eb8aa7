{#- One row per staged source record with the unified customer it resolves to. -#}

with

record_customers as (

    select * from {{ ref('int_identity_record_customers') }}

),

final as (

    select
        record_id,
        source_name,
        source_table,
        record_key,
        unified_customer_id,
        resolved_by_type,
        resolved_by_value,
        has_probabilistic_link
    from record_customers

)

select * from final
