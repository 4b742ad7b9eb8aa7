{#-
    One row per audience and customer in it now: the customers whose tags meet the audience's
    condition (int_audience_candidates) AND whose consent for the audience's channel is granted
    in dim_customer_consent. No consent row, or a withdrawn one, keeps a customer out
    (fail-closed), so an unsubscribe or withdrawal removes them on the next build.

    Contact points are those the channel uses, from the golden record and the identifiers:
    email for email, phone for SMS, both for ads (the platforms match on hashed email and
    phone), the most recently seen WeChat openid for WeChat; null where unknown or not used by
    the channel. has_contact_point says whether the channel can reach the member at all.
-#}

with

candidates as (

    select * from {{ ref('int_audience_candidates') }}

),

consent as (

    select * from {{ ref('dim_customer_consent') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

identifiers as (

    select * from {{ ref('dim_customer_identifiers') }}

),

wechat_openids_ranked as (

    select
        identifiers.unified_customer_id,
        identifiers.identifier_value as wechat_openid,
        row_number() over (
            partition by identifiers.unified_customer_id
            order by identifiers.last_seen_at desc nulls last, identifiers.identifier_value asc
        ) as openid_rank
    from identifiers
    where identifiers.identifier_type = 'wechat_openid'

),

wechat_openids as (

    select
        wechat_openids_ranked.unified_customer_id,
        wechat_openids_ranked.wechat_openid
    from wechat_openids_ranked
    where wechat_openids_ranked.openid_rank = 1

),

consented as (

    select
        candidates.audience_name,
        candidates.channel,
        candidates.unified_customer_id,
        candidates.audience_version,
        consent.consent_source,
        consent.consent_changed_at
    from candidates
    inner join consent
        on
            candidates.unified_customer_id = consent.unified_customer_id
            and candidates.channel = consent.channel
    where consent.consent_status = 'granted'

),

with_contacts as (

    select
        consented.audience_name,
        consented.channel,
        consented.unified_customer_id,
        case when consented.channel in ('email', 'ads') then customers.email end as email,
        case when consented.channel in ('sms', 'ads') then customers.phone end as phone_e164,
        case
            when consented.channel = 'wechat' then wechat_openids.wechat_openid
        end as wechat_openid,
        consented.consent_source,
        consented.consent_changed_at,
        consented.audience_version
    from consented
    left join customers
        on consented.unified_customer_id = customers.unified_customer_id
    left join wechat_openids
        on consented.unified_customer_id = wechat_openids.unified_customer_id

),

final as (

    select
        with_contacts.audience_name,
        with_contacts.channel,
        with_contacts.unified_customer_id,
        with_contacts.email,
        with_contacts.phone_e164,
        with_contacts.wechat_openid,
        with_contacts.consent_source,
        with_contacts.consent_changed_at,
        with_contacts.audience_version,
        coalesce(
            with_contacts.email is not null
            or with_contacts.phone_e164 is not null
            or with_contacts.wechat_openid is not null,
            false
        ) as has_contact_point,
        {{ cdp_audience_built_at() }} as built_at
    from with_contacts

)

select * from final
