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

attachments as (

    select * from {{ ref('int_identity_hard_attachments') }}

),

component_hard_ids as (

    select
        components.component_id,
        attachments.hard_type,
        count(distinct attachments.hard_node_id) as hard_ids
    from attachments
    inner join components
        on attachments.node_id = components.node_id
    group by components.component_id, attachments.hard_type

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
