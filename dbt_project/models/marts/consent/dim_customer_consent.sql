{#-
    One row per customer and channel with any consent evidence: the status in force now, the
    latest change of fct_consent_history (its open period). A tie at the latest moment was
    resolved to withdrawn there. No row means no recorded consent: activation treats it as
    not granted (fail-closed).
-#}

with

history as (

    select * from {{ ref('fct_consent_history') }}

),

final as (

    select
        history.unified_customer_id,
        history.channel,
        history.consent_status,
        history.consent_status = 'granted' as is_granted,
        history.consent_source,
        history.source_record_id,
        history.changed_at as consent_changed_at,
        history.consent_change_id
    from history
    where history.valid_to is null

)

select * from final
