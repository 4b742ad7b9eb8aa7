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
        _source_file as source_file_name,
        cast(_source_row as bigint) as source_row_number,
        _ingested_at as ingested_at
    from source

)

select * from final
