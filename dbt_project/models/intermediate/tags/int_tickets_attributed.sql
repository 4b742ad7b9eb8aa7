{#-
    One row per staged service ticket with its unified customer and its topic from the
    tag_ticket_topics seed ('other' when the seed does not know the subject): the tickets fact of
    the tag system (tags/_facts.yml).
-#}

with

tickets as (

    select * from {{ ref('stg_service__tickets') }}

),

ticket_topics as (

    select * from {{ ref('tag_ticket_topics') }}

),

record_customers as (

    select * from {{ ref('int_identity_record_customers') }}

),

final as (

    select
        tickets.ticket_id,
        record_customers.unified_customer_id,
        tickets.created_at,
        tickets.ingested_at,
        tickets.channel,
        tickets.status,
        coalesce(ticket_topics.topic, 'other') as topic,
        tickets.satisfaction_score
    from tickets
    left join ticket_topics
        on tickets.subject = ticket_topics.subject
    -- Every staged record resolves (tests/assert_every_record_resolves.sql).
    inner join record_customers
        on
            record_customers.source_name = 'service'
            and record_customers.source_table = 'tickets'
            and cast(tickets.ticket_id as {{ dbt.type_string() }}) = record_customers.record_key

)

select * from final
