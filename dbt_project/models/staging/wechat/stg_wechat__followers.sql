with

source as (

    select * from {{ source('raw_wechat', 'followers') }}

),

final as (

    select
        record_key as openid,
        unionid,
        phone,
        nickname,
        city,
        country,
        is_subscribed,
        subscribed_at,
        updated_at,
        _source_file as source_file_name,
        cast(_source_row as bigint) as source_row_number,
        _ingested_at as ingested_at
    from source

)

select * from final
