{#-
    One row per staged order line, keyed by the unified customer of its order: the order lines
    fact for BI, with the product, quantity, unit price and amount in the line's currency and the
    amount in CNY (reference rate of tag_fx_rates).
-#}

with

order_lines_attributed as (

    select * from {{ ref('int_order_lines_attributed') }}

),

order_lines as (

    select * from {{ ref('stg_orders__order_lines') }}

),

orders as (

    select * from {{ ref('int_orders_attributed') }}

),

final as (

    select
        order_lines_attributed.order_line_id,
        order_lines_attributed.order_id,
        order_lines_attributed.unified_customer_id,
        order_lines_attributed.order_status,
        orders.channel as order_channel,
        order_lines_attributed.sku,
        order_lines.product_name,
        order_lines_attributed.category,
        order_lines.currency,
        order_lines_attributed.quantity,
        order_lines.unit_price,
        order_lines.line_amount,
        order_lines_attributed.line_amount_cny,
        orders.is_cancelled as is_order_cancelled,
        orders.is_refunded as is_order_refunded,
        cast(order_lines_attributed.ordered_at as date) as ordered_date,
        order_lines_attributed.ordered_at,
        order_lines_attributed.ingested_at
    from order_lines_attributed
    inner join order_lines
        on order_lines_attributed.order_line_id = order_lines.order_line_id
    inner join orders
        on order_lines_attributed.order_id = orders.order_id

)

select * from final
