{{ config(materialized='connected_components') }}

{#-
    Deterministic customers: connected components of a small graph whose nodes are the units of
    int_identity_units and the hard ids. A unit joins the hard id its records carry when they
    carry exactly one of each hard type; hard ids on one record join each other. One row per
    unit or hard id node with the smallest node id of its customer.
-#}

with

units as (

    select * from {{ ref('int_identity_units') }}

),

attachments as (

    select * from {{ ref('int_identity_hard_attachments') }}

),

record_nodes as (

    select * from {{ ref('int_identity_record_nodes') }}

),

unit_attachments as (

    select distinct
        units.unit_id,
        attachments.hard_node_id,
        attachments.hard_type
    from attachments
    inner join units
        on attachments.node_id = units.node_id

),

unit_hard_ids as (

    select
        unit_id,
        hard_type,
        count(*) as hard_ids
    from unit_attachments
    group by unit_id, hard_type

),

attachable_units as (

    select unit_id
    from unit_hard_ids
    group by unit_id
    having max(hard_ids) = 1

),

unit_edges as (

    select
        unit_attachments.hard_node_id as node_a,
        unit_attachments.unit_id as node_b
    from unit_attachments
    where exists (
        select 1
        from attachable_units
        where attachable_units.unit_id = unit_attachments.unit_id
    )

),

hard_record_nodes as (

    select
        record_id,
        node_id as hard_node_id
    from record_nodes
    where is_hard_id

),

record_hard_anchors as (

    select
        record_id,
        min(hard_node_id) as anchor_node_id
    from hard_record_nodes
    group by record_id

),

hard_edges as (

    select distinct
        record_hard_anchors.anchor_node_id as node_a,
        hard_record_nodes.hard_node_id as node_b
    from hard_record_nodes
    inner join record_hard_anchors
        on hard_record_nodes.record_id = record_hard_anchors.record_id
    where hard_record_nodes.hard_node_id <> record_hard_anchors.anchor_node_id

),

final as (

    select
        node_a,
        node_b
    from unit_edges
    union all
    select
        node_a,
        node_b
    from hard_edges
    union all
    select distinct
        unit_id as node_a,
        unit_id as node_b
    from units
    union all
    select distinct
        hard_node_id as node_a,
        hard_node_id as node_b
    from hard_record_nodes

)

select * from final
