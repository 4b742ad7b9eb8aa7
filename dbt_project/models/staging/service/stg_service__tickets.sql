with

source as (

    select * from {{ source('raw_service', 'tickets') }}

),

final as (

    select
        record_key as ticket_id,
        customer_key as customer_id,
        email,
        phone,
        channel,
        subject,
        body,
        status,
        satisfaction_score,
        created_at,
        updated_at,
        {{ raw_lineage_columns() }}
    from source

)

select * from final
