{#-
    Every row of raw_wechat.followers, normalised, with the hard rule it fails (if any).
    stg_wechat__followers keeps the rows that pass; int_rows_quarantined the others.
    Hard rule: no_usable_key (the openid is empty once trimmed). Everything else is a flag.
-#}

with

followers as (

    select * from {{ source('raw_wechat', 'followers') }}

),

phone_numbers as (

    select * from {{ source('reference', 'phone_numbers') }}

),

normalised as (

    select
        followers.record_key,
        {{ cdp_squish('followers.record_key') }} as openid,
        followers.unionid as unionid_original,
        {{ cdp_squish('followers.unionid') }} as unionid,
        followers.phone as phone_original,
        phone_numbers.phone_region,
        phone_numbers.extension as phone_extension,
        {{ cdp_phone_lookup_columns('followers.phone') }},
        {{ cdp_clean_name('followers.nickname') }} as nickname,
        {{ cdp_squish('followers.city') }} as city,
        followers.country as country_original,
        {{ cdp_country_code('followers.country') }} as country_code,
        followers.is_subscribed as is_subscribed_original,
        {{ cdp_flag_value('subscription', 'followers.is_subscribed') }} as is_subscribed,
        followers.language,
        followers.subscribed_at,
        followers.updated_at,
        followers._source_file,
        followers._source_row,
        followers._ingested_at
    from followers
    left join phone_numbers
        on
            followers.phone = phone_numbers.phone_raw
            and coalesce(followers.country, '') = phone_numbers.country_raw

),

junk_checked as (

    select
        *,
        {{ cdp_junk_reason('phone', 'parsed_phone_e164', 'phone_original') }} as phone_junk_reason
    from normalised

),

final as (

    select
        openid,
        unionid_original,
        unionid,
        phone_original,
        case when phone_junk_reason is null then parsed_phone_e164 end as phone_e164,
        phone_type,
        phone_region,
        phone_extension,
        {{ cdp_phone_verdict() }},
        phone_junk_reason,
        nickname,
        {{ cdp_name_match_key('nickname') }} as nickname_match_key,
        city,
        country_original,
        country_code,
        is_subscribed_original,
        is_subscribed,
        language,
        subscribed_at,
        updated_at,
        {{ cdp_is_future('subscribed_at') }}
        or {{ cdp_is_future('updated_at') }} as is_future_dated,
        case when openid is null then 'no_usable_key' end as quarantine_rule,
        case
            when openid is null
                then
                    'record_key ' || coalesce('''' || record_key || '''', 'null')
                    || ' is empty once trimmed: the row cannot be told apart from others'
        end as quarantine_reason,
        {{ raw_lineage_columns() }}
    from junk_checked

)

select * from final
