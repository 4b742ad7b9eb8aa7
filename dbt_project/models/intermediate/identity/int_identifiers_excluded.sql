{#-
    Every identifier value a rule keeps from linking records, one row per (identifier type,
    value, rule) with the reason, how many records carry it and when it was seen:

    - junk_value / invalid_value: staging judged the value a placeholder or malformed (the
      reason is staging's);
    - blocked_value, shared_across_hard_ids, too_many_links, ttl_expired: the rules of
      int_identifiers_screened (identity_identifier_types and identity_blocklist seeds);
    - conflicting_component: its soft component chained the records of different hard ids, so
      it links only within its own records (int_identity_units).
-#}

with

identifiers as (

    select * from {{ ref('int_identifiers') }}

),

screened as (

    select * from {{ ref('int_identifiers_screened') }}

),

units as (

    select * from {{ ref('int_identity_units') }}

),

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

unusable as (

    select
        identifier_type,
        identifier_value,
        unusable_rule as exclusion_rule,
        min(unusable_reason) as exclusion_reason,
        count(distinct record_id) as records,
        min(observed_at) as first_seen_at,
        max(observed_at) as last_seen_at
    from identifiers
    where unusable_rule is not null
    group by identifier_type, identifier_value, unusable_rule

),

screened_out as (

    select
        identifier_type,
        identifier_value,
        exclusion_rule,
        exclusion_reason,
        records,
        first_seen_at,
        last_seen_at
    from screened
    where exclusion_rule is not null

),

conflicting as (

    select
        nodes.identifier_type,
        nodes.identifier_value,
        'conflicting_component' as exclusion_rule,
        'its component joins the records of '
        || cast(units.conflicting_hard_ids as {{ dbt.type_string() }})
        || ' hard ids of one type: it links only its own records' as exclusion_reason,
        screened.records,
        screened.first_seen_at,
        screened.last_seen_at
    from units
    inner join nodes
        on units.node_id = nodes.node_id
    inner join screened
        on
            nodes.identifier_type = screened.identifier_type
            and nodes.identifier_value = screened.identifier_value
    where units.is_conflicting

),

final as (

    select * from unusable
    union all
    select * from screened_out
    union all
    select * from conflicting

)

select * from final
