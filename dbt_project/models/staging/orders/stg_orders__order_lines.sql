with

base_order_lines as (

    select * from {{ ref('base_orders__order_lines') }}

),

final as (

    select
        order_line_id,
        order_id,
        sku,
        product_name,
        category,
        currency_original,
        currency,
        quantity,
        unit_price,
        line_amount,
        source_file_name,
        source_row_number,
        ingested_at
    from base_order_lines
    -- Rows failing a hard rule are in int_rows_quarantined instead.
    where quarantine_rule is null

)

select * from final
