{#- The rows of base_email__email_events that pass every hard rule,
    without the quarantine columns. -#}

with

email_events as (

    select * from {{ ref('base_email__email_events') }}

),

final as (

    select
        email_event_id,
        email_original,
        email,
        email_domain,
        email_invalid_reason,
        email_is_valid,
        email_junk_reason,
        event_type_original,
        event_type,
        campaign_id,
        url,
        mailbox_provider,
        occurred_at,
        is_future_dated,
        source_file_name,
        source_row_number,
        ingested_at
    from email_events
    where quarantine_rule is null

)

select * from final
