{#- The rows of base_crm__customers that pass every hard rule,
    without the quarantine columns. -#}

with

customers as (

    select * from {{ ref('base_crm__customers') }}

),

final as (

    select
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
        phone_region,
        phone_extension,
        phone_invalid_reason,
        phone_is_valid,
        phone_junk_reason,
        first_name,
        first_name_match_key,
        last_name,
        last_name_match_key,
        full_name,
        full_name_match_key,
        name_latin,
        name_latin_match_key,
        gender_original,
        gender,
        birth_date_original,
        birth_date,
        birth_date_invalid_reason,
        address,
        city,
        region,
        postal_code,
        country_original,
        country_code,
        national_id_original,
        national_id,
        loyalty_id_original,
        loyalty_id,
        consent_email_original,
        has_email_consent,
        consent_sms_original,
        has_sms_consent,
        consent_ads_original,
        has_ads_consent,
        vip_level,
        register_channel,
        created_at,
        updated_at,
        is_future_dated,
        source_file_name,
        source_row_number,
        ingested_at
    from customers
    where quarantine_rule is null

)

select * from final
