{#-
    One row per staged order line with its order's time, status and unified customer (the
    customer the order's record resolves to; a line is not a record of its own) and its amount in
    CNY at the reference rate of the tag_fx_rates seed: the order_lines fact of the tag system
    (tags/_facts.yml). Staging keeps no line without its order, so the join to the order is inner.
-#}

with

order_lines as (

    select * from {{ ref('stg_orders__order_lines') }}

),

orders as (

    select * from {{ ref('stg_orders__orders') }}

),

fx_rates as (

    select * from {{ ref('tag_fx_rates') }}

),

record_customers as (

    select * from {{ ref('int_identity_record_customers') }}

),

final as (

    select
        order_lines.order_line_id,
        order_lines.order_id,
        record_customers.unified_customer_id,
        orders.ordered_at,
        order_lines.ingested_at,
        orders.status as order_status,
        order_lines.category,
        order_lines.sku,
        order_lines.quantity,
        cast(order_lines.line_amount * fx_rates.rate_to_cny as decimal(18, 4)) as line_amount_cny
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    left join fx_rates
        on order_lines.currency = fx_rates.currency_code
    -- Every staged record resolves (tests/assert_every_record_resolves.sql).
    inner join record_customers
        on
            record_customers.source_name = 'orders'
            and record_customers.source_table = 'orders'
            and cast(orders.order_id as {{ dbt.type_string() }}) = record_customers.record_key

)

select * from final
