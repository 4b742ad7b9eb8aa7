{#-
    Every row of raw_crm.customers, normalised, with the hard rule it fails (if any).
    stg_crm__customers keeps the rows that pass; int_rows_quarantined the others.
    Hard rule: no_usable_key (the CRM id is empty once trimmed). Everything else is a flag.
-#}

with

customers as (

    select * from {{ source('raw_crm', 'customers') }}

),

phone_numbers as (

    select * from {{ source('reference', 'phone_numbers') }}

),

normalised as (

    select
        customers.record_key,
        {{ cdp_squish('customers.record_key') }} as customer_id,
        customers.email as email_original,
        {{ cdp_normalize_email('customers.email') }} as email,
        customers.phone as phone_original,
        phone_numbers.phone_region,
        phone_numbers.extension as phone_extension,
        {{ cdp_phone_lookup_columns('customers.phone') }},
        {{ cdp_clean_name('customers.first_name') }} as first_name,
        {{ cdp_clean_name('customers.last_name') }} as last_name,
        {{ cdp_clean_name('customers.full_name') }} as full_name,
        {{ cdp_clean_name('customers.name_latin') }} as name_latin,
        customers.gender as gender_original,
        {{ cdp_code_value('gender', 'customers.gender') }} as gender,
        customers.birth_date as birth_date_original,
        {{ cdp_birth_date_invalid_reason('customers.birth_date') }} as birth_date_invalid_reason,
        {{ cdp_squish('customers.address') }} as address,
        {{ cdp_squish('customers.city') }} as city,
        {{ cdp_squish('customers.region') }} as region,
        {{ cdp_squish('customers.postal_code') }} as postal_code,
        customers.country as country_original,
        {{ cdp_country_code('customers.country') }} as country_code,
        customers.national_id as national_id_original,
        {{ cdp_squish('customers.national_id') }} as national_id,
        customers.loyalty_id as loyalty_id_original,
        {{ cdp_squish('customers.loyalty_id') }} as loyalty_id,
        customers.consent_email as consent_email_original,
        {{ cdp_flag_value('consent', 'customers.consent_email') }} as has_email_consent,
        customers.consent_sms as consent_sms_original,
        {{ cdp_flag_value('consent', 'customers.consent_sms') }} as has_sms_consent,
        customers.consent_ads as consent_ads_original,
        {{ cdp_flag_value('consent', 'customers.consent_ads') }} as has_ads_consent,
        customers.vip_level,
        customers.register_channel,
        customers.created_at,
        customers.updated_at,
        customers._source_file,
        customers._source_row,
        customers._ingested_at
    from customers
    left join phone_numbers
        on
            customers.phone = phone_numbers.phone_raw
            and coalesce(customers.country, '') = phone_numbers.country_raw

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
        customer_id,
        email_original,
        email,
        {{ cdp_email_domain('email') }} as email_domain,
        {{ cdp_email_verdict() }},
        email_junk_reason,
        phone_original,
        case when phone_junk_reason is null then parsed_phone_e164 end as phone_e164,
        phone_type,
        phone_region,
        phone_extension,
        {{ cdp_phone_verdict() }},
        phone_junk_reason,
        first_name,
        {{ cdp_name_match_key('first_name') }} as first_name_match_key,
        last_name,
        {{ cdp_name_match_key('last_name') }} as last_name_match_key,
        full_name,
        {{ cdp_name_match_key('full_name') }} as full_name_match_key,
        name_latin,
        {{ cdp_name_match_key('name_latin') }} as name_latin_match_key,
        gender_original,
        gender,
        birth_date_original,
        case when birth_date_invalid_reason is null then birth_date_original end as birth_date,
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
        {{ cdp_is_future('created_at') }}
        or {{ cdp_is_future('updated_at') }} as is_future_dated,
        case when customer_id is null then 'no_usable_key' end as quarantine_rule,
        case
            when customer_id is null
                then
                    'record_key ' || coalesce('''' || record_key || '''', 'null')
                    || ' is empty once trimmed: the row cannot be told apart from others'
        end as quarantine_reason,
        {{ raw_lineage_columns() }}
    from junk_checked

)

select * from final
