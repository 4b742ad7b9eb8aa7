{#-
    One row per (soft node, hard id) that share a record: which CRM numbers or national ids each
    softer identifier was seen with. int_identity_units counts them per component to find the
    conflicting ones; int_identity_components_deterministic attaches units to them.
-#}

with

record_nodes as (

    select * from {{ ref('int_identity_record_nodes') }}

),

soft_record_nodes as (

    select
        record_id,
        node_id
    from record_nodes
    where not is_hard_id

),

hard_record_nodes as (

    select
        record_id,
        node_id as hard_node_id,
        identifier_type as hard_type
    from record_nodes
    where is_hard_id

),

final as (

    select distinct
        soft_record_nodes.node_id,
        hard_record_nodes.hard_node_id,
        hard_record_nodes.hard_type
    from soft_record_nodes
    inner join hard_record_nodes
        on soft_record_nodes.record_id = hard_record_nodes.record_id

)

select * from final
