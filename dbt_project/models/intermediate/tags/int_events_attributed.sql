{#-
    One row per staged web or app event (Segment-style track, page, screen, identify) with its
    unified customer: the events fact of the tag system (tags/_facts.yml).
-#}

with

events as (

    select * from {{ ref('stg_events__events') }}

),

record_customers as (

    select * from {{ ref('int_identity_record_customers') }}

),

final as (

    select
        events.event_id,
        record_customers.unified_customer_id,
        events.occurred_at,
        events.ingested_at,
        events.event_type,
        events.event_name,
        events.channel,
        events.device_type,
        events.device_id,
        events.product_category,
        events.utm_medium
    from events
    -- Every staged record resolves (tests/assert_every_record_resolves.sql).
    inner join record_customers
        on
            record_customers.source_name = 'events'
            and record_customers.source_table = 'events'
            and cast(events.event_id as {{ dbt.type_string() }}) = record_customers.record_key

)

select * from final
