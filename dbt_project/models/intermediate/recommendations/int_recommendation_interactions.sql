{#-
    One row per purchase line or product view with a SKU and a unified customer: the signals of
    the product recommendations (macros/recommendations/). Purchases are order lines, their
    basket the order; views are the product events of recommendation_config().view_event_names,
    their basket the customer's UTC day. is_signal marks what the similarities, histories and
    popularity learn from; is_bought what is never recommended to that customer again.
-#}

{%- set config = recommendation_config() -%}

with

order_lines as (

    select * from {{ ref('int_order_lines_attributed') }}

),

events as (

    select * from {{ ref('int_events_attributed') }}

),

staged_events as (

    select * from {{ ref('stg_events__events') }}

),

purchases as (

    select
        order_lines.order_line_id as interaction_id,
        order_lines.unified_customer_id,
        order_lines.sku,
        'purchase' as interaction_type,
        order_lines.ordered_at as interacted_at,
        order_lines.order_id as basket_id,
        coalesce(
            order_lines.order_status in {{ recommendation_sql_list(config.purchase_statuses) }}
            and order_lines.quantity > 0,
            false
        ) as is_signal,
        coalesce(
            order_lines.order_status in {{ recommendation_sql_list(config.bought_statuses) }},
            false
        ) as is_bought
    from order_lines
    where order_lines.sku is not null

),

product_events as (

    select
        staged_events.event_id,
        staged_events.product_sku
    from staged_events
    where
        staged_events.product_sku is not null
        and staged_events.event_name in {{ recommendation_sql_list(config.view_event_names) }}

),

product_views as (

    select
        events.event_id as interaction_id,
        events.unified_customer_id,
        product_events.product_sku as sku,
        'view' as interaction_type,
        events.occurred_at as interacted_at,
        {{ dbt.concat([
            'events.unified_customer_id',
            "':'",
            'cast(cast(events.occurred_at as date) as ' ~ dbt.type_string() ~ ')',
        ]) }} as basket_id,
        true as is_signal,
        false as is_bought
    from events
    inner join product_events
        on events.event_id = product_events.event_id
    where events.occurred_at is not null

),

final as (

    select * from purchases
    union all
    select * from product_views

)

select * from final
