{#-
    Every row of raw_events.events (Segment identify, track, page, screen calls), normalised and
    flattened, with the hard rule it fails (if any). stg_events__events keeps the rows that pass;
    int_rows_quarantined the others.
    Hard rule, for both cases: no_usable_key, when the messageId is empty once trimmed, or when
    the event has neither an anonymousId nor a userId (the Segment spec requires one; an id that
    is a junk placeholder such as 'null' or 'undefined' does not count).
    traits, context and properties become typed columns (Segment's reserved names); the JSON is
    kept beside them for keys not flattened here.
-#}

{#- The keys read from each JSON column: DuckDB parses each document once for all of them. -#}
{%- set traits_paths = [
    'email', 'phone', 'name', 'firstName', 'lastName'
] -%}
{%- set context_paths = [
    'ip', 'locale', 'userAgent', 'page.path', 'page.url', 'page.title', 'page.referrer',
    'device.id', 'device.type', 'device.manufacturer', 'device.model', 'os.name', 'os.version',
    'app.name', 'app.version', 'app.build', 'library.name', 'library.version', 'campaign.name',
    'campaign.source', 'campaign.medium', 'campaign.term', 'campaign.content',
    'consent.categoryPreferences'
] -%}
{%- set properties_paths = [
    'product_id', 'sku', 'name', 'category', 'price', 'quantity', 'order_id', 'revenue',
    'total', 'value', 'currency', 'query', 'coupon', 'coupon_name', 'cart_id', 'method'
] -%}

with

events as (

    -- Segment's channel is not a standard field: a null column when the files have none.
    {{ cdp_select_with_optional_columns(source('raw_events', 'events'), {'channel': 'varchar'}) }}

),

phone_numbers as (

    select * from {{ source('reference', 'phone_numbers') }}

),

flattened as (

    select
        events.record_key,
        {{ cdp_squish('events.record_key') }} as event_id,
        events.event_type as event_type_original,
        {{ cdp_code_value('segment_call', 'events.event_type') }} as event_type,
        {{ cdp_squish('events.event_name') }} as event_name,
        events.channel as channel_original,
        events.anonymous_id as anonymous_id_original,
        {{ cdp_squish('events.anonymous_id') }} as anonymous_id_trimmed,
        events.user_id as user_id_original,
        {{ cdp_squish('events.user_id') }} as user_id_trimmed,
        events.occurred_at,
        events.sent_at,
        -- traits (identify calls): contact and name
        {{ cdp_json_text('events.traits', 'email', traits_paths) }} as trait_email_original,
        {{ cdp_json_text('events.traits', 'phone', traits_paths) }} as trait_phone_original,
        {{ cdp_json_text('events.traits', 'name', traits_paths) }} as trait_name_original,
        {{ cdp_json_text('events.traits', 'firstName', traits_paths) }}
            as trait_first_name_original,
        {{ cdp_json_text('events.traits', 'lastName', traits_paths) }} as trait_last_name_original,
        -- context: network, device, app, page, library, campaign
        {{ cdp_json_text('events.context', 'ip', context_paths) }} as ip_address,
        {{ cdp_json_text('events.context', 'locale', context_paths) }} as locale_code,
        {{ cdp_json_text('events.context', 'userAgent', context_paths) }} as user_agent,
        {{ cdp_json_text('events.context', 'page.path', context_paths) }} as page_path,
        {{ cdp_json_text('events.context', 'page.url', context_paths) }} as page_url,
        {{ cdp_json_text('events.context', 'page.title', context_paths) }} as page_title,
        {{ cdp_json_text('events.context', 'page.referrer', context_paths) }} as page_referrer,
        {{ cdp_json_text('events.context', 'device.id', context_paths) }} as device_id,
        {{ cdp_json_text('events.context', 'device.type', context_paths) }} as device_type,
        {{ cdp_json_text('events.context', 'device.manufacturer', context_paths) }}
            as device_manufacturer,
        {{ cdp_json_text('events.context', 'device.model', context_paths) }} as device_model,
        {{ cdp_json_text('events.context', 'os.name', context_paths) }} as os_name,
        {{ cdp_json_text('events.context', 'os.version', context_paths) }} as os_version,
        {{ cdp_json_text('events.context', 'app.name', context_paths) }} as app_name,
        {{ cdp_json_text('events.context', 'app.version', context_paths) }} as app_version,
        {{ cdp_json_text('events.context', 'app.build', context_paths) }} as app_build,
        {{ cdp_json_text('events.context', 'library.name', context_paths) }} as library_name,
        {{ cdp_json_text('events.context', 'library.version', context_paths) }} as library_version,
        {{ cdp_json_text('events.context', 'campaign.name', context_paths) }} as utm_campaign,
        {{ cdp_json_text('events.context', 'campaign.source', context_paths) }} as utm_source,
        {{ cdp_json_text('events.context', 'campaign.medium', context_paths) }} as utm_medium,
        {{ cdp_json_text('events.context', 'campaign.term', context_paths) }} as utm_term,
        {{ cdp_json_text('events.context', 'campaign.content', context_paths) }} as utm_content,
        -- Segment Consent Management: {"<category>": true|false, ...} as JSON text.
        {{ cdp_json_text('events.context', 'consent.categoryPreferences', context_paths) }}
            as consent_category_preferences,
        -- properties (ecommerce spec): product, order, search, coupon
        {{ cdp_json_text('events.properties', 'product_id', properties_paths) }} as product_id,
        {{ cdp_json_text('events.properties', 'sku', properties_paths) }} as product_sku,
        {{ cdp_json_text('events.properties', 'name', properties_paths) }} as product_name,
        {{ cdp_json_text('events.properties', 'category', properties_paths) }} as product_category,
        {{ cdp_json_text('events.properties', 'price', properties_paths) }}
            as product_price_original,
        {{ cdp_json_text('events.properties', 'quantity', properties_paths) }}
            as product_quantity_original,
        {{ cdp_json_text('events.properties', 'order_id', properties_paths) }} as order_id,
        {{ cdp_json_text('events.properties', 'revenue', properties_paths) }} as revenue_original,
        {{ cdp_json_text('events.properties', 'total', properties_paths) }} as order_total_original,
        {{ cdp_json_text('events.properties', 'value', properties_paths) }} as order_value_original,
        {{ cdp_json_text('events.properties', 'currency', properties_paths) }} as currency_original,
        {{ cdp_json_text('events.properties', 'query', properties_paths) }} as search_query,
        {{ cdp_json_text('events.properties', 'coupon', properties_paths) }} as coupon_code,
        {{ cdp_json_text('events.properties', 'coupon_name', properties_paths) }} as coupon_name,
        {{ cdp_json_text('events.properties', 'cart_id', properties_paths) }} as cart_id,
        {{ cdp_json_text('events.properties', 'method', properties_paths) }} as signup_method,
        events.traits,
        events.context,
        events.properties,
        events._source_file,
        events._source_row,
        events._ingested_at
    from events

),

normalised as (

    select
        flattened.*,
        {{ cdp_code_value('segment_channel', 'flattened.channel_original') }} as channel,
        {{ cdp_junk_id_reason('flattened.anonymous_id_trimmed') }} as anonymous_id_junk_reason,
        {{ cdp_junk_id_reason('flattened.user_id_trimmed') }} as user_id_junk_reason,
        {{ cdp_normalize_email('flattened.trait_email_original') }} as trait_email,
        {{ cdp_phone_lookup_columns('flattened.trait_phone_original', 'trait_') }}
    from flattened
    -- Traits carry no country: the phone step parses them with the default region.
    left join phone_numbers
        on
            flattened.trait_phone_original = phone_numbers.phone_raw
            and phone_numbers.country_raw = ''

),

junk_checked as (

    select
        *,
        {{ cdp_email_invalid_reason('trait_email') }} as trait_email_format_reason,
        {{ cdp_junk_reason('email', 'trait_email', 'trait_email_original') }}
            as trait_email_junk_reason,
        {{ cdp_junk_reason('phone', 'parsed_trait_phone_e164', 'trait_phone_original') }}
            as trait_phone_junk_reason,
        case
            when anonymous_id_junk_reason is null then anonymous_id_trimmed
        end as anonymous_id,
        case when user_id_junk_reason is null then user_id_trimmed end as user_id
    from normalised

),

final as (

    select
        event_id,
        event_type_original,
        event_type,
        event_name,
        channel_original,
        channel,
        anonymous_id_original,
        anonymous_id,
        anonymous_id_junk_reason,
        user_id_original,
        user_id,
        user_id_junk_reason,
        occurred_at,
        sent_at,
        {{ cdp_is_future('occurred_at') }} as is_future_dated,
        {{ cdp_is_future('sent_at') }} as is_sent_at_future_dated,
        trait_email_original,
        trait_email,
        {{ cdp_email_domain('trait_email') }} as trait_email_domain,
        {{ cdp_email_verdict('trait_') }},
        trait_email_junk_reason,
        trait_phone_original,
        case
            when trait_phone_junk_reason is null then parsed_trait_phone_e164
        end as trait_phone_e164,
        trait_phone_type,
        {{ cdp_phone_verdict('trait_') }},
        trait_phone_junk_reason,
        trait_name_original,
        {{ cdp_clean_name('trait_name_original') }} as trait_name,
        {{ cdp_name_match_key('trait_name_original') }} as trait_name_match_key,
        {{ cdp_clean_name('trait_first_name_original') }} as trait_first_name,
        {{ cdp_clean_name('trait_last_name_original') }} as trait_last_name,
        ip_address,
        locale_code,
        user_agent,
        page_path,
        page_url,
        page_title,
        {{ cdp_squish('page_referrer') }} as page_referrer,
        device_id,
        device_type,
        device_manufacturer,
        device_model,
        os_name,
        os_version,
        app_name,
        app_version,
        app_build,
        library_name,
        library_version,
        utm_campaign,
        utm_source,
        utm_medium,
        utm_term,
        utm_content,
        consent_category_preferences,
        {{ cdp_squish('product_id') }} as product_id,
        {{ cdp_squish('product_sku') }} as product_sku,
        {{ cdp_squish('product_name') }} as product_name,
        {{ cdp_squish('product_category') }} as product_category,
        {{ cdp_try_cast('product_price_original', 'decimal(18, 4)') }} as product_price,
        -- A quantity must be whole: '1.5' is null, not rounded to 2 as a cast to bigint would.
        case
            when
                {{ cdp_try_cast('product_quantity_original', 'decimal(18, 4)') }}
                = floor({{ cdp_try_cast('product_quantity_original', 'decimal(18, 4)') }})
                then cast(
                    {{ cdp_try_cast('product_quantity_original', 'decimal(18, 4)') }} as bigint
                )
        end as product_quantity,
        {{ cdp_squish('order_id') }} as order_id,
        {{ cdp_try_cast('revenue_original', 'decimal(18, 4)') }} as revenue,
        {{ cdp_try_cast('order_total_original', 'decimal(18, 4)') }} as order_total,
        {{ cdp_try_cast('order_value_original', 'decimal(18, 4)') }} as order_value,
        currency_original,
        {{ cdp_currency_code('currency_original') }} as currency,
        {{ cdp_squish('search_query') }} as search_query,
        {{ cdp_squish('coupon_code') }} as coupon_code,
        {{ cdp_squish('coupon_name') }} as coupon_name,
        {{ cdp_squish('cart_id') }} as cart_id,
        {{ cdp_squish('signup_method') }} as signup_method,
        traits,
        context,
        properties,
        case
            when event_id is null then 'no_usable_key'
            when anonymous_id is null and user_id is null then 'no_usable_key'
        end as quarantine_rule,
        case
            when event_id is null
                then
                    'record_key ' || coalesce('''' || record_key || '''', 'null')
                    || ' is empty once trimmed: the event cannot be told apart from others'
            when anonymous_id is null and user_id is null
                then
                    'neither anonymousId '
                    || coalesce('''' || anonymous_id_original || '''', 'null')
                    || ' nor userId ' || coalesce('''' || user_id_original || '''', 'null')
                    || ' is usable (empty or junk): the event belongs to no one'
        end as quarantine_reason,
        {{ raw_lineage_columns() }}
    from junk_checked

)

select * from final
