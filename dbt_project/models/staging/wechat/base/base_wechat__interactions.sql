{#-
    Every row of raw_wechat.interactions, normalised, with the hard rule it fails (if any).
    stg_wechat__interactions keeps the rows that pass; int_rows_quarantined the others.
    Hard rules, first match wins: no_usable_key (interaction id empty once trimmed), no_openid
    (the follower's openid is empty, so the interaction belongs to nobody), no_event_time
    (occurred_at missing).
-#}

with

interactions as (

    select * from {{ source('raw_wechat', 'interactions') }}

),

normalised as (

    select
        record_key,
        {{ cdp_squish('record_key') }} as interaction_id,
        {{ cdp_squish('openid') }} as openid,
        interaction_type as interaction_type_original,
        {{ cdp_code_value('interaction_type', 'interaction_type') }} as interaction_type,
        -- Free text (a message) or an article / menu id: kept exactly as sent.
        content,
        occurred_at,
        _source_file,
        _source_row,
        _ingested_at
    from interactions

),

final as (

    select
        interaction_id,
        openid,
        interaction_type_original,
        interaction_type,
        content,
        occurred_at,
        {{ cdp_is_future('occurred_at') }} as is_future_dated,
        case
            when interaction_id is null then 'no_usable_key'
            when openid is null then 'no_openid'
            when occurred_at is null then 'no_event_time'
        end as quarantine_rule,
        case
            when interaction_id is null
                then
                    'record_key ' || coalesce('''' || record_key || '''', 'null')
                    || ' is empty once trimmed: the row cannot be told apart from others'
            when openid is null
                then 'openid is empty: the interaction cannot be attributed to a follower'
            when occurred_at is null
                then 'occurred_at is missing: the interaction cannot be placed in time'
        end as quarantine_reason,
        {{ raw_lineage_columns() }}
    from normalised

)

select * from final
