{#-
    One row per calendar month (UTC) and platform (web, app): the behavioural conversion funnel
    visit -> product view -> cart -> purchase, counted in customers (unified customers) who reach
    each step in order within the month on that platform: a visit is any event in a session; a
    product view a Product Viewed event; a cart step a Product Added event at or after the
    customer's first product view of the month; a purchase an Order Completed event at or after
    that cart add. Steps in different months do not chain. Customers, not sessions, because a
    purchase often comes back in a later session than the product view (the sample's purchase
    sessions start on the cart). Session counts and the session conversion rate (fct_sessions,
    orders included) and the customers with an Order Completed event whatever the steps before it
    (order_completed_customers, an open funnel's last step) are given beside it.
-#}

with

events as (

    select * from {{ ref('fct_events') }}
    where platform is not null

),

sessions as (

    select * from {{ ref('fct_sessions') }}

),

events_monthly as (

    select
        events.unified_customer_id,
        events.platform,
        cast({{ dbt.date_trunc('month', 'events.occurred_at') }} as date) as funnel_month,
        events.occurred_at,
        events.is_product_view,
        events.is_cart_add,
        events.is_order_completed
    from events

),

events_with_first_view as (

    select
        events_monthly.*,
        min(case when events_monthly.is_product_view then events_monthly.occurred_at end) over (
            partition by
                events_monthly.unified_customer_id,
                events_monthly.platform,
                events_monthly.funnel_month
        ) as first_product_viewed_at
    from events_monthly

),

customer_steps as (

    select
        events_with_first_view.unified_customer_id,
        events_with_first_view.platform,
        events_with_first_view.funnel_month,
        min(events_with_first_view.first_product_viewed_at) as first_product_viewed_at,
        min(
            case
                when
                    events_with_first_view.is_cart_add
                    and events_with_first_view.occurred_at
                    >= events_with_first_view.first_product_viewed_at
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
        events_with_first_view.unified_customer_id,
        events_with_first_view.platform,
        events_with_first_view.funnel_month

),

customer_funnel as (

    select
        customer_steps.platform,
        customer_steps.funnel_month,
        customer_steps.first_product_viewed_at is not null as has_product_view,
        customer_steps.first_cart_add_after_view_at is not null as has_cart_add,
        coalesce(
            customer_steps.last_order_completed_at
            >= customer_steps.first_cart_add_after_view_at,
            false
        ) as has_purchase,
        customer_steps.last_order_completed_at is not null as has_order_completed
    from customer_steps

),

funnel_counts as (

    select
        customer_funnel.funnel_month,
        customer_funnel.platform,
        count(*) as visitors,
        count(case when customer_funnel.has_product_view then 1 end) as product_viewers,
        count(case when customer_funnel.has_cart_add then 1 end) as cart_adders,
        count(case when customer_funnel.has_purchase then 1 end) as purchasers,
        count(case when customer_funnel.has_order_completed then 1 end)
            as order_completed_customers
    from customer_funnel
    group by customer_funnel.funnel_month, customer_funnel.platform

),

sessions_monthly as (

    select
        sessions.platform,
        sessions.is_converted,
        cast({{ dbt.date_trunc('month', 'sessions.started_at') }} as date) as funnel_month
    from sessions

),

session_counts as (

    select
        sessions_monthly.funnel_month,
        sessions_monthly.platform,
        count(*) as sessions,
        count(case when sessions_monthly.is_converted then 1 end) as converted_sessions
    from sessions_monthly
    group by sessions_monthly.funnel_month, sessions_monthly.platform

),

final as (

    select
        funnel_counts.funnel_month,
        funnel_counts.platform,
        funnel_counts.visitors,
        funnel_counts.product_viewers,
        funnel_counts.cart_adders,
        funnel_counts.purchasers,
        {{ cdp_ratio('funnel_counts.product_viewers', 'funnel_counts.visitors') }}
            as product_view_rate,
        {{ cdp_ratio('funnel_counts.cart_adders', 'funnel_counts.product_viewers') }}
            as cart_rate,
        {{ cdp_ratio('funnel_counts.purchasers', 'funnel_counts.cart_adders') }}
            as purchase_rate,
        {{ cdp_ratio('funnel_counts.purchasers', 'funnel_counts.visitors') }}
            as visitor_conversion_rate,
        funnel_counts.order_completed_customers,
        coalesce(session_counts.sessions, 0) as sessions,
        coalesce(session_counts.converted_sessions, 0) as converted_sessions,
        {{ cdp_ratio('session_counts.converted_sessions', 'session_counts.sessions') }}
            as session_conversion_rate
    from funnel_counts
    left join session_counts
        on
            funnel_counts.funnel_month = session_counts.funnel_month
            and funnel_counts.platform = session_counts.platform

)

select * from final
