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
        _source_file as source_file_name,
        cast(_source_row as bigint) as source_row_number,
        _ingested_at as ingested_at
    from source

)

select * from final
