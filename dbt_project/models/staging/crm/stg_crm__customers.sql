with

source as (

    select * from {{ source('raw_crm', 'customers') }}

),

final as (

    select
        record_key as customer_id,
        email,
        phone,
        first_name,
        last_name,
        full_name,
        name_latin,
        gender,
        address,
        city,
        region,
        postal_code,
        country,
        national_id,
        loyalty_id,
        consent_email,
        consent_sms,
        consent_ads,
        birth_date,
        created_at,
        updated_at,
        {{ raw_lineage_columns() }}
    from source

)

select * from final
