{#- The rows of base_wechat__interactions that pass every hard rule,
    without the quarantine columns. -#}

with

interactions as (

    select * from {{ ref('base_wechat__interactions') }}

),

final as (

    select
        interaction_id,
        openid,
        interaction_type_original,
        interaction_type,
        content,
        occurred_at,
        is_future_dated,
        source_file_name,
        source_row_number,
        ingested_at
    from interactions
    where quarantine_rule is null

)

select * from final
