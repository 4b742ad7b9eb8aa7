with

source as (

    select * from {{ source('raw_email', 'email_events') }}

),

final as (

    select
        record_key as email_event_id,
        email,
        event_type,
        campaign_id,
        url,
        occurred_at,
        {{ raw_lineage_columns() }}
    from source

)

select * from final
