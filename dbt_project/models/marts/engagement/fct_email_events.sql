{#-
    One row per staged email event (send, delivered, open, click, bounce, unsubscribe, complaint),
    keyed by its unified customer: the email engagement fact for BI. The recipient address stays
    in staging; BI gets the customer, the campaign, the clicked URL and the mailbox provider.
-#}

with

email_events_attributed as (

    select * from {{ ref('int_email_events_attributed') }}

),

email_events as (

    select * from {{ ref('stg_email__email_events') }}

),

final as (

    select
        email_events_attributed.email_event_id,
        email_events_attributed.unified_customer_id,
        email_events_attributed.campaign_id,
        email_events_attributed.event_type,
        email_events.url as clicked_url,
        email_events.mailbox_provider,
        email_events_attributed.event_type in ('open', 'click') as is_engagement,
        email_events.is_future_dated,
        cast(email_events_attributed.occurred_at as date) as occurred_date,
        email_events_attributed.occurred_at,
        email_events_attributed.ingested_at
    from email_events_attributed
    inner join email_events
        on email_events_attributed.email_event_id = email_events.email_event_id

)

select * from final
