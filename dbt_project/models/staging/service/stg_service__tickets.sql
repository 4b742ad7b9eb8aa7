with

base_tickets as (

    select * from {{ ref('base_service__tickets') }}

),

final as (

    select
        ticket_id,
        customer_id,
        email_original,
        email,
        email_domain,
        email_invalid_reason,
        email_is_valid,
        email_junk_reason,
        phone_original,
        phone_e164,
        phone_type,
        phone_invalid_reason,
        phone_is_valid,
        phone_junk_reason,
        channel_original,
        channel,
        subject,
        body,
        status_original,
        status,
        satisfaction_score_original,
        satisfaction_score,
        is_satisfaction_score_out_of_range,
        created_at,
        updated_at,
        is_future_dated,
        source_file_name,
        source_row_number,
        ingested_at
    from base_tickets
    -- Rows failing a hard rule are in int_rows_quarantined instead.
    where quarantine_rule is null

)

select * from final
