{#-
    One row per staged order, keyed by its unified customer: the orders fact for BI. Amounts in the
    order's currency and in CNY (reference rate of tag_fx_rates, as the tags use), the customer's
    order sequence and whether it is their first (not cancelled) order.
-#}

with

orders_attributed as (

    select * from {{ ref('int_orders_attributed') }}

),

orders as (

    select * from {{ ref('stg_orders__orders') }}

),

order_lines as (

    select * from {{ ref('stg_orders__order_lines') }}

),

order_lines_summarized as (

    select
        order_lines.order_id,
        count(*) as line_count,
        cast(sum(order_lines.quantity) as {{ dbt.type_bigint() }}) as units_count
    from order_lines
    group by order_lines.order_id

),

orders_joined as (

    select
        orders_attributed.order_id,
        orders_attributed.unified_customer_id,
        orders_attributed.status,
        orders_attributed.channel,
        orders_attributed.store_id,
        orders.coupon_code,
        orders_attributed.currency,
        orders.total_amount,
        orders_attributed.amount_cny,
        orders_attributed.net_amount_cny,
        coalesce(order_lines_summarized.line_count, 0) as line_count,
        coalesce(order_lines_summarized.units_count, 0) as units_count,
        orders_attributed.is_cancelled,
        orders_attributed.is_refunded,
        orders_attributed.has_coupon,
        orders_attributed.ordered_at,
        orders.updated_at,
        orders_attributed.ingested_at
    from orders_attributed
    inner join orders
        on orders_attributed.order_id = orders.order_id
    left join order_lines_summarized
        on orders_attributed.order_id = order_lines_summarized.order_id

),

orders_sequenced as (

    select
        orders_joined.*,
        -- Cancelled orders get no number: they are not orders of the customer for BI.
        case
            when not orders_joined.is_cancelled
                then row_number() over (
                    partition by orders_joined.unified_customer_id, orders_joined.is_cancelled
                    order by orders_joined.ordered_at, orders_joined.order_id
                )
        end as customer_order_number
    from orders_joined

),

final as (

    select
        order_id,
        unified_customer_id,
        status,
        channel,
        store_id,
        coupon_code,
        currency,
        total_amount,
        amount_cny,
        net_amount_cny,
        line_count,
        units_count,
        customer_order_number,
        coalesce(customer_order_number = 1, false) as is_first_order,
        is_cancelled,
        is_refunded,
        has_coupon,
        cast(ordered_at as date) as ordered_date,
        ordered_at,
        updated_at,
        ingested_at
    from orders_sequenced

)

select * from final
