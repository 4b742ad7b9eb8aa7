{#-
    One row per staged WeChat follower (openid) with its unified customer, dated by when it
    subscribed: the wechat_follows fact of the tag system (tags/_facts.yml).
-#}

with

followers as (

    select * from {{ ref('stg_wechat__followers') }}

),

record_customers as (

    select * from {{ ref('int_identity_record_customers') }}

),

final as (

    select
        followers.openid,
        record_customers.unified_customer_id,
        followers.subscribed_at,
        followers.ingested_at,
        followers.is_subscribed
    from followers
    -- Every staged record resolves (tests/assert_every_record_resolves.sql).
    inner join record_customers
        on
            record_customers.source_name = 'wechat'
            and record_customers.source_table = 'followers'
            and cast(followers.openid as {{ dbt.type_string() }}) = record_customers.record_key

)

select * from final
