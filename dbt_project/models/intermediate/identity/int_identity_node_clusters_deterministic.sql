{#-
    One row per node of the identity graph with its deterministic customer: soft nodes through
    their unit, hard ids directly. deterministic_cluster_id is the smallest node id of the
    customer (an internal label; unified_customer_id is the stable, public one).
-#}

with

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

units as (

    select * from {{ ref('int_identity_units') }}

),

components as (

    select * from {{ ref('int_identity_components_deterministic') }}

),

node_units as (

    select
        nodes.node_id,
        nodes.identifier_type,
        nodes.identifier_value,
        units.component_id as soft_component_id,
        coalesce(units.is_conflicting, false) as is_conflicting,
        coalesce(units.unit_id, nodes.node_id) as unit_id
    from nodes
    left join units
        on nodes.node_id = units.node_id

),

final as (

    -- nodes of identifiers that no longer link (excluded since) are in no component: left out
    select
        node_units.node_id,
        node_units.identifier_type,
        node_units.identifier_value,
        node_units.soft_component_id,
        node_units.is_conflicting,
        components.component_id as deterministic_cluster_id
    from node_units
    inner join components
        on node_units.unit_id = components.node_id

)

select * from final
