{#-
    One row per web or app session (see fct_events for the 30-minute rule and the partition by
    unified customer and platform), with its time span, counts, landing page, acquisition
    (UTM of the landing event, else the referrer) and conversion.

    A session converts when it holds an Order Completed event or the customer placed an order that
    is not cancelled between the session's start and var('session_timeout_minutes', 30) minutes
    after its last event (any sales channel: the app and web events and orders of the sample do not
    agree on channel). The funnel flags are ordered: a cart add counts only at or after the first
    product view, a purchase (Order Completed event or order) only at or after that cart add.
-#}

{%- set timeout_minutes = var('session_timeout_minutes', 30) %}

with

events as (

    select * from {{ ref('fct_events') }}
    where session_id is not null

),

orders as (

    select * from {{ ref('fct_orders') }}
    where not is_cancelled

),

events_with_first_view as (

    select
        events.session_id,
        events.unified_customer_id,
        events.platform,
        events.customer_session_number,
        events.occurred_at,
        events.is_page_view,
        events.is_product_view,
        events.is_cart_add,
        events.is_order_completed,
        min(case when events.is_product_view then events.occurred_at end) over (
            partition by events.session_id
        ) as session_first_product_viewed_at
    from events

),

sessions_summarized as (

    select
        events_with_first_view.session_id,
        events_with_first_view.unified_customer_id,
        events_with_first_view.platform,
        events_with_first_view.customer_session_number,
        min(events_with_first_view.occurred_at) as started_at,
        max(events_with_first_view.occurred_at) as ended_at,
        count(*) as event_count,
        count(case when events_with_first_view.is_page_view then 1 end) as page_view_count,
        count(case when events_with_first_view.is_product_view then 1 end)
            as product_view_count,
        count(case when events_with_first_view.is_cart_add then 1 end) as cart_add_count,
        count(case when events_with_first_view.is_order_completed then 1 end)
            as order_completed_event_count,
        min(events_with_first_view.session_first_product_viewed_at) as first_product_viewed_at,
        min(
            case
                when
                    events_with_first_view.is_cart_add
                    and events_with_first_view.occurred_at
                    >= events_with_first_view.session_first_product_viewed_at
                    then events_with_first_view.occurred_at
            end
        ) as first_cart_add_after_view_at,
        max(
            case
                when events_with_first_view.is_order_completed
                    then events_with_first_view.occurred_at
            end
        ) as last_order_completed_at
    from events_with_first_view
    group by
        events_with_first_view.session_id,
        events_with_first_view.unified_customer_id,
        events_with_first_view.platform,
        events_with_first_view.customer_session_number

),

landing_events as (

    select events.*
    from events
    where events.session_event_number = 1

),

first_page_views as (

    select
        events.session_id,
        case
            when events.platform = 'web' then coalesce(events.page_path, events.event_name)
            else events.event_name
        end as landing_page,
        row_number() over (
            partition by events.session_id
            order by events.session_event_number
        ) as page_view_number
    from events
    where events.is_page_view

),

session_orders as (

    select
        sessions_summarized.session_id,
        count(*) as order_count,
        sum(orders.net_amount_cny) as order_net_amount_cny,
        max(orders.ordered_at) as last_ordered_at
    from sessions_summarized
    inner join orders
        on
            sessions_summarized.unified_customer_id = orders.unified_customer_id
            and sessions_summarized.started_at <= orders.ordered_at
            and {{ dbt.dateadd('minute', timeout_minutes, 'sessions_summarized.ended_at') }}
            >= orders.ordered_at
    group by sessions_summarized.session_id

),

final as (

    select
        sessions_summarized.session_id,
        sessions_summarized.unified_customer_id,
        sessions_summarized.platform,
        sessions_summarized.customer_session_number,
        first_page_views.landing_page,
        landing_events.page_referrer as referrer,
        landing_events.utm_source,
        landing_events.utm_medium,
        landing_events.utm_campaign,
        {{ cdp_traffic_channel(
            'landing_events.utm_source',
            'landing_events.utm_medium',
            'landing_events.page_referrer',
            'landing_events.page_url'
        ) }} as traffic_channel,
        landing_events.device_type,
        landing_events.os_name,
        sessions_summarized.event_count,
        sessions_summarized.page_view_count,
        sessions_summarized.product_view_count,
        sessions_summarized.cart_add_count,
        sessions_summarized.order_completed_event_count,
        coalesce(session_orders.order_count, 0) as order_count,
        coalesce(session_orders.order_net_amount_cny, 0) as order_net_amount_cny,
        {{ dbt.datediff(
            'sessions_summarized.started_at', 'sessions_summarized.ended_at', 'second'
        ) }} as duration_seconds,
        sessions_summarized.event_count = 1 as is_bounce,
        sessions_summarized.product_view_count > 0 as has_reached_product_view,
        sessions_summarized.first_cart_add_after_view_at is not null as has_reached_cart,
        coalesce(
            sessions_summarized.last_order_completed_at
            >= sessions_summarized.first_cart_add_after_view_at
            or session_orders.last_ordered_at
            >= sessions_summarized.first_cart_add_after_view_at,
            false
        ) as has_reached_purchase,
        (
            sessions_summarized.order_completed_event_count > 0
            or session_orders.order_count is not null
        ) as is_converted,
        cast(sessions_summarized.started_at as date) as started_date,
        sessions_summarized.started_at,
        sessions_summarized.ended_at
    from sessions_summarized
    inner join landing_events
        on sessions_summarized.session_id = landing_events.session_id
    left join first_page_views
        on
            sessions_summarized.session_id = first_page_views.session_id
            and first_page_views.page_view_number = 1
    left join session_orders
        on sessions_summarized.session_id = session_orders.session_id

)

select * from final
