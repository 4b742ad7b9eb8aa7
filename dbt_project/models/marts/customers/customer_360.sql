{#-
    One wide row per unified customer: the golden record (dim_customers), the key tags
    (dim_customer_tags, as of the tags' as_of), lifetime value (customer_lifetime_value), consent
    per activation channel (dim_customer_consent: granted, withdrawn, or unknown when nothing is
    recorded) and the last interaction per channel (web, app, email opens and clicks, service,
    wechat, order) with the latest of them.
-#}

{%- set consent_channels = ['email', 'sms', 'ads', 'wechat'] %}
{%- set interaction_channels = ['web', 'app', 'email', 'service', 'wechat', 'order'] %}

with

customers as (

    select * from {{ ref('dim_customers') }}

),

customer_tags as (

    select * from {{ ref('dim_customer_tags') }}

),

lifetime_values as (

    select * from {{ ref('customer_lifetime_value') }}

),

consent as (

    select * from {{ ref('dim_customer_consent') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}

),

email_events as (

    select * from {{ ref('fct_email_events') }}

),

tickets as (

    select * from {{ ref('fct_tickets') }}

),

wechat_interactions as (

    select * from {{ ref('int_wechat_interactions_attributed') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

consent_pivoted as (

    select
        customers.unified_customer_id,
        {{ cdp_pivot(
            'consent.channel', consent_channels, 'consent.consent_status',
            suffix='_consent_status', default="'unknown'"
        ) }},
        {{ cdp_pivot(
            'consent.channel', consent_channels, 'consent.consent_changed_at',
            suffix='_consent_changed_at'
        ) }}
    from customers
    left join consent
        on customers.unified_customer_id = consent.unified_customer_id
    group by customers.unified_customer_id

),

session_summaries as (

    select
        sessions.unified_customer_id,
        count(*) as sessions_count,
        count(case when sessions.is_converted then 1 end) as converted_sessions_count
    from sessions
    group by sessions.unified_customer_id

),

interactions as (

    select
        sessions.unified_customer_id,
        sessions.platform as interaction_channel,
        max(sessions.ended_at) as interacted_at
    from sessions
    group by sessions.unified_customer_id, sessions.platform

    union all

    select
        email_events.unified_customer_id,
        'email' as interaction_channel,
        max(email_events.occurred_at) as interacted_at
    from email_events
    where email_events.is_engagement
    group by email_events.unified_customer_id

    union all

    select
        tickets.unified_customer_id,
        'service' as interaction_channel,
        max(tickets.created_at) as interacted_at
    from tickets
    group by tickets.unified_customer_id

    union all

    select
        wechat_interactions.unified_customer_id,
        'wechat' as interaction_channel,
        max(wechat_interactions.occurred_at) as interacted_at
    from wechat_interactions
    group by wechat_interactions.unified_customer_id

    union all

    select
        orders.unified_customer_id,
        'order' as interaction_channel,
        max(orders.ordered_at) as interacted_at
    from orders
    where not orders.is_cancelled
    group by orders.unified_customer_id

),

interactions_ranked as (

    select
        interactions.*,
        row_number() over (
            partition by interactions.unified_customer_id
            order by interactions.interacted_at desc, interactions.interaction_channel asc
        ) as recency_rank
    from interactions

),

interactions_pivoted as (

    select
        interactions_ranked.unified_customer_id,
        {{ cdp_pivot(
            'interactions_ranked.interaction_channel', interaction_channels,
            'interactions_ranked.interacted_at', prefix='last_', suffix='_interaction_at'
        ) }},
        max(interactions_ranked.interacted_at) as last_interaction_at,
        max(
            case
                when interactions_ranked.recency_rank = 1
                    then interactions_ranked.interaction_channel
            end
        ) as last_interaction_channel
    from interactions_ranked
    group by interactions_ranked.unified_customer_id

),

final as (

    select
        -- golden record
        customers.unified_customer_id,
        customers.crm_id,
        customers.full_name,
        customers.first_name,
        customers.last_name,
        customers.email,
        customers.phone,
        customers.city,
        customers.region,
        customers.country_code,
        customers.gender,
        customers.birth_date,
        customers.record_count,
        customers.source_count,
        customers.has_probabilistic_link,
        -- tags
        customer_tags.lifecycle_stage,
        customer_tags.rfm_segment,
        customer_tags.rfm_score,
        customer_tags.value_tier,
        customer_tags.high_value as is_high_value,
        customer_tags.churn_risk,
        customer_tags.purchase_propensity_30d,
        customer_tags.purchase_propensity_decile,
        customer_tags.email_engagement_level,
        customer_tags.preferred_order_channel,
        customer_tags.preferred_category,
        customer_tags.customer_city_tier,
        customer_tags.age_band,
        customer_tags.vip_level,
        customer_tags.is_member,
        customer_tags.app_user as is_app_user,
        customer_tags.wechat_follower as is_wechat_follower,
        customer_tags.orders_count_lifetime,
        customer_tags.orders_count_365d,
        customer_tags.net_revenue_lifetime as net_revenue_lifetime_cny,
        customer_tags.net_revenue_365d as net_revenue_365d_cny,
        customer_tags.days_since_last_order,
        -- lifetime value
        lifetime_values.average_order_value_cny,
        lifetime_values.predicted_12m_net_revenue_cny,
        lifetime_values.net_revenue_decile,
        -- engagement
        coalesce(session_summaries.sessions_count, 0) as sessions_count,
        coalesce(session_summaries.converted_sessions_count, 0) as converted_sessions_count,
        -- consent
        {{ cdp_pivot_columns('consent_pivoted', consent_channels, suffix='_consent_status') }},
        {{ cdp_pivot_columns('consent_pivoted', consent_channels, suffix='_consent_changed_at') }},
        -- last interactions
        {{ cdp_pivot_columns(
            'interactions_pivoted', interaction_channels, prefix='last_', suffix='_interaction_at'
        ) }},
        interactions_pivoted.last_interaction_at,
        interactions_pivoted.last_interaction_channel,
        -- times
        customers.first_seen_at,
        customers.last_seen_at,
        lifetime_values.first_order_at,
        lifetime_values.last_order_at,
        customer_tags.as_of as tags_as_of
    from customers
    left join customer_tags
        on customers.unified_customer_id = customer_tags.unified_customer_id
    left join lifetime_values
        on customers.unified_customer_id = lifetime_values.unified_customer_id
    left join consent_pivoted
        on customers.unified_customer_id = consent_pivoted.unified_customer_id
    left join session_summaries
        on customers.unified_customer_id = session_summaries.unified_customer_id
    left join interactions_pivoted
        on customers.unified_customer_id = interactions_pivoted.unified_customer_id

)

select * from final
