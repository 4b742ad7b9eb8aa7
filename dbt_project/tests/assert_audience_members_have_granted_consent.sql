{#- Consent is fail-closed: every audience member has granted consent for the audience's channel
    in dim_customer_consent. A row here is a member who must not be contacted. -#}
{{ config(meta={'dagster': {'ref': {'name': 'audience_members'}}}) }}

with

members as (

    select * from {{ ref('audience_members') }}

),

consent as (

    select * from {{ ref('dim_customer_consent') }}

),

final as (

    select
        members.audience_name,
        members.channel,
        members.unified_customer_id
    from members
    where not exists (
        select 1
        from consent
        where
            consent.unified_customer_id = members.unified_customer_id
            and consent.channel = members.channel
            and consent.consent_status = 'granted'
    )

)

select * from final
