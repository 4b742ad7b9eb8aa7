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
        {{ raw_lineage_columns() }}
    from source

)

select * from final
