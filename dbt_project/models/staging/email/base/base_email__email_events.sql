{#-
    Every row of raw_email.email_events, normalised, with the hard rule it fails (if any).
    stg_email__email_events keeps the rows that pass; int_rows_quarantined the others.
    Hard rules, first match wins: no_usable_key (event id empty once trimmed), no_event_time
    (occurred_at missing), no_recipient_email (the recipient is missing or not an address, so the
    event cannot be attributed to anyone). A junk but well-formed recipient (test@test.com, an
    example.com address) is a flag, not a hard rule: the send happened and is counted, the address
    is never used as an identifier.
-#}

with

email_events as (

    select * from {{ source('raw_email', 'email_events') }}

),

normalised as (

    select
        record_key,
        {{ cdp_squish('record_key') }} as email_event_id,
        email as email_original,
        {{ cdp_normalize_email('email') }} as email,
        event_type as event_type_original,
        {{ cdp_code_value('email_event_type', 'event_type') }} as event_type,
        {{ cdp_squish('campaign_id') }} as campaign_id,
        nullif(trim(url), '') as url,
        mailbox_provider,
        occurred_at,
        _source_file,
        _source_row,
        _ingested_at
    from email_events

),

junk_checked as (

    select
        *,
        {{ cdp_email_invalid_reason('email') }} as email_format_reason,
        {{ cdp_junk_reason('email', 'email', 'email_original') }} as email_junk_reason
    from normalised

),

final as (

    select
        email_event_id,
        email_original,
        email,
        {{ cdp_email_domain('email') }} as email_domain,
        {{ cdp_email_verdict() }},
        email_junk_reason,
        event_type_original,
        event_type,
        campaign_id,
        url,
        mailbox_provider,
        occurred_at,
        {{ cdp_is_future('occurred_at') }} as is_future_dated,
        case
            when email_event_id is null then 'no_usable_key'
            when occurred_at is null then 'no_event_time'
            when email_format_reason is not null then 'no_recipient_email'
        end as quarantine_rule,
        case
            when email_event_id is null
                then
                    'record_key ' || coalesce('''' || record_key || '''', 'null')
                    || ' is empty once trimmed: the row cannot be told apart from others'
            when occurred_at is null
                then 'occurred_at is missing: the event cannot be placed in time'
            when email is null
                then 'recipient email is missing: the event cannot be attributed'
            when email_format_reason is not null
                then
                    'recipient email ''' || email_original
                    || ''' is not an email address: the event cannot be attributed'
        end as quarantine_reason,
        {{ raw_lineage_columns() }}
    from junk_checked

)

select * from final
