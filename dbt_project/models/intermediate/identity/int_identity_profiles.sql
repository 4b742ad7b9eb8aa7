{#-
    Profile-like records for probabilistic matching: one row per CRM account, WeChat follower
    and distinct identify-call profile (name and contact traits) per deterministic customer,
    with normalised match keys, the deterministic customer and its hard id. The Splink asset
    reads this table; its columns are the contract of identity_matching.yml.
-#}

with

customers as (

    select * from {{ ref('stg_crm__customers') }}

),

followers as (

    select * from {{ ref('stg_wechat__followers') }}

),

events as (

    select * from {{ ref('stg_events__events') }}

),

record_clusters as (

    select * from {{ ref('int_identity_record_clusters_deterministic') }}

),

node_clusters as (

    select * from {{ ref('int_identity_node_clusters_deterministic') }}

),

identifier_types as (

    select * from {{ ref('identity_identifier_types') }}

),

cluster_hard_ids as (

    select
        node_clusters.deterministic_cluster_id,
        min(node_clusters.identifier_type || ':' || node_clusters.identifier_value) as hard_id
    from node_clusters
    inner join identifier_types
        on node_clusters.identifier_type = identifier_types.identifier_type
    where identifier_types.is_hard_id
    group by node_clusters.deterministic_cluster_id

),

crm_profiles as (

    select
        'crm.customers:' || customer_id as record_id,
        'crm' as source_name,
        first_name_match_key as first_name_key,
        last_name_match_key as last_name_key,
        full_name_match_key as full_name_key,
        birth_date,
        case when email_is_valid then email end as email,
        case when phone_is_valid then phone_e164 end as phone_e164,
        {{ cdp_name_match_key('city') }} as city_key,
        postal_code,
        country_code
    from customers

),

follower_profiles as (

    select
        'wechat.followers:' || openid as record_id,
        'wechat' as source_name,
        nickname_match_key as first_name_key,
        cast(null as {{ dbt.type_string() }}) as last_name_key,
        cast(null as {{ dbt.type_string() }}) as full_name_key,
        cast(null as date) as birth_date,
        cast(null as {{ dbt.type_string() }}) as email,
        case when phone_is_valid then phone_e164 end as phone_e164,
        {{ cdp_name_match_key('city') }} as city_key,
        cast(null as {{ dbt.type_string() }}) as postal_code,
        country_code
    from followers

),

identify_traits as (

    select
        event_id,
        {{ cdp_name_match_key('trait_first_name') }} as first_name_key,
        {{ cdp_name_match_key('trait_last_name') }} as last_name_key,
        trait_name_match_key as full_name_key,
        case when trait_email_is_valid then trait_email end as email,
        case when trait_phone_is_valid then trait_phone_e164 end as phone_e164
    from events
    where event_type = 'identify' and trait_name_match_key is not null

),

identify_profiles as (

    -- a device identifies again and again with the same traits: one profile per distinct set
    select
        min('events.events:' || identify_traits.event_id) as record_id,
        'events' as source_name,
        identify_traits.first_name_key,
        identify_traits.last_name_key,
        identify_traits.full_name_key,
        cast(null as date) as birth_date,
        identify_traits.email,
        identify_traits.phone_e164,
        cast(null as {{ dbt.type_string() }}) as city_key,
        cast(null as {{ dbt.type_string() }}) as postal_code,
        cast(null as {{ dbt.type_string() }}) as country_code
    from identify_traits
    inner join record_clusters
        on 'events.events:' || identify_traits.event_id = record_clusters.record_id
    group by
        record_clusters.deterministic_cluster_id,
        identify_traits.first_name_key,
        identify_traits.last_name_key,
        identify_traits.full_name_key,
        identify_traits.email,
        identify_traits.phone_e164

),

profiles as (

    select * from crm_profiles
    union all
    select * from follower_profiles
    union all
    select * from identify_profiles

),

final as (

    select
        profiles.record_id,
        profiles.source_name as source,
        record_clusters.deterministic_cluster_id as cluster_id,
        cluster_hard_ids.hard_id,
        profiles.first_name_key,
        profiles.last_name_key,
        profiles.full_name_key,
        profiles.birth_date,
        profiles.email,
        {{ dbt.split_part('profiles.email', "'@'", 1) }} as email_local,
        profiles.phone_e164,
        profiles.city_key,
        profiles.postal_code,
        profiles.country_code
    from profiles
    inner join record_clusters
        on profiles.record_id = record_clusters.record_id
    left join cluster_hard_ids
        on record_clusters.deterministic_cluster_id = cluster_hard_ids.deterministic_cluster_id

)

select * from final
