{#-
    One row per (record, identifier) that links: the usable observations of linking types whose
    identifier no rule excluded (int_identifiers_screened), without observations of a type with
    ttl_days older than that many days before the newest observation. A record left with no
    linking identifier links through its source_record identifier alone, so every staged record
    is here and ends up with a customer.
-#}

with

identifiers as (

    select * from {{ ref('int_identifiers') }}

),

identifier_types as (

    select * from {{ ref('identity_identifier_types') }}

),

screened as (

    select * from {{ ref('int_identifiers_screened') }}

),

data_time as (

    select max(last_seen_at) as newest_observation_at from screened

),

linking as (

    select
        identifiers.record_id,
        identifiers.source_name,
        identifiers.source_table,
        identifiers.record_key,
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifier_types.priority,
        identifier_types.is_hard_id,
        min(identifiers.observed_at) as observed_at
    from identifiers
    inner join identifier_types
        on identifiers.identifier_type = identifier_types.identifier_type
    inner join screened
        on
            identifiers.identifier_type = screened.identifier_type
            and identifiers.identifier_value = screened.identifier_value
    cross join data_time
    where
        identifiers.unusable_rule is null
        and identifier_types.links_records
        and screened.exclusion_rule is null
        and (
            identifier_types.ttl_days is null
            or data_time.newest_observation_at
            <= {{ dbt.dateadd('day', 'identifier_types.ttl_days', 'identifiers.observed_at') }}
        )
    group by
        identifiers.record_id,
        identifiers.source_name,
        identifiers.source_table,
        identifiers.record_key,
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifier_types.priority,
        identifier_types.is_hard_id

),

standalone as (

    select
        identifiers.record_id,
        identifiers.source_name,
        identifiers.source_table,
        identifiers.record_key,
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifier_types.priority,
        identifier_types.is_hard_id,
        identifiers.observed_at
    from identifiers
    inner join identifier_types
        on identifiers.identifier_type = identifier_types.identifier_type
    where
        identifiers.identifier_type = 'source_record'
        and not exists (
            select 1
            from linking
            where linking.record_id = identifiers.record_id
        )

),

final as (

    select * from linking
    union all
    select * from standalone

)

select * from final
