{#-
    One row per staged email event (send, delivered, open, click, bounce, unsubscribe) with its
    unified customer: the email_events fact of the tag system (tags/_facts.yml).
-#}

with

email_events as (

    select * from {{ ref('stg_email__email_events') }}

),

record_customers as (

    select * from {{ ref('int_identity_record_customers') }}

),

final as (

    select
        email_events.email_event_id,
        record_customers.unified_customer_id,
        email_events.occurred_at,
        email_events.ingested_at,
        email_events.event_type,
        email_events.campaign_id
    from email_events
    -- Every staged record resolves (tests/assert_every_record_resolves.sql).
    inner join record_customers
        on
            record_customers.source_name = 'email'
            and record_customers.source_table = 'email_events'
            and cast(email_events.email_event_id as {{ dbt.type_string() }})
            = record_customers.record_key

)

select * from final
