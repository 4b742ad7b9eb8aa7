{#-
    One row per staged WeChat official-account interaction (message, menu click, article read)
    with its unified customer: the wechat_interactions fact of the tag system (tags/_facts.yml).
-#}

with

interactions as (

    select * from {{ ref('stg_wechat__interactions') }}

),

record_customers as (

    select * from {{ ref('int_identity_record_customers') }}

),

final as (

    select
        interactions.interaction_id,
        record_customers.unified_customer_id,
        interactions.occurred_at,
        interactions.ingested_at,
        interactions.interaction_type
    from interactions
    -- Every staged record resolves (tests/assert_every_record_resolves.sql).
    inner join record_customers
        on
            record_customers.source_name = 'wechat'
            and record_customers.source_table = 'interactions'
            and cast(interactions.interaction_id as {{ dbt.type_string() }})
            = record_customers.record_key

)

select * from final
