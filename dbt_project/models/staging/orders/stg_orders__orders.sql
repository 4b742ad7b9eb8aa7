with

source as (

    select * from {{ source('raw_orders', 'orders') }}

),

final as (

    select
        record_key as order_id,
        customer_key as customer_id,
        email,
        phone,
        channel,
        store_id,
        status,
        currency,
        total_amount,
        ordered_at,
        updated_at,
        _source_file as source_file_name,
        cast(_source_row as bigint) as source_row_number,
        _ingested_at as ingested_at
    from source

)

select * from final
