with

source as (

    select * from {{ source('raw_wechat', 'interactions') }}

),

final as (

    select
        record_key as interaction_id,
        openid,
        interaction_type,
        content,
        occurred_at,
        _source_file as source_file_name,
        cast(_source_row as bigint) as source_row_number,
        _ingested_at as ingested_at
    from source

)

select * from final
