{#-
    Every piece of consent evidence, one row per source record, channel and moment, resolved to
    its unified customer: what fct_consent_history orders and collapses.

    - crm: the flags of snp_crm_customer_consent. The first version of an account is evidence
      for each captured flag; a later version only for a flag that differs from the version
      before (a flag that merely stays set is not a new grant: after an email unsubscribe, an
      unrelated edit of the CRM record must not re-grant email). A flip is dated by the
      version's updated_at. The first version's grant is dated by created_at, the earliest it
      can have held, so any later withdrawal elsewhere still wins (fail-closed: the CRM keeps
      no date per flag); its withdrawal by updated_at, the latest.
    - email: the event types of seeds/consent/consent_email_event_types.csv (unsubscribe,
      spam complaint) withdraw email at occurred_at. Bounces are deliverability, not consent.
    - events: Segment's context.consent.categoryPreferences, each category mapped to a channel
      by seeds/consent/consent_category_channels.csv (true granted, false withdrawn, other
      values and unmapped categories ignored; two categories of one channel that disagree in
      one event withdraw).
    - wechat: a follower granted at subscribed_at, withdrawn at updated_at once unsubscribed.

    A null flag or status is no evidence. A future-dated grant is dropped (it would outlive
    every later withdrawal); a future-dated withdrawal is kept.
-#}

with

crm_snapshot as (

    select * from {{ ref('snp_crm_customer_consent') }}

),

email_events as (

    select * from {{ ref('int_email_events_attributed') }}

),

email_event_types as (

    select * from {{ ref('consent_email_event_types') }}

),

events as (

    select * from {{ ref('stg_events__events') }}

),

category_channels as (

    select * from {{ ref('consent_category_channels') }}

),

wechat_followers as (

    select * from {{ ref('stg_wechat__followers') }}

),

record_customers as (

    select * from {{ ref('int_identity_record_customers') }}

),

crm_channels as (

    select channels.channel
    from (
        select 'email' as channel
        union all
        select 'sms' as channel
        union all
        select 'ads' as channel
    ) as channels

),

crm_versions as (

    select
        crm_snapshot.*,
        row_number() over (
            partition by crm_snapshot.customer_id
            order by crm_snapshot.dbt_valid_from
        ) as version_number,
        lag(crm_snapshot.has_email_consent) over (
            partition by crm_snapshot.customer_id
            order by crm_snapshot.dbt_valid_from
        ) as previous_has_email_consent,
        lag(crm_snapshot.has_sms_consent) over (
            partition by crm_snapshot.customer_id
            order by crm_snapshot.dbt_valid_from
        ) as previous_has_sms_consent,
        lag(crm_snapshot.has_ads_consent) over (
            partition by crm_snapshot.customer_id
            order by crm_snapshot.dbt_valid_from
        ) as previous_has_ads_consent
    from crm_snapshot

),

crm_flags as (

    select
        crm_versions.customer_id,
        crm_versions.dbt_scd_id,
        crm_versions.version_number,
        crm_versions.created_at,
        crm_versions.updated_at,
        crm_versions.dbt_valid_from,
        crm_versions.is_future_dated,
        crm_channels.channel,
        case crm_channels.channel
            when 'email' then crm_versions.has_email_consent
            when 'sms' then crm_versions.has_sms_consent
            when 'ads' then crm_versions.has_ads_consent
        end as has_consent,
        case crm_channels.channel
            when 'email' then crm_versions.previous_has_email_consent
            when 'sms' then crm_versions.previous_has_sms_consent
            when 'ads' then crm_versions.previous_has_ads_consent
        end as previous_has_consent
    from crm_versions
    cross join crm_channels

),

crm_evidence as (

    select
        'crm' as consent_source,
        'customers' as source_table,
        crm_flags.customer_id as source_record_id,
        crm_flags.dbt_scd_id as evidence_key,
        crm_flags.channel,
        case when crm_flags.has_consent then 'granted' else 'withdrawn' end as consent_status,
        case
            when crm_flags.version_number = 1 and crm_flags.has_consent
                then coalesce(crm_flags.created_at, crm_flags.updated_at, crm_flags.dbt_valid_from)
            else coalesce(crm_flags.updated_at, crm_flags.dbt_valid_from)
        end as changed_at,
        coalesce(crm_flags.is_future_dated, false) as is_future_dated
    from crm_flags
    where
        crm_flags.has_consent is not null
        and (
            crm_flags.version_number = 1
            or crm_flags.previous_has_consent is null
            or crm_flags.previous_has_consent != crm_flags.has_consent
        )

),

crm_resolved as (

    select
        record_customers.unified_customer_id,
        crm_evidence.*
    from crm_evidence
    inner join record_customers
        on
            record_customers.source_name = 'crm'
            and record_customers.source_table = 'customers'
            and cast(crm_evidence.source_record_id as {{ dbt.type_string() }})
            = record_customers.record_key

),

email_resolved as (

    select
        email_events.unified_customer_id,
        'email' as consent_source,
        'email_events' as source_table,
        cast(email_events.email_event_id as {{ dbt.type_string() }}) as source_record_id,
        cast(email_events.email_event_id as {{ dbt.type_string() }}) as evidence_key,
        'email' as channel,
        email_event_types.consent_status,
        email_events.occurred_at as changed_at,
        false as is_future_dated
    from email_events
    inner join email_event_types
        on email_events.event_type = email_event_types.event_type

),

event_preferences as (

    select
        events.event_id,
        events.occurred_at,
        events.is_future_dated,
        category_channels.channel,
        {{ cdp_json_key_text(
            'lower(events.consent_category_preferences)', 'category_channels.category'
        ) }} as preference
    from events
    cross join category_channels
    where events.consent_category_preferences is not null

),

event_channels as (

    select
        event_preferences.event_id,
        event_preferences.channel,
        min(event_preferences.occurred_at) as occurred_at,
        max(case when event_preferences.is_future_dated then 1 else 0 end) as is_future_dated,
        max(case when event_preferences.preference = 'false' then 1 else 0 end) as has_withdrawal
    from event_preferences
    where event_preferences.preference in ('true', 'false')
    group by event_preferences.event_id, event_preferences.channel

),

events_resolved as (

    select
        record_customers.unified_customer_id,
        'events' as consent_source,
        'events' as source_table,
        cast(event_channels.event_id as {{ dbt.type_string() }}) as source_record_id,
        cast(event_channels.event_id as {{ dbt.type_string() }}) as evidence_key,
        event_channels.channel,
        case
            when event_channels.has_withdrawal = 1 then 'withdrawn' else 'granted'
        end as consent_status,
        event_channels.occurred_at as changed_at,
        event_channels.is_future_dated = 1 as is_future_dated
    from event_channels
    inner join record_customers
        on
            record_customers.source_name = 'events'
            and record_customers.source_table = 'events'
            and cast(event_channels.event_id as {{ dbt.type_string() }})
            = record_customers.record_key

),

wechat_evidence as (

    select
        wechat_followers.openid,
        'granted' as consent_status,
        coalesce(wechat_followers.subscribed_at, wechat_followers.updated_at) as changed_at,
        coalesce(wechat_followers.is_future_dated, false) as is_future_dated
    from wechat_followers
    where
        wechat_followers.is_subscribed is not null
        and (wechat_followers.is_subscribed or wechat_followers.subscribed_at is not null)

    union all

    select
        wechat_followers.openid,
        'withdrawn' as consent_status,
        case
            when wechat_followers.subscribed_at > wechat_followers.updated_at
                then wechat_followers.subscribed_at
            else coalesce(wechat_followers.updated_at, wechat_followers.subscribed_at)
        end as changed_at,
        coalesce(wechat_followers.is_future_dated, false) as is_future_dated
    from wechat_followers
    where not wechat_followers.is_subscribed

),

wechat_resolved as (

    select
        record_customers.unified_customer_id,
        'wechat' as consent_source,
        'followers' as source_table,
        cast(wechat_evidence.openid as {{ dbt.type_string() }}) as source_record_id,
        cast(wechat_evidence.openid as {{ dbt.type_string() }})
        || ':' || wechat_evidence.consent_status as evidence_key,
        'wechat' as channel,
        wechat_evidence.consent_status,
        wechat_evidence.changed_at,
        wechat_evidence.is_future_dated
    from wechat_evidence
    inner join record_customers
        on
            record_customers.source_name = 'wechat'
            and record_customers.source_table = 'followers'
            and cast(wechat_evidence.openid as {{ dbt.type_string() }})
            = record_customers.record_key

),

unioned as (

    select * from crm_resolved
    union all
    select * from email_resolved
    union all
    select * from events_resolved
    union all
    select * from wechat_resolved

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'unioned.consent_source', "'|'", 'unioned.evidence_key', "'|'", 'unioned.channel'
        ])) }} as consent_evidence_id,
        unioned.unified_customer_id,
        unioned.channel,
        unioned.consent_status,
        unioned.consent_source,
        unioned.source_table,
        unioned.source_record_id,
        unioned.changed_at
    from unioned
    where
        unioned.changed_at is not null
        and not (unioned.consent_status = 'granted' and unioned.is_future_dated)

)

select * from final
