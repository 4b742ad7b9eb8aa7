{#-
    SCD2 history of the consent flags of each CRM account: one row per account and period its
    three flags (email, SMS, ads) held. The raw CRM table is merged on key, so a flag that flips
    between two loads would otherwise leave no trace; each build closes the changed row and opens
    a new one. Other CRM columns changing (address, VIP level) open nothing (check strategy on the
    flags only); updated_at is kept as the time the CRM says the record last changed, which is
    what int_consent_changes_unioned dates a flip by. An account that disappears is closed.
-#}

{% snapshot snp_crm_customer_consent %}

{{
    config(
        schema='snapshots',
        unique_key='customer_id',
        strategy='check',
        check_cols=['has_email_consent', 'has_sms_consent', 'has_ads_consent'],
        hard_deletes='invalidate'
    )
}}

select
    customer_id,
    has_email_consent,
    has_sms_consent,
    has_ads_consent,
    created_at,
    updated_at,
    is_future_dated,
    ingested_at
from {{ ref('stg_crm__customers') }}

{% endsnapshot %}
