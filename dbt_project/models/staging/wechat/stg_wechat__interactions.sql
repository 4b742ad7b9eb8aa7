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
        {{ raw_lineage_columns() }}
    from source

)

select * from final
