{#-
    Every row of raw_service.tickets, normalised, with the hard rule it fails (if any).
    stg_service__tickets keeps the rows that pass; int_rows_quarantined the others.
    Hard rule: no_usable_key (the ticket id is empty once trimmed). A ticket without any contact
    (anonymous chat) is still a ticket, and an out-of-range satisfaction score is nulled and
    flagged, not rejected.
-#}

with

tickets as (

    select * from {{ source('raw_service', 'tickets') }}

),

phone_numbers as (

    select * from {{ source('reference', 'phone_numbers') }}

),

normalised as (

    select
        tickets.record_key,
        {{ cdp_squish('tickets.record_key') }} as ticket_id,
        {{ cdp_squish('tickets.customer_key') }} as customer_id,
        tickets.email as email_original,
        {{ cdp_normalize_email('tickets.email') }} as email,
        tickets.phone as phone_original,
        {{ cdp_phone_lookup_columns('tickets.phone') }},
        tickets.channel as channel_original,
        {{ cdp_code_value('ticket_channel', 'tickets.channel') }} as channel,
        {{ cdp_squish('tickets.subject') }} as subject,
        tickets.body,
        tickets.status as status_original,
        {{ cdp_code_value('ticket_status', 'tickets.status') }} as status,
        cast(tickets.satisfaction_score as bigint) as satisfaction_score_original,
        tickets.created_at,
        tickets.updated_at,
        tickets._source_file,
        tickets._source_row,
        tickets._ingested_at
    from tickets
    -- Tickets have no country column: their phones were parsed with the default region.
    left join phone_numbers
        on
            tickets.phone = phone_numbers.phone_raw
            and phone_numbers.country_raw = ''

),

junk_checked as (

    select
        *,
        {{ cdp_email_invalid_reason('email') }} as email_format_reason,
        {{ cdp_junk_reason('email', 'email', 'email_original') }} as email_junk_reason,
        {{ cdp_junk_reason('phone', 'parsed_phone_e164', 'phone_original') }} as phone_junk_reason
    from normalised

),

final as (

    select
        ticket_id,
        customer_id,
        email_original,
        email,
        {{ cdp_email_domain('email') }} as email_domain,
        {{ cdp_email_verdict() }},
        email_junk_reason,
        phone_original,
        case when phone_junk_reason is null then parsed_phone_e164 end as phone_e164,
        phone_type,
        {{ cdp_phone_verdict() }},
        phone_junk_reason,
        channel_original,
        channel,
        subject,
        body,
        status_original,
        status,
        satisfaction_score_original,
        -- CSAT is a 1-5 scale; anything else (0, 7, 10 from another survey tool) is not a score.
        case
            when satisfaction_score_original between 1 and 5 then satisfaction_score_original
        end as satisfaction_score,
        coalesce(
            satisfaction_score_original not between 1 and 5, false
        ) as is_satisfaction_score_out_of_range,
        created_at,
        updated_at,
        {{ cdp_is_future('created_at') }} as is_future_dated,
        case when ticket_id is null then 'no_usable_key' end as quarantine_rule,
        case
            when ticket_id is null
                then
                    'record_key ' || coalesce('''' || record_key || '''', 'null')
                    || ' is empty once trimmed: the ticket cannot be told apart from others'
        end as quarantine_reason,
        {{ raw_lineage_columns() }}
    from junk_checked

)

select * from final
