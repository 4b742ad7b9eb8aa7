{#-
    One row per staged CRM account with its unified customer, dated by when it was opened: the
    crm_accounts fact of the tag system (tags/_facts.yml). The VIP level is snake_case
    ('Regular' is regular, 'Super VIP' super_vip).
-#}

with

crm_customers as (

    select * from {{ ref('stg_crm__customers') }}

),

record_customers as (

    select * from {{ ref('int_identity_record_customers') }}

),

final as (

    select
        crm_customers.customer_id as crm_customer_id,
        record_customers.unified_customer_id,
        crm_customers.created_at,
        crm_customers.ingested_at,
        nullif(
            regexp_replace(lower(trim(crm_customers.vip_level)), '[\s-]+', '_', 'g'), ''
        ) as vip_level,
        crm_customers.register_channel,
        crm_customers.has_email_consent,
        crm_customers.has_sms_consent
    from crm_customers
    -- Every staged record resolves (tests/assert_every_record_resolves.sql).
    inner join record_customers
        on
            record_customers.source_name = 'crm'
            and record_customers.source_table = 'customers'
            and cast(crm_customers.customer_id as {{ dbt.type_string() }})
            = record_customers.record_key

)

select * from final
