{#- The rows of base_wechat__followers that pass every hard rule,
    without the quarantine columns. -#}

with

followers as (

    select * from {{ ref('base_wechat__followers') }}

),

final as (

    select
        openid,
        unionid_original,
        unionid,
        phone_original,
        phone_e164,
        phone_type,
        phone_region,
        phone_extension,
        phone_invalid_reason,
        phone_is_valid,
        phone_junk_reason,
        nickname,
        nickname_match_key,
        city,
        country_original,
        country_code,
        is_subscribed_original,
        is_subscribed,
        language,
        subscribed_at,
        updated_at,
        is_future_dated,
        source_file_name,
        source_row_number,
        ingested_at
    from followers
    where quarantine_rule is null

)

select * from final
