{#-
    One row per soft node: its soft component and the unit it joins customers as. A soft
    component whose records carry more than one hard id of a type (two CRM numbers) would put two
    people in one customer: it is conflicting, and each of its nodes becomes a unit of its own
    (attached below only to the one hard id its own records carry, if any). Every other
    component is one unit.
-#}

with

components as (

    select * from {{ ref('int_identity_components_soft') }}

),

record_nodes as (

    select * from {{ ref('int_identity_record_nodes') }}

),

soft_record_components as (

    select
        record_nodes.record_id,
        components.component_id
    from record_nodes
    inner join components
        on record_nodes.node_id = components.node_id
    where not record_nodes.is_hard_id

),

hard_record_nodes as (

    select
        record_id,
        node_id as hard_node_id,
        identifier_type as hard_type
    from record_nodes
    where is_hard_id

),

component_hard_ids as (

    select
        soft_record_components.component_id,
        hard_record_nodes.hard_type,
        count(distinct hard_record_nodes.hard_node_id) as hard_ids
    from soft_record_components
    inner join hard_record_nodes
        on soft_record_components.record_id = hard_record_nodes.record_id
    group by soft_record_components.component_id, hard_record_nodes.hard_type

),

conflicting as (

    select
        component_id,
        max(hard_ids) as hard_ids
    from component_hard_ids
    group by component_id
    having max(hard_ids) > 1

),

final as (

    select
        components.node_id,
        components.component_id,
        conflicting.component_id is not null as is_conflicting,
        case
            when conflicting.component_id is not null then components.node_id
            else components.component_id
        end as unit_id,
        conflicting.hard_ids as conflicting_hard_ids
    from components
    left join conflicting
        on components.component_id = conflicting.component_id

)

select * from final
