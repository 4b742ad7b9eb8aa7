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
        {{ raw_lineage_columns() }}
    from source

)

select * from final
