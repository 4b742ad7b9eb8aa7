with

base_orders as (

    select * from {{ ref('base_orders__orders') }}

),

final as (

    select
        order_id,
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
        unionid,
        channel_original,
        channel,
        store_id,
        status_original,
        status,
        currency_original,
        currency,
        total_amount,
        coupon_code,
        ordered_at,
        updated_at,
        is_future_dated,
        source_file_name,
        source_row_number,
        ingested_at
    from base_orders
    -- Rows failing a hard rule are in int_rows_quarantined instead.
    where quarantine_rule is null

)

select * from final
