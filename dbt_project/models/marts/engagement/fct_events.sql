{#-
    One row per staged web or app event (Segment track, page, screen, identify), keyed by its
    unified customer, with descriptive columns (page, UTM, product, device) and the session it
    belongs to.

    Sessions: the events of one unified customer on one platform (web = Segment channel client,
    app = mobile) ordered by occurred_at then event_id; an event more than
    var('session_timeout_minutes', 30) minutes after the previous one starts a new session, an event
    exactly 30 minutes after it stays in the same session. session_id is a hash of the customer,
    the platform and the session's first event_id, so a rebuild gives the same ids. Server-side and
    unknown-channel events belong to no platform and no session.
-#}

{%- set timeout_minutes = var('session_timeout_minutes', 30) %}

with

events_attributed as (

    select * from {{ ref('int_events_attributed') }}

),

events as (

    select * from {{ ref('stg_events__events') }}

),

-- Sessions are numbered on a narrow projection (key, customer, platform, time), then joined
-- back to the descriptive columns once: window sorts over 40 columns cost several times more.
event_platforms as (

    select
        events_attributed.event_id,
        events_attributed.unified_customer_id,
        events_attributed.occurred_at,
        case events_attributed.channel
            when 'client' then 'web'
            when 'mobile' then 'app'
        end as platform
    from events_attributed

),

events_gaps as (

    select
        event_platforms.*,
        lag(event_platforms.occurred_at) over (
            partition by event_platforms.unified_customer_id, event_platforms.platform
            order by event_platforms.occurred_at, event_platforms.event_id
        ) as previous_occurred_at
    from event_platforms
    where event_platforms.platform is not null

),

events_session_numbered as (

    select
        events_gaps.*,
        count(
            case
                when events_gaps.previous_occurred_at is null then 1
                when events_gaps.occurred_at > {{ dbt.dateadd(
                    'minute', timeout_minutes, 'events_gaps.previous_occurred_at'
                ) }}
                    then 1
            end
        ) over (
            partition by events_gaps.unified_customer_id, events_gaps.platform
            order by events_gaps.occurred_at, events_gaps.event_id
            rows between unbounded preceding and current row
        ) as customer_session_number
    from events_gaps

),

events_sessionized as (

    select
        events_session_numbered.event_id,
        events_session_numbered.platform,
        events_session_numbered.customer_session_number,
        first_value(events_session_numbered.event_id) over (
            partition by
                events_session_numbered.unified_customer_id,
                events_session_numbered.platform,
                events_session_numbered.customer_session_number
            order by events_session_numbered.occurred_at, events_session_numbered.event_id
            rows between unbounded preceding and current row
        ) as session_first_event_id,
        row_number() over (
            partition by
                events_session_numbered.unified_customer_id,
                events_session_numbered.platform,
                events_session_numbered.customer_session_number
            order by events_session_numbered.occurred_at, events_session_numbered.event_id
        ) as session_event_number
    from events_session_numbered

),

events_joined as (

    select
        events_attributed.event_id,
        events_attributed.unified_customer_id,
        events_sessionized.platform,
        events_sessionized.customer_session_number,
        events_sessionized.session_event_number,
        events_sessionized.session_first_event_id,
        events_attributed.event_type,
        events_attributed.event_name,
        events_attributed.channel,
        events.page_path,
        events.page_url,
        events.page_title,
        events.page_referrer,
        events.utm_source,
        events.utm_medium,
        events.utm_campaign,
        events.utm_term,
        events.utm_content,
        events.device_type,
        events.os_name,
        events.app_version,
        events.locale_code,
        events.product_id,
        events.product_sku,
        events.product_name,
        events.product_category,
        events.product_price,
        events.product_quantity,
        events.order_id,
        events.revenue,
        events.currency,
        events.search_query,
        events.is_future_dated,
        events_attributed.occurred_at,
        events_attributed.ingested_at
    from events_attributed
    inner join events
        on events_attributed.event_id = events.event_id
    left join events_sessionized
        on events_attributed.event_id = events_sessionized.event_id

),

final as (

    select
        event_id,
        unified_customer_id,
        case
            when platform is not null
                then {{ dbt.hash(dbt.concat([
                    'unified_customer_id', "'|'", 'platform', "'|'", 'session_first_event_id'
                ])) }}
        end as session_id,
        platform,
        customer_session_number,
        session_event_number,
        event_type,
        event_name,
        channel,
        event_type in ('page', 'screen') as is_page_view,
        coalesce(event_name = 'Product Viewed', false) as is_product_view,
        coalesce(event_name = 'Product Added', false) as is_cart_add,
        coalesce(event_name = 'Order Completed', false) as is_order_completed,
        page_path,
        page_url,
        page_title,
        page_referrer,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        device_type,
        os_name,
        app_version,
        locale_code,
        product_id,
        product_sku,
        product_name,
        product_category,
        product_price,
        product_quantity,
        order_id,
        revenue,
        currency,
        search_query,
        is_future_dated,
        cast(occurred_at as date) as occurred_date,
        occurred_at,
        ingested_at
    from events_joined

)

select * from final
