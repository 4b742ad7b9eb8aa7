{#-
    One row per staged order with its unified customer (the customer its record resolves to) and
    its amount in CNY at the reference rate of the tag_fx_rates seed: the orders fact of the tag
    system (tags/_facts.yml). A cancelled or refunded order keeps its amount_cny; its
    net_amount_cny is 0.
-#}

with

orders as (

    select * from {{ ref('stg_orders__orders') }}

),

fx_rates as (

    select * from {{ ref('tag_fx_rates') }}

),

record_customers as (

    select * from {{ ref('int_identity_record_customers') }}

),

orders_converted as (

    select
        orders.order_id,
        orders.ordered_at,
        orders.ingested_at,
        orders.status,
        orders.channel,
        orders.store_id,
        orders.currency,
        orders.coupon_code,
        cast(orders.total_amount * fx_rates.rate_to_cny as decimal(18, 4)) as amount_cny
    from orders
    left join fx_rates
        on orders.currency = fx_rates.currency_code

),

final as (

    select
        orders_converted.order_id,
        record_customers.unified_customer_id,
        orders_converted.ordered_at,
        orders_converted.ingested_at,
        orders_converted.status,
        orders_converted.channel,
        orders_converted.store_id,
        orders_converted.currency,
        orders_converted.amount_cny,
        case
            when orders_converted.status in ('cancelled', 'refunded') then cast(0 as decimal(18, 4))
            else orders_converted.amount_cny
        end as net_amount_cny,
        coalesce(orders_converted.status = 'refunded', false) as is_refunded,
        coalesce(orders_converted.status = 'cancelled', false) as is_cancelled,
        orders_converted.coupon_code is not null as has_coupon
    from orders_converted
    -- Every staged record resolves (tests/assert_every_record_resolves.sql).
    inner join record_customers
        on
            record_customers.source_name = 'orders'
            and record_customers.source_table = 'orders'
            and cast(orders_converted.order_id as {{ dbt.type_string() }})
            = record_customers.record_key

)

select * from final
