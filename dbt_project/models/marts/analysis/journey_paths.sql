{#-
    One row per converting unified customer (a customer with an order that is not cancelled): the
    journey from their first recorded touch to their conversion, the first such order.

    Touches, all at or before the conversion (ordered_at), with no look-back limit:
    - web and app sessions (fct_sessions, at their start), channel web / app, source and medium
      from the landing event's UTM, else the referrer host (medium organic / social / referral)
      or (direct) / (none);
    - email clicks (fct_email_events), channel email, source and medium email, the campaign id;
    - WeChat official-account interactions but unsubscribes, channel wechat, source wechat,
      medium social.
    touch_path lists the touch channels in time order (ties by channel then id) with consecutive
    repeats collapsed ('web > email > web > app'), at most var('journey_path_max_steps', 20)
    steps; a customer without a touch has the path '(no touch)'.
-#}

{%- set max_steps = var('journey_path_max_steps', 20) %}

with

orders as (

    select * from {{ ref('fct_orders') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}

),

email_events as (

    select * from {{ ref('fct_email_events') }}

),

wechat_interactions as (

    select * from {{ ref('int_wechat_interactions_attributed') }}

),

conversions as (

    select
        orders.unified_customer_id,
        orders.order_id as conversion_order_id,
        orders.channel as conversion_channel,
        orders.net_amount_cny as conversion_net_amount_cny,
        orders.ordered_at as converted_at
    from orders
    where orders.is_first_order

),

session_touches as (

    select
        sessions.unified_customer_id,
        sessions.session_id as touch_id,
        sessions.platform as touch_channel,
        sessions.traffic_channel,
        coalesce(
            sessions.utm_source,
            nullif({{ dbt.split_part('sessions.referrer', "'/'", 3) }}, ''),
            '(direct)'
        ) as touch_source,
        coalesce(
            sessions.utm_medium,
            case sessions.traffic_channel
                when 'organic_search' then 'organic'
                when 'organic_social' then 'social'
                when 'referral' then 'referral'
            end,
            '(none)'
        ) as touch_medium,
        sessions.utm_campaign as touch_campaign,
        sessions.started_at as touched_at
    from sessions

),

email_touches as (

    select
        email_events.unified_customer_id,
        email_events.email_event_id as touch_id,
        'email' as touch_channel,
        'email' as traffic_channel,
        'email' as touch_source,
        'email' as touch_medium,
        email_events.campaign_id as touch_campaign,
        email_events.occurred_at as touched_at
    from email_events
    where email_events.event_type = 'click'

),

wechat_touches as (

    select
        wechat_interactions.unified_customer_id,
        wechat_interactions.interaction_id as touch_id,
        'wechat' as touch_channel,
        'organic_social' as traffic_channel,
        'wechat' as touch_source,
        'social' as touch_medium,
        cast(null as {{ dbt.type_string() }}) as touch_campaign,
        wechat_interactions.occurred_at as touched_at
    from wechat_interactions
    where wechat_interactions.interaction_type != 'unsubscribe'

),

touches as (

    select * from session_touches
    union all
    select * from email_touches
    union all
    select * from wechat_touches

),

touches_before_conversion as (

    select
        touches.*,
        row_number() over (
            partition by touches.unified_customer_id
            order by touches.touched_at, touches.touch_channel, touches.touch_id
        ) as touch_number,
        row_number() over (
            partition by touches.unified_customer_id
            order by touches.touched_at desc, touches.touch_channel desc, touches.touch_id desc
        ) as touch_number_from_conversion,
        lag(touches.touch_channel) over (
            partition by touches.unified_customer_id
            order by touches.touched_at, touches.touch_channel, touches.touch_id
        ) as previous_touch_channel
    from touches
    inner join conversions
        on
            touches.unified_customer_id = conversions.unified_customer_id
            and touches.touched_at <= conversions.converted_at

),

path_steps as (

    select
        touches_before_conversion.unified_customer_id,
        touches_before_conversion.touch_channel,
        touches_before_conversion.touch_number
    from touches_before_conversion
    where
        touches_before_conversion.previous_touch_channel is null
        or touches_before_conversion.previous_touch_channel
        != touches_before_conversion.touch_channel

),

paths as (

    select
        path_steps.unified_customer_id,
        count(*) as path_steps_count,
        {{ dbt.listagg(
            'path_steps.touch_channel',
            "' > '",
            'order by path_steps.touch_number',
            max_steps
        ) }} as touch_path
    from path_steps
    group by path_steps.unified_customer_id

),

touch_summaries as (

    select
        touches_before_conversion.unified_customer_id,
        count(*) as touches_count,
        count(distinct touches_before_conversion.touch_channel) as touch_channels_count,
        min(touches_before_conversion.touched_at) as first_touched_at,
        max(touches_before_conversion.touched_at) as last_touched_at
    from touches_before_conversion
    group by touches_before_conversion.unified_customer_id

),

first_touches as (

    select touches_before_conversion.*
    from touches_before_conversion
    where touches_before_conversion.touch_number = 1

),

last_touches as (

    select touches_before_conversion.*
    from touches_before_conversion
    where touches_before_conversion.touch_number_from_conversion = 1

),

final as (

    select
        conversions.unified_customer_id,
        conversions.conversion_order_id,
        conversions.conversion_channel,
        conversions.conversion_net_amount_cny,
        first_touches.touch_channel as first_touch_channel,
        first_touches.traffic_channel as first_touch_traffic_channel,
        first_touches.touch_source as first_touch_source,
        first_touches.touch_medium as first_touch_medium,
        first_touches.touch_campaign as first_touch_campaign,
        last_touches.touch_channel as last_touch_channel,
        last_touches.traffic_channel as last_touch_traffic_channel,
        coalesce(paths.touch_path, '(no touch)') as touch_path,
        coalesce(paths.path_steps_count, 0) as path_steps_count,
        coalesce(paths.path_steps_count, 0) > {{ max_steps }} as is_path_truncated,
        coalesce(touch_summaries.touches_count, 0) as touches_count,
        coalesce(touch_summaries.touch_channels_count, 0) as touch_channels_count,
        {{ dbt.datediff('touch_summaries.first_touched_at', 'conversions.converted_at', 'day') }}
            as days_to_conversion,
        touch_summaries.first_touched_at,
        touch_summaries.last_touched_at,
        conversions.converted_at
    from conversions
    left join paths
        on conversions.unified_customer_id = paths.unified_customer_id
    left join touch_summaries
        on conversions.unified_customer_id = touch_summaries.unified_customer_id
    left join first_touches
        on conversions.unified_customer_id = first_touches.unified_customer_id
    left join last_touches
        on conversions.unified_customer_id = last_touches.unified_customer_id

)

select * from final
