{#-
    One row per staged service ticket, keyed by its unified customer: the service fact for BI, with
    channel, status, topic (tag_ticket_topics seed) and CSAT. Subject and body stay in staging
    (free text that may hold personal data).
-#}

with

tickets_attributed as (

    select * from {{ ref('int_tickets_attributed') }}

),

tickets as (

    select * from {{ ref('stg_service__tickets') }}

),

final as (

    select
        tickets_attributed.ticket_id,
        tickets_attributed.unified_customer_id,
        tickets_attributed.channel,
        tickets_attributed.status,
        tickets_attributed.topic,
        tickets_attributed.satisfaction_score,
        tickets_attributed.status in ('solved', 'closed') as is_resolved,
        tickets_attributed.topic = 'complaint' as is_complaint,
        case
            when tickets_attributed.status in ('solved', 'closed')
                then {{ dbt.datediff(
                    'tickets_attributed.created_at', 'tickets.updated_at', 'hour'
                ) }}
        end as hours_to_resolution,
        tickets.is_future_dated,
        cast(tickets_attributed.created_at as date) as created_date,
        tickets_attributed.created_at,
        tickets.updated_at,
        tickets_attributed.ingested_at
    from tickets_attributed
    inner join tickets
        on tickets_attributed.ticket_id = tickets.ticket_id

)

select * from final
