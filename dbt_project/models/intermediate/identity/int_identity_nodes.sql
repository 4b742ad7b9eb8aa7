{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false
    )
}}

{#-
    The node dictionary of the identity graph: one row per identifier that has ever linked a
    record, with a dense BIGINT node_id the graph models work on. Append-only and exempt from
    --full-refresh: a node keeps its id for ever, so clusters, unified customer ids and the
    ledger can be compared run to run. New identifiers are numbered after the largest id in the
    order of (identifier_type, identifier_value), so the ids do not depend on the order rows
    arrive in.
-#}

with

links as (

    select * from {{ ref('int_identity_links') }}

),

identifiers as (

    select distinct
        identifier_type,
        identifier_value
    from links

),

{% if is_incremental() %}

new_identifiers as (

    select *
    from identifiers
    where not exists (
        select 1
        from {{ this }} as known
        where
            known.identifier_type = identifiers.identifier_type
            and known.identifier_value = identifiers.identifier_value
    )

),

numbered_before as (

    select coalesce(max(node_id), 0) as last_node_id from {{ this }}

),

{% else %}

    new_identifiers as (

        select * from identifiers

    ),

    numbered_before as (

        select cast(0 as bigint) as last_node_id

    ),

{% endif %}

final as (

    select
        numbered_before.last_node_id
        + row_number() over (
            order by new_identifiers.identifier_type, new_identifiers.identifier_value
        ) as node_id,
        new_identifiers.identifier_type,
        new_identifiers.identifier_value,
        '{{ invocation_id }}' as first_seen_invocation_id,
        {{ dbt.current_timestamp() }} as first_seen_at
    from new_identifiers
    cross join numbered_before

)

select * from final
