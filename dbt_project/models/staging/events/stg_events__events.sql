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
        {{ raw_lineage_columns() }}
    from source

)

select * from final
