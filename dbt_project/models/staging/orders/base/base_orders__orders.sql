{#-
    Every row of raw_orders.orders, normalised, with the hard rule it fails (if any).
    stg_orders__orders keeps the rows that pass; int_rows_quarantined the others.
    Hard rules, first match wins:
    - no_usable_key: the order id is empty once trimmed;
    - negative_amount: total_amount < 0 (a refund is a status, not a negative order);
    - unknown_currency: an amount without a currency the currencies seed knows.
    Everything else (junk or malformed guest contact, unknown codes, future dates) is a flag.
-#}

with

orders as (

    select * from {{ source('raw_orders', 'orders') }}

),

phone_numbers as (

    select * from {{ source('reference', 'phone_numbers') }}

),

normalised as (

    select
        orders.record_key,
        {{ cdp_squish('orders.record_key') }} as order_id,
        {{ cdp_squish('orders.customer_key') }} as customer_id,
        orders.email as email_original,
        {{ cdp_normalize_email('orders.email') }} as email,
        orders.phone as phone_original,
        {{ cdp_phone_lookup_columns('orders.phone') }},
        {{ cdp_squish('orders.unionid') }} as unionid,
        orders.channel as channel_original,
        {{ cdp_code_value('order_channel', 'orders.channel') }} as channel,
        {{ cdp_squish('orders.store_id') }} as store_id,
        orders.status as status_original,
        {{ cdp_code_value('order_status', 'orders.status') }} as status,
        orders.currency as currency_original,
        {{ cdp_currency_code('orders.currency') }} as currency,
        cast(orders.total_amount as decimal(18, 4)) as total_amount,
        {{ cdp_squish('orders.coupon_code') }} as coupon_code,
        orders.ordered_at,
        orders.updated_at,
        orders._source_file,
        orders._source_row,
        orders._ingested_at
    from orders
    -- Orders have no country column: guest phones were parsed with the default region.
    left join phone_numbers
        on
            orders.phone = phone_numbers.phone_raw
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
        order_id,
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
        {{ cdp_is_future('ordered_at') }} as is_future_dated,
        case
            when order_id is null then 'no_usable_key'
            when total_amount < 0 then 'negative_amount'
            when total_amount is not null and currency is null then 'unknown_currency'
        end as quarantine_rule,
        case
            when order_id is null
                then
                    'record_key ' || coalesce('''' || record_key || '''', 'null')
                    || ' is empty once trimmed: the order cannot be told apart from others'
            when total_amount < 0
                then
                    'total_amount ' || cast(total_amount as {{ dbt.type_string() }})
                    || ' is negative'
            when total_amount is not null and currency is null
                then
                    'currency ' || coalesce('''' || currency_original || '''', 'null')
                    || ' is not in the currencies seed, so the amount cannot be read'
        end as quarantine_reason,
        {{ raw_lineage_columns() }}
    from junk_checked

)

select * from final
