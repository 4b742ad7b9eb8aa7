with

source as (

    select * from {{ source('raw_orders', 'order_lines') }}

),

final as (

    select
        record_key as order_line_id,
        order_key as order_id,
        sku,
        product_name,
        category,
        currency,
        quantity,
        unit_price,
        _source_file as source_file_name,
        cast(_source_row as bigint) as source_row_number,
        _ingested_at as ingested_at
    from source

)

select * from final
