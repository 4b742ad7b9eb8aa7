{#-
    One row per distinct usable identifier of a linking type, with what the rules of the
    identity_identifier_types and identity_blocklist seeds need to know about it, and the first
    rule that stops it from linking records (null when it links):

    - blocked_value: the value or a pattern is on the blocklist;
    - shared_across_hard_ids: it sits on records of more distinct hard ids (CRM numbers, national
      ids) than max_hard_ids allows: a household phone, a family tablet, a shared mailbox;
    - too_many_links: it co-occurs with more distinct identifiers than max_linked_identifiers: a
      junk value staging did not know, which would otherwise glue thousands of people together;
    - ttl_expired: a type with ttl_days (device ids) not seen within that many days of the newest
      observation in the data (data time, not the clock, so a re-run decides the same).
-#}

with

identifiers as (

    select * from {{ ref('int_identifiers') }}

),

identifier_types as (

    select * from {{ ref('identity_identifier_types') }}

),

blocklist as (

    select * from {{ ref('identity_blocklist') }}

),

usable as (

    select
        identifiers.record_id,
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifiers.source_name,
        identifiers.observed_at,
        identifier_types.is_hard_id
    from identifiers
    inner join identifier_types
        on identifiers.identifier_type = identifier_types.identifier_type
    where identifiers.unusable_rule is null and identifier_types.links_records

),

record_pairs as (

    select distinct
        usable.identifier_type,
        usable.identifier_value,
        other.identifier_type as other_type,
        other.identifier_value as other_value,
        other.is_hard_id as other_is_hard_id
    from usable
    inner join usable as other
        on
            usable.record_id = other.record_id
            and (
                usable.identifier_type <> other.identifier_type
                or usable.identifier_value <> other.identifier_value
            )

),

hard_ids_per_type as (

    select
        identifier_type,
        identifier_value,
        count(*) as hard_ids
    from record_pairs
    where other_is_hard_id
    group by identifier_type, identifier_value, other_type

),

co_occurrence as (

    select
        identifier_type,
        identifier_value,
        count(*) as linked_identifiers
    from record_pairs
    group by identifier_type, identifier_value

),

hard_co_occurrence as (

    -- two hard ids of different types (a CRM number and a national id) are one person
    select
        identifier_type,
        identifier_value,
        max(hard_ids) as hard_ids
    from hard_ids_per_type
    group by identifier_type, identifier_value

),

observations as (

    select
        identifier_type,
        identifier_value,
        count(distinct record_id) as records,
        count(distinct source_name) as sources,
        min(observed_at) as first_seen_at,
        max(observed_at) as last_seen_at
    from usable
    group by identifier_type, identifier_value

),

data_time as (

    select max(observed_at) as newest_observation_at from usable

),

blocked as (

    select
        observations.identifier_type,
        observations.identifier_value,
        min(blocklist.reason) as reason
    from observations
    inner join blocklist
        on
            observations.identifier_type = blocklist.identifier_type
            and (
                (blocklist.match_type = 'exact' and observations.identifier_value = blocklist.value)
                or (
                    blocklist.match_type = 'pattern'
                    and {{ cdp_regexp_matches('observations.identifier_value', 'blocklist.value') }}
                )
            )
    group by observations.identifier_type, observations.identifier_value

),

screened as (

    select
        observations.identifier_type,
        observations.identifier_value,
        identifier_types.priority,
        identifier_types.is_hard_id,
        observations.records,
        observations.sources,
        coalesce(co_occurrence.linked_identifiers, 0) as linked_identifiers,
        coalesce(hard_co_occurrence.hard_ids, 0) as hard_ids,
        observations.first_seen_at,
        observations.last_seen_at,
        blocked.reason as blocked_reason,
        identifier_types.max_hard_ids,
        identifier_types.max_linked_identifiers,
        identifier_types.ttl_days,
        {{ dbt.datediff(
            'observations.last_seen_at', 'data_time.newest_observation_at', 'day'
        ) }} as days_unseen,
        -- the same test int_identity_links applies to each observation, on the last one
        coalesce(
            data_time.newest_observation_at
            > {{ dbt.dateadd('day', 'identifier_types.ttl_days', 'observations.last_seen_at') }},
            false
        ) as is_expired
    from observations
    inner join identifier_types
        on observations.identifier_type = identifier_types.identifier_type
    cross join data_time
    left join co_occurrence
        on
            observations.identifier_type = co_occurrence.identifier_type
            and observations.identifier_value = co_occurrence.identifier_value
    left join hard_co_occurrence
        on
            observations.identifier_type = hard_co_occurrence.identifier_type
            and observations.identifier_value = hard_co_occurrence.identifier_value
    left join blocked
        on
            observations.identifier_type = blocked.identifier_type
            and observations.identifier_value = blocked.identifier_value

),

final as (

    select
        identifier_type,
        identifier_value,
        priority,
        is_hard_id,
        records,
        sources,
        linked_identifiers,
        hard_ids,
        first_seen_at,
        last_seen_at,
        case
            when blocked_reason is not null then 'blocked_value'
            when not is_hard_id and hard_ids > max_hard_ids then 'shared_across_hard_ids'
            when linked_identifiers > max_linked_identifiers then 'too_many_links'
            when is_expired then 'ttl_expired'
        end as exclusion_rule,
        case
            when blocked_reason is not null then blocked_reason
            when not is_hard_id and hard_ids > max_hard_ids
                then
                    'on records of ' || cast(hard_ids as {{ dbt.type_string() }})
                    || ' distinct hard ids (limit '
                    || cast(max_hard_ids as {{ dbt.type_string() }})
                    || ')'
            when linked_identifiers > max_linked_identifiers
                then
                    'linked to ' || cast(linked_identifiers as {{ dbt.type_string() }})
                    || ' distinct identifiers (limit '
                    || cast(max_linked_identifiers as {{ dbt.type_string() }}) || ')'
            when is_expired
                then
                    'not seen for ' || cast(days_unseen as {{ dbt.type_string() }})
                    || ' days (time-to-live '
                    || cast(ttl_days as {{ dbt.type_string() }})
                    || ' days)'
        end as exclusion_reason
    from screened

)

select * from final
