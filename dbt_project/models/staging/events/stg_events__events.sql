with

source as (

    select * from {{ source('raw_events', 'events') }}

),

final as (

    select
        record_key as event_id,
        event_type,
        event_name,
        anonymous_id,
        user_id,
        occurred_at,
        sent_at,
        traits,
        context,
        properties,
        _source_file as source_file_name,
        cast(_source_row as bigint) as source_row_number,
        _ingested_at as ingested_at
    from source

)

select * from final
