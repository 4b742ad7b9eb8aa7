{#-
    One row per consent change of a customer on a channel: the evidence of
    int_consent_changes_unioned in time order, with repeated statuses collapsed, so a row is a
    moment the status actually changed (granted -> withdrawn or back), and the period it held.

    - Order: changed_at, then the source and record id (crm, email, events, wechat), so the
      same data always gives the same history.
    - Tie: evidence of one customer and channel at the very same moment that disagrees is
      resolved to withdrawn (fail-closed); the granted evidence of that moment is dropped.
    - Collapse: evidence repeating the status in force (a CRM flag seen again, a second banner
      click with the same choice) is not a change; the change keeps the first evidence of
      the run as its source.
    - valid_to is the next change's changed_at; null while the status is current.
-#}

with

evidence as (

    select * from {{ ref('int_consent_changes_unioned') }}

),

ties_marked as (

    select
        evidence.*,
        max(case when evidence.consent_status = 'withdrawn' then 1 else 0 end) over (
            partition by evidence.unified_customer_id, evidence.channel, evidence.changed_at
        ) as has_withdrawal_at_same_time
    from evidence

),

ties_resolved as (

    select ties_marked.*
    from ties_marked
    where
        ties_marked.consent_status = 'withdrawn'
        or ties_marked.has_withdrawal_at_same_time = 0

),

sequenced as (

    select
        ties_resolved.*,
        lag(ties_resolved.consent_status) over (
            partition by ties_resolved.unified_customer_id, ties_resolved.channel
            order by
                ties_resolved.changed_at,
                ties_resolved.consent_source,
                ties_resolved.source_record_id
        ) as previous_status
    from ties_resolved

),

changes as (

    select sequenced.*
    from sequenced
    where
        sequenced.previous_status is null
        or sequenced.previous_status != sequenced.consent_status

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'changes.unified_customer_id', "'|'", 'changes.channel', "'|'",
            'cast(changes.changed_at as ' ~ dbt.type_string() ~ ')'
        ])) }} as consent_change_id,
        changes.unified_customer_id,
        changes.channel,
        changes.consent_status,
        changes.consent_source,
        changes.source_table,
        changes.source_record_id,
        changes.consent_evidence_id,
        changes.changed_at,
        changes.changed_at as valid_from,
        lead(changes.changed_at) over (
            partition by changes.unified_customer_id, changes.channel
            order by changes.changed_at
        ) as valid_to
    from changes

)

select * from final
