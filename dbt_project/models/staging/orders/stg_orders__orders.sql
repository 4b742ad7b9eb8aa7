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
        {{ raw_lineage_columns() }}
    from source

)

select * from final
